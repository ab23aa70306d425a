"""The e-mail counterpart of the opt-out list: unsubscribed and unreachable addresses.

An address on it gets no e-mail of any kind. Unsubscribing (the one-click link, the mailto
unsubscribe) is honoured like an SMS STOP: recorded here, then every feature's
:meth:`Registry.on_mail_opt_out` hook runs in the same transaction (dispatch opts the helper
out of both channels). A hard bounce (5.x.x) or a recipient the server refused for good
marks the address unreachable; soft bounces (4.x.x) are counted and, after
``MAIL_SOFT_BOUNCE_LIMIT`` in a row, count as unreachable too. A message that got through
afterwards does not clear a hard bounce: only a changed address (a new row) does.
"""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.models import MailAddress, utcnow
from hotline.core.registry import registry

TOKEN_SALT = "rufbereit.mail-unsubscribe"
UNSUBSCRIBE_PATH = "/abmelden/"


def normalise(address: str) -> str:
    """The bare, lower-cased address of ``Name <a@b>`` or ``a@b``."""
    return (parseaddr(address or "")[1] or address or "").strip().lower()


def _row(session: Session, address: str, create: bool = False) -> MailAddress | None:
    key = normalise(address)
    row = session.get(MailAddress, key)
    if row is None and create and key:
        row = MailAddress(address=key, soft_bounces=0)
        session.add(row)
        session.flush()
    return row


def blocked_reason(session: Session, address: str) -> str | None:
    """Why nothing may be mailed to ``address`` (``unsubscribed``, ``unreachable``), or None."""
    row = _row(session, address)
    if row is None:
        return None
    if row.opted_out_at is not None:
        return "unsubscribed"
    if row.unreachable_at is not None:
        return "unreachable"
    return None


def blocked_addresses(session: Session, addresses: list[str]) -> set[str]:
    """Which of ``addresses`` (normalised) may not be mailed (one query, for waves)."""
    keys = [normalise(a) for a in addresses if a]
    if not keys:
        return set()
    stmt = select(MailAddress).where(MailAddress.address.in_(keys))
    return {
        r.address
        for r in session.scalars(stmt)
        if r.opted_out_at is not None or r.unreachable_at is not None
    }


def opt_out(
    session: Session, address: str, source: str = "link", now: dt.datetime | None = None
) -> bool:
    """Unsubscribe ``address`` (idempotent); returns whether it was new. Every feature's
    hook runs either way, so its records agree with the list."""
    row = _row(session, address, create=True)
    if row is None:
        return False
    new = row.opted_out_at is None
    if new:
        row.opted_out_at = now or utcnow()
        row.opt_out_source = source
    for hook in registry().mail_opt_out_hooks:
        hook(session, row.address, True)
    return new


def opt_in(session: Session, address: str) -> bool:
    """Take the unsubscription off ``address`` (the person opted in again elsewhere, e.g.
    START by SMS); a hard bounce stays. Returns whether it was unsubscribed. No hooks run:
    this is called by the feature that learnt of the opt-in."""
    row = _row(session, address)
    if row is None or row.opted_out_at is None:
        return False
    row.opted_out_at = None
    row.opt_out_source = None
    return True


def record_bounce(
    session: Session, address: str, status: str, now: dt.datetime | None = None
) -> str:
    """A bounce for ``address`` with DSN ``status`` (``5.1.1``) or SMTP code (``550``):
    hard bounces mark it unreachable, soft ones are counted. Returns ``hard``, ``soft`` or
    ``ignored`` (a status that is neither)."""
    status = (status or "").strip()
    klass = status[:1]
    if klass not in ("4", "5") or not normalise(address):
        return "ignored"
    now = now or utcnow()
    row = _row(session, address, create=True)
    assert row is not None
    row.last_bounce_at = now
    row.bounce_status = status[:20]
    if klass == "5":
        if row.unreachable_at is None:
            row.unreachable_at = now
        return "hard"
    row.soft_bounces = (row.soft_bounces or 0) + 1
    limit = current_app.config.get("MAIL_SOFT_BOUNCE_LIMIT", 0)
    if limit and row.soft_bounces >= limit and row.unreachable_at is None:
        row.unreachable_at = now
    return "soft"


def delivered(session: Session, address: str) -> None:
    """A message got through: soft bounces start counting afresh."""
    row = _row(session, address)
    if row is not None and row.soft_bounces:
        row.soft_bounces = 0


# -- one-click unsubscribe tokens (RFC 8058) ---------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def unsubscribe_token(address: str) -> str:
    """A signed token naming ``address``; it does not expire (an old e-mail's link still
    unsubscribes), and it names nothing but the address."""
    return _serializer().dumps(normalise(address))


def address_of_token(token: str) -> str | None:
    if not token or len(token) > 600:
        return None
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) and "@" in value else None


def unsubscribe_url(address: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    return f"{base.rstrip('/')}{UNSUBSCRIBE_PATH}{unsubscribe_token(address)}"
