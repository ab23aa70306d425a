"""Line settings for coordinators: opening hours, closures and public holidays, how the line
rings, its fallback number, coordinators, partner and whether operators see callers'
numbers. Changes go through :func:`hotline.rosters.line_edits.change_line` (as
``rufbereit line set`` does) and are audited."""

from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select

from hotline.core.auth import requires
from hotline.core.extensions import db
from hotline.core.i18n import gettext
from hotline.core.models import Role
from hotline.core.oncall.hours import FEDERAL_STATES, WEEKDAYS
from hotline.core.oncall.models import Line
from hotline.core.phones import pretty
from hotline.rosters.controllers.blueprint import actor, bp, form_for, save
from hotline.rosters.forms import LineSettingsForm
from hotline.rosters.line_edits import change_line, eligible_coordinators, settings_of


@bp.get("/dienstplan/linien", endpoint="lines")
@requires(Role.COORDINATOR)
def lines_list():  # noqa: ANN201
    lines = db.session.scalars(select(Line).order_by(Line.name)).all()
    return render_template("rosters/lines.html", lines=lines, pretty=pretty)


def _form(line: Line) -> LineSettingsForm:
    current = settings_of(db.session, line)
    hours = {f"hours_{i}": ", ".join(current["hours"][day]) for i, day in enumerate(WEEKDAYS)}
    form = form_for(
        LineSettingsForm,
        **hours,
        name=current["name"],
        closures=current["closures"],
        holiday_state=current["holiday_state"] or "",
        ring_strategy=current["ring_strategy"],
        ring_timeout=current["ring_timeout"],
        queue_timeout=current["queue_timeout"],
        fallback_number=current["fallback_number"] or "",
        partner=current["partner"] or "",
        show_caller_number=current["show_caller_number"],
        coordinators=current["coordinators"],
    )
    form.holiday_state.choices = ["", *FEDERAL_STATES]
    form.coordinators.choices = [(u.id, u.name) for u in eligible_coordinators(db.session)]
    return form


def _changes(form: LineSettingsForm) -> dict[str, object]:
    hours = {
        day: [t.strip() for t in re.split(r"[,;]", field.data or "") if t.strip()]
        for day, field in zip(WEEKDAYS, form.hours_fields(), strict=True)
    }
    return {
        "name": form.name.data,
        "hours": hours,
        "closures": form.closures.data or [],
        "holiday_state": form.holiday_state.data,
        "ring_strategy": form.ring_strategy.data,
        "ring_timeout": form.ring_timeout.data,
        "queue_timeout": form.queue_timeout.data,
        "fallback_number": form.fallback_number.data,
        "partner": form.partner.data,
        "show_caller_number": form.show_caller_number.data,
        "coordinators": form.coordinators.data or [],
    }


@bp.route("/dienstplan/linie/<int:line_id>/einstellungen", methods=["GET", "POST"])
@requires(Role.COORDINATOR)
def line_settings(line_id: int):  # noqa: ANN201
    line = db.session.get(Line, line_id)
    if line is None:
        abort(404)
    form = _form(line)
    changed: dict[str, object] = {}

    def store() -> None:
        changed.update(
            change_line(
                db.session,
                actor(),
                line.id,
                _changes(form),
                region=current_app.config["DEFAULT_REGION"],
            )
        )

    if save(form, store):
        flash(gettext("Gespeichert.") if changed else gettext("Nichts geändert."))
        return redirect(url_for("rosters.line_settings", line_id=line_id))
    return render_template(
        "rosters/line_settings.html",
        line=line,
        form=form,
        states=FEDERAL_STATES,
        pretty=pretty,
        error=form.error,
    ), form.http_status
