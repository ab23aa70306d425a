"""The provider-neutral interface for e-mail: a sibling of the telephony seam, not part of
it (e-mail is no telephony). The pipeline (:mod:`hotline.core.sending`) hands each e-mail
to a :class:`MailTransport` and reads a :class:`MailError` the way it reads a
``TelephonyError``: retry, fail for good, or report the send as uncertain."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Protocol, runtime_checkable


class MailError(Exception):
    """The mail server refused the message or could not be reached.

    ``code`` is the SMTP reply code (None: no answer at all, e.g. a refused connection).
    4xx and connection errors are temporary (retried with backoff), 5xx permanent (never
    retried). ``outcome_unknown``: the message was handed over but the server's final answer
    never came, so it may have been accepted; it is not sent again.
    """

    def __init__(
        self,
        message: str,
        code: int | None = None,
        outcome_unknown: bool = False,
        recipient_refused: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.outcome_unknown = outcome_unknown
        #: The server refused the recipient itself (5xx at RCPT): like a hard bounce.
        self.recipient_refused = recipient_refused

    @property
    def status(self) -> int | None:
        return self.code

    @property
    def retryable(self) -> bool:
        if self.outcome_unknown:
            return False
        return self.code is None or 400 <= self.code < 500

    @property
    def permanent(self) -> bool:
        return self.code is not None and self.code >= 500


#: How a message is written for SMTP: CRLF line ends (smtplib sends bytes as given), and
#: headers folded only beyond the 998 characters RFC 5322 allows, so a long unsubscribe URL
#: stays one token instead of an encoded word mail clients would not read as a link. (The
#: body is encoded with lines of 78 when the message is built.)
SMTP_POLICY = policy.SMTP.clone(max_line_length=998)


@dataclass
class OutgoingMail:
    """One e-mail as the pipeline builds it; :meth:`to_message` makes the MIME message."""

    sender: str
    to: str
    subject: str
    text: str
    message_id: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def as_bytes(self) -> bytes:
        """The message as it goes over SMTP (see :data:`SMTP_POLICY`)."""
        return self.to_message().as_bytes(policy=SMTP_POLICY)

    def to_message(self) -> EmailMessage:
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = self.sender
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Message-ID"] = f"<{self.message_id}>"
        for name, value in self.headers.items():
            message[name] = value
        message.set_content(self.text)
        if self.html:
            message.add_alternative(self.html, subtype="html")
        return message


@runtime_checkable
class MailTransport(Protocol):
    def send(self, mail: OutgoingMail) -> str:
        """Hand ``mail`` over; return its Message-ID (without angle brackets). Raises
        :class:`MailError`."""
