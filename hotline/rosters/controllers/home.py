"""The operators' phone home (``/mein-dienst``): what an operator needs on their mobile.

On shift now or the next shift, the available-now switch (the same domain functions as the
``AN``/``AUS`` texts), shifts waiting for confirmation, the next shifts, open shifts to
claim and offered swaps (the existing claim and take forms), and the panels other features
register for ``operator_home`` (the voice hotline's "my last call"), in their order.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from hotline.core.auth import requires
from hotline.core.extensions import db
from hotline.core.i18n import gettext
from hotline.core.models import Role, utcnow
from hotline.core.oncall.models import Line, Operator, Shift
from hotline.core.registry import registry
from hotline.rosters.confirmations import confirm, decline, pending
from hotline.rosters.controllers.blueprint import active_lines, bp, commit, current_user
from hotline.rosters.models import ShiftConfirmation
from hotline.rosters.open_shifts import open_swaps, unclaimed
from hotline.rosters.operator_sms import (
    current_availability,
    go_available,
    go_unavailable,
    next_shifts,
)

PLACE = "operator_home"
LISTED = 5


def _operator() -> Operator | None:
    user = current_user()
    return db.session.get(Operator, user.operator_id) if user.operator_id is not None else None


def _own_lines(operator_id: int, now: dt.datetime) -> list[Line]:
    """Lines the switch offers: those the operator has shifts on (else every active line)."""
    ids = set(
        db.session.scalars(
            select(Shift.line_id).where(
                Shift.operator_id == operator_id,
                Shift.ends_at > now - dt.timedelta(days=90),
            )
        )
    )
    lines = active_lines()
    return [line for line in lines if line.id in ids] or lines


def _panels(now: dt.datetime) -> list[tuple[str, str, Markup]]:
    """``(name, title, markup)`` of the registered panels that have something to show."""
    user = current_user()
    shown = []
    for panel in registry().panels_for(PLACE, user.role.value):
        html = panel.render(db.session, user, now)
        if html:
            shown.append((panel.name, gettext(panel.title), Markup(html)))
    return shown


@bp.get("/mein-dienst")
@requires(Role.OPERATOR)
def operator_home():  # noqa: ANN201
    now = utcnow()
    operator = _operator()
    context: dict[str, object] = {"operator": operator, "now": now, "panels": _panels(now)}
    if operator is not None:
        shifts = next_shifts(db.session, operator.id, now, LISTED + 1)
        current = next((s for s in shifts if s.starts_at <= now), None)
        upcoming = [s for s in shifts if s.starts_at > now]
        available = current_availability(db.session, operator.id, now)
        context.update(
            available=available,
            available_until=(
                available.until.astimezone(
                    ZoneInfo(db.session.get(Line, available.line_id).timezone)
                )
                if available is not None
                else None
            ),
            current=current,
            next_shift=upcoming[0] if upcoming else None,
            shifts=upcoming[:LISTED],
            lines=_own_lines(operator.id, now),
            waiting=pending(db.session, operator.id, now),
            slots=unclaimed(db.session, now)[:LISTED],
            swaps=[o for o in open_swaps(db.session, now) if o.offered_by_id != operator.id][
                :LISTED
            ],
        )
    return render_template("rosters/operator_home.html", **context)


@bp.post("/mein-dienst/erreichbar")
@requires(Role.OPERATOR)
def availability_switch():  # noqa: ANN201
    """The switch: ``an`` does what texting ``AN`` to the line does, ``aus`` what ``AUS``
    does."""
    operator = _operator() or abort(403)
    now = utcnow()
    if request.form.get("state") == "an":
        line = db.session.get(Line, request.form.get("line_id", type=int) or 0)
        if line is None or not line.active:
            flash(gettext("Bitte wählen Sie eine Hotline."))
            return redirect(url_for("rosters.operator_home"))
        entry = go_available(db.session, operator, line, None, now)
        commit()
        if entry is None:
            flash(gettext("Ihr Profil ist pausiert; bitte wenden Sie sich an die Koordination."))
        else:
            flash(gettext("Sie sind jetzt erreichbar."))
    else:
        go_unavailable(db.session, operator, now)
        commit()
        flash(gettext("Sie sind nicht mehr erreichbar."))
    return redirect(url_for("rosters.operator_home"))


@bp.post("/mein-dienst/bestaetigung/<int:confirmation_id>")
@requires(Role.OPERATOR)
def answer_confirmation(confirmation_id: int):  # noqa: ANN201
    """The buttons next to a shift waiting for confirmation: the same as ``OK``/``NEIN``."""
    operator = _operator() or abort(403)
    confirmation = db.session.get(ShiftConfirmation, confirmation_id) or abort(404)
    if confirmation.operator_id != operator.id:
        abort(403)
    if request.form.get("answer") == "nein":
        done = decline(db.session, confirmation) is not None
        message = gettext("Abgesagt. Die Schicht wird anderen angeboten.")
    else:
        done = confirm(db.session, confirmation)
        message = gettext("Danke, die Schicht ist bestätigt.")
    commit()
    flash(message if done else gettext("Diese Schicht wartet nicht mehr auf Ihre Antwort."))
    return redirect(url_for("rosters.operator_home"))
