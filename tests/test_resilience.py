"""Redis going away loses nothing: the work is stored first and swept into the queue later."""

from rq import Queue, SimpleWorker
from sqlalchemy import select

from hotline import create_app
from hotline.core.extensions import db
from hotline.core.models import OutboxMessage
from hotline.core.outbox import process_outbox, sweep_outbox
from hotline.core.worker import set_app
from tests.conftest import TwilioDriver, make_line, test_config


def test_redis_down_still_queues_the_caller_and_keeps_the_call_out(
    connection, database_url, redis_url, session, redis, phone
):
    app = create_app(test_config(database_url, "redis://127.0.0.1:1/0"), telephony=phone)
    db.bind_to(connection)
    make_line(session)
    twilio = TwilioDriver(app)
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="1")
    doc = twilio.twiml("/twilio/voice/node/menu?a=1", Digits="1")
    assert doc.find("Enqueue") is not None
    [pending] = session.scalars(select(OutboxMessage)).all()
    assert pending.kind == "queue_callout" and pending.done_at is None


def test_sweep_enqueues_what_redis_missed(app, session, redis):
    message = OutboxMessage(kind="voicemail_notice", payload={"call_id": 1})
    session.add(message)
    session.flush()
    assert sweep_outbox(grace_seconds=0) == 1
    # a voicemail notice is caller-facing: its job runs on the urgent queue
    queue = Queue(f"{app.config['RQ_QUEUE']}-urgent", connection=redis)
    assert queue.job_ids == [f"outbox-{message.id}"]


def test_outbox_job_for_a_finished_message_does_nothing(app, session, phone):
    message = OutboxMessage(kind="voicemail_notice", payload={"call_id": 1})
    session.add(message)
    session.flush()
    message.done_at = message.created_at
    session.flush()
    assert process_outbox(message.id) == "nothing to do"
    assert phone.sms == []


def test_outbox_job_for_a_missing_row_does_nothing(app):
    assert process_outbox(987654) == "nothing to do"


def test_worker_runs_queued_outbox_jobs(app, session, redis, phone):
    from hotline.core.oncall.lines import add_coordinator
    from hotline.voice.models import Call, CallOutcome

    line = make_line(session)
    add_coordinator(line, "Koordination", "+4915100000009")
    call = Call(
        call_sid="CAvm",
        line_id=line.id,
        caller_hash="h",
        caller_number="+4917612345678",
        outcome=CallOutcome.VOICEMAIL,
        recording_seconds=9,
    )
    session.add(call)
    session.flush()
    message = OutboxMessage(kind="voicemail_notice", payload={"call_id": call.id})
    session.add(message)
    session.flush()
    set_app(app)
    queue = Queue(f"{app.config['RQ_QUEUE']}-default", connection=redis)
    queue.enqueue(process_outbox, message.id, job_id=f"outbox-{message.id}")
    queue.enqueue(process_outbox, message.id, job_id=f"outbox-{message.id}-again")
    # the notice's text is sent by its own job on the urgent queue
    queues = [
        Queue(f"{app.config['RQ_QUEUE']}-{p}", connection=redis) for p in ("urgent", "default")
    ]
    SimpleWorker(queues, connection=redis).work(burst=True)
    assert [s["to"] for s in phone.sms] == ["+4915100000009"]
