"""Development: e-mails are logged (address masked) instead of sent."""

from __future__ import annotations

import logging

from hotline.core.mail.transport import OutgoingMail

log = logging.getLogger(__name__)


def mask_address(address: str) -> str:
    """``ada@example.org`` → ``a…@example.org``: logs never hold a whole address."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}…@{domain}" if local else "…"


class ConsoleTransport:
    """Logs each e-mail's subject and recipient; keeps them for the development pages."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> str:
        self.sent.append(mail)
        log.info("e-mail to %s: %s", mask_address(mail.to), mail.subject)
        return mail.message_id
