"""The voice hotline's pages.

Voicemails are listened to through the product: signed in, as a coordinator, never
through a raw provider link in a text (which anyone it is forwarded to could open, and which
would outlive the recording's retention in people's phones).

The operator's phone page shows, while they are in a call, the escalation panel
(:func:`escalation_panel`, registered for ``operator_home``): a button adds another operator,
the coordination or (where the line allows it) the emergency number to the call
(:func:`escalate`, a POST with the CSRF token)."""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.auth import check_csrf, load_user, requires
from hotline.core.extensions import db, telephony
from hotline.core.i18n import gettext
from hotline.core.models import Role, User, utcnow
from hotline.core.oncall.models import Coordinator, Line
from hotline.core.outbox import commit
from hotline.core.telephony import TelephonyError
from hotline.voice.escalation import Escalation, Refusal, escalate, live_call
from hotline.voice.models import Call, EscalationTarget

log = logging.getLogger(__name__)

bp = Blueprint("voice_web", __name__)


@bp.before_request
def _load_user() -> None:
    load_user()
    check_csrf()


@bp.get("/anrufe/<int:call_id>/aufnahme")
@requires(Role.COORDINATOR)
def recording(call_id: int):  # noqa: ANN201
    call = db.session.get(Call, call_id) or abort(404)
    if not call.recording_url:
        abort(410)  # none left, or past its retention
    try:
        audio = telephony().fetch_recording(call.recording_url)
    except TelephonyError as exc:
        log.warning("recording of call %s not fetched: %s", call.id, exc)
        abort(502)
    return Response(
        audio,
        mimetype="audio/mpeg",
        headers={"Cache-Control": "no-store", "Content-Disposition": "inline"},
    )


def recording_path(call_id: int) -> str:
    """The product's own address of a call's voicemail (for notices to coordinators)."""
    return f"/anrufe/{call_id}/aufnahme"


def escalation_panel(session: Session, user: User, now: dt.datetime) -> str:
    """The operator's phone page, while they are in a call: buttons to add someone."""
    if user is None or user.operator_id is None:
        return ""
    call = live_call(session, user.operator_id, now)
    if call is None:
        return ""
    line = session.get(Line, call.line_id)
    has_coordinator = (
        session.scalar(select(Coordinator.id).where(Coordinator.line_id == line.id).limit(1))
        is not None
    )
    return render_template(
        "voice/escalation_panel.html",
        call=call,
        has_coordinator=has_coordinator,
        emergency=bool(line.emergency_number),
    )


def _message(result: Escalation) -> str:
    if result.refused == Refusal.NO_LIVE_CALL:
        return gettext("Sie haben gerade kein laufendes Gespräch, in das jemand dazukommen kann.")
    if result.refused == Refusal.NOBODY_FREE:
        return gettext("Gerade ist niemand sonst im Dienst frei.")
    if result.refused == Refusal.NO_COORDINATOR:
        return gettext("Für diese Hotline ist keine Koordination mit Telefonnummer eingetragen.")
    if result.refused == Refusal.EMERGENCY_NOT_ALLOWED:
        return gettext("Diese Hotline darf den Notruf nicht dazuschalten.")
    if result.target == EscalationTarget.EMERGENCY:
        return gettext("Der Notruf wird angerufen und in Ihr Gespräch geschaltet.")
    return gettext("Wird angerufen; kommt nach Drücken der 1 in Ihr Gespräch.")


@bp.post("/telefon/verstaerkung")
@requires(Role.OPERATOR)
def escalate_call():  # noqa: ANN201
    """The escalation panel's button: parse, escalate, commit once (the call is queued for
    after the commit), back to the phone page with what happened."""
    user = g.roster_user
    try:
        target = EscalationTarget(request.form.get("target", "operator"))
    except ValueError:
        abort(400)
    call_id = request.form.get("call", type=int)
    if user.operator_id is None:
        flash(gettext("Ihr Konto ist mit keinem Telefon verbunden."))
        return redirect("/")
    result = escalate(db.session, call_id, user.operator_id, target, utcnow())
    commit()
    flash(_message(result))
    return redirect("/")
