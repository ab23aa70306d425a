"""Organisations: they register, a coordinator approves (or rejects) them, then their
members post call-outs. Approval is what keeps the system from being used to summon helpers
for anything but genuine help.

Members sign in with ordinary roster accounts of role ``member``: that role opens no roster
page (not even an operator's), only the call-out form of the member's own organisation. An
account belongs to at most one organisation (:class:`OrganisationMember`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import Organisation, OrganisationMember, Ticket, TicketSource
from dispatch.tickets import InvalidTicket, TicketRequest, create_ticket
from hotline.core.accounts import AccountError, create_user, hash_password
from hotline.core.errors import DomainError, FieldErrors
from hotline.core.models import Role, User, utcnow
from hotline.core.phones import InvalidPhoneNumber, to_dialable_e164


class InvalidOrganisation(FieldErrors):
    """An organisation or member account that cannot be stored; refusals by field."""


def _account_errors(exc: AccountError) -> dict[str, DomainError]:
    """The account's refusal under the form field it is about."""
    return {"password" if exc.code == "password_too_short" else "username": exc}


def register_organisation(
    session: Session,
    name: str,
    contact_phone: str = "",
    contact_email: str = "",
    *,
    username: str,
    password: str,
    member_name: str = "",
) -> tuple[Organisation, User | None]:
    """Store a not-yet-approved organisation and its first member account; every problem
    is reported at once and nothing is stored unless everything is right.

    A username that is taken is not one of those problems: saying so would tell strangers
    which accounts exist. The organisation is stored without a member account (``None``;
    the coordinators see that and add one when they contact it), the password is hashed
    all the same so the answer takes as long, and the existing account is left alone.
    """
    errors: dict[str, DomainError] = {}
    if not name.strip():
        errors["name"] = DomainError("organisation_name_missing")
    phone = None
    if contact_phone.strip():
        try:
            phone = to_dialable_e164(contact_phone)  # the helpers' contact: called or texted
        except InvalidPhoneNumber as exc:
            errors["contact_phone"] = exc
    org = Organisation(
        name=name.strip(),
        contact_phone=phone,
        contact_email=contact_email.strip() or None,
    )
    user = None
    with session.begin_nested():  # an exception rolls back the organisation too
        session.add(org)
        session.flush()
        try:
            if username_taken(session, username):
                hash_password(password)  # same rules, same time; the hash is dropped
            else:
                user = add_member(session, org, username, member_name or username, password)
        except AccountError as exc:
            errors.update(_account_errors(exc))
        except InvalidOrganisation as exc:
            errors.update(exc.problems)
        if errors:
            raise InvalidOrganisation(errors)
    return org, user


def username_taken(session: Session, username: str) -> bool:
    name = username.strip().lower()
    return bool(name) and session.scalar(select(User.id).where(User.username == name)) is not None


def add_member(
    session: Session, org: Organisation, username: str, name: str, password: str
) -> User:
    """A new member account for ``org`` (same password rules as every account)."""
    try:
        user = create_user(session, username, name, password, Role.MEMBER)
    except AccountError as exc:
        raise InvalidOrganisation(_account_errors(exc)) from exc
    session.add(OrganisationMember(user_id=user.id, organisation_id=org.id))
    session.flush()
    return user


def organisation_of(session: Session, user: User | None) -> Organisation | None:
    if user is None:
        return None
    return session.scalar(
        select(Organisation)
        .join(OrganisationMember, OrganisationMember.organisation_id == Organisation.id)
        .where(OrganisationMember.user_id == user.id)
    )


def members(session: Session, org: Organisation) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(OrganisationMember, OrganisationMember.user_id == User.id)
            .where(OrganisationMember.organisation_id == org.id)
            .order_by(User.username)
        )
    )


def approve(session: Session, org: Organisation, now: dt.datetime | None = None) -> None:
    if org.approved_at is None:
        org.approved_at = now or utcnow()
        org.rejected_at = None


def reject(session: Session, org: Organisation, now: dt.datetime | None = None) -> None:
    """Not (or no longer) allowed to post call-outs; the members keep their accounts."""
    org.approved_at = None
    org.rejected_at = now or utcnow()


def create_callout(
    session: Session, org: Organisation, request: TicketRequest, max_waves: int
) -> Ticket:
    """A call-out by an organisation member; refused unless the organisation is approved."""
    if not org.approved:
        raise InvalidTicket({"organisation": DomainError("organisation_not_approved")})
    return create_ticket(session, request, TicketSource.ORGANISATION, max_waves, organisation=org)
