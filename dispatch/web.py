"""Server-rendered pages: helper sign-up, accept links, organisation call-outs, coordinator
approval and helper editing, the operator's ticket form. German first.

Handlers parse the form, call the domain, commit once and then enqueue the outbox rows the
domain created (texts to send, waves to start).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import select

from dispatch import access, helpers, organisations, texts
from dispatch.matching import dispatch_zone
from dispatch.models import Activity, Helper, Offer, OfferState, Organisation, Ticket, TicketStatus
from dispatch.offers import Outcome, accept, decline
from dispatch.tickets import InvalidTicket, TicketRequest, close_ticket, create_ticket
from hotline.core.auth import sign_in
from hotline.core.extensions import db
from hotline.core.models import Role
from hotline.core.outbox import commit
from hotline.core.phones import InvalidPhoneNumber, to_e164

bp = Blueprint("dispatch_web", __name__, template_folder="templates")


@bp.before_request
def _load_user_and_check_csrf() -> None:
    access.load_user()
    access.check_csrf()


@bp.errorhandler(CSRFError)
def _csrf_failed(exc: CSRFError):  # noqa: ANN202
    return render_template(
        "dispatch/message.html", title="Abgelaufen", message=exc.description
    ), 400


@bp.context_processor
def _helpers() -> dict:
    return {
        "csrf_token": generate_csrf,
        "activity_name": lambda code: texts.activity_name(code, "de"),
        "activities": [a.value for a in Activity],
        "user": access.current_user(),
        "Role": Role,
    }


@bp.after_request
def _private(response):  # noqa: ANN001, ANN202
    """Accept links carry a token in the URL: keep it out of caches and Referer headers."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def _local(value: dt.datetime) -> str:
    return value.astimezone(ZoneInfo(dispatch_zone())).strftime("%d.%m.%Y %H:%M")


# -- accept links ----------------------------------------------------------------------------


@bp.route("/d/<token>", methods=["GET", "POST"])
def offer(token: str):  # noqa: ANN201
    """GET only shows the request (link previews never accept); POST answers it."""
    found = access_offer(token)
    ticket = db.session.get(Ticket, found.ticket_id)
    helper = db.session.get(Helper, found.helper_id)
    result = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "accept":
            result = accept(db.session, found)
        elif action == "decline":
            result = decline(db.session, found)
        else:
            abort(400)
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
            window=f"{_local(ticket.window_start)} – {_local(ticket.window_end)}",
        ),
        status,
    )


def access_offer(token: str) -> Offer:
    from dispatch.offers import offer_by_token

    found = offer_by_token(db.session, token)
    if found is None:
        abort(404)
    return found


# -- helper sign-up --------------------------------------------------------------------------


@bp.route("/hilfe/anmelden", methods=["GET", "POST"])
def signup():  # noqa: ANN201
    errors: dict[str, str] = {}
    form = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        data = {**form, "activities": request.form.getlist("activities")}
        try:
            signup_row, code = helpers.start_signup(
                db.session,
                data,
                current_app.config["SECRET_KEY"],
                current_app.config["DEFAULT_REGION"],
            )
        except helpers.InvalidProfile as exc:
            errors = exc.errors
        else:
            helpers.queue_signup_code(db.session, signup_row, code)
            commit()
            return redirect(url_for(".signup_confirm", signup_id=signup_row.id))
    return render_template(
        "dispatch/signup.html", errors=errors, form=form, chosen=request.form.getlist("activities")
    ), (422 if errors else 200)


@bp.route("/hilfe/anmelden/<int:signup_id>", methods=["GET", "POST"])
def signup_confirm(signup_id: int):  # noqa: ANN201
    error = None
    if request.method == "POST":
        try:
            helper = helpers.confirm_signup(
                db.session,
                signup_id,
                request.form.get("code", ""),
                current_app.config["SECRET_KEY"],
                current_app.config["DEFAULT_REGION"],
            )
        except (helpers.SignupFailed, helpers.InvalidProfile) as exc:
            error = str(exc)
            db.session.commit()  # keep the attempt count
        else:
            commit()
            return render_template("dispatch/signup_done.html", helper=helper)
    return render_template("dispatch/signup_code.html", error=error), (422 if error else 200)


# -- organisations ---------------------------------------------------------------------------


@bp.route("/organisationen/registrieren", methods=["GET", "POST"])
def register_organisation():  # noqa: ANN201
    """Public: an organisation and its first member account; a coordinator approves it."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            org, user = organisations.register_organisation(
                db.session,
                form.get("name", ""),
                form.get("contact_phone", ""),
                form.get("contact_email", ""),
                username=form.get("username", ""),
                password=form.get("password", ""),
                member_name=form.get("member_name", ""),
            )
        except organisations.InvalidOrganisation as exc:
            errors = exc.errors
        else:
            commit()
            sign_in(user)
            return render_template("dispatch/org_registered.html", org=org, member=user)
    form = request.form.to_dict()
    form.pop("password", None)  # never echoed back into the page
    return render_template("dispatch/org_register.html", errors=errors, form=form), (
        422 if errors else 200
    )


@bp.post("/dispatch/organisationen/<int:org_id>/freigeben")
@access.requires(Role.COORDINATOR)
def approve_organisation(org_id: int):  # noqa: ANN201
    org = db.session.get(Organisation, org_id) or abort(404)
    organisations.approve(db.session, org)
    commit()
    return redirect(url_for(".dashboard"))


@bp.post("/dispatch/organisationen/<int:org_id>/ablehnen")
@access.requires(Role.COORDINATOR)
def reject_organisation(org_id: int):  # noqa: ANN201
    org = db.session.get(Organisation, org_id) or abort(404)
    organisations.reject(db.session, org)
    commit()
    return redirect(url_for(".dashboard"))


@bp.route("/dispatch/organisationen/<int:org_id>", methods=["GET", "POST"])
@access.requires(Role.COORDINATOR)
def organisation(org_id: int):  # noqa: ANN201
    """An organisation's state and members; coordinators add further member accounts."""
    org = db.session.get(Organisation, org_id) or abort(404)
    errors: dict[str, str] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        try:
            organisations.add_member(
                db.session,
                org,
                request.form.get("username", ""),
                request.form.get("member_name", ""),
                request.form.get("password", ""),
            )
        except organisations.InvalidOrganisation as exc:
            errors = exc.errors
            db.session.rollback()
            form = {k: v for k, v in request.form.items() if k != "password"}
        else:
            commit()
            return redirect(url_for(".organisation", org_id=org.id))
    return render_template(
        "dispatch/organisation.html",
        org=org,
        members=organisations.members(db.session, org),
        errors=errors,
        form=form,
    ), (422 if errors else 200)


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


# -- coordinators and operators --------------------------------------------------------------


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
    )


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


@bp.post("/dispatch/tickets/<int:ticket_id>/schliessen")
@access.requires(Role.COORDINATOR)
def close(ticket_id: int):  # noqa: ANN201
    ticket = db.session.get(Ticket, ticket_id) or abort(404)
    close_ticket(db.session, ticket)
    commit()
    return redirect(url_for(".dashboard"))


@bp.route("/dispatch/helfende/neu", methods=["GET", "POST"], defaults={"helper_id": None})
@bp.route("/dispatch/helfende/<int:helper_id>", methods=["GET", "POST"])
@access.requires(Role.COORDINATOR)
def edit_helper(helper_id: int | None):  # noqa: ANN201
    helper = db.session.get(Helper, helper_id) if helper_id else None
    if helper_id and helper is None:
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = {**request.form.to_dict(), "activities": request.form.getlist("activities")}
        region = current_app.config["DEFAULT_REGION"]
        try:
            if helper is None:
                helper = helpers.create_helper(db.session, data, region)
            else:
                helpers.update_helper(db.session, helper, data, region)
        except helpers.InvalidProfile as exc:
            errors = exc.errors
            db.session.rollback()
        else:
            commit()
            return redirect(url_for(".dashboard"))
    form = request.form.to_dict() if request.method == "POST" else _helper_form(helper)
    chosen = (
        request.form.getlist("activities")
        if request.method == "POST"
        else (helper.activities if helper else [])
    )
    return render_template(
        "dispatch/helper_form.html", helper=helper, errors=errors, form=form, chosen=chosen
    ), (422 if errors else 200)


def _helper_form(helper: Helper | None) -> dict[str, str]:
    if helper is None:
        return {}
    return {
        "name": helper.name,
        "phone": helper.phone,
        "email": helper.email or "",
        "postal_code": helper.postal_code,
        "radius_km": str(helper.radius_km),
        "languages": ", ".join(helper.languages),
        "availability": helpers.format_availability(helper.availability or {}),
        "max_per_week": str(helper.max_per_week),
        "preferred_language": helper.preferred_language,
        "status": helper.status.value,
    }


@bp.route("/dispatch/helfende/import", methods=["GET", "POST"])
@access.requires(Role.COORDINATOR)
def import_helpers():  # noqa: ANN201
    result = None
    if request.method == "POST":
        upload = request.files.get("file")
        raw = upload.read() if upload else request.form.get("csv", "").encode()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            result = helpers.ImportResult(errors=[(0, "Die Datei ist nicht UTF-8-kodiert.")])
        else:
            result = helpers.import_csv(db.session, text, current_app.config["DEFAULT_REGION"])
        if result.ok:
            commit()
        else:
            db.session.rollback()
    return render_template("dispatch/import.html", result=result, columns=helpers.CSV_COLUMNS), (
        422 if result is not None and not result.ok else 200
    )
