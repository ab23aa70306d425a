"""Retention and data-subject requests for call records.

Every call keeps a salted hash of the caller's number (to count repeat callers and to block
abusive ones without the number) and, for a limited time, the number itself and the link to
a voicemail recording; the recording is deleted at the provider when its time is up.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.core.extensions import telephony
from hotline.core.phones import mask
from hotline.core.registry import Registry
from hotline.core.retention import PersonalData, RetentionRule, days
from hotline.core.telephony import TelephonyError
from hotline.voice.models import Call

log = logging.getLogger(__name__)


def purge_numbers(session: Session, now: dt.datetime) -> str:
    cutoff = now - days("CALLER_NUMBER_RETENTION_DAYS")
    forgotten = session.execute(
        update(Call)
        .where(Call.caller_number.is_not(None), Call.started_at < cutoff)
        .values(caller_number=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return f"forgot {forgotten} caller number(s)"


def purge_recordings(session: Session, now: dt.datetime) -> str:
    """Delete each expired recording at the provider first; a link whose deletion failed is
    kept, so the next run tries again and no recording is left behind unknown."""
    cutoff = now - days("RECORDING_RETENTION_DAYS")
    calls = session.scalars(
        select(Call).where(Call.recording_url.is_not(None), Call.started_at < cutoff)
    ).all()
    deleted = failed = 0
    for call in calls:
        if _delete_recording(call):
            deleted += 1
        else:
            failed += 1
    return f"deleted {deleted} recording(s)" + (f", {failed} to retry" if failed else "")


def purge_callback_marks(session: Session, now: dt.datetime) -> str:
    """Who called a voicemail back is kept as long as the voicemail: it answers "has anyone
    called back?" while the recording can still be listened to; afterwards the call keeps
    only that (and when) it was done."""
    cutoff = now - days("RECORDING_RETENTION_DAYS")
    forgotten = session.execute(
        update(Call)
        .where(Call.callback_done_by_id.is_not(None), Call.started_at < cutoff)
        .values(callback_done_by_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return f"forgot who called back on {forgotten} call(s)"


def _delete_recording(call: Call) -> bool:
    try:
        telephony().delete_recording(call.recording_url or "")
    except TelephonyError as exc:
        log.warning("recording of call %s not deleted yet: %s", call.id, exc)
        return False
    call.recording_url = None
    return True


def export_calls(session: Session, phone: str) -> list[dict[str, object]]:
    calls = session.scalars(select(Call).where(Call.caller_number == phone).order_by(Call.id))
    return [
        {
            "call": call.id,
            "line": call.line.name,
            "started_at": call.started_at.isoformat(),
            "outcome": call.outcome.value if call.outcome else None,
            "duration_seconds": call.duration_seconds,
            "voicemail": call.recording_url is not None,
        }
        for call in calls
    ]


def erase_calls(session: Session, phone: str) -> int:
    """The calls stay as anonymous statistics; the number and recordings go."""
    calls = session.scalars(select(Call).where(Call.caller_number == phone)).all()
    for call in calls:
        if call.recording_url and not _delete_recording(call):
            raise TelephonyError(f"recording of call {call.id} could not be deleted; try again")
        call.caller_number = None
    log.info("erased the number %s from %d call(s)", mask(phone), len(calls))
    return len(calls)


def register(registry: Registry) -> None:
    registry.retention(
        RetentionRule(
            name="calls.caller_number",
            table="calls",
            fields="caller_number",
            purpose="call a caller back and count repeat callers (the hash stays for counting)",
            period="`CALLER_NUMBER_RETENTION_DAYS` days after the call (30)",
            action="emptied",
            apply=purge_numbers,
        )
    )
    registry.retention(
        RetentionRule(
            name="calls.recording",
            table="calls",
            fields="recording_url (and the recording at the provider)",
            purpose="coordinators listen to a voicemail and call back",
            period="`RECORDING_RETENTION_DAYS` days after the call (90)",
            action="deleted at the provider, link emptied",
            apply=purge_recordings,
        )
    )
    registry.retention(
        RetentionRule(
            name="calls.callback_done_by",
            table="calls",
            fields="callback_done_by_id",
            purpose="coordinators see who already called a voicemail's caller back",
            period="`RECORDING_RETENTION_DAYS` days after the call (90)",
            action="emptied (that and when it was done stay)",
            apply=purge_callback_marks,
        )
    )
    registry.personal(PersonalData("calls", export_calls, erase_calls))
