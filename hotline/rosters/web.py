"""Roster pages: week view with gaps, shifts and patterns, operators, open shifts, swaps,
CSV import/export, audit log and iCalendar feeds. Server-rendered; handlers parse the form,
call the domain functions, commit once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import select

from hotline.core.accounts import AccountError, LoginResult, authenticate, create_user
from hotline.core.auth import check_csrf, load_user, requires, safe_next_url, sign_in, sign_out
from hotline.core.extensions import db
from hotline.core.i18n import LANGUAGES, WEEKDAYS_DE, current_language, error_text, gettext
from hotline.core.models import Role, User, utcnow
from hotline.core.oncall.models import Line, Operator, OperatorStatus, Shift
from hotline.core.oncall.operators import KNOWN_LANGUAGES, OperatorError, create_operator
from hotline.core.oncall.shifts import ShiftError
from hotline.core.phones import InvalidPhoneNumber, to_mobile_e164
from hotline.rosters import csvio, ical
from hotline.rosters.audit import Actor, history
from hotline.rosters.models import OpenShift, ShiftPattern, SwapOffer
from hotline.rosters.open_shifts import (
    ClaimResult,
    claim_open_shift,
    offer_swap,
    open_swaps,
    publish_open_shift,
    swap_log,
    take_swap,
    unclaimed,
    withdraw_swap,
)
from hotline.rosters.patterns import add_exception, create_pattern, delete_pattern, update_pattern
from hotline.rosters.shift_edits import RemoveOutcome, add_shift, change_shift, remove_shift
from hotline.rosters.staffing import levels, monday_of, set_level, week_view

bp = Blueprint("rosters", __name__)


# -- request plumbing --------------------------------------------------------------------


@bp.before_request
def _load_user() -> None:
    load_user()
    if not request.path.startswith("/kalender/"):
        check_csrf()


@bp.errorhandler(CSRFError)
def _csrf_failed(exc: CSRFError):  # noqa: ANN202
    return render_template("rosters/message.html", message=exc.description), 400


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "_": gettext,
        "error_text": error_text,
        "csrf_token": generate_csrf,
        "user": g.get("roster_user"),
        "lang": current_language(),
        "languages": LANGUAGES,
        "weekday_name": lambda i: gettext(WEEKDAYS_DE[i]),
        "Role": Role,
        "slot_end": lambda day, hour: (
            dt.datetime.combine(day, dt.time(hour)) + dt.timedelta(hours=1)
        ).strftime("%Y-%m-%dT%H:%M"),
    }


def _user() -> User:
    return g.roster_user


def _actor() -> Actor:
    user = _user()
    return Actor(f"{user.name} ({user.username})", user.id)


def _is_planner() -> bool:
    return _user().role.at_least(Role.PLANNER)


def _commit() -> None:
    db.session.commit()


def _local(value: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(value.strip().replace(" ", "T")).replace(second=0)
    except ValueError as exc:
        raise ShiftError(f"{value!r} is not a date and time") from exc


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ShiftError(f"{value!r} is not a date") from exc


def _time(value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value.strip())
    except ValueError as exc:
        raise ShiftError(f"{value!r} is not a time") from exc


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError as exc:
        raise ShiftError("please choose a value") from exc


def _lines() -> list[Line]:
    return list(db.session.scalars(select(Line).where(Line.active.is_(True)).order_by(Line.name)))


def _operators(active_only: bool = False) -> list[Operator]:
    stmt = select(Operator).order_by(Operator.name)
    if active_only:
        stmt = stmt.where(Operator.status == OperatorStatus.ACTIVE)
    return list(db.session.scalars(stmt))


def _safe_next(target: str | None) -> str:
    return safe_next_url(target) or url_for("rosters.index")


# -- sign-in -------------------------------------------------------------------------------


@bp.route("/anmelden", methods=["GET", "POST"])
def login():  # noqa: ANN201
    error = None
    status = 200
    if request.method == "POST":
        result, user = authenticate(
            db.session,
            request.form.get("username", ""),
            request.form.get("password", ""),
            request.remote_addr or "-",
            current_app.config["LOGIN_MAX_FAILURES"],
            current_app.config["LOGIN_LOCK_MINUTES"],
        )
        _commit()
        if result == LoginResult.OK and user is not None:
            sign_in(user)
            return redirect(_safe_next(request.args.get("next")))
        if result == LoginResult.THROTTLED:
            error, status = gettext("Zu viele Fehlversuche. Bitte später erneut versuchen."), 429
        else:
            error, status = gettext("Anmeldung fehlgeschlagen."), 401
    return render_template("rosters/login.html", error=error), status


@bp.post("/abmelden")
def logout():  # noqa: ANN201
    sign_out()
    _commit()
    return redirect(url_for("rosters.login"))


@bp.post("/sprache")
def set_language():  # noqa: ANN201
    lang = request.form.get("lang", "de")
    if lang in LANGUAGES:
        session["lang"] = lang
        user = g.get("roster_user")
        if user is not None:
            user.language = lang
            _commit()
    return redirect(_safe_next(request.form.get("next")))


# -- overview and week view ----------------------------------------------------------------


@bp.get("/dienstplan/")
@requires(Role.MEMBER)
def index():  # noqa: ANN201
    if not _user().role.at_least(Role.OPERATOR):
        # Organisation members have no roster pages; their start page is elsewhere.
        home = current_app.config.get("MEMBER_HOME_ENDPOINT")
        if not home:
            abort(403)
        return redirect(url_for(home))
    if not _is_planner():
        return redirect(url_for("rosters.my_shifts"))
    lines = _lines()
    if len(lines) == 1:
        return redirect(url_for("rosters.week", line_id=lines[0].id))
    return render_template("rosters/index.html", lines=lines)


@bp.get("/dienstplan/linie/<int:line_id>")
@requires(Role.OPERATOR)
def week(line_id: int):  # noqa: ANN201
    line = db.session.get(Line, line_id) or abort(404)
    try:
        day = dt.date.fromisoformat(request.args.get("woche", ""))
    except ValueError:
        day = dt.datetime.now(ZoneInfo(line.timezone)).date()
    view = week_view(db.session, line, day)
    token = ical.feed_token(db.session, "line", line.id) if _is_planner() else None
    _commit()
    monday = monday_of(day)
    return render_template(
        "rosters/week.html",
        view=view,
        lines=_lines(),
        prev_week=monday - dt.timedelta(days=7),
        next_week=monday + dt.timedelta(days=7),
        feed_token=token,
    )


# -- shifts ----------------------------------------------------------------------------


def _may_edit(shift: Shift) -> bool:
    user = _user()
    return user.role.at_least(Role.PLANNER) or (
        user.operator_id is not None and shift.operator_id == user.operator_id
    )


@bp.route("/dienstplan/schicht/neu", methods=["GET", "POST"])
@requires(Role.PLANNER)
def new_shift():  # noqa: ANN201
    error = None
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":
        try:
            line_id = _int(form.get("line_id"))
            shift = add_shift(
                db.session,
                _actor(),
                _int(form.get("operator_id")),
                line_id,
                _local(form.get("start", "")),
                _local(form.get("end", "")),
            )
            _commit()
            flash(gettext("Gespeichert."))
            return redirect(
                url_for("rosters.week", line_id=line_id, woche=shift.local_start.date())
            )
        except ShiftError as exc:
            db.session.rollback()
            error = error_text(str(exc))
    return render_template(
        "rosters/shift_form.html",
        shift=None,
        form=form,
        lines=_lines(),
        operators=_operators(active_only=True),
        error=error,
    ), (422 if error else 200)


@bp.route("/dienstplan/schicht/<int:shift_id>", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def edit_shift(shift_id: int):  # noqa: ANN201
    shift = db.session.get(Shift, shift_id) or abort(404)
    if not _may_edit(shift):
        abort(403)
    error = None
    if request.method == "POST":
        operator_id = _user().operator_id if not _is_planner() else None
        try:
            change_shift(
                db.session,
                _actor(),
                shift,
                operator_id or _int(request.form.get("operator_id")),
                _local(request.form.get("start", "")),
                _local(request.form.get("end", "")),
                "override" if request.form.get("override") else "update",
            )
            _commit()
            flash(gettext("Gespeichert."))
            return redirect(_back_to(shift))
        except ShiftError as exc:
            db.session.rollback()
            error = error_text(str(exc))
    form = {
        "operator_id": str(shift.operator_id),
        "start": f"{shift.local_start:%Y-%m-%dT%H:%M}",
        "end": f"{shift.local_end:%Y-%m-%dT%H:%M}",
    }
    return render_template(
        "rosters/shift_form.html",
        shift=shift,
        form=request.form if request.method == "POST" else form,
        lines=_lines(),
        operators=_operators(active_only=True),
        error=error,
        audit=history(db.session, shift.id, 20),
    ), (422 if error else 200)


def _back_to(shift: Shift) -> str:
    if _is_planner():
        return url_for("rosters.week", line_id=shift.line_id, woche=shift.local_start.date())
    return url_for("rosters.my_shifts")


@bp.post("/dienstplan/schicht/<int:shift_id>/loeschen")
@requires(Role.OPERATOR)
def delete_shift(shift_id: int):  # noqa: ANN201
    shift = db.session.get(Shift, shift_id) or abort(404)
    if not _may_edit(shift):
        abort(403)
    back = _back_to(shift)
    try:
        outcome = remove_shift(db.session, _actor(), shift)
        _commit()
    except ShiftError as exc:
        db.session.rollback()
        flash(error_text(str(exc)))
        return redirect(back)
    flash(
        gettext("Schicht gelöscht.")
        if outcome == RemoveOutcome.DELETED
        else gettext("Die Schicht lief schon und wurde jetzt beendet.")
    )
    return redirect(back)


# -- recurring patterns ----------------------------------------------------------------


def _pattern_args(form: Any) -> dict[str, Any]:
    return {
        "operator_id": _int(form.get("operator_id")),
        "weekday": _int(form.get("weekday")),
        "start_time": _time(form.get("start_time", "")),
        "end_time": _time(form.get("end_time", "")),
        "valid_from": _date(form.get("valid_from", "")),
        "valid_until": _date(form.get("valid_until", "")),
    }


@bp.route("/dienstplan/muster/neu", methods=["GET", "POST"])
@requires(Role.PLANNER)
def new_pattern():  # noqa: ANN201
    error = None
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":
        try:
            line_id = _int(form.get("line_id"))
            exceptions = [_date(d) for d in form.get("exceptions", "").split() if d.strip()]
            pattern = create_pattern(
                db.session, _actor(), line_id, exceptions=exceptions, **_pattern_args(form)
            )
            _commit()
            flash(gettext("Gespeichert."))
            return redirect(url_for("rosters.week", line_id=line_id, woche=pattern.valid_from))
        except ShiftError as exc:
            db.session.rollback()
            error = error_text(str(exc))
    return render_template(
        "rosters/pattern_form.html",
        pattern=None,
        form=form,
        lines=_lines(),
        operators=_operators(active_only=True),
        error=error,
    ), (422 if error else 200)


@bp.route("/dienstplan/muster/<int:pattern_id>", methods=["GET", "POST"])
@requires(Role.PLANNER)
def edit_pattern(pattern_id: int):  # noqa: ANN201
    pattern = db.session.get(ShiftPattern, pattern_id) or abort(404)
    error = None
    if request.method == "POST":
        try:
            update_pattern(db.session, _actor(), pattern, **_pattern_args(request.form))
            _commit()
            flash(gettext("Gespeichert."))
            return redirect(url_for("rosters.edit_pattern", pattern_id=pattern.id))
        except ShiftError as exc:
            db.session.rollback()
            error = error_text(str(exc))
    form = {
        "line_id": str(pattern.line_id),
        "operator_id": str(pattern.operator_id),
        "weekday": str(pattern.weekday),
        "start_time": f"{pattern.start_time:%H:%M}",
        "end_time": f"{pattern.end_time:%H:%M}",
        "valid_from": pattern.valid_from.isoformat(),
        "valid_until": pattern.valid_until.isoformat(),
    }
    return render_template(
        "rosters/pattern_form.html",
        pattern=pattern,
        form=request.form if request.method == "POST" else form,
        lines=_lines(),
        operators=_operators(active_only=True),
        error=error,
    ), (422 if error else 200)


@bp.post("/dienstplan/muster/<int:pattern_id>/ausnahme")
@requires(Role.PLANNER)
def pattern_exception(pattern_id: int):  # noqa: ANN201
    pattern = db.session.get(ShiftPattern, pattern_id) or abort(404)
    try:
        add_exception(db.session, _actor(), pattern, _date(request.form.get("date", "")))
        _commit()
        flash(gettext("Gespeichert."))
    except ShiftError as exc:
        db.session.rollback()
        flash(error_text(str(exc)))
    return redirect(url_for("rosters.edit_pattern", pattern_id=pattern_id))


@bp.post("/dienstplan/muster/<int:pattern_id>/loeschen")
@requires(Role.PLANNER)
def remove_pattern(pattern_id: int):  # noqa: ANN201
    pattern = db.session.get(ShiftPattern, pattern_id) or abort(404)
    line_id = pattern.line_id
    delete_pattern(db.session, _actor(), pattern)
    _commit()
    flash(gettext("Gespeichert."))
    return redirect(url_for("rosters.week", line_id=line_id))


@bp.get("/dienstplan/muster")
@requires(Role.PLANNER)
def patterns():  # noqa: ANN201
    rows = db.session.scalars(select(ShiftPattern).order_by(ShiftPattern.valid_from)).all()
    return render_template("rosters/patterns.html", patterns=rows)


# -- staffing ----------------------------------------------------------------------------


@bp.route("/dienstplan/linie/<int:line_id>/bedarf", methods=["GET", "POST"])
@requires(Role.PLANNER)
def staffing(line_id: int):  # noqa: ANN201
    line = db.session.get(Line, line_id) or abort(404)
    error = None
    if request.method == "POST":
        try:
            set_level(
                db.session,
                line.id,
                [int(w) for w in request.form.getlist("weekday")],
                int(request.form.get("first_hour", "")),
                int(request.form.get("last_hour", "")),
                int(request.form.get("required", "")),
            )
            _commit()
            flash(gettext("Gespeichert."))
            return redirect(url_for("rosters.staffing", line_id=line.id))
        except ValueError as exc:
            db.session.rollback()
            error = error_text(str(exc))
    return render_template(
        "rosters/staffing.html", line=line, levels=levels(db.session, line.id), error=error
    ), (422 if error else 200)


# -- operators ----------------------------------------------------------------------------


@bp.get("/dienstplan/ehrenamtliche")
@requires(Role.PLANNER)
def operators():  # noqa: ANN201
    return render_template("rosters/operators.html", operators=_operators())


@bp.route("/dienstplan/ehrenamtliche/neu", methods=["GET", "POST"], defaults={"operator_id": None})
@bp.route("/dienstplan/ehrenamtliche/<int:operator_id>", methods=["GET", "POST"])
@requires(Role.COORDINATOR)
def edit_operator(operator_id: int | None):  # noqa: ANN201
    operator = db.session.get(Operator, operator_id) if operator_id else None
    if operator_id and operator is None:
        abort(404)
    error = None
    if request.method == "POST":
        form = request.form
        languages = [c for c in form.getlist("languages") if c in KNOWN_LANGUAGES] or ["de"]
        region = current_app.config["DEFAULT_REGION"]
        try:
            status = OperatorStatus(form.get("status", "active"))
            if operator is None:
                operator = create_operator(
                    db.session,
                    form.get("name", ""),
                    form.get("phone", ""),
                    languages,
                    status,
                    region,
                )
            else:
                number = to_mobile_e164(form.get("phone", ""), region)
                clash = db.session.scalar(
                    select(Operator.id).where(
                        Operator.phone_number == number, Operator.id != operator.id
                    )
                )
                if clash is not None:
                    raise OperatorError(f"an operator with number {number} exists already")
                operator.phone_number = number
                operator.name = form.get("name", "").strip() or operator.name
                operator.languages = languages
                operator.status = status
            if not (form.get("name") or "").strip():
                raise OperatorError("name is empty")
            _commit()
            flash(gettext("Gespeichert."))
            return redirect(url_for("rosters.operators"))
        except (InvalidPhoneNumber, OperatorError, ValueError) as exc:
            db.session.rollback()
            error = error_text(str(exc))
    token = ical.feed_token(db.session, "operator", operator.id) if operator else None
    _commit()
    return render_template(
        "rosters/operator_form.html",
        operator=operator,
        form=request.form if request.method == "POST" else None,
        known_languages=sorted(KNOWN_LANGUAGES),
        error=error,
        feed_token=token,
    ), (422 if error else 200)


# -- open shifts and swaps -----------------------------------------------------------------


@bp.route("/dienstplan/offen", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def open_shifts():  # noqa: ANN201
    error = None
    if request.method == "POST":
        if not _is_planner():
            abort(403)
        try:
            publish_open_shift(
                db.session,
                _int(request.form.get("line_id")),
                _local(request.form.get("start", "")),
                _local(request.form.get("end", "")),
                request.form.get("note", ""),
                _user().id,
            )
            _commit()
            flash(gettext("Gespeichert."))
            return redirect(url_for("rosters.open_shifts"))
        except ShiftError as exc:
            db.session.rollback()
            error = error_text(str(exc))
    recent = db.session.scalars(
        select(OpenShift)
        .where(OpenShift.claimed_by_id.is_not(None))
        .order_by(OpenShift.claimed_at.desc())
        .limit(20)
    ).all()
    return render_template(
        "rosters/open_shifts.html",
        slots=unclaimed(db.session),
        claimed=recent if _is_planner() else [],
        lines=_lines(),
        form=request.form,
        error=error,
    ), (422 if error else 200)


@bp.post("/dienstplan/offen/<int:slot_id>/nehmen")
@requires(Role.OPERATOR)
def claim(slot_id: int):  # noqa: ANN201
    user = _user()
    if user.operator_id is None:
        abort(403)
    try:
        result = claim_open_shift(db.session, slot_id, user.operator_id, _actor())
        _commit()
    except ShiftError as exc:
        db.session.rollback()
        flash(error_text(str(exc)))
        return redirect(url_for("rosters.open_shifts"))
    flash(
        {
            ClaimResult.CLAIMED: gettext("Die Schicht gehört jetzt Ihnen."),
            ClaimResult.TAKEN: gettext("Zu spät: Jemand anderes hat die Schicht schon übernommen."),
            ClaimResult.GONE: gettext("Diese Schicht gibt es nicht mehr."),
        }[result]
    )
    if result == ClaimResult.CLAIMED:
        return redirect(url_for("rosters.my_shifts"))
    return redirect(url_for("rosters.open_shifts"))


@bp.get("/dienstplan/tausch")
@requires(Role.OPERATOR)
def swaps():  # noqa: ANN201
    return render_template(
        "rosters/swaps.html",
        offers=open_swaps(db.session),
        log=swap_log(db.session) if _is_planner() else [],
    )


@bp.post("/dienstplan/schicht/<int:shift_id>/anbieten")
@requires(Role.OPERATOR)
def offer(shift_id: int):  # noqa: ANN201
    shift = db.session.get(Shift, shift_id) or abort(404)
    user = _user()
    if user.operator_id is None or shift.operator_id != user.operator_id:
        abort(403)
    try:
        offer_swap(db.session, shift, user.operator_id)
        _commit()
        flash(gettext("Angeboten."))
    except ShiftError as exc:
        db.session.rollback()
        flash(error_text(str(exc)))
    return redirect(url_for("rosters.my_shifts"))


@bp.post("/dienstplan/tausch/<int:swap_id>/nehmen")
@requires(Role.OPERATOR)
def take(swap_id: int):  # noqa: ANN201
    user = _user()
    if user.operator_id is None:
        abort(403)
    try:
        result = take_swap(db.session, swap_id, user.operator_id, _actor())
        _commit()
    except ShiftError as exc:
        db.session.rollback()
        flash(error_text(str(exc)))
        return redirect(url_for("rosters.swaps"))
    if result == ClaimResult.CLAIMED:
        flash(gettext("Die Schicht gehört jetzt Ihnen."))
        return redirect(url_for("rosters.my_shifts"))
    flash(gettext("Zu spät: Jemand anderes hat die Schicht schon übernommen."))
    return redirect(url_for("rosters.swaps"))


@bp.post("/dienstplan/tausch/<int:swap_id>/zurueckziehen")
@requires(Role.OPERATOR)
def withdraw(swap_id: int):  # noqa: ANN201
    user = _user()
    offer_row = db.session.get(SwapOffer, swap_id) or abort(404)
    if user.operator_id is None or offer_row.offered_by_id != user.operator_id:
        abort(403)
    withdraw_swap(db.session, swap_id, user.operator_id)
    _commit()
    return redirect(url_for("rosters.my_shifts"))


@bp.get("/dienstplan/meine")
@requires(Role.OPERATOR)
def my_shifts():  # noqa: ANN201
    user = _user()
    shifts: list[Shift] = []
    token = None
    if user.operator_id is not None:
        shifts = list(
            db.session.scalars(
                select(Shift)
                .where(Shift.operator_id == user.operator_id, Shift.ends_at > utcnow())
                .order_by(Shift.starts_at)
                .limit(100)
            )
        )
        token = ical.feed_token(db.session, "operator", user.operator_id)
        _commit()
    offered = {o.shift_id for o in open_swaps(db.session)}
    return render_template(
        "rosters/my_shifts.html", shifts=shifts, offered=offered, feed_token=token, now=utcnow()
    )


@bp.post("/dienstplan/meine/kalender")
@requires(Role.OPERATOR)
def rotate_my_feed():  # noqa: ANN201
    """A new secret calendar address; the old one stops working (e.g. after it leaked)."""
    user = _user()
    if user.operator_id is None:
        abort(403)
    ical.rotate_token(db.session, "operator", user.operator_id)
    _commit()
    flash(gettext("Gespeichert."))
    return redirect(url_for("rosters.my_shifts"))


# -- import / export / audit ---------------------------------------------------------------


@bp.route("/dienstplan/import", methods=["GET", "POST"])
@requires(Role.PLANNER)
def import_csv():  # noqa: ANN201
    report = None
    kind = request.form.get("kind", "shifts")
    if request.method == "POST":
        upload = request.files.get("file")
        raw = upload.read() if upload else b""
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        region = current_app.config["DEFAULT_REGION"]
        if kind == "operators":
            if not _user().role.at_least(Role.COORDINATOR):
                abort(403)
            report = csvio.import_operators(db.session, text, region)
        else:
            report = csvio.import_shifts(db.session, text, _actor(), region)
        _commit()
    return render_template("rosters/import.html", report=report, kind=kind), (
        422 if report is not None and not report.ok else 200
    )


@bp.get("/dienstplan/export/ehrenamtliche.csv")
@requires(Role.PLANNER)
def export_operators():  # noqa: ANN201
    return Response(
        csvio.export_operators(db.session),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=ehrenamtliche.csv"},
    )


@bp.get("/dienstplan/export/schichten.csv")
@requires(Role.PLANNER)
def export_shifts():  # noqa: ANN201
    line_id = request.args.get("line_id", type=int)
    return Response(
        csvio.export_shifts(db.session, line_id=line_id),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=schichten.csv"},
    )


@bp.get("/dienstplan/protokoll")
@requires(Role.PLANNER)
def audit_log():  # noqa: ANN201
    names = {o.id: o.name for o in _operators()}
    return render_template("rosters/audit.html", entries=history(db.session), names=names)


# -- users (admins) ------------------------------------------------------------------------


@bp.route("/dienstplan/benutzer", methods=["GET", "POST"])
@requires(Role.ADMIN)
def users():  # noqa: ANN201
    error = None
    if request.method == "POST":
        form = request.form
        try:
            if form.get("role") == Role.MEMBER.value:
                raise AccountError("organisation members are added on the organisation's page")
            operator_id = int(form["operator_id"]) if form.get("operator_id") else None
            create_user(
                db.session,
                form.get("username", ""),
                form.get("name", ""),
                form.get("password", ""),
                form.get("role", "operator"),
                operator_id,
                form.get("language", "de"),
            )
            _commit()
            flash(gettext("Gespeichert."))
            return redirect(url_for("rosters.users"))
        except (AccountError, ValueError) as exc:
            db.session.rollback()
            error = error_text(str(exc))
    rows = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("rosters/users.html", users=rows, operators=_operators(), error=error), (
        422 if error else 200
    )


# -- calendar feeds ------------------------------------------------------------------------


@bp.get("/kalender/<token>.ics")
def calendar_feed(token: str):  # noqa: ANN201
    feed = ical.feed_for_token(db.session, token) or abort(404)
    return Response(
        ical.build_calendar(db.session, feed),
        mimetype="text/calendar",
        headers={"Cache-Control": "private, max-age=300"},
    )
