"""Taking a call-out from the public page (no sign-in): "Ich helfe" asks for the number,
a code comes by SMS (only to a helper who may take it), the code accepts. See
:mod:`dispatch.public_take` for why the page says the same for every number."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for

from dispatch import public_take, texts
from dispatch.callouts import PublicCallout
from dispatch.models import Ticket, TicketStatus
from dispatch.offers import Outcome, accepted_count
from dispatch.profile_forms import TakeCodeForm, TakeForm
from dispatch.web.blueprint import bp, local_time, use_language
from hotline.core.budgets import client_address, spend
from hotline.core.extensions import db
from hotline.core.i18n import error_text, gettext
from hotline.core.models import utcnow
from hotline.core.outbox import commit
from hotline.core.phones import InvalidPhoneNumber, to_mobile_e164


def _callout(ticket: Ticket) -> PublicCallout:
    """What the public page may show of the ticket (nothing personal)."""
    return PublicCallout(
        reference=ticket.reference,
        activity=ticket.activity.value,
        postal_code=ticket.postal_code,
        place=ticket.place,
        starts_at=ticket.window_start,
        ends_at=ticket.window_end,
        still_needed=max(0, ticket.needed - accepted_count(db.session, ticket.id)),
        distance_km=None,
    )


def _public_ticket(reference: str) -> Ticket:
    ticket = public_take.open_ticket(db.session, reference)
    if ticket is None:
        abort(404)
    return ticket


def _full_or_closed(ticket: Ticket):  # noqa: ANN202
    """A call-out nobody can take any more says so (410: it is gone for good)."""
    if ticket.status == TicketStatus.FILLED or (
        ticket.status == TicketStatus.OPEN
        and accepted_count(db.session, ticket.id) >= ticket.needed
    ):
        message = gettext("Für diesen Aufruf haben sich schon genug Helfende gefunden. Danke!")
    else:
        message = gettext("Dieser Aufruf ist abgeschlossen. Danke!")
    return render_template(
        "dispatch/message.html",
        title=gettext("Aufruf {code}", code=ticket.reference),
        message=message,
    ), 410


@bp.route("/angebote/<reference>/helfen", methods=["GET", "POST"])
def take_callout(reference: str):  # noqa: ANN201
    """The number form. Spent budgets raise before anything is stored or sent (429 page)."""
    ticket = _public_ticket(reference)
    if ticket.status != TicketStatus.OPEN or ticket.window_end <= utcnow():
        return _full_or_closed(ticket)
    form = TakeForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        config = current_app.config
        try:
            number = to_mobile_e164(form.phone.data, config["DEFAULT_REGION"])
        except InvalidPhoneNumber as exc:
            errors = {"phone": error_text(exc)}
        else:
            spend(public_take.TAKE_CODES, address=client_address(), number=number)
            started = public_take.start(db.session, ticket, number, config["SECRET_KEY"])
            public_take.queue_code(db.session, ticket, started)
            commit()
            return redirect(url_for(".take_callout_code", reference=reference, nonce=started.nonce))
    elif form.is_submitted():
        errors = form.problems()
    return render_template(
        "dispatch/take.html",
        callout=_callout(ticket),
        form=form,
        errors=errors,
        local_time=local_time,
    ), (422 if errors else 200)


@bp.route("/angebote/<reference>/helfen/<nonce>", methods=["GET", "POST"])
def take_callout_code(reference: str, nonce: str):  # noqa: ANN201
    """The code form: the same page for every number (the code only ever reached a helper)."""
    ticket = _public_ticket(reference)
    if public_take.ticket_of(nonce) not in (None, ticket.id):
        abort(404)
    form = TakeCodeForm()
    error = None
    if form.validate_on_submit():
        try:
            result = public_take.confirm(
                db.session, nonce, form.code.data, current_app.config["SECRET_KEY"]
            )
        except public_take.TakeFailed as exc:
            db.session.rollback()
            error = error_text(exc)
        else:
            commit()
            use_language(texts.helper_language(result.offer.helper))
            return render_template(
                "dispatch/take_done.html",
                callout=_callout(result.ticket),
                result=result,
                Outcome=Outcome,
                local_time=local_time,
            )
    elif form.is_submitted():
        error = str(form.code.errors[0])
    return render_template(
        "dispatch/take_code.html",
        callout=_callout(ticket),
        form=form,
        error=error,
        local_time=local_time,
    ), (422 if error else 200)


def _language() -> str:
    from hotline.core.i18n import current_language

    return current_language()
