"""A helper's consent to be texted follows the core opt-out list
(:mod:`hotline.core.optouts`): the core handles STOP/START for every sender and calls
:func:`on_opt_out`, which keeps the helper's status in step. A carrier's "unsubscribed" error
goes through the core list too, so there is one way in and one way out."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.helpers import helper_by_phone
from dispatch.models import Helper, HelperStatus, Offer, OfferState
from hotline.core.models import utcnow


def on_opt_out(session: Session, phone: str, opted_out: bool) -> None:
    """The core's opt-out hook: the helper with ``phone`` (if any) opts out or back in."""
    helper = helper_by_phone(session, phone)
    if helper is None:
        return
    if opted_out:
        opt_out(session, helper)
    elif helper.status == HelperStatus.OPTED_OUT:
        opt_in(session, helper)


def opt_out(session: Session, helper: Helper) -> None:
    """STOP: no more texts from now on; open offers are withdrawn from this helper."""
    helper.status = HelperStatus.OPTED_OUT
    for offer in session.scalars(
        select(Offer).where(Offer.helper_id == helper.id, Offer.state == OfferState.PENDING)
    ):
        offer.state = OfferState.DECLINED
        offer.responded_at = utcnow()


def opt_in(session: Session, helper: Helper) -> None:
    """START after STOP: active again, with fresh consent. A coordinator's pause is not
    lifted by START (the hook only calls this for opted-out helpers)."""
    helper.status = HelperStatus.ACTIVE
    helper.consent_at = utcnow()
