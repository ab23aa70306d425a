"""The coordinators' dashboard: organisations waiting for approval, recent tickets (closed by
hand here), helpers."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from sqlalchemy import select

from dispatch import access
from dispatch.models import Helper, Organisation, Ticket
from dispatch.tickets import close_ticket
from dispatch.web.blueprint import bp
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
        uncertain=uncertain_count(db.session),
    )


@bp.post("/dispatch/tickets/<int:ticket_id>/schliessen")
@access.requires(Role.COORDINATOR)
def close(ticket_id: int):  # noqa: ANN201
    ticket = db.session.get(Ticket, ticket_id) or abort(404)
    close_ticket(db.session, ticket)
    commit()
    return redirect(url_for(".dashboard"))
