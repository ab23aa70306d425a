"""A helper's consent to be texted follows the core opt-out list
(:mod:`hotline.core.optouts`): the core handles STOP/START for every sender and calls
:func:`on_opt_out`, which keeps the helper's status in step. A carrier's "unsubscribed" error
goes through the core list too, so there is one way in and one way out.

E-mail: the one-click unsubscribe of an e-mail (and the ``mailto:`` one) is honoured like a
STOP: the core records the address and calls :func:`on_mail_opt_out`, which opts the
helper out, so neither texts nor e-mails reach them. A STOP by SMS opts the helper out of
both channels the same way (the helper's status stops every dispatch message). START
after either makes the helper active again and takes their address off the e-mail
unsubscribe list (a hard-bounced address stays unreachable)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.helpers import helper_by_phone
from dispatch.models import Helper, HelperStatus, Offer, OfferState
from hotline.core.mail import addresses as mail_addresses
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


def on_mail_opt_out(session: Session, address: str, opted_out: bool) -> None:
    """The core's e-mail opt-out hook: every helper with ``address`` opts out (like STOP)."""
    if not opted_out:
        return
    helpers = session.scalars(select(Helper).where(func.lower(Helper.email) == address.lower()))
    for helper in helpers:
        opt_out(session, helper)


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
    if helper.email:
        mail_addresses.opt_in(session, helper.email)
