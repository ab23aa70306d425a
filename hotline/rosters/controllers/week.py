"""The start page, the week view of a line with its gaps and what its calls need, copying a
week forward, and its minimum staffing (set by hand or adopted from the calls)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from hotline.core.auth import requires
from hotline.core.demand import WeekDemand, weekly_demand
from hotline.core.extensions import db
from hotline.core.i18n import error_text, format_wall_clock, gettext
from hotline.core.models import Role
from hotline.core.oncall.models import Line
from hotline.core.registry import registry
from hotline.rosters import ical
from hotline.rosters.bounds import in_range
from hotline.rosters.controllers.blueprint import (
    REFUSALS,
    active_lines,
    actor,
    bp,
    commit,
    current_user,
    is_planner,
    save,
)
from hotline.rosters.forms import RosterForm, StaffingForm, number_field
from hotline.rosters.staffing import (
    MAX_SERVICE_PERCENT,
    MAX_SERVICE_SECONDS,
    ShiftKind,
    adopt_demand,
    levels,
    monday_of,
    set_level,
    set_service_level,
    week_view,
)
from hotline.rosters.week_copy import copy_week


class ServiceLevelForm(RosterForm):
    """The line's service level, which staffing from demand is sized against."""

    percent = number_field("Anteil der Anrufe (%)", 1, MAX_SERVICE_PERCENT)
    seconds = number_field("angenommen innerhalb von (Sekunden)", 0, MAX_SERVICE_SECONDS)


@bp.get("/dienstplan/")
@requires(Role.MEMBER)
def index():  # noqa: ANN201
    if not current_user().role.at_least(Role.OPERATOR):
        # Organisation members have no roster pages; their start page is elsewhere.
        home = current_app.config.get("MEMBER_HOME_ENDPOINT")
        if not home:
            abort(403)
        return redirect(url_for(home))
    if not is_planner():
        return redirect(url_for("rosters.my_shifts"))
    lines = active_lines()
    if len(lines) == 1:
        return redirect(url_for("rosters.week", line_id=lines[0].id))
    return render_template("rosters/index.html", lines=lines)


def _week_of(raw: str | None, line: Line) -> dt.date:
    """The day asked for in ``?woche=``; today (in the line's zone) when that is missing,
    not a date, or outside the planning range."""
    try:
        day = dt.date.fromisoformat(raw or "")
    except ValueError:
        day = None
    if day is None or not in_range(day):
        day = dt.datetime.now(ZoneInfo(line.timezone)).date()
    return day


@bp.get("/dienstplan/linie/<int:line_id>")
@requires(Role.OPERATOR)
def week(line_id: int):  # noqa: ANN201
    line = db.session.get(Line, line_id) or abort(404)
    day = _week_of(request.args.get("woche"), line)
    view = week_view(db.session, line, day, _demand(line))
    token = ical.feed_token(db.session, "line", line.id) if is_planner() else None
    commit()
    monday = monday_of(day)
    all_hours = request.args.get("stunden") == "alle"
    return render_template(
        "rosters/week.html",
        view=view,
        hours=view.hours(all_hours),
        all_hours=all_hours,
        lines=active_lines(),
        prev_week=monday - dt.timedelta(days=7),
        next_week=monday + dt.timedelta(days=7),
        feed_token=token,
        ShiftKind=ShiftKind,
    )


@bp.post("/dienstplan/linie/<int:line_id>/woche-kopieren")
@requires(Role.PLANNER)
def copy_week_forward(line_id: int):  # noqa: ANN201
    """Copy the shown week's shifts to the next week; say what was written and skipped."""
    line = db.session.get(Line, line_id) or abort(404)
    monday = monday_of(_week_of(request.form.get("woche"), line))
    try:
        result = copy_week(db.session, actor(), line.id, monday)
        commit()
    except REFUSALS as exc:
        db.session.rollback()
        flash(error_text(exc))
        return redirect(url_for("rosters.week", line_id=line.id, woche=monday.isoformat()))
    message = gettext("Schichten in die nächste Woche kopiert: {count}.", count=result.written)
    if result.conflicts:
        skipped = ", ".join(
            f"{shift.operator.name} {format_wall_clock(shift.local_start)} ({error_text(why)})"
            for shift, why in result.conflicts
        )
        message += " " + gettext("Nicht kopiert: {shifts}", shifts=skipped)
    flash(message)
    next_monday = monday + dt.timedelta(days=7)
    return redirect(url_for("rosters.week", line_id=line.id, woche=next_monday.isoformat()))


def _demand(line: Line) -> WeekDemand | None:
    """The past weeks' calls of ``line`` per hour of the week; ``None`` when no feature
    records calls."""
    source = registry().demand_source
    if source is None:
        return None
    weeks = current_app.config["STAFFING_DEMAND_WEEKS"]
    now = dt.datetime.now(dt.UTC)
    return weekly_demand(source, db.session, line.id, line.timezone, weeks, now)


@bp.post("/dienstplan/linie/<int:line_id>/bedarf/uebernehmen")
@requires(Role.PLANNER)
def adopt_staffing(line_id: int):  # noqa: ANN201
    """Adopt the demand figures as the minimum staffing: the whole week, or the weekday in
    ``tag`` (0 = Monday)."""
    line = db.session.get(Line, line_id) or abort(404)
    day = _week_of(request.form.get("woche"), line)
    raw_day = request.form.get("tag", "")
    weekdays = [int(raw_day)] if raw_day.isdigit() else list(range(7))
    demand = _demand(line) or abort(404)
    try:
        adopt_demand(db.session, line, demand, weekdays, actor())
        commit()
    except REFUSALS as exc:
        db.session.rollback()
        flash(error_text(exc))
    else:
        flash(gettext("Bedarf aus den Anrufen als Mindestbesetzung übernommen."))
    return redirect(url_for("rosters.week", line_id=line.id, woche=day.isoformat()))


@bp.route("/dienstplan/linie/<int:line_id>/bedarf", methods=["GET", "POST"])
@requires(Role.PLANNER)
def staffing(line_id: int):  # noqa: ANN201
    line = db.session.get(Line, line_id) or abort(404)
    form = StaffingForm()
    if save(
        form,
        lambda: set_level(
            db.session,
            line.id,
            form.weekday.data,
            form.first_hour.data,
            form.last_hour.data,
            form.required.data,
            actor(),
        ),
    ):
        flash(gettext("Gespeichert."))
        return redirect(url_for("rosters.staffing", line_id=line.id))
    return _staffing_page(line, form, ServiceLevelForm(formdata=None, data=_target(line)))


def _target(line: Line) -> dict[str, int]:
    return {"percent": line.service_level_percent, "seconds": line.service_level_seconds}


def _staffing_page(line: Line, form: StaffingForm, target_form: ServiceLevelForm):  # noqa: ANN202
    error = form.error or target_form.error
    return render_template(
        "rosters/staffing.html",
        line=line,
        levels=levels(db.session, line.id),
        form=form,
        target_form=target_form,
        error=error,
    ), (422 if error else 200)


@bp.post("/dienstplan/linie/<int:line_id>/servicelevel")
@requires(Role.PLANNER)
def service_level(line_id: int):  # noqa: ANN201
    line = db.session.get(Line, line_id) or abort(404)
    form = ServiceLevelForm()
    if save(
        form,
        lambda: set_service_level(db.session, line, form.percent.data, form.seconds.data, actor()),
    ):
        flash(gettext("Gespeichert."))
        return redirect(url_for("rosters.staffing", line_id=line.id))
    return _staffing_page(line, StaffingForm(formdata=None), form)
