"""Sending e-mails through an SMTP server (smtplib): STARTTLS or TLS from the start, login,
timeouts, and the server's answers sorted into temporary, permanent and uncertain.

Each send is one connection, step by step (``MAIL FROM``, ``RCPT TO``, ``DATA``), so the
step that failed is known: before ``DATA`` nothing was handed over and a connection error is
simply retried; once the message went out, only the server's final reply tells whether it
took it, and without one the send is uncertain (never sent again automatically).
"""

from __future__ import annotations

import smtplib
import ssl
from email.utils import parseaddr

from hotline.core.mail.transport import MailError, OutgoingMail


class SmtpTransport:
    def __init__(
        self,
        host: str,
        port: int,
        tls: str = "starttls",
        username: str = "",
        password: str = "",
        timeout: float = 20.0,
        context: ssl.SSLContext | None = None,
    ) -> None:
        if tls not in ("none", "starttls", "ssl"):
            raise ValueError(f"SMTP_TLS must be none, starttls or ssl, not {tls!r}")
        self.host, self.port, self.tls = host, port, tls
        self.username, self.password = username, password
        self.timeout = timeout
        self.context = context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self.context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        client.ehlo()
        if self.tls == "starttls":
            client.starttls(context=self.context)
            client.ehlo()
        if self.username:
            client.login(self.username, self.password)
        return client

    def send(self, mail: OutgoingMail) -> str:
        message = mail.as_bytes()
        sender = parseaddr(mail.sender)[1] or mail.sender
        client: smtplib.SMTP | None = None
        try:
            try:
                client = self._connect()
            except smtplib.SMTPAuthenticationError as exc:
                # Wrong credentials are not the message's fault: retried until fixed.
                raise MailError(f"SMTP login refused: {exc.smtp_code}", None) from exc
            except smtplib.SMTPResponseException as exc:
                raise MailError(f"SMTP server refused: {exc.smtp_code}", exc.smtp_code) from exc
            except (smtplib.SMTPException, OSError) as exc:
                raise MailError(f"SMTP server unreachable: {exc!r}") from exc
            try:
                code, reply = client.mail(sender)
                if code != 250:
                    raise MailError(f"MAIL FROM refused: {code} {_text(reply)}", code)
                code, reply = client.rcpt(mail.to)
                if code not in (250, 251):
                    raise MailError(
                        f"RCPT TO refused: {code} {_text(reply)}",
                        code,
                        recipient_refused=code >= 500,
                    )
            except (smtplib.SMTPException, OSError) as exc:
                raise MailError(f"SMTP connection lost before the message: {exc!r}") from exc
            try:
                code, reply = client.data(message)
            except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing handed over
                raise MailError(f"DATA refused: {exc.smtp_code}", exc.smtp_code) from exc
            except (smtplib.SMTPException, OSError) as exc:
                raise MailError(
                    f"no answer after the message was handed over: {exc!r}",
                    outcome_unknown=True,
                ) from exc
            if code != 250:
                raise MailError(f"message refused: {code} {_text(reply)}", code)
            return mail.message_id
        finally:
            if client is not None:
                try:
                    client.quit()
                except (smtplib.SMTPException, OSError):
                    client.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
