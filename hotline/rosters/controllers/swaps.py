"""Swaps: an operator offers their coming shift, another takes it (first wins)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from hotline.core.auth import requires
from hotline.core.extensions import db
from hotline.core.i18n import error_text, gettext
from hotline.core.models import Role
from hotline.core.oncall.models import Shift
from hotline.core.oncall.shifts import ShiftError
from hotline.rosters.controllers.blueprint import actor, bp, commit, current_user, is_planner
from hotline.rosters.models import SwapOffer
from hotline.rosters.open_shifts import (
    ClaimResult,
    offer_swap,
    open_swaps,
    swap_log,
    take_swap,
    withdraw_swap,
)


@bp.get("/dienstplan/tausch")
@requires(Role.OPERATOR)
def swaps():  # noqa: ANN201
    return render_template(
        "rosters/swaps.html",
        offers=open_swaps(db.session),
        log=swap_log(db.session) if is_planner() else [],
    )


@bp.post("/dienstplan/schicht/<int:shift_id>/anbieten")
@requires(Role.OPERATOR)
def offer(shift_id: int):  # noqa: ANN201
    shift = db.session.get(Shift, shift_id) or abort(404)
    user = current_user()
    if user.operator_id is None or shift.operator_id != user.operator_id:
        abort(403)
    try:
        offer_swap(db.session, shift, user.operator_id)
        commit()
        flash(gettext("Angeboten."))
    except ShiftError as exc:
        db.session.rollback()
        flash(error_text(exc))
    return redirect(url_for("rosters.my_shifts"))


@bp.post("/dienstplan/tausch/<int:swap_id>/nehmen")
@requires(Role.OPERATOR)
def take(swap_id: int):  # noqa: ANN201
    user = current_user()
    if user.operator_id is None:
        abort(403)
    try:
        result = take_swap(db.session, swap_id, user.operator_id, actor())
        commit()
    except ShiftError as exc:
        db.session.rollback()
        flash(error_text(exc))
        return redirect(url_for("rosters.swaps"))
    if result == ClaimResult.CLAIMED:
        flash(gettext("Die Schicht gehört jetzt Ihnen."))
        return redirect(url_for("rosters.my_shifts"))
    flash(gettext("Zu spät: Jemand anderes hat die Schicht schon übernommen."))
    return redirect(url_for("rosters.swaps"))


@bp.post("/dienstplan/tausch/<int:swap_id>/zurueckziehen")
@requires(Role.OPERATOR)
def withdraw(swap_id: int):  # noqa: ANN201
    user = current_user()
    offer_row = db.session.get(SwapOffer, swap_id) or abort(404)
    if user.operator_id is None or offer_row.offered_by_id != user.operator_id:
        abort(403)
    withdraw_swap(db.session, swap_id, user.operator_id)
    commit()
    return redirect(url_for("rosters.my_shifts"))
