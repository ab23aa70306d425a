"""Recurring shifts: a weekly rule between two dates, its exception dates, its removal."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hotline.core.auth import requires
from hotline.core.extensions import db
from hotline.core.i18n import error_text, format_date, gettext
from hotline.core.models import Role
from hotline.rosters.confirmations import request_for_pattern
from hotline.rosters.controllers.blueprint import (
    active_lines,
    actor,
    bp,
    commit,
    form_for,
    operators,
    save,
)
from hotline.rosters.forms import NewPatternForm, PatternExceptionForm, PatternForm
from hotline.rosters.models import ShiftPattern
from hotline.rosters.patterns import (
    Materialised,
    add_exception,
    create_pattern,
    delete_pattern,
    update_pattern,
)


def flash_written(result: Materialised | None) -> None:
    """Say how many shifts saving wrote and which dates clashed with other shifts."""
    written = result.written if result else 0
    message = gettext("Gespeichert.") + " " + gettext("Schichten angelegt: {count}.", count=written)
    if result and result.conflicts:
        days = ", ".join(
            f"{format_date(day)} ({error_text(reason)})" for day, reason in result.conflicts
        )
        message += " " + gettext("Nicht angelegt wegen Überschneidung: {days}", days=days)
    flash(message)


def _saved_and_asked(saved: list[ShiftPattern], pattern: ShiftPattern) -> ShiftPattern:
    """Keep the new pattern for the page's message and text its operator the shifts to
    confirm."""
    saved.append(pattern)
    request_for_pattern(db.session, pattern)
    return pattern


def _rule(form: PatternForm) -> dict:
    """The submitted rule as keyword arguments of the pattern functions."""
    return {
        "operator_id": form.operator_id.data,
        "weekday": form.weekday.data,
        "start_time": form.start_time.data,
        "end_time": form.end_time.data,
        "valid_from": form.valid_from.data,
        "valid_until": form.valid_until.data,
    }


@bp.route("/dienstplan/muster/neu", methods=["GET", "POST"])
@requires(Role.PLANNER)
def new_pattern():  # noqa: ANN201
    # The week view links here with its line filled in.
    form = NewPatternForm() if request.method == "POST" else NewPatternForm(formdata=request.args)
    saved: list[ShiftPattern] = []
    if save(
        form,
        lambda: _saved_and_asked(
            saved,
            create_pattern(
                db.session,
                actor(),
                form.line_id.data,
                exceptions=form.exceptions.data,
                **_rule(form),
            ),
        ),
    ):
        flash_written(saved[0].materialised)
        return redirect(
            url_for("rosters.week", line_id=form.line_id.data, woche=form.valid_from.data)
        )
    return render_template(
        "rosters/pattern_form.html",
        pattern=None,
        form=form,
        lines=active_lines(),
        operators=operators(active_only=True),
        error=form.error,
    ), form.http_status


def _stored_rule(pattern: ShiftPattern) -> dict:
    return {
        "operator_id": pattern.operator_id,
        "weekday": pattern.weekday,
        "start_time": pattern.start_time,
        "end_time": pattern.end_time,
        "valid_from": pattern.valid_from,
        "valid_until": pattern.valid_until,
    }


def _pattern_page(
    pattern: ShiftPattern, form: PatternForm, exception_form: PatternExceptionForm
) -> tuple[str, int]:
    return render_template(
        "rosters/pattern_form.html",
        pattern=pattern,
        form=form,
        exception_form=exception_form,
        lines=active_lines(),
        operators=operators(active_only=True, also=pattern.operator_id),
        error=form.error or exception_form.error,
    ), max(form.http_status, exception_form.http_status)


@bp.route("/dienstplan/muster/<int:pattern_id>", methods=["GET", "POST"])
@requires(Role.PLANNER)
def edit_pattern(pattern_id: int):  # noqa: ANN201
    pattern = db.session.get(ShiftPattern, pattern_id) or abort(404)
    form = form_for(PatternForm, **_stored_rule(pattern))
    if save(form, lambda: update_pattern(db.session, actor(), pattern, **_rule(form))):
        flash_written(pattern.materialised)
        return redirect(url_for("rosters.edit_pattern", pattern_id=pattern.id))
    return _pattern_page(pattern, form, PatternExceptionForm(formdata=None))


@bp.post("/dienstplan/muster/<int:pattern_id>/ausnahme")
@requires(Role.PLANNER)
def pattern_exception(pattern_id: int):  # noqa: ANN201
    pattern = db.session.get(ShiftPattern, pattern_id) or abort(404)
    form = PatternExceptionForm()
    if save(form, lambda: add_exception(db.session, actor(), pattern, form.date.data)):
        flash(gettext("Gespeichert."))
        return redirect(url_for("rosters.edit_pattern", pattern_id=pattern_id))
    return _pattern_page(pattern, PatternForm(formdata=None, data=_stored_rule(pattern)), form)


@bp.post("/dienstplan/muster/<int:pattern_id>/loeschen")
@requires(Role.PLANNER)
def remove_pattern(pattern_id: int):  # noqa: ANN201
    pattern = db.session.get(ShiftPattern, pattern_id) or abort(404)
    line_id = pattern.line_id
    delete_pattern(db.session, actor(), pattern)
    commit()
    flash(gettext("Gespeichert."))
    return redirect(url_for("rosters.week", line_id=line_id))


@bp.get("/dienstplan/muster")
@requires(Role.PLANNER)
def patterns():  # noqa: ANN201
    rows = db.session.scalars(select(ShiftPattern).order_by(ShiftPattern.valid_from)).all()
    return render_template("rosters/patterns.html", patterns=rows)
