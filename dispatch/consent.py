"""A helper's consent to be texted: STOP withdraws it (and their open offers), START gives
it again."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import Helper, HelperStatus, Offer, OfferState
from hotline.core.models import utcnow


def opt_out(session: Session, helper: Helper) -> None:
    """STOP: no more texts from now on; open offers are withdrawn from this helper."""
    helper.status = HelperStatus.OPTED_OUT
    for offer in session.scalars(
        select(Offer).where(Offer.helper_id == helper.id, Offer.state == OfferState.PENDING)
    ):
        offer.state = OfferState.DECLINED
        offer.responded_at = utcnow()


def opt_in(session: Session, helper: Helper) -> None:
    helper.status = HelperStatus.ACTIVE
    helper.consent_at = utcnow()
