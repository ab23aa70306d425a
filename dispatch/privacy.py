"""Retention and data-subject requests for dispatch: requesters' contact data, sign-ups,
phone intakes and helpers who left."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from dispatch.models import (
    EngagementMatch,
    Helper,
    HelperStatus,
    HelperTraining,
    IntakeDraft,
    Offer,
    Signup,
    Ticket,
)
from hotline.core.registry import Registry
from hotline.core.retention import PersonalData, RetentionRule, days, delete_before

#: What a requester's emptied fields read afterwards.
ERASED = ""
#: The requester's personal fields on a ticket, emptied.
REQUESTER_ERASED = {
    "requester_phone": None,
    "requester_first_name": ERASED,
    "address": ERASED,
    "description": ERASED,
    "recording_url": None,
}


def purge_requesters(session: Session, now: dt.datetime) -> str:
    """A ticket that is over (closed, or its time window passed) forgets who asked for help
    after the retention period; what was needed, where roughly and when stays for the
    statistics."""
    cutoff = now - days("REQUESTER_RETENTION_DAYS")
    over = or_(
        Ticket.closed_at < cutoff,
        Ticket.window_end < cutoff,
    )
    changed = session.execute(
        update(Ticket)
        .where(
            over,
            or_(
                Ticket.requester_phone.is_not(None),
                Ticket.requester_first_name != ERASED,
                Ticket.address != ERASED,
                Ticket.description != ERASED,
                Ticket.recording_url.is_not(None),
            ),
        )
        .values(**REQUESTER_ERASED)
        .execution_options(synchronize_session=False)
    ).rowcount
    return f"forgot the requester of {changed} ticket(s)"


def purge_signups(session: Session, now: dt.datetime) -> str:
    cutoff = now - dt.timedelta(hours=int(_config("SIGNUP_RETENTION_HOURS")))
    deleted = session.execute(
        delete(Signup)
        .where(Signup.created_at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount
    return f"forgot {deleted} sign-up(s)"


def purge_intakes(session: Session, now: dt.datetime) -> str:
    cutoff = now - days("INTAKE_RETENTION_DAYS")
    return f"forgot {delete_before(session, IntakeDraft.created_at, cutoff)} phone intake(s)"


def purge_opted_out_helpers(session: Session, now: dt.datetime) -> str:
    """A helper who texted STOP and did not come back is deleted with their offers; their
    number stays on the core opt-out list, so they are never texted again."""
    cutoff = now - days("OPTED_OUT_HELPER_RETENTION_DAYS")
    helpers = session.scalars(
        select(Helper).where(
            Helper.status == HelperStatus.OPTED_OUT,
            Helper.last_asked_at.is_(None) | (Helper.last_asked_at < cutoff),
            Helper.created_at < cutoff,
        )
    ).all()
    for helper in helpers:
        session.delete(helper)
    return f"deleted {len(helpers)} helper(s) who left"


def _config(key: str) -> object:
    from flask import current_app

    return current_app.config[key]


def _email_status(session: Session, address: str | None) -> dict[str, object] | None:
    """What the core's e-mail list says about the helper's address (unsubscribed, bounced)."""
    from hotline.core.mail.addresses import normalise
    from hotline.core.models import MailAddress

    row = session.get(MailAddress, normalise(address)) if address else None
    if row is None:
        return None
    return {
        "unsubscribed_at": row.opted_out_at.isoformat() if row.opted_out_at else None,
        "unreachable_at": row.unreachable_at.isoformat() if row.unreachable_at else None,
        "soft_bounces": row.soft_bounces,
    }


def export_person(session: Session, phone: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    helper = session.scalar(select(Helper).where(Helper.phone == phone))
    if helper is not None:
        found.append(
            {
                "helper": helper.id,
                "name": helper.name,
                "email": helper.email,
                "channels": helper.channels,
                "email_status": _email_status(session, helper.email),
                "postal_code": helper.postal_code,
                "radius_km": helper.radius_km,
                "activities": [a for a in helper.activity_codes.split(",") if a],
                "languages": [c for c in helper.language_codes.split(",") if c],
                "status": helper.status.value,
                "consent_at": helper.consent_at.isoformat() if helper.consent_at else None,
                "availability": helper.availability or {},
                "max_per_week": helper.max_per_week,
                "preferred_language": helper.preferred_language,
                "hours_per_week": helper.hours_per_week,
                "last_asked_at": helper.last_asked_at.isoformat() if helper.last_asked_at else None,
                "offers": _helper_offers(session, helper.id),
                "trainings": [
                    {
                        "name": t.name,
                        "completed_on": t.completed_on.isoformat(),
                        "valid_until": t.valid_until.isoformat() if t.valid_until else None,
                    }
                    for t in session.scalars(
                        select(HelperTraining).where(HelperTraining.helper_id == helper.id)
                    )
                ],
                "engagements": [
                    {
                        "profile": m.profile_id,
                        "status": m.status.value,
                        "hours_per_week": m.hours_per_week,
                        "message": m.message,
                        "consent_at": m.consent_at.isoformat(),
                    }
                    for m in session.scalars(
                        select(EngagementMatch).where(EngagementMatch.helper_id == helper.id)
                    )
                ],
            }
        )
    for ticket in session.scalars(select(Ticket).where(Ticket.requester_phone == phone)):
        found.append(
            {
                "ticket": ticket.reference,
                "requester_first_name": ticket.requester_first_name,
                "address": ticket.address,
                "description": ticket.description,
                "window_start": ticket.window_start.isoformat(),
            }
        )
    for draft in session.scalars(
        select(IntakeDraft).where(
            or_(IntakeDraft.caller_number == phone, IntakeDraft.callback == phone)
        )
    ):
        found.append({"intake": draft.id, "created_at": draft.created_at.isoformat()})
    for signup in session.scalars(select(Signup).where(Signup.phone == phone)):
        found.append({"signup": signup.id, "created_at": signup.created_at.isoformat()})
    return found


def _helper_offers(session: Session, helper_id: int) -> list[dict[str, object]]:
    """The helper's offers: which call-out (by reference), when asked, what they answered."""
    rows = session.execute(
        select(Offer, Ticket.reference)
        .join(Ticket, Ticket.id == Offer.ticket_id)
        .where(Offer.helper_id == helper_id)
        .order_by(Offer.created_at, Offer.id)
    )
    return [
        {
            "ticket": reference,
            "state": offer.state.value,
            "asked_at": offer.created_at.isoformat(),
            "answered_at": offer.responded_at.isoformat() if offer.responded_at else None,
        }
        for offer, reference in rows
    ]


def erase_person(session: Session, phone: str) -> int:
    touched = 0
    helper = session.scalar(select(Helper).where(Helper.phone == phone))
    if helper is not None:
        session.delete(helper)
        touched += 1
    touched += session.execute(
        update(Ticket)
        .where(Ticket.requester_phone == phone)
        .values(**REQUESTER_ERASED)
        .execution_options(synchronize_session=False)
    ).rowcount
    touched += session.execute(
        delete(IntakeDraft)
        .where(or_(IntakeDraft.caller_number == phone, IntakeDraft.callback == phone))
        .execution_options(synchronize_session=False)
    ).rowcount
    touched += session.execute(
        delete(Signup).where(Signup.phone == phone).execution_options(synchronize_session=False)
    ).rowcount
    return touched


def register(registry: Registry) -> None:
    rules = [
        RetentionRule(
            name="tickets.requester",
            table="dispatch_tickets",
            fields="requester_first_name, requester_phone, address, description, recording_url",
            purpose="tell the accepting helpers whom to help, and the requester that help was found",
            period="`REQUESTER_RETENTION_DAYS` days after the ticket is over (30)",
            action="emptied",
            apply=purge_requesters,
        ),
        RetentionRule(
            name="signups",
            table="dispatch_signups",
            fields="phone, profile",
            purpose="confirm a new helper's mobile number with a code",
            period="`SIGNUP_RETENTION_HOURS` hours (24)",
            action="deleted",
            apply=purge_signups,
        ),
        RetentionRule(
            name="intakes",
            table="dispatch_intakes",
            fields="caller_number, callback, recording_url",
            purpose="take a help request over the phone, step by step",
            period="`INTAKE_RETENTION_DAYS` days after the call (7)",
            action="deleted",
            apply=purge_intakes,
        ),
        RetentionRule(
            name="helpers.opted_out",
            table="dispatch_helpers",
            fields="name, phone, email, postal_code, availability",
            purpose="text helpers who fit a request; kept while they take part",
            period="while active; `OPTED_OUT_HELPER_RETENTION_DAYS` days after STOP (30)",
            action="deleted",
            apply=purge_opted_out_helpers,
        ),
        RetentionRule(
            name="organisations.contact",
            table="dispatch_organisations",
            fields="contact_phone, contact_email",
            purpose="reach the organisation that posts call-outs",
            period="while the organisation is registered",
            action="deleted with the organisation",
        ),
    ]
    for rule in rules:
        registry.retention(rule)
    registry.personal(PersonalData("dispatch", export_person, erase_person))
