"""Organisations: they register, a coordinator approves them, then their members post
call-outs. Approval is what keeps the system from being used to summon helpers for
anything but genuine help."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dispatch.access import new_token, token_hash
from dispatch.models import Organisation, Ticket, TicketSource
from dispatch.tickets import InvalidTicket, TicketRequest, create_ticket
from hotline.models import utcnow
from hotline.phones import InvalidPhoneNumber, to_e164


def register_organisation(
    session: Session, name: str, contact_phone: str = "", contact_email: str = ""
) -> tuple[Organisation, str]:
    """Store a not-yet-approved organisation; returns it and its sign-in token (shown once,
    stored only as a hash)."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Bitte den Namen der Organisation angeben."
    phone = None
    if contact_phone.strip():
        try:
            phone = to_e164(contact_phone)
        except InvalidPhoneNumber as exc:
            errors["contact_phone"] = str(exc)
    if errors:
        raise InvalidTicket(errors)
    token = new_token()
    org = Organisation(
        name=name.strip(),
        contact_phone=phone,
        contact_email=contact_email.strip() or None,
        token_hash=token_hash(token),
    )
    session.add(org)
    session.flush()
    return org, token


def approve(session: Session, org: Organisation, now: dt.datetime | None = None) -> None:
    if org.approved_at is None:
        org.approved_at = now or utcnow()


def create_callout(
    session: Session, org: Organisation, request: TicketRequest, max_waves: int
) -> Ticket:
    """A call-out by an organisation member; refused unless the organisation is approved."""
    if not org.approved:
        raise InvalidTicket({"organisation": "Ihre Organisation ist noch nicht freigegeben."})
    return create_ticket(session, request, TicketSource.ORGANISATION, max_waves, organisation=org)
