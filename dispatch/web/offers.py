"""Accept links: the page a helper opens from the SMS, and their answer to it."""

from __future__ import annotations

from flask import abort, render_template, request

from dispatch import texts
from dispatch.forms import OfferAnswerForm
from dispatch.models import Helper, Offer, OfferState, Ticket, TicketStatus
from dispatch.offers import Outcome, accept, decline
from dispatch.web.blueprint import bp, local_time, use_language
from hotline.core.extensions import db
from hotline.core.outbox import commit


@bp.route("/d/<token>", methods=["GET", "POST"])
def offer(token: str):  # noqa: ANN201
    """GET only shows the request (link previews never accept); POST answers it."""
    found = access_offer(token)
    ticket = db.session.get(Ticket, found.ticket_id)
    helper = db.session.get(Helper, found.helper_id)
    use_language(texts.helper_language(helper))
    result = None
    if request.method == "POST":
        answer = OfferAnswerForm()
        if not answer.validate():
            abort(400)
        if answer.action.data == "accept":
            result = accept(db.session, found)
        else:
            result = decline(db.session, found)
        commit()
    status = 200 if ticket.status != TicketStatus.CLOSED or result else 410
    return (
        render_template(
            "dispatch/offer.html",
            offer=found,
            ticket=ticket,
            helper=helper,
            result=result,
            Outcome=Outcome,
            OfferState=OfferState,
            TicketStatus=TicketStatus,
            window=f"{local_time(ticket.window_start)} – {local_time(ticket.window_end)}",
        ),
        status,
    )


def access_offer(token: str) -> Offer:
    from dispatch.offers import offer_by_token

    found = offer_by_token(db.session, token)
    if found is None:
        abort(404)
    return found
