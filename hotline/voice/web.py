"""Voicemails are listened to through the product: signed in, as a coordinator, never
through a raw provider link in a text (which anyone it is forwarded to could open, and which
would outlive the recording's retention in people's phones)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort

from hotline.core.auth import load_user, requires
from hotline.core.extensions import db, telephony
from hotline.core.models import Role
from hotline.core.telephony import TelephonyError
from hotline.voice.models import Call

log = logging.getLogger(__name__)

bp = Blueprint("voice_web", __name__)


@bp.before_request
def _load_user() -> None:
    load_user()


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
