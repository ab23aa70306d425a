"""Ticket forms: an operator's ticket while on the phone with a requester, and an approved
organisation's call-out."""

from __future__ import annotations

from flask import current_app, render_template

from dispatch import access, organisations, timeline
from dispatch.forms import CalloutForm, TicketForm
from dispatch.models import Ticket, TicketSource
from dispatch.tickets import InvalidTicket, create_ticket, organisation_tickets
from dispatch.web.blueprint import bp, local_time
from hotline.core import clock
from hotline.core.extensions import db
from hotline.core.i18n import error_texts, gettext
from hotline.core.models import Role
from hotline.core.outbox import commit


@bp.route("/dispatch/aufrufe/neu", methods=["GET", "POST"])
@access.requires(Role.MEMBER)
def callout():  # noqa: ANN201
    org = access.current_organisation()
    if org is None:
        return render_template(
            "dispatch/message.html",
            title=gettext("Kein Zugang"),
            message=gettext(
                "Ihr Konto gehört zu keiner Organisation. Aufrufe starten Mitglieder "
                "freigegebener Organisationen."
            ),
        ), 403
    form = CalloutForm()
    if not org.approved:
        # Pending or rejected: the page says so; a POST is refused and creates nothing.
        return render_template(
            "dispatch/ticket_form.html",
            errors={},
            form=form,
            org=org,
            title=gettext("Neuer Aufruf"),
        ), 403
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        wanted = form.ticket_request()
        # Whoever accepts gets a contact: the organisation's, unless the form names one.
        wanted.requester_phone = wanted.requester_phone or org.contact_phone
        wanted.requester_first_name = wanted.requester_first_name or org.name
        try:
            ticket = organisations.create_callout(
                db.session, org, wanted, current_app.config["DISPATCH_MAX_WAVES"]
            )
        except InvalidTicket as exc:
            errors = error_texts(exc)
        else:
            commit()
            return _created(ticket)
    elif form.is_submitted():
        errors = form.problems()
    return render_template(
        "dispatch/ticket_form.html",
        errors=errors,
        form=form,
        org=org,
        title=gettext("Neuer Aufruf"),
    ), (422 if errors else 200)


@bp.route("/dispatch/tickets/neu", methods=["GET", "POST"])
@access.requires(Role.OPERATOR)
def new_ticket():  # noqa: ANN201
    """The operator's form while on the phone with a requester."""
    form = TicketForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            ticket = create_ticket(
                db.session,
                form.ticket_request(),
                TicketSource.OPERATOR,
                current_app.config["DISPATCH_MAX_WAVES"],
            )
        except InvalidTicket as exc:
            errors = error_texts(exc)
        else:
            commit()
            return _created(ticket)
    elif form.is_submitted():
        errors = form.problems()
    return render_template(
        "dispatch/ticket_form.html",
        errors=errors,
        form=form,
        org=None,
        title=gettext("Neues Ticket"),
    ), (422 if errors else 200)


def _created(ticket: Ticket):  # noqa: ANN202
    """The page after creating a ticket says what happens now (at night: nothing until the
    end of quiet hours), not what would happen by day."""
    return render_template(
        "dispatch/ticket_created.html",
        ticket=ticket,
        status=timeline.ticket_status(db.session, ticket, clock.now()),
    )


@bp.get("/dispatch/aufrufe")
@access.requires(Role.MEMBER)
def our_callouts():  # noqa: ANN201
    """A member's view of their organisation's call-outs: status and how many accepted;
    nothing of other organisations and no helper's name."""
    org = access.current_organisation()
    if org is None:
        return render_template(
            "dispatch/message.html",
            title=gettext("Kein Zugang"),
            message=gettext("Ihr Konto gehört zu keiner Organisation."),
        ), 403
    found = organisation_tickets(db.session, org.id)
    return render_template(
        "dispatch/our_callouts.html",
        org=org,
        tickets=found,
        statuses=timeline.statuses(db.session, found, clock.now()),
        local_time=local_time,
    )
