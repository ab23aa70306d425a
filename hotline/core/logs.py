"""Logging that never writes a full phone number."""

from __future__ import annotations

import logging
import re

_NUMBER = re.compile(r"\+\d{8,15}")
#: A national number written without spaces (``015112345678``), as a form or CSV holds it.
_NATIONAL = re.compile(r"(?<![\d.:-])0\d{9,12}(?![\d.:])")
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


def mask_log_text(text: str) -> str:
    """Mask E.164 and national-looking numbers anywhere in a formatted log text."""
    from hotline.core.phones import mask

    text = _NUMBER.sub(lambda m: mask(m.group(0)), text)
    return _NATIONAL.sub(
        lambda m: m.group(0)[:4] + "*" * (len(m.group(0)) - 6) + m.group(0)[-2:], text
    )


class MaskNumbersFilter(logging.Filter):
    """Masks phone numbers in the whole record: the message, and the traceback and stack
    (where a database error repeats the SQL parameters, a form value or a caller's number)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_log_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_log_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_log_text(record.stack_info)
        return True


class MaskingFormatter(logging.Formatter):
    """Masks the finished line too: whatever a handler's format adds stays number-free."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_log_text(super().format(record))


def configure_logging(level: str = "INFO", stream=None) -> None:  # noqa: ANN001
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "rufbereit", False)]
    if not ours:
        handler = logging.StreamHandler(stream)
        handler.rufbereit = True  # type: ignore[attr-defined]
        handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    elif stream is not None:
        ours[0].setStream(stream)  # type: ignore[attr-defined]
    # Every handler on the root logger (test capture, a server's own) gets masked records.
    for handler in root.handlers:
        if not any(isinstance(f, MaskNumbersFilter) for f in handler.filters):
            handler.addFilter(MaskNumbersFilter())
    root.setLevel(level.upper())
    # Alembic announces each of its plugins at INFO on every start; only its migrations matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
