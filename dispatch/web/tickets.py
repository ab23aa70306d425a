"""Ticket forms: an operator's ticket while on the phone with a requester, and an approved
organisation's call-out."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request

from dispatch import access, organisations
from dispatch.matching import dispatch_zone
from dispatch.tickets import InvalidTicket, TicketRequest, create_ticket
from dispatch.web.blueprint import bp
from hotline.core.extensions import db
from hotline.core.models import Role
from hotline.core.outbox import commit
from hotline.core.phones import InvalidPhoneNumber, to_e164


def _ticket_request(form, *, organisation: bool) -> TicketRequest:  # noqa: ANN001
    """Read the ticket/call-out form; raises InvalidTicket listing every problem."""
    errors: dict[str, str] = {}
    tz = ZoneInfo(dispatch_zone())
    try:
        start = dt.datetime.fromisoformat(form.get("starts_at", "")).replace(tzinfo=tz)
        hours = float(form.get("hours", "2") or 2)
        end = start + dt.timedelta(hours=hours)
    except ValueError:
        errors["starts_at"] = "Bitte Datum und Uhrzeit angeben."
        start = end = dt.datetime.now(dt.UTC)
    try:
        needed = int(form.get("needed", "1") or 1)
    except ValueError:
        errors["needed"] = "Bitte eine Zahl angeben."
        needed = 1
    phone = None
    if form.get("requester_phone", "").strip():
        try:
            phone = to_e164(form.get("requester_phone", ""), current_app.config["DEFAULT_REGION"])
        except InvalidPhoneNumber as exc:
            errors["requester_phone"] = str(exc)
    elif not organisation:
        errors["requester_phone"] = "Bitte eine Rückrufnummer angeben."
    if errors:
        raise InvalidTicket(errors)
    languages = tuple(
        c.strip().lower() for c in form.get("languages", "de").split(",") if c.strip()
    )
    return TicketRequest(
        activity=form.get("activity", ""),
        postal_code=form.get("postal_code", ""),
        window_start=start.astimezone(dt.UTC),
        window_end=end.astimezone(dt.UTC),
        needed=needed,
        description=form.get("description", ""),
        languages=languages or ("de",),
        urgent=bool(form.get("urgent")),
        requester_first_name=form.get("requester_first_name", ""),
        requester_phone=phone,
        address=form.get("address", ""),
    )


@bp.route("/dispatch/aufrufe/neu", methods=["GET", "POST"])
@access.requires(Role.MEMBER)
def callout():  # noqa: ANN201
    org = access.current_organisation()
    if org is None:
        return render_template(
            "dispatch/message.html",
            title="Kein Zugang",
            message="Ihr Konto gehört zu keiner Organisation. Aufrufe starten Mitglieder "
            "freigegebener Organisationen.",
        ), 403
    if not org.approved:
        # Pending or rejected: the page says so; a POST is refused and creates nothing.
        return render_template(
            "dispatch/ticket_form.html", errors={}, form={}, org=org, title="Neuer Aufruf"
        ), 403
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            wanted = _ticket_request(request.form, organisation=True)
            # Whoever accepts gets a contact: the organisation's, unless the form names one.
            wanted.requester_phone = wanted.requester_phone or org.contact_phone
            wanted.requester_first_name = wanted.requester_first_name or org.name
            ticket = organisations.create_callout(
                db.session, org, wanted, current_app.config["DISPATCH_MAX_WAVES"]
            )
        except InvalidTicket as exc:
            errors = exc.errors
        else:
            commit()
            return render_template("dispatch/ticket_created.html", ticket=ticket)
    return render_template(
        "dispatch/ticket_form.html", errors=errors, form=request.form, org=org, title="Neuer Aufruf"
    ), (422 if errors else 200)


@bp.route("/dispatch/tickets/neu", methods=["GET", "POST"])
@access.requires(Role.OPERATOR)
def new_ticket():  # noqa: ANN201
    """The operator's form while on the phone with a requester."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        from dispatch.models import TicketSource

        try:
            ticket = create_ticket(
                db.session,
                _ticket_request(request.form, organisation=False),
                TicketSource.OPERATOR,
                current_app.config["DISPATCH_MAX_WAVES"],
            )
        except InvalidTicket as exc:
            errors = exc.errors
        else:
            commit()
            return render_template("dispatch/ticket_created.html", ticket=ticket)
    return render_template(
        "dispatch/ticket_form.html",
        errors=errors,
        form=request.form,
        org=None,
        title="Neues Ticket",
    ), (422 if errors else 200)
