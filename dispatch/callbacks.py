"""SMS delivery-status callbacks (``/twilio/sms/status``), signed like every Twilio webhook."""

from __future__ import annotations

from flask import Blueprint, request

from dispatch.outbound import record_status
from hotline.core.extensions import db
from hotline.core.security import twilio_signed

bp = Blueprint("dispatch_status", __name__)


@bp.post("/twilio/sms/status")
@twilio_signed
def sms_status():  # noqa: ANN201
    form = request.form
    record_status(
        db.session,
        form.get("MessageSid", ""),
        form.get("MessageStatus", "") or form.get("SmsStatus", ""),
        form.get("ErrorCode"),
    )
    db.session.commit()
    return ("", 204)
