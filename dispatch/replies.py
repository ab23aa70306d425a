"""Helpers' SMS replies to ``/twilio/sms``: JA/YES/1, NEIN/NO, offer codes and ABSAGE.

Registered as the inbound SMS route for the dispatch sender; texts from numbers that are not
helpers are passed on (``None``). The core has already de-duplicated the text by MessageSid
and handled STOP/START (:mod:`hotline.core.inbound`), so what arrives here is new and not an
opt-out word.
"""

from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import texts
from dispatch.helpers import helper_by_phone
from dispatch.models import Helper, HelperStatus, Offer, OfferState, Ticket
from dispatch.offers import (
    Outcome,
    accept,
    decline,
    details_text,
    open_offers,
    withdraw,
)
from dispatch.profile import send_link
from hotline.core.phones import InvalidPhoneNumber, to_e164
from hotline.core.sms import KEYWORD_PUNCTUATION, InboundSms

YES = {"JA", "YES", "1", "J", "Y"}
NO = {"NEIN", "NO", "N", "2"}
WITHDRAW = {"ABSAGE", "ABSAGEN"}
#: Asks for the personal link (:mod:`dispatch.profile`), texted through the pipeline.
LINK = {"PROFIL", "PROFILE", "LINK"}
CODE_RE = re.compile(r"^\d{6}$")


def is_dispatch_number(session: Session, to: str) -> bool:
    """Helpers answer the number their offers came from: the dispatch sender.

    Unset or alphanumeric, offers come from a sender name that cannot be answered, so
    helpers' replies are understood on every number texts arrive at (in practice a line's
    number, shared with the operators' keywords).
    """
    sender = current_app.config.get("DISPATCH_SMS_FROM") or ""
    if not sender.startswith("+"):
        return True
    try:
        sender = to_e164(sender, current_app.config["DEFAULT_REGION"])
    except InvalidPhoneNumber:
        return True
    return to == sender


def understands(keyword: str) -> bool:
    """The keywords helpers act with; any other word only gets the help text."""
    return (
        keyword in YES
        or keyword in NO
        or keyword in WITHDRAW
        or keyword in LINK
        or bool(CODE_RE.match(keyword))
    )


def handle_sms(session: Session, sms: InboundSms) -> str | None:
    """The inbound SMS route for helpers."""
    helper = helper_by_phone(session, sms.sender)
    if helper is None:
        return None
    return _answer(session, helper, sms)


def _answer(session: Session, helper: Helper, sms: InboundSms) -> str:
    lang = texts.helper_language(helper)
    words = [w.upper().strip(KEYWORD_PUNCTUATION) for w in sms.words]
    keyword = sms.keyword
    code = next((w for w in words if CODE_RE.match(w)), None)
    if helper.status == HelperStatus.OPTED_OUT:
        return texts.sms("opted_out", lang)
    if keyword in WITHDRAW:
        return _withdraw(session, helper, code)
    if keyword in LINK:
        # The link goes out as its own text (budgeted per number); no reply besides it.
        send_link(session, helper, sms.message_sid)
        return ""
    if keyword in YES or keyword in NO or (code and keyword == code):
        offer, error = _pick_offer(session, helper, code)
        if offer is None:
            return error
        if keyword in NO:
            result = decline(session, offer)
            key = "withdrawn" if result.outcome == Outcome.WITHDRAWN else "declined"
            return texts.sms(key, lang, code=result.ticket.reference)
        result = accept(session, offer, send_details=False)
        return _accept_reply(result, lang)
    return texts.sms("help", lang)


def _accept_reply(result, lang: str) -> str:  # noqa: ANN001
    ref = result.ticket.reference
    if result.accepted or result.outcome == Outcome.ALREADY:
        return details_text(result.offer, result.ticket, lang)
    if result.outcome == Outcome.TOO_LATE:
        return texts.sms("filled", lang, code=ref)
    return texts.sms("closed", lang, code=ref)


def _pick_offer(session: Session, helper: Helper, code: str | None) -> tuple[Offer | None, str]:
    lang = texts.helper_language(helper)
    offers = open_offers(session, helper)
    if code:
        offer = session.scalars(
            select(Offer)
            .join(Ticket, Ticket.id == Offer.ticket_id)
            .where(Offer.helper_id == helper.id, Ticket.reference == code)
        ).first()
        if offer is None:
            codes = ", ".join(o.ticket.reference for o in offers) or "-"
            return None, texts.sms("unknown_code", lang, code=code, codes=codes)
        return offer, ""
    if not offers:
        # Someone answering a stand-down or a filled ticket is thanked and told it is filled.
        latest = session.scalars(
            select(Offer)
            .where(Offer.helper_id == helper.id, Offer.state == OfferState.STOOD_DOWN)
            .order_by(Offer.created_at.desc(), Offer.id.desc())
        ).first()
        if latest is not None:
            return latest, ""
        return None, texts.sms("none_open", lang)
    if len(offers) > 1:
        codes = [o.ticket.reference for o in offers]
        return None, texts.sms("which", lang, codes=", ".join(codes), first=codes[0])
    return offers[0], ""


def _withdraw(session: Session, helper: Helper, code: str | None) -> str:
    lang = texts.helper_language(helper)
    stmt = (
        select(Offer)
        .join(Ticket, Ticket.id == Offer.ticket_id)
        .where(Offer.helper_id == helper.id, Offer.state == OfferState.ACCEPTED)
        .order_by(Offer.responded_at.desc())
    )
    if code:
        stmt = stmt.where(Ticket.reference == code)
    accepted = list(session.scalars(stmt))
    if not accepted:
        return texts.sms("none_open", lang)
    if len(accepted) > 1 and not code:
        codes = [o.ticket.reference for o in accepted]
        return (
            texts.sms("which", lang, codes=", ".join(codes), first=codes[0])
            .replace("JA ", "ABSAGE ")
            .replace("YES ", "ABSAGE ")
        )
    result = withdraw(session, accepted[0])
    return texts.sms("withdrawn", lang, code=result.ticket.reference)
