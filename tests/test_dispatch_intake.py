"""Phone intake in the Nachbarschaftshilfe flow: a call becomes a ticket."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select

from dispatch.models import Activity, IntakeDraft, Ticket, TicketSource
from hotline.core import fallback
from hotline.core.models import OutboxMessage
from tests.conftest import make_line, say_texts
from tests.dispatch_support import configure

LINE = "+4930120000"


@pytest.fixture
def line(app, session):  # noqa: ANN201
    configure(app)
    return make_line(session, number=LINE, name="Nachbarschaftshilfe", flow="nachbarschaftshilfe")


def to_intake(twilio, language: str = "1"):  # noqa: ANN001, ANN201
    """Greeting → language → menu option 1: the intake's first question."""
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits=language)
    return twilio.twiml("/twilio/voice/node/menu?a=1", Digits="1")


def action(doc) -> str:  # noqa: ANN001
    return doc.find("Gather").get("action")


def complete_call(twilio, postcode: str = "33602"):  # noqa: ANN001, ANN201
    doc = to_intake(twilio)
    doc = twilio.twiml(action(doc), Digits="1")  # shopping
    doc = twilio.twiml(action(doc), Digits=postcode)
    doc = twilio.twiml(action(doc), Digits="1")  # postcode is right
    doc = twilio.twiml(action(doc), Digits="2")  # tomorrow
    doc = twilio.twiml(action(doc), Digits="1")  # call back on the caller ID
    return twilio.twiml(action(doc), Digits="2")  # no message


def tickets(session) -> list[Ticket]:  # noqa: ANN001
    session.expire_all()
    return list(session.scalars(select(Ticket)))


def test_the_menu_leads_to_intake_which_asks_for_the_kind_of_help(line, twilio):
    doc = to_intake(twilio)
    texts = say_texts(doc)
    assert texts[0].startswith("Gern nehmen wir Ihre Anfrage auf")
    assert texts[1].startswith("Wobei brauchen Sie Hilfe? Für Einkaufen drücken Sie die 1")
    assert action(doc) == "/twilio/voice/intake/kind?a=1"


def test_a_complete_call_creates_a_ticket_and_reads_the_reference_digit_by_digit(
    line, twilio, session
):
    doc = complete_call(twilio)
    [ticket] = tickets(session)
    assert ticket.source == TicketSource.PHONE
    assert ticket.activity == Activity.SHOPPING
    assert (ticket.postal_code, ticket.place) == ("33602", "Bielefeld")
    assert ticket.requester_phone == twilio.caller
    assert ticket.call_sid == twilio.call_sid
    spoken = ", ".join(ticket.reference)
    [done] = say_texts(doc)
    assert f"Ihre Nummer ist: {spoken}. Ich wiederhole: {spoken}." in done
    assert doc.find("Hangup") is not None


def test_the_postal_code_is_repeated_back_with_its_place(line, twilio):
    doc = to_intake(twilio)
    doc = twilio.twiml(action(doc), Digits="1")
    doc = twilio.twiml(action(doc), Digits="33602")
    assert say_texts(doc)[0].startswith("Sie haben eingegeben: 3, 3, 6, 0, 2, Bielefeld.")


def test_an_unknown_postal_code_is_asked_again(line, twilio, session):
    doc = to_intake(twilio)
    doc = twilio.twiml(action(doc), Digits="1")
    doc = twilio.twiml(action(doc), Digits="00000")
    assert say_texts(doc)[0] == "Diese Postleitzahl kenne ich leider nicht."
    assert action(doc) == "/twilio/voice/intake/postcode?a=2"


def test_a_keyed_in_callback_number_is_used(line, twilio, session):
    doc = to_intake(twilio)
    for digits in ("3", "10115", "1", "1"):
        doc = twilio.twiml(action(doc), Digits=digits)
    doc = twilio.twiml(action(doc), Digits="2")  # another number
    assert action(doc) == "/twilio/voice/intake/callback/enter?a=1"
    assert doc.find("Gather").get("finishOnKey") == "#"
    doc = twilio.twiml(action(doc), Digits="030 12345678")
    twilio.twiml(action(doc), Digits="2")
    [ticket] = tickets(session)
    assert ticket.requester_phone == "+493012345678"
    assert ticket.activity == Activity.PHONE_COMPANY


def test_a_recorded_message_is_kept_with_the_ticket(line, twilio, session):
    doc = to_intake(twilio)
    for digits in ("1", "10115", "1", "3", "1"):
        doc = twilio.twiml(action(doc), Digits=digits)
    doc = twilio.twiml(action(doc), Digits="1")  # record a message
    record = doc.find("Record")
    assert record.get("action") == "/twilio/voice/intake/finish"
    url = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"
    twilio.twiml(record.get("action"), RecordingUrl=url, RecordingDuration="7")
    [ticket] = tickets(session)
    assert ticket.recording_url == url


def test_english_callers_hear_english_prompts(line, twilio):
    doc = to_intake(twilio, language="2")
    assert say_texts(doc)[1].startswith("What do you need help with?")
    assert doc.find("Gather").find("Say").get("language") == "en-GB"


def test_three_wrong_answers_hand_the_caller_to_a_person(line, twilio, session):
    doc = to_intake(twilio)
    for _ in range(3):
        doc = twilio.twiml(action(doc), Digits="7")
    texts = say_texts(doc)
    assert texts[0] == "Das habe ich leider nicht verstanden."
    # the flow's on_failure is its route node: the caller is put through to an operator
    assert any(t.startswith("Einen Moment bitte, wir verbinden Sie") for t in texts)
    assert tickets(session) == []


def test_a_retried_finish_webhook_creates_one_ticket(line, twilio, session):
    complete_call(twilio)
    twilio.twiml("/twilio/voice/intake/finish")
    assert len(tickets(session)) == 1


def test_intake_webhooks_need_a_twilio_signature(line, twilio):
    to_intake(twilio)
    assert twilio.post("/twilio/voice/intake/kind?a=1", signed=False, Digits="1").status_code == 403


def test_an_intake_webhook_for_an_unknown_call_gets_the_fallback(line, twilio, app, monkeypatch):
    with app.app_context():
        fallback.forget()  # numbers remembered by earlier calls
    app.config["FALLBACK_NUMBER"] = "+4930999999"
    doc = twilio.twiml("/twilio/voice/intake/kind?a=1", Digits="1")
    assert doc.find("Dial").text == "+4930999999"


def test_an_application_error_answers_with_the_fallback(line, twilio, app, monkeypatch):
    with app.app_context():
        fallback.forget()  # numbers remembered by earlier calls
    app.config["FALLBACK_NUMBER"] = "+4930999999"
    to_intake(twilio)

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("bug")

    monkeypatch.setattr("dispatch.intake.drafts.lookup", broken)
    doc = twilio.twiml("/twilio/voice/intake/kind?a=1", Digits="1")
    doc = twilio.twiml(action(doc), Digits="10115")
    assert doc.find("Dial").text == "+4930999999"


def test_redis_down_during_intake_stores_the_ticket_and_the_caller_hears_the_reference(
    line, twilio, session, monkeypatch, app
):
    from hotline.core.extensions import jobs

    class DownQueue:
        def enqueue(self, *a, **k):  # noqa: ANN002, ANN003, ANN201
            raise RedisConnectionError("Redis is down")

        enqueue_in = enqueue

    monkeypatch.setattr(type(jobs), "queue", property(lambda self: DownQueue()))
    doc = complete_call(twilio)
    [ticket] = tickets(session)
    assert ", ".join(ticket.reference) in say_texts(doc)[0]
    [pending] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "dispatch_start"))
    assert pending.payload == {"ticket_id": ticket.id} and pending.done_at is None
    assert session.scalars(select(IntakeDraft)).one().ticket_id == ticket.id

    # Redis is back: the worker's outbox sweep picks the ticket up and wave 1 is scheduled
    monkeypatch.undo()
    from hotline.core.outbox import process_outbox, sweep_outbox

    with app.app_context():
        assert sweep_outbox(grace_seconds=0) == 1
        assert process_outbox(pending.id) == "wave 1 scheduled"
    from hotline.core.extensions import jobs as jobs_

    with app.app_context():
        assert f"dispatch-wave-{ticket.id}-1" in jobs_.queue.job_ids


def test_the_requester_notification_call_says_the_reference(line, twilio, session):
    from tests.dispatch_support import make_ticket

    ticket = make_ticket(session)
    doc = twilio.twiml(f"/twilio/voice/intake/notify?ticket={ticket.id}")
    assert ", ".join(ticket.reference) in say_texts(doc)[0]
    assert doc.find("Hangup") is not None


@pytest.mark.parametrize(
    ("said", "expected"),
    [("morgen bitte", "tomorrow"), ("im Laufe der Woche", "week"), ("heute noch", "today")],
)
def test_the_caller_may_say_when(line, twilio, session, said, expected):
    from dispatch.models import IntakeDraft

    doc = to_intake(twilio)
    for digits in ("1", "10115", "1"):
        doc = twilio.twiml(action(doc), Digits=digits)
    gather = doc.find("Gather")
    assert gather.get("input") == "dtmf speech" and gather.get("language") == "de-DE"
    twilio.twiml(action(doc), SpeechResult=said)
    session.expire_all()
    assert session.scalars(select(IntakeDraft)).one().when == expected


def test_the_terminal_simulator_plays_the_intake(app, session, connection):
    from hotline.voice.simulator import Simulator

    configure(app)
    make_line(session, number=LINE, name="Nachbarschaftshilfe", flow="nachbarschaftshilfe")
    session.commit()
    answers = iter(["1", "1", "1", "10115", "1", "3", "1", "2"])
    shown: list[str] = []
    Simulator(
        app, LINE, ask=lambda _: next(answers), show=shown.append, connection=connection
    ).run()
    out = "\n".join(shown)
    assert "Sie haben eingegeben: 1, 0, 1, 1, 5, Berlin." in out
    assert "Ihre Anfrage ist aufgenommen. Ihre Nummer ist:" in out


def test_a_withheld_caller_id_is_not_offered_as_callback_number(line, app, session):
    from tests.conftest import TwilioDriver

    caller = TwilioDriver(app, caller="anonymous")
    doc = to_intake(caller)
    for digits in ("1", "10115", "1", "2"):
        doc = caller.twiml(action(doc), Digits=digits)
    assert action(doc) == "/twilio/voice/intake/callback/enter?a=1"
    assert say_texts(doc)[0].startswith("Bitte geben Sie Ihre Rückrufnummer")


# -- the domain, without a request ------------------------------------------------------------


def test_a_draft_answered_step_by_step_becomes_one_ticket_without_any_request(session):
    import datetime as dt

    from dispatch.intake import drafts

    draft = drafts.start_draft(session, "CA-domain", LINE, "+4917612345678", "de", "route")
    assert drafts.record_activity(draft, "3") == Activity.PHONE_COMPANY
    assert drafts.record_postcode(draft, "10115").name == "Berlin"
    assert drafts.record_when(draft, "", "morgen bitte") == "tomorrow"
    assert drafts.use_caller_id(draft) and drafts.is_complete(draft)
    wednesday_noon = dt.datetime(2026, 3, 11, 11, 0, tzinfo=dt.UTC)
    ticket = drafts.finish_draft(
        session, draft, max_waves=2, zone="Europe/Berlin", now=wednesday_noon
    )
    again = drafts.finish_draft(
        session, draft, max_waves=2, zone="Europe/Berlin", recording_url="https://late"
    )
    assert again.id == ticket.id and ticket.recording_url is None
    assert (ticket.requester_phone, ticket.max_waves) == ("+4917612345678", 2)
    assert ticket.window_start.isoformat() == "2026-03-11T23:00:00+00:00"  # Thursday 0:00 Berlin
    assert drafts.start_draft(session, "CA-domain", LINE, None, "en", None).id == draft.id


def test_answers_that_mean_nothing_leave_the_draft_as_it_was(session):
    from dispatch.intake import drafts
    from dispatch.postcodes import UnknownPostalCode
    from hotline.core.phones import InvalidPhoneNumber

    draft = drafts.start_draft(session, "CA-nothing", LINE, None, "de", None)
    assert drafts.record_activity(draft, "7") is None
    with pytest.raises(UnknownPostalCode):
        drafts.record_postcode(draft, "00000")
    assert drafts.record_when(draft, "", "irgendwann") is None
    assert not drafts.use_caller_id(draft)  # the caller ID was withheld
    with pytest.raises(InvalidPhoneNumber):
        drafts.record_callback(draft, "12", "DE")
    assert (draft.activity, draft.postal_code, draft.when, draft.callback) == (None,) * 4
    assert not drafts.is_complete(draft)
