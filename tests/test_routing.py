"""Ringing the operators on shift: who, in which order, with call screening."""

import datetime as dt

from sqlalchemy import func, select

from hotline.core.oncall.models import RingStrategy
from hotline.voice.models import Call, CallLeg, LegState
from tests.conftest import make_line, make_operator, make_shift


def to_route(twilio, language_key="1"):
    """Walk the heimweg flow to the routing node; return the TwiML that rings."""
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits=language_key)
    return twilio.twiml("/twilio/voice/node/menu?a=1", Digits="1")


def dialled(doc):
    return [n.text for n in doc.find("Dial").findall("Number")]


def test_everyone_on_shift_rings_at_once(session, twilio):
    line = make_line(session)
    ops = [make_operator(session) for _ in range(3)]
    for op in ops:
        make_shift(session, op, line)
    doc = to_route(twilio)
    assert sorted(dialled(doc)) == sorted(op.phone_number for op in ops)


def test_operators_off_shift_are_not_rung(session, twilio):
    line = make_line(session)
    on, off = make_operator(session), make_operator(session)
    make_shift(session, on, line)
    make_shift(session, off, line, start=dt.datetime(2020, 1, 1, 10))
    assert dialled(to_route(twilio)) == [on.phone_number]


def test_at_most_ten_numbers_ring_at_once(session, twilio):
    line = make_line(session)
    for _ in range(12):
        make_shift(session, make_operator(session), line)
    assert len(dialled(to_route(twilio))) == 10


def test_speakers_of_the_callers_language_are_preferred(session, twilio):
    line = make_line(session)
    germans = [make_operator(session, languages=["de"]) for _ in range(10)]
    english = make_operator(session, languages=["de", "en"])
    for op in [*germans, english]:
        make_shift(session, op, line)
    assert dialled(to_route(twilio, language_key="2"))[0] == english.phone_number


def test_dial_shows_the_hotline_number_and_screens_each_leg(session, twilio):
    line = make_line(session)
    op = make_operator(session)
    make_shift(session, op, line)
    dial = to_route(twilio).find("Dial")
    assert dial.get("callerId") == line.number
    assert dial.get("answerOnBridge") == "true"
    assert dial.get("action") == f"/twilio/voice/dial-result?r=1&ops={op.id}"
    assert dial.get("timeout") == str(line.ring_timeout)
    screen = dial.find("Number").get("url")
    assert screen == f"/twilio/voice/screen?call={twilio.call_sid}&op={op.id}&r=1"


def test_ringing_writes_no_legs_until_twilio_reports_back(session, twilio):
    line = make_line(session)
    ops = [make_operator(session) for _ in range(2)]
    for op in ops:
        make_shift(session, op, line)
    dial = to_route(twilio).find("Dial")
    assert session.scalar(select(func.count()).select_from(CallLeg)) == 0
    twilio.twiml(dial.get("action"), DialCallStatus="no-answer", DialBridged="false")
    legs = session.scalars(select(CallLeg)).all()
    assert sorted((leg.operator_id, leg.round, leg.state) for leg in legs) == sorted(
        (op.id, 1, LegState.RINGING) for op in ops
    )


def test_a_retried_dial_result_records_each_leg_once(session, twilio):
    line = make_line(session)
    make_shift(session, make_operator(session), line)
    action = to_route(twilio).find("Dial").get("action")
    for _ in range(2):
        twilio.twiml(action, DialCallStatus="no-answer", DialBridged="false")
    assert session.scalar(select(func.count()).select_from(CallLeg)) == 1


def test_callers_number_is_shown_only_when_the_line_allows_it(session, twilio):
    line = make_line(session, show_caller_number=True)
    make_shift(session, make_operator(session), line)
    assert to_route(twilio).find("Dial").get("callerId") == twilio.caller


def test_screening_whispers_the_line_name_and_waits_for_one(session, twilio):
    line = make_line(session)
    make_shift(session, make_operator(session), line)
    url = to_route(twilio).find("Dial").find("Number").get("url")
    doc = twilio.twiml(url, CallSid="CA" + "9" * 32)
    gather = doc.find("Gather")
    assert gather.get("numDigits") == "1"
    assert gather.find("Say").text == (
        "Anruf für Heimwegtelefon. Drücken Sie die 1, um den Anruf anzunehmen."
    )
    assert doc[-1].tag == "Hangup"  # no key: the leg hangs up and is never bridged


def test_pressing_one_bridges_and_records_who_answered(session, twilio):
    line = make_line(session)
    op = make_operator(session)
    make_shift(session, op, line)
    url = to_route(twilio).find("Dial").find("Number").get("url")
    answer_url = twilio.twiml(url).find("Gather").get("action")
    doc = twilio.twiml(answer_url, Digits="1")
    # The leg stays up while it is moved into the call's conference (no hangup)
    assert "Hangup" not in [el.tag for el in doc]
    assert "wir verbinden Sie" in doc.find("Say").text
    session.expire_all()
    call = session.scalar(select(Call))
    assert call.answered_by_id == op.id
    assert call.wait_seconds is not None
    assert session.get(type(op), op.id).last_call_at is not None


def test_pressing_another_key_does_not_bridge(session, twilio):
    line = make_line(session)
    make_shift(session, make_operator(session), line)
    url = to_route(twilio).find("Dial").find("Number").get("url")
    answer_url = twilio.twiml(url).find("Gather").get("action")
    doc = twilio.twiml(answer_url, Digits="2")
    assert [el.tag for el in doc] == ["Hangup"]
    session.expire_all()
    assert session.scalar(select(Call)).answered_by_id is None


def test_second_operator_pressing_one_is_told_the_call_is_taken(session, twilio):
    line = make_line(session)
    a, b = make_operator(session), make_operator(session)
    make_shift(session, a, line)
    make_shift(session, b, line)
    numbers = to_route(twilio).find("Dial").findall("Number")
    answers = [twilio.twiml(n.get("url")).find("Gather").get("action") for n in numbers]
    first = twilio.twiml(answers[0], Digits="1")
    assert "Hangup" not in [el.tag for el in first]
    late = twilio.twiml(answers[1], Digits="1")
    assert "bereits angenommen" in late.find("Say").text
    assert late[-1].tag == "Hangup"


def test_operator_who_picks_up_after_the_call_was_taken_hears_so(session, twilio):
    line = make_line(session)
    a, b = make_operator(session), make_operator(session)
    make_shift(session, a, line)
    make_shift(session, b, line)
    numbers = to_route(twilio).find("Dial").findall("Number")
    answer = twilio.twiml(numbers[0].get("url")).find("Gather").get("action")
    twilio.twiml(answer, Digits="1")
    doc = twilio.twiml(numbers[1].get("url"))
    assert doc.find("Gather") is None
    assert doc[-1].tag == "Hangup"


def test_sequential_line_rings_the_longest_idle_operator_first(session, twilio):
    line = make_line(session, ring_strategy=RingStrategy.SEQUENTIAL)
    recent, idle = make_operator(session), make_operator(session)
    recent.last_call_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    idle.last_call_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    make_shift(session, recent, line)
    make_shift(session, idle, line)
    assert dialled(to_route(twilio)) == [idle.phone_number]


def test_sequential_line_tries_the_next_operator_after_no_answer(session, twilio):
    line = make_line(session, ring_strategy=RingStrategy.SEQUENTIAL)
    first, second = make_operator(session), make_operator(session)
    first.last_call_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    second.last_call_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    make_shift(session, first, line)
    make_shift(session, second, line)
    dial = to_route(twilio).find("Dial")
    assert [n.text for n in dial.findall("Number")] == [first.phone_number]
    doc = twilio.twiml(dial.get("action"), DialCallStatus="no-answer", DialBridged="false")
    assert dialled(doc) == [second.phone_number]


def test_busy_operators_are_not_rung_for_a_second_call(session, app, twilio):
    from tests.conftest import TwilioDriver

    line = make_line(session)
    a, b = make_operator(session), make_operator(session)
    make_shift(session, a, line)
    make_shift(session, b, line)
    numbers = to_route(twilio).find("Dial").findall("Number")
    answer = twilio.twiml(numbers[0].get("url")).find("Gather").get("action")
    twilio.twiml(answer, Digits="1")
    second_caller = TwilioDriver(app, call_sid="CA" + "3" * 32, caller="+4917699999999")
    doc = to_route(second_caller)
    assert numbers[0].text not in dialled(doc)
    assert len(dialled(doc)) == 1


def test_screened_legs_are_marked_until_accepted(session, twilio):
    line = make_line(session)
    make_shift(session, make_operator(session), line)
    url = to_route(twilio).find("Dial").find("Number").get("url")
    twilio.twiml(url)
    session.expire_all()
    assert session.scalar(select(CallLeg)).state == LegState.DECLINED


def test_when_nobody_picks_up_at_all_the_caller_moves_to_the_queue(session, twilio):
    line = make_line(session)
    make_shift(session, make_operator(session), line)
    make_shift(session, make_operator(session), line)
    action = to_route(twilio).find("Dial").get("action")  # names the round and who it rang
    doc = twilio.twiml(action, DialCallStatus="no-answer", DialBridged="false")
    assert doc.find("Dial") is None
    assert doc.find("Enqueue").text == f"line-{line.id}"


def test_operator_who_screened_the_call_out_is_not_rung_again(session, twilio):
    line = make_line(session)
    only = make_operator(session)
    make_shift(session, only, line)
    url = to_route(twilio).find("Dial").find("Number").get("url")
    twilio.twiml(url)  # picks up, never presses 1
    doc = twilio.twiml("/twilio/voice/dial-result", DialCallStatus="completed", DialBridged="false")
    assert doc.find("Dial") is None
    assert doc.find("Enqueue") is not None


def test_operator_whose_last_call_never_reported_an_end_is_rung_again_later(session, twilio):
    line = make_line(session)
    op = make_operator(session)
    make_shift(session, op, line)
    stale = Call(
        call_sid="CAstale",
        line_id=line.id,
        caller_hash="h",
        answered_by_id=op.id,
        answered_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=5),
    )
    session.add(stale)
    session.flush()
    assert dialled(to_route(twilio)) == [op.phone_number]


def test_with_twelve_on_shift_the_second_round_rings_the_two_left_out_first(session, twilio):
    line = make_line(session)
    team = [make_operator(session, name=f"Op {i}") for i in range(12)]
    for op in team:
        make_shift(session, op, line)
    first = to_route(twilio).find("Dial")
    rung_first = {n.text for n in first.findall("Number")}
    assert len(rung_first) == 10
    second = twilio.twiml(first.get("action"), DialCallStatus="no-answer", DialBridged="false")
    rung_second = [n.text for n in second.find("Dial").findall("Number")]
    left_out = {op.phone_number for op in team} - rung_first
    assert len(left_out) == 2 and set(rung_second[:2]) == left_out
    assert rung_first | set(rung_second) == {op.phone_number for op in team}


def test_queue_call_outs_with_twelve_free_operators_call_every_one_within_two_rounds() -> None:
    from types import SimpleNamespace

    from hotline.voice.routing import callout_batch

    free = [SimpleNamespace(id=i, languages=["de"], last_call_at=None) for i in range(12)]
    called = {op.id for r in (1, 2) for op in callout_batch(free, "de", r)}
    assert called == set(range(12))
    assert len(callout_batch(free, "de", 1)) == 10
