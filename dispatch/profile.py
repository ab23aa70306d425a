"""What a helper does on their own page (:mod:`dispatch.web.profile`, opened by the
personal link of :mod:`dispatch.helper_links`): pause and resume, their weekly availability,
their language, answering their offers, and sending them the link by SMS.

Everything here goes through the functions the rest of dispatch uses, so the page cannot
disagree with a wave, a reply by SMS or an accept link: the status is the one matching
filters on (only *active* helpers are asked), availability is stored in the format
:func:`dispatch.matching.available` reads, and answers are :func:`dispatch.offers.accept`
and :func:`dispatch.offers.decline`, which hold the exactly-N guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import helper_links, texts
from dispatch.helpers import (
    parse_availability,
    parse_channels,
    textable,
    valid_email,
)
from dispatch.models import (
    ContactChannel,
    Helper,
    HelperStatus,
    Offer,
    OfferState,
    Ticket,
    TicketStatus,
)
from dispatch.offers import Result, accept, decline
from hotline.core.budgets import Budget, BudgetSpent, BudgetUnavailable, spend
from hotline.core.errors import DomainError, FieldErrors

#: The languages a helper's texts and pages can be in (the catalogues the product has).
LANGUAGES = ("de", "en", "tr", "ar", "uk", "ru")
#: Personal links texted on request (PROFIL): each text costs money, and a stolen phone
#: should not be able to fill someone's inbox.
PROFILE_LINKS = Budget("profile-links", per_number="PROFILE_LINKS_PER_NUMBER_HOUR")
#: Key prefix of the texts carrying the personal link.
LINK_PREFIX = "profile-link:"


class ProfileError(FieldErrors):
    """A setting that cannot be saved; refusals by field."""


@dataclass(frozen=True)
class Settings:
    """What the helper may change themselves on their page."""

    paused: bool
    availability: str
    language: str
    #: ``sms``, ``email``, ``both`` or ``call`` (a landline: only ``call``); None keeps
    #: what is stored.
    channels: str | None = None
    email: str | None = None


def apply_settings(session: Session, helper: Helper, settings: Settings) -> None:
    """Pause or resume, availability and language in one go (all or nothing).

    An opted-out helper never reaches this (their link opens nothing); pausing only
    switches between *active* and *paused*, the two states a helper may choose.
    """
    errors: dict[str, DomainError] = {}
    try:
        availability = parse_availability(settings.availability)
    except ValueError:
        availability = None
        errors["availability"] = DomainError("settings_availability_unreadable")
    if settings.language not in LANGUAGES:
        errors["language"] = DomainError("settings_language_unknown")
    email = (settings.email or "").strip() or None if settings.email is not None else helper.email
    if email and not valid_email(email):
        errors["email"] = DomainError("settings_email_invalid")
    channels = helper.channels if settings.channels is None else parse_channels(settings.channels)
    if channels is None:
        errors["channels"] = DomainError("channels_missing")
    elif "email" in channels and not email:
        errors["email"] = DomainError("settings_email_missing")
    elif channels != [ContactChannel.CALL.value] and not textable(helper.phone):
        errors["channels"] = DomainError("landline_call_only")
    if errors:
        raise ProfileError(errors)
    helper.email = email
    helper.channels = channels
    helper.status = HelperStatus.PAUSED if settings.paused else HelperStatus.ACTIVE
    helper.availability = availability or {}
    helper.preferred_language = settings.language
    session.flush()


def current_offers(session: Session, helper: Helper) -> list[Offer]:
    """Offers the helper can still act on: pending on an open ticket (accept or decline)
    and accepted on a ticket that is not closed (withdraw), soonest help first."""
    return list(
        session.scalars(
            select(Offer)
            .join(Ticket, Ticket.id == Offer.ticket_id)
            .where(
                Offer.helper_id == helper.id,
                (
                    (Offer.state == OfferState.PENDING) & (Ticket.status == TicketStatus.OPEN)
                    | (Offer.state == OfferState.ACCEPTED) & (Ticket.status != TicketStatus.CLOSED)
                ),
            )
            .order_by(Ticket.window_start, Offer.id)
        )
    )


def answer_offer(session: Session, helper: Helper, offer_id: int, yes: bool) -> Result | None:
    """Accept or decline one of the helper's own offers (None: not theirs). Declining an
    accepted offer withdraws it, as ABSAGE does."""
    offer = session.get(Offer, offer_id)
    if offer is None or offer.helper_id != helper.id:
        return None
    return accept(session, offer) if yes else decline(session, offer)


def send_link(session: Session, helper: Helper, key_suffix: str) -> bool:
    """Text the helper their personal link (after the commit, through the pipeline); False
    when the hourly budget for their number is spent or cannot be read."""
    from dispatch.outbound import DETAILS, queue_text

    try:
        spend(PROFILE_LINKS, address="sms", number=helper.phone)
    except (BudgetSpent, BudgetUnavailable):
        return False
    queue_text(
        session,
        DETAILS,
        f"{LINK_PREFIX}{helper.id}:{key_suffix}",
        helper.phone,
        texts.sms(
            "profile_link", texts.helper_language(helper), link=helper_links.page_link(helper)
        ),
        helper_id=helper.id,
    )
    return True


def send_welcome(session: Session, helper: Helper, signup_id: int) -> None:
    """The text confirming a sign-up, with the personal link (once per sign-up)."""
    from dispatch.outbound import DETAILS, queue_text

    queue_text(
        session,
        DETAILS,
        f"{LINK_PREFIX}welcome:{signup_id}",
        helper.phone,
        texts.sms(
            "signup_welcome", texts.helper_language(helper), link=helper_links.page_link(helper)
        ),
        helper_id=helper.id,
    )
