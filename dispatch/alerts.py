"""Coordinators are texted when a daily cap on texts is reached (an SMS-pumping attack, or a
busy day): the rest of that kind waits for the next day, and somebody should know."""

from __future__ import annotations

from flask import current_app

from dispatch.outbound import COORDINATOR, queue_text
from hotline.core.extensions import db
from hotline.core.models import utcnow


def notify_daily_cap(kind: str, cap: int) -> None:
    numbers = current_app.config.get("DISPATCH_COORDINATOR_NUMBERS") or []
    if not numbers:
        return
    day = utcnow().date().isoformat()
    body = (
        f"Rufbereit: Tageslimit für Texte der Art {kind} erreicht ({cap}). Weitere werden erst "
        "morgen gesendet. Bitte prüfen Sie die Anmeldungen und Aufrufe."
    )
    session = db.new_session()
    try:
        for number in numbers:
            queue_text(session, COORDINATOR, f"daily-cap:{kind}:{day}:{number}", number, body)
        session.commit()
    finally:
        session.close()
