"""Single shifts: planners add and edit them, operators change the times of their own;
an operator's list of their coming shifts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hotline.core.auth import requires
from hotline.core.extensions import db
from hotline.core.i18n import error_text, gettext
from hotline.core.models import Role, utcnow
from hotline.core.oncall.models import Shift
from hotline.core.oncall.shifts import ShiftError
from hotline.rosters import ical
from hotline.rosters.audit import history
from hotline.rosters.confirmations import request_confirmation
from hotline.rosters.controllers.blueprint import (
    active_lines,
    actor,
    bp,
    commit,
    current_user,
    form_for,
    is_planner,
    operators,
    save,
)
from hotline.rosters.forms import EditShiftForm, NewShiftForm, ShiftTimesForm
from hotline.rosters.open_shifts import open_swaps
from hotline.rosters.shift_edits import RemoveOutcome, add_shift, change_shift, remove_shift


def _may_edit(shift: Shift) -> bool:
    user = current_user()
    return user.role.at_least(Role.PLANNER) or (
        user.operator_id is not None and shift.operator_id == user.operator_id
    )


def _back_to(shift: Shift) -> str:
    if is_planner():
        return url_for("rosters.week", line_id=shift.line_id, woche=shift.local_start.date())
    return url_for("rosters.my_shifts")


@bp.route("/dienstplan/schicht/neu", methods=["GET", "POST"])
@requires(Role.PLANNER)
def new_shift():  # noqa: ANN201
    # A gap in the week view links here with line, start and end filled in.
    form = NewShiftForm() if request.method == "POST" else NewShiftForm(formdata=request.args)
    if save(
        form,
        lambda: request_confirmation(
            db.session,
            add_shift(
                db.session,
                actor(),
                form.operator_id.data,
                form.line_id.data,
                form.start.data,
                form.end.data,
            ),
        ),
    ):
        flash(gettext("Gespeichert."))
        return redirect(
            url_for("rosters.week", line_id=form.line_id.data, woche=form.start.data.date())
        )
    return render_template(
        "rosters/shift_form.html",
        shift=None,
        form=form,
        lines=active_lines(),
        operators=operators(active_only=True),
        error=form.error,
    ), form.http_status


@bp.route("/dienstplan/schicht/<int:shift_id>", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def edit_shift(shift_id: int):  # noqa: ANN201
    shift = db.session.get(Shift, shift_id) or abort(404)
    if not _may_edit(shift):
        abort(403)
    planner = is_planner()
    form = form_for(
        EditShiftForm if planner else ShiftTimesForm,
        operator_id=shift.operator_id,
        start=shift.local_start,
        end=shift.local_end,
    )
    before_operator = shift.operator_id

    def change() -> None:
        change_shift(
            db.session,
            actor(),
            shift,
            form.operator_id.data if planner else shift.operator_id,
            form.start.data,
            form.end.data,
            "override" if form.override.data else "update",
        )
        if shift.operator_id != before_operator:  # handed to someone else: ask them
            request_confirmation(db.session, shift)

    if save(form, change):
        flash(gettext("Gespeichert."))
        return redirect(_back_to(shift))
    return render_template(
        "rosters/shift_form.html",
        shift=shift,
        form=form,
        lines=active_lines(),
        operators=operators(active_only=True, also=shift.operator_id),
        error=form.error,
        audit=history(db.session, shift.id, 20),
    ), form.http_status


@bp.post("/dienstplan/schicht/<int:shift_id>/loeschen")
@requires(Role.OPERATOR)
def delete_shift(shift_id: int):  # noqa: ANN201
    shift = db.session.get(Shift, shift_id) or abort(404)
    if not _may_edit(shift):
        abort(403)
    back = _back_to(shift)
    try:
        outcome = remove_shift(db.session, actor(), shift)
        commit()
    except ShiftError as exc:
        db.session.rollback()
        flash(error_text(exc))
        return redirect(back)
    flash(
        gettext("Schicht gelöscht.")
        if outcome == RemoveOutcome.DELETED
        else gettext("Die Schicht lief schon und wurde jetzt beendet.")
    )
    return redirect(back)


@bp.get("/dienstplan/meine")
@requires(Role.OPERATOR)
def my_shifts():  # noqa: ANN201
    user = current_user()
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
        commit()
    offered = {o.shift_id for o in open_swaps(db.session)}
    return render_template(
        "rosters/my_shifts.html", shifts=shifts, offered=offered, feed_token=token, now=utcnow()
    )
