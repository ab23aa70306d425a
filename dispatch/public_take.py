"""Taking a call-out from the public page (``/angebote``): a signed-up helper gives their
number, gets a six-digit code by SMS and, entering it, accepts the call-out.

* **Exactly N.** The take ends in :func:`dispatch.offers.accept` on the helper's offer for
  the ticket (the one a wave created, or a new one, under the ticket's row lock), so
  however many helpers take a call-out at once — on the page, by SMS or by accept link —
  exactly ``needed`` are accepted.
* **No enumeration.** Every number gets the same page ("if the number is signed up …"): a
  number that is not an active helper who may do the call-out gets no text and no code,
  and every code entered for it is simply wrong. Whether a number is known shows only on
  that number's phone.
* **Costs.** Codes are texts sent at a stranger's command: the handler spends
  :data:`TAKE_CODES` (per client address, per number, overall) before anything is stored
  or sent, and each attempt has :data:`MAX_ATTEMPTS` guesses.

The pending take lives in Redis for :data:`CODE_TTL` only (ticket id, helper id, a keyed
hash of the code, attempts): nothing about it is kept in the database, and a lost one is
asked for again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import texts
from dispatch.helpers import helper_by_phone
from dispatch.matching import help_day
from dispatch.models import Helper, HelperStatus, Offer, OfferState, Ticket, TicketStatus
from dispatch.offers import Result, accept
from dispatch.trainings import required_for
from hotline.core.budgets import Budget
from hotline.core.errors import DomainError
from hotline.core.extensions import jobs

#: Codes texted for public takes (SMS pumping is the abuse this prices out).
TAKE_CODES = Budget(
    "take-codes",
    per_address="TAKE_CODES_PER_ADDRESS_HOUR",
    per_number="TAKE_CODES_PER_NUMBER_HOUR",
    overall="TAKE_CODES_PER_HOUR",
)
CODE_TTL = dt.timedelta(minutes=30)
MAX_ATTEMPTS = 5
#: The wave number of an offer created by a public take (waves count from 1).
PUBLIC_WAVE = 0
#: Offers a public take may turn into an acceptance; anything else has been settled.
TAKEABLE = (OfferState.PENDING, OfferState.STOOD_DOWN, OfferState.DECLINED)


class TakeFailed(DomainError):
    """The code was wrong, expired or used up."""


@dataclass(frozen=True)
class Started:
    """A take waiting for its code: ``nonce`` names it in the page's address; ``code`` is
    None when nothing was texted (unknown number, or one that may not take this)."""

    nonce: str
    helper: Helper | None
    code: str | None


def open_ticket(session: Session, reference: str) -> Ticket | None:
    """The ticket a public call-out shows, by its reference (None: no such ticket)."""
    if not reference or len(reference) > 12:
        return None
    return session.scalars(select(Ticket).where(Ticket.reference == reference)).first()


def eligible_helper(session: Session, ticket: Ticket, phone: str) -> Helper | None:
    """The active helper with this number who may take ``ticket``: they do its activity,
    speak one of its languages, hold the trainings it requires (as matching asks) and have
    not already accepted or turned it down for good. Distance, weekly cap and availability
    are left to the helper, who chose this call-out themselves."""
    helper = helper_by_phone(session, phone)
    if helper is None or helper.status != HelperStatus.ACTIVE:
        return None
    if ticket.activity.value not in helper.activities:
        return None
    if not set(ticket.languages or ["de"]) & set(helper.languages):
        return None
    trained = session.scalar(
        select(Helper.id).where(
            Helper.id == helper.id, *required_for(session, ticket.activity, help_day(ticket))
        )
    )
    if trained is None:
        return None
    offer = _offer(session, ticket.id, helper.id)
    if offer is not None and offer.state not in TAKEABLE:
        return None
    return helper


def start(session: Session, ticket: Ticket, phone: str, salt: str) -> Started:
    """Begin a take for ``phone`` (E.164): a pending take in Redis either way, a code (to be
    texted by :func:`queue_code`) only for a helper who may take the ticket."""
    nonce = secrets.token_urlsafe(18)
    helper = eligible_helper(session, ticket, phone) if ticket.status == TicketStatus.OPEN else None
    code = f"{secrets.randbelow(10**6):06d}" if helper is not None else None
    state = {
        "ticket": str(ticket.id),
        "helper": str(helper.id) if helper is not None else "",
        "code": _code_hash(code, salt) if code is not None else "",
        "attempts": "0",
    }
    redis = jobs.redis
    key = _key(nonce)
    pipe = redis.pipeline()
    pipe.hset(key, mapping=state)
    pipe.expire(key, int(CODE_TTL.total_seconds()))
    pipe.execute()
    return Started(nonce, helper, code)


def queue_code(session: Session, ticket: Ticket, started: Started) -> None:
    """Text the code to the helper (sent after the commit); nothing for anyone else."""
    from dispatch.outbound import SIGNUP_CODE, queue_text

    if started.helper is None or started.code is None:
        return
    helper = started.helper
    queue_text(
        session,
        SIGNUP_CODE,
        f"take:{started.nonce}",
        helper.phone,
        texts.sms(
            "take_code", texts.helper_language(helper), ref=ticket.reference, code=started.code
        ),
        ticket_id=ticket.id,
        helper_id=helper.id,
    )


def ticket_of(nonce: str) -> int | None:
    """The ticket a pending take is for (None: expired or unknown)."""
    raw = jobs.redis.hget(_key(nonce), "ticket") if _valid_nonce(nonce) else None
    return int(raw) if raw else None


def confirm(session: Session, nonce: str, code: str, salt: str) -> Result:
    """Check the code and accept the call-out for the helper through
    :func:`dispatch.offers.accept`; raises :class:`TakeFailed` with the page's message."""
    if not _valid_nonce(nonce):
        raise TakeFailed("take_code_expired")
    redis = jobs.redis
    key = _key(nonce)
    state = {_text(k): _text(v) for k, v in redis.hgetall(key).items()}
    if not state:
        raise TakeFailed("take_code_expired")
    attempts = int(redis.hincrby(key, "attempts", 1))
    if attempts > MAX_ATTEMPTS:
        redis.delete(key)
        raise TakeFailed("take_too_many_attempts")
    wanted = state.get("code") or ""
    given = _code_hash(code.strip(), salt)
    # Compared for every take, also those with no code at all: the answer and its timing
    # are the same whether or not the number is signed up.
    if not hmac.compare_digest(wanted or "-" * len(given), given) or not state.get("helper"):
        raise TakeFailed("code_wrong")
    ticket_id, helper_id = int(state["ticket"]), int(state["helper"])
    # The ticket's row lock first: two takes by the same helper cannot both create an offer.
    ticket = session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    helper = session.get(Helper, helper_id)
    if ticket is None or helper is None or helper.status != HelperStatus.ACTIVE:
        redis.delete(key)
        raise TakeFailed("take_not_possible")
    offer = _offer(session, ticket.id, helper.id)
    if offer is None and ticket.status != TicketStatus.OPEN:
        redis.delete(key)
        if ticket.status == TicketStatus.FILLED:
            raise TakeFailed("take_filled")
        raise TakeFailed("take_closed")
    if offer is None:
        offer = Offer(
            ticket_id=ticket.id,
            helper_id=helper.id,
            wave=PUBLIC_WAVE,
            token=secrets.token_urlsafe(16),
            state=OfferState.PENDING,
        )
        session.add(offer)
        session.flush()
    result = accept(session, offer)
    redis.delete(key)  # used: a second confirmation finds nothing
    return result


def _offer(session: Session, ticket_id: int, helper_id: int) -> Offer | None:
    return session.scalars(
        select(Offer).where(Offer.ticket_id == ticket_id, Offer.helper_id == helper_id)
    ).first()


def _key(nonce: str) -> str:
    return f"{jobs.queue_name}-take:{nonce}"


def _valid_nonce(nonce: str) -> bool:
    return 0 < len(nonce) <= 40 and all(c.isalnum() or c in "-_" for c in nonce)


def _code_hash(code: str, salt: str) -> str:
    return hmac.new(salt.encode(), f"take:{code}".encode(), hashlib.sha256).hexdigest()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
