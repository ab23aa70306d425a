"""A real SMTP server for the tests (aiosmtpd in a thread, on a free local port) that keeps
every message it accepts and answers as told: a temporary (4xx) or permanent (5xx) reply at
``RCPT`` or after ``DATA``, or a connection cut once the message was handed over."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    #: The message as it came over the wire.
    raw: bytes = b""


@dataclass
class Rule:
    """How the server answers mail to one address: ``at`` is ``rcpt``, ``data`` or
    ``cut``; ``times`` how often (then it accepts)."""

    at: str
    reply: str = ""
    times: int = 10**6


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _rule(self, address: str, at: str) -> Rule | None:
        with self.lock:
            rule = self.rules.get(address.lower())
            if rule is None or rule.at != at or rule.times <= 0:
                return None
            rule.times -= 1
            return rule

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201
        rule = self._rule(address, "rcpt")
        if rule is not None:
            return rule.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        for address in envelope.rcpt_tos:
            if self._rule(address, "cut") is not None:
                server.transport.close()  # the message arrived, the answer never leaves
                return "250 OK"
            rule = self._rule(address, "data")
            if rule is not None:
                return rule.reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message, envelope.content)
            )
        return "250 Message accepted for delivery"


class SmtpServer:
    """``with SmtpServer() as smtp: … smtp.messages``"""

    def __init__(self) -> None:
        self.handler = _Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.messages if address in r.recipients]

    def answer(self, address: str, at: str, reply: str = "", times: int = 10**6) -> None:
        with self.handler.lock:
            self.handler.rules[address.lower()] = Rule(at, reply, times)


def smtp_config(server: SmtpServer, **overrides: object) -> dict[str, object]:
    return {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": server.port,
        "SMTP_TLS": "none",
        "SMTP_TIMEOUT_SECONDS": 5.0,
        "MAIL_FROM": "Rufbereit <hilfe@example.org>",
        "MAIL_UNSUBSCRIBE_ADDRESS": "abmelden@example.org",
        "MAIL_RATE_PER_SECOND": 0,
        **overrides,
    }


def dsn(recipient: str, status: str, action: str = "failed") -> bytes:
    """A delivery status notification (RFC 3464) as a mail server sends it back."""
    return (
        "From: MAILER-DAEMON@mx.example.org\r\n"
        "To: hilfe@example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n"
        "--b1\r\n"
        "Content-Type: text/plain\r\n\r\n"
        "The mail could not be delivered.\r\n"
        "--b1\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; {status[0]}50 {status} mailbox problem\r\n"
        "--b1--\r\n"
    ).encode()
