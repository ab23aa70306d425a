"""Open shifts: planners publish a slot nobody works yet, operators claim it (first wins)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hotline.core.auth import requires
from hotline.core.extensions import db
from hotline.core.i18n import error_text, gettext
from hotline.core.models import Role
from hotline.core.oncall.shifts import ShiftError
from hotline.rosters.controllers.blueprint import (
    active_lines,
    actor,
    bp,
    commit,
    current_user,
    is_planner,
    save,
)
from hotline.rosters.forms import OpenShiftForm
from hotline.rosters.models import OpenShift
from hotline.rosters.open_shifts import ClaimResult, claim_open_shift, publish_open_shift, unclaimed


@bp.route("/dienstplan/offen", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def open_shifts():  # noqa: ANN201
    if request.method == "POST" and not is_planner():
        abort(403)
    form = OpenShiftForm()
    if save(
        form,
        lambda: publish_open_shift(
            db.session,
            form.line_id.data,
            form.start.data,
            form.end.data,
            form.note.data or "",
            current_user().id,
        ),
    ):
        flash(gettext("Gespeichert."))
        return redirect(url_for("rosters.open_shifts"))
    recent = db.session.scalars(
        select(OpenShift)
        .where(OpenShift.claimed_by_id.is_not(None))
        .order_by(OpenShift.claimed_at.desc())
        .limit(20)
    ).all()
    return render_template(
        "rosters/open_shifts.html",
        slots=unclaimed(db.session),
        claimed=recent if is_planner() else [],
        lines=active_lines(),
        form=form,
        error=form.error,
    ), form.http_status


@bp.post("/dienstplan/offen/<int:slot_id>/nehmen")
@requires(Role.OPERATOR)
def claim(slot_id: int):  # noqa: ANN201
    user = current_user()
    if user.operator_id is None:
        abort(403)
    try:
        result = claim_open_shift(db.session, slot_id, user.operator_id, actor())
        commit()
    except ShiftError as exc:
        db.session.rollback()
        flash(error_text(exc))
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
