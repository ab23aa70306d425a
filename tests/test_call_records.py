"""Call records and status callbacks: complete, idempotent, never moving backwards, and
forgetting personal data on schedule."""

import datetime as dt

from click.testing import CliRunner
from sqlalchemy import select, update

from hotline.voice.calls import picked_up, record_round, record_status
from hotline.voice.models import Call, CallLeg, CallOutcome, LegState
from tests.conftest import make_line, make_operator


def start(session, twilio):
    make_line(session)
    twilio.twiml("/twilio/voice")
    session.expire_all()
    return session.scalar(select(Call))


def test_status_callback_closes_an_unanswered_call_as_abandoned(session, twilio):
    start(session, twilio)
    twilio.post("/twilio/voice/status", CallStatus="completed", CallDuration="12")
    session.expire_all()
    call = session.scalar(select(Call))
    assert call.outcome == CallOutcome.ABANDONED
    assert call.duration_seconds == 12
    assert call.twilio_status == "completed"


def test_duplicate_status_callback_changes_nothing(session, twilio):
    start(session, twilio)
    twilio.post("/twilio/voice/status", CallStatus="completed", CallDuration="12")
    session.expire_all()
    first = session.scalar(select(Call)).ended_at
    twilio.post("/twilio/voice/status", CallStatus="completed", CallDuration="99")
    session.expire_all()
    call = session.scalar(select(Call))
    assert call.ended_at == first
    assert call.duration_seconds == 12


def test_late_ringing_callback_does_not_reopen_a_finished_call(session, twilio):
    start(session, twilio)
    twilio.post("/twilio/voice/status", CallStatus="completed", CallDuration="12")
    twilio.post("/twilio/voice/status", CallStatus="ringing")
    session.expire_all()
    assert session.scalar(select(Call)).twilio_status == "completed"


def test_status_never_moves_backwards_before_the_end(session):
    line = make_line(session)
    call = Call(call_sid="CAx", line_id=line.id, caller_hash="h", twilio_status="in-progress")
    session.add(call)
    session.flush()
    record_status(session, "CAx", "ringing", None, dt.datetime.now(dt.UTC))
    assert call.twilio_status == "in-progress"


def test_status_for_an_unknown_call_is_accepted_and_ignored(session, twilio):
    response = twilio.post("/twilio/voice/status", CallSid="CA" + "7" * 32, CallStatus="completed")
    assert response.status_code == 204
    assert session.scalar(select(Call)) is None


def test_after_hours_outcome_survives_the_final_status(session, twilio):
    make_line(session, hours={"mon": ["03:00-03:01"]})
    twilio.twiml("/twilio/voice")
    twilio.post("/twilio/voice/status", CallStatus="completed", CallDuration="20")
    session.expire_all()
    assert session.scalar(select(Call)).outcome == CallOutcome.AFTER_HOURS


def test_retention_forgets_old_numbers_but_keeps_the_hash(session, app, phone):
    line = make_line(session)
    now = dt.datetime.now(dt.UTC)
    old = Call(
        call_sid="CAold",
        line_id=line.id,
        caller_hash="h1",
        caller_number="+4917611111111",
        recording_url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        started_at=now - dt.timedelta(days=40),
    )
    phone.recordings[old.recording_url] = b"ID3 audio"
    new = Call(
        call_sid="CAnew",
        line_id=line.id,
        caller_hash="h2",
        caller_number="+4917622222222",
        started_at=now - dt.timedelta(days=1),
    )
    session.add_all([old, new])
    session.flush()
    from hotline.voice.privacy import purge_numbers, purge_recordings

    app.config["CALLER_NUMBER_RETENTION_DAYS"] = app.config["RECORDING_RETENTION_DAYS"] = 30
    with app.app_context():
        assert purge_numbers(session, now) == "forgot 1 caller number(s)"
        assert purge_recordings(session, now) == "deleted 1 recording(s)"
    session.flush()
    session.expire_all()
    assert session.get(Call, old.id).caller_number is None
    assert session.get(Call, old.id).recording_url is None
    assert session.get(Call, old.id).caller_hash == "h1"
    assert session.get(Call, new.id).caller_number == "+4917622222222"
    assert phone.deleted_recordings == [
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    ]  # deleted at the provider, not only forgotten


def test_repeat_callers_share_a_hash(session, app):
    from tests.conftest import TwilioDriver

    make_line(session)
    for sid in ("CA" + "5" * 32, "CA" + "6" * 32):
        TwilioDriver(app, call_sid=sid).twiml("/twilio/voice")
    hashes = session.scalars(select(Call.caller_hash)).all()
    assert len(hashes) == 2 and hashes[0] == hashes[1]


def test_purge_command_reports_what_it_forgot(session, app, monkeypatch):
    from hotline import cli

    monkeypatch.setattr(cli, "create_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["purge"])
    assert result.exit_code == 0, result.output
    assert "calls.caller_number: forgot 0 caller number(s)" in result.output
    assert "calls.recording: deleted 0 recording(s)" in result.output


def test_worker_purge_job_applies_the_configured_retention(app, session):
    from hotline.core.retention import purge_job

    app.config["CALLER_NUMBER_RETENTION_DAYS"] = 7
    line = make_line(session)
    old = Call(
        call_sid="CAold",
        line_id=line.id,
        caller_hash="h1",
        caller_number="+4917611111111",
        started_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=8),
    )
    session.add(old)
    session.flush()
    assert "calls.caller_number: forgot 1 caller number(s)" in purge_job()
    session.expire_all()
    assert session.get(Call, old.id).caller_number is None


def test_who_called_a_voicemail_back_is_forgotten_with_the_voicemail(app, session):
    from hotline.core.models import Role
    from hotline.core.retention import purge_job
    from tests.roster_support import make_user

    app.config["RECORDING_RETENTION_DAYS"] = 7
    line = make_line(session)
    coordinator = make_user(session, Role.COORDINATOR)
    now = dt.datetime.now(dt.UTC)

    def called_back(sid: str, days_ago: int) -> Call:
        call = Call(
            call_sid=sid,
            line_id=line.id,
            caller_hash=sid,
            started_at=now - dt.timedelta(days=days_ago),
            callback_done_at=now - dt.timedelta(days=days_ago),
            callback_done_by_id=coordinator.id,
        )
        session.add(call)
        return call

    old, recent = called_back("CAold", 8), called_back("CArecent", 6)
    session.flush()
    assert "calls.callback_done_by: forgot who called back on 1 call(s)" in purge_job()
    session.expire_all()
    assert session.get(Call, old.id).callback_done_by_id is None
    assert session.get(Call, old.id).callback_done_at is not None
    assert session.get(Call, recent.id).callback_done_by_id == coordinator.id


def _leg_states(session):
    session.expire_all()
    return {leg.operator_id: leg.state for leg in session.scalars(select(CallLeg))}


def test_a_picked_up_leg_is_declined_until_its_operator_accepts(session):
    line = make_line(session)
    one, two, three = (make_operator(session) for _ in range(3))
    call = Call(call_sid="CAleg", line_id=line.id, caller_hash="h")
    session.add(call)
    session.flush()
    record_round(session, call, 1, [one.id, two.id], LegState.RINGING)
    session.execute(
        update(CallLeg).where(CallLeg.operator_id == two.id).values(state=LegState.ACCEPTED)
    )
    legs = [picked_up(session, call, op.id, 1) for op in (one, two, three)]
    assert [leg.state for leg in legs] == [LegState.DECLINED, LegState.ACCEPTED, LegState.DECLINED]
    assert _leg_states(session) == {
        one.id: LegState.DECLINED,  # rang, picked up, no keypress (yet)
        two.id: LegState.ACCEPTED,  # a repeated screen webhook changes nothing
        three.id: LegState.DECLINED,  # picked up before its ringing was reported
    }
