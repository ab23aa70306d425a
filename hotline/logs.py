"""Logging that never writes a full phone number."""

from __future__ import annotations

import logging
import re

_NUMBER = re.compile(r"\+\d{8,15}")


class MaskNumbersFilter(logging.Filter):
    """Masks anything that looks like an E.164 number in the final log message."""

    def filter(self, record: logging.LogRecord) -> bool:
        from hotline.phones import mask

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
