"""Logging that never writes a full phone number."""

from __future__ import annotations

import logging
import re

_NUMBER = re.compile(r"\+\d{8,15}")
_URL = re.compile(r"https?://\S+")


def mask_numbers_in_text(text: str, region: str = "DE") -> str:
    """Mask the phone numbers in free text, such as an SMS body: E.164 and numbers the way
    people write them (``+49 1521 2345678``, ``030 1234567``). Links are left alone, so a
    developer can still follow them; short codes (a 6-digit reference) are not numbers."""
    parts: list[str] = []
    last = 0
    for url in _URL.finditer(text):
        parts.append(_mask_plain(text[last : url.start()], region))
        parts.append(url.group(0))
        last = url.end()
    parts.append(_mask_plain(text[last:], region))
    return "".join(parts)


def _mask_plain(text: str, region: str) -> str:
    import phonenumbers

    from hotline.core.phones import mask

    out: list[str] = []
    last = 0
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        out.append(text[last : match.start])
        out.append(mask(number))
        last = match.end
    out.append(text[last:])
    return _NUMBER.sub(lambda m: mask(m.group(0)), "".join(out))


class MaskNumbersFilter(logging.Filter):
    """Masks anything that looks like an E.164 number in the final log message."""

    def filter(self, record: logging.LogRecord) -> bool:
        from hotline.core.phones import mask

        message = record.getMessage()
        if _NUMBER.search(message):
            record.msg = _NUMBER.sub(lambda m: mask(m.group(0)), message)
            record.args = None
        return True


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(isinstance(f, MaskNumbersFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(MaskNumbersFilter())
        root.addHandler(handler)
    root.setLevel(level.upper())
    # Alembic announces each of its plugins at INFO on every start; only its migrations matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
