"""The coordinators' dashboard: organisations waiting for approval, recent tickets (closed by
hand here), helpers."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import select

from dispatch import access, timeline
from dispatch.helper_search import (
    LANGUAGE_NAMES_DE,
    STATUS_LABELS,
    HelperSearch,
    search_helpers,
)
from dispatch.models import Activity, Helper, Organisation, Ticket
from dispatch.tickets import close_ticket
from dispatch.web.blueprint import bp, local_time
from hotline.core import clock
from hotline.core.extensions import db
from hotline.core.messaging import uncertain_count
from hotline.core.models import Role
from hotline.core.outbox import commit


@bp.get("/dispatch/")
@access.requires(Role.COORDINATOR)
def dashboard():  # noqa: ANN201
    tickets = db.session.scalars(select(Ticket).order_by(Ticket.id.desc()).limit(50)).all()
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    pending = [o for o in orgs if not o.approved and not o.rejected]
    helpers_ = db.session.scalars(select(Helper).order_by(Helper.name).limit(200)).all()
    return render_template(
        "dispatch/dashboard.html",
        tickets=tickets,
        pending=pending,
        organisations=orgs,
        helpers=helpers_,
        statuses=timeline.statuses(db.session, list(tickets), clock.now()),
        uncertain=uncertain_count(db.session),
        helper_statuses=STATUS_LABELS,
    )


@bp.post("/dispatch/tickets/<int:ticket_id>/schliessen")
@access.requires(Role.COORDINATOR)
def close(ticket_id: int):  # noqa: ANN201
    ticket = db.session.get(Ticket, ticket_id) or abort(404)
    close_ticket(db.session, ticket)
    commit()
    return redirect(url_for(".dashboard"))


@bp.get("/dispatch/tickets/<int:ticket_id>")
@access.requires(Role.COORDINATOR)
def ticket(ticket_id: int):  # noqa: ANN201
    """One ticket: its truthful status and its timeline, read from the records."""
    found = db.session.get(Ticket, ticket_id) or abort(404)
    return render_template(
        "dispatch/ticket.html",
        ticket=found,
        status=timeline.ticket_status(db.session, found, clock.now()),
        entries=timeline.timeline(db.session, found.id),
        local_time=local_time,
    )


@bp.get("/dispatch/helfende")
@access.requires(Role.COORDINATOR)
def helper_list():  # noqa: ANN201
    """Helpers found by name, postal code, activity, language and status, page by page."""
    search = HelperSearch.from_args(request.args)
    page = search_helpers(db.session, search)
    return render_template(
        "dispatch/helpers.html",
        search=search,
        page=page,
        activities=[a.value for a in Activity],
        statuses=STATUS_LABELS,
        languages=sorted(LANGUAGE_NAMES_DE),
    )
