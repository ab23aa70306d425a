"""The seam to e-mail, a sibling of :mod:`hotline.core.telephony` (e-mail is no telephony).

:class:`~hotline.core.mail.transport.MailTransport` is the interface the pipeline sends
through; :class:`SmtpTransport` (smtplib: STARTTLS or TLS, login, timeouts) and
:class:`ConsoleTransport` (development: logs) implement it, :func:`build_transport` picks one
from ``MAIL_BACKEND``. :func:`build_mail` turns a stored outbound message into the e-mail
that goes out: subject, text, a Message-ID of its own, and the one-click unsubscribe headers
of RFC 8058 (``List-Unsubscribe`` with the signed link and a ``mailto:``,
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``).

Unsubscribed and bounced addresses: :mod:`~hotline.core.mail.addresses`; bounce
notifications: :mod:`~hotline.core.mail.bounces`; the pages: :mod:`~hotline.core.mail.web`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Flask, current_app
from sqlalchemy import delete
from sqlalchemy.orm import Session

from hotline.core.mail.console import ConsoleTransport, mask_address
from hotline.core.mail.smtp import SmtpTransport
from hotline.core.mail.transport import MailError, MailTransport, OutgoingMail

if TYPE_CHECKING:
    from hotline.core.models import OutboundMessage
    from hotline.core.registry import Registry

__all__ = [
    "ConsoleTransport",
    "MailError",
    "MailTransport",
    "OutgoingMail",
    "SmtpTransport",
    "build_mail",
    "build_transport",
    "init_mail",
    "mail_enabled",
    "mail_transport",
    "mask_address",
]

#: Addresses with soft bounces only (neither unsubscribed nor unreachable) are forgotten
#: this long after their last bounce.
SOFT_BOUNCE_DAYS = 90

FOOTER = "\n\n-- \nKeine E-Mails mehr bekommen: {link}\nNo more e-mails: {link}\n"


def build_transport(config: Mapping[str, Any]) -> MailTransport | None:
    """The transport ``MAIL_BACKEND`` names, or None when e-mail is ``off``."""
    backend = config.get("MAIL_BACKEND", "off")
    if backend == "smtp":
        return SmtpTransport(
            config["SMTP_HOST"],
            int(config["SMTP_PORT"]),
            config.get("SMTP_TLS", "starttls"),
            config.get("SMTP_USERNAME") or "",
            config.get("SMTP_PASSWORD") or "",
            float(config.get("SMTP_TIMEOUT_SECONDS", 20.0)),
        )
    if backend == "console":
        return ConsoleTransport()
    return None


def init_mail(app: Flask, transport: MailTransport | None = None) -> None:
    app.extensions["rufbereit.mail"] = transport or build_transport(app.config)


def mail_enabled() -> bool:
    """Whether e-mails can be sent at all (``MAIL_BACKEND`` is not ``off``)."""
    return current_app.extensions.get("rufbereit.mail") is not None


def mail_transport() -> MailTransport:
    transport = current_app.extensions.get("rufbereit.mail")
    if transport is None:
        raise MailError("e-mail is off (MAIL_BACKEND=off)")
    return transport


def sender_address() -> str:
    """``MAIL_FROM`` as configured (display name and all)."""
    return current_app.config.get("MAIL_FROM") or "rufbereit@localhost"


def message_domain(sender: str) -> str:
    return (parseaddr(sender)[1] or sender).rpartition("@")[2] or "localhost"


def message_id(message: OutboundMessage) -> str:
    """The same for every attempt at one message (a retry after a cut send is recognised by
    the recipient's mail system), different for every message."""
    digest = hashlib.sha256(message.key.encode()).hexdigest()[:16]
    return f"rufbereit.{message.id}.{digest}@{message_domain(message.sender)}"


def build_mail(message: OutboundMessage) -> OutgoingMail:
    """The e-mail of a stored message, with its unsubscribe link in the headers and text."""
    from hotline.core.mail.addresses import unsubscribe_token, unsubscribe_url

    config = current_app.config
    link = unsubscribe_url(message.to)
    mailto = parseaddr(config.get("MAIL_UNSUBSCRIBE_ADDRESS") or message.sender)[1]
    subject = quote(f"unsubscribe {unsubscribe_token(message.to)}")
    targets = [f"<{link}>"] + ([f"<mailto:{mailto}?subject={subject}>"] if mailto else [])
    return OutgoingMail(
        sender=message.sender,
        to=message.to,
        subject=message.subject or "Rufbereit",
        text=message.body + FOOTER.format(link=link),
        message_id=message_id(message),
        headers={
            "List-Unsubscribe": ", ".join(targets),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def _forget_soft_bounces(session: Session, now: dt.datetime) -> str:
    from hotline.core.models import MailAddress

    forgotten = session.execute(
        delete(MailAddress)
        .where(
            MailAddress.opted_out_at.is_(None),
            MailAddress.unreachable_at.is_(None),
            MailAddress.last_bounce_at < now - dt.timedelta(days=SOFT_BOUNCE_DAYS),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return f"forgot {forgotten} address(es) with old soft bounces"


def init_app(app: Flask, reg: Registry) -> None:
    """The transport, the unsubscribe page and bounce webhook, the retention rule."""
    from hotline.core.mail import web
    from hotline.core.retention import RetentionRule

    if "rufbereit.mail" not in app.extensions:
        init_mail(app)
    app.register_blueprint(web.bp)
    reg.retention(
        RetentionRule(
            name="mail_addresses",
            table="mail_addresses",
            fields="address",
            purpose="an unsubscribed or hard-bounced address gets no further e-mail (unsubscribing is a legal declaration)",
            period=f"unsubscribed or unreachable: until the person opts in again (also kept on erasure); soft bounces only: {SOFT_BOUNCE_DAYS} days after the last",
            action="deleted",
            apply=_forget_soft_bounces,
        )
    )
