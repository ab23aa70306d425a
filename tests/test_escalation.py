"""Escalation without dropping the caller, followed leg by leg: signed webhooks in, REST out
to the local Twilio-compatible server, the RQ worker on real Redis.

Every answered call is bridged in a conference of its own (``call-<id>``); an operator in it
texts ``HILFE`` (or presses the button on their phone page) and a third person is called into
it. The caller's and the first operator's legs are never hung up or redirected away."""

import xml.etree.ElementTree as ET

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

from hotline.core.extensions import db
from hotline.core.oncall.lines import add_coordinator
from hotline.core.queues import Priority
from hotline.core.registry import registry
from hotline.voice.models import Call, EscalationTarget
from tests.conftest import (
    PUBLIC_BASE,
    TwilioDriver,
    make_line,
    make_operator,
    make_shift,
    say_texts,
)
from tests.roster_support import login, make_user, post

LINE = "+4930120000"
_callers = iter(range(20_000_000, 30_000_000))
CALLER_SID = "CA" + "c" * 32
ANNA_SID = "CA" + "a" * 32
THIRD_SID = "CA" + "d" * 32
#: The emergency control centre's dialable number (a line setting; Twilio cannot dial 112).
CONTROL_CENTRE = "+49304664112"


def run_worker(app, redis):
    queues = [Queue(f"{app.config['RQ_QUEUE']}-{p.value}", connection=redis) for p in Priority]
    SimpleWorker(queues, connection=redis).work(burst=True)


def the_call(session) -> Call:
    session.expire_all()
    return session.scalar(select(Call))


def tags(doc: ET.Element) -> list[str]:
    return [el.tag for el in doc.iter()]


_message_sids = iter(range(1, 10**6))


def text(app, sender: str, body: str) -> str:
    sid = f"SM{next(_message_sids):032d}"
    doc = TwilioDriver(app).twiml("/twilio/sms", From=sender, To=LINE, Body=body, MessageSid=sid)
    return "".join(m.text or "" for m in doc.iter("Message"))


def leg(app, call_sid: str, to: str) -> TwilioDriver:
    """A leg the app placed or Twilio dialled: its webhooks carry its own CallSid."""
    return TwilioDriver(app, call_sid=call_sid, caller=LINE, to=to)


def conference_of(doc: ET.Element) -> ET.Element:
    [conference] = doc.iter("Conference")
    return conference


class Connected:
    """A caller and Anna, who pressed 1, both in the call's conference."""

    def __init__(self, app, session, redis, twilio_server, **line) -> None:
        self.app, self.session, self.redis, self.server = app, session, redis, twilio_server
        self.line = make_line(session, **line)
        self.anna = make_operator(session, name="Anna")
        make_shift(session, self.anna, self.line)
        # A caller of their own per test: the caller memory's flood limit counts per number.
        number = f"+49176{next(_callers):08d}"
        self.caller = TwilioDriver(app, call_sid=CALLER_SID, caller=number, to=LINE)
        self.caller_docs: list[ET.Element] = []
        self.anna_docs: list[ET.Element] = []

    def connect(self) -> "Connected":
        self.caller_twiml("/twilio/voice")
        self.caller_twiml("/twilio/voice/node/language?a=1", Digits="1")
        doc = self.caller_twiml("/twilio/voice/node/menu?a=1", Digits="1")
        dial = doc.find("Dial")
        assert dial.get("answerOnBridge") == "true"  # the caller hears ringing meanwhile
        self.dial_action = dial.get("action")
        url = {n.text: n.get("url") for n in dial.findall("Number")}[self.anna.phone_number]
        anna = leg(self.app, ANNA_SID, self.anna.phone_number)
        screen = self.anna_twiml(anna, url)
        # press-1 screening stays: a mailbox that presses nothing is hung up, never bridged
        assert screen.find("Gather") is not None and screen[-1].tag == "Hangup"
        accepted = self.anna_twiml(anna, screen.find("Gather").get("action"), Digits="1")
        assert "wir verbinden Sie" in say_texts(accepted)[0]
        # The worker moves Anna's leg into the conference by a REST update of that leg …
        run_worker(self.app, self.redis)
        [move] = self.server.updates
        assert move["sid"] == ANNA_SID and move["Method"] == "POST"
        assert move["Url"].startswith(f"{PUBLIC_BASE}/twilio/voice/conference/join?")
        joined = self.anna_twiml(anna, move["Url"])
        self.anna_conference = conference_of(joined)
        # … which ends the caller's <Dial>: its action puts the caller there too.
        doc = self.caller_twiml(dial.get("action"), DialCallStatus="completed", DialBridged="false")
        self.caller_conference = conference_of(doc)
        return self

    def caller_twiml(self, path: str, **params: str) -> ET.Element:
        doc = self.caller.twiml(path, **params)
        self.caller_docs.append(doc)
        return doc

    def anna_twiml(self, anna: TwilioDriver, path: str, **params: str) -> ET.Element:
        doc = anna.twiml(path, **params)
        self.anna_docs.append(doc)
        return doc

    def call(self) -> Call:
        return the_call(self.session)


@pytest.fixture
def connected(session, rest_app, redis, twilio_server):
    # ``session`` first: its app fixture must not replace rest_app as the worker's app
    return Connected(rest_app, session, redis, twilio_server)


def test_pressing_one_puts_caller_and_operator_into_the_calls_conference(connected):
    connected.connect()
    call = connected.call()
    assert connected.anna_conference.text == f"call-{call.id}"
    assert connected.caller_conference.text == f"call-{call.id}"
    assert call.answered_by_id == connected.anna.id and call.conference_at is not None
    # The caller's or Anna's hanging up ends the conference, as it ended a direct bridge:
    # a started conference plays nothing, so nobody is ever left alone in silence.
    assert connected.caller_conference.get("endConferenceOnExit") == "true"
    assert connected.anna_conference.get("endConferenceOnExit") == "true"
    # The caller does not start it: alone, they hear the wait document, never silence.
    assert connected.caller_conference.get("startConferenceOnEnter") == "false"
    assert connected.anna_conference.get("startConferenceOnEnter") == "true"
    assert connected.caller_conference.get("beep") == "false"


def test_a_caller_waiting_alone_in_the_conference_hears_that_they_are_connected(connected):
    connected.connect()
    wait = connected.caller.twiml(connected.caller_conference.get("waitUrl"))
    assert "wir verbinden Sie" in say_texts(wait)[0]


def test_hilfe_calls_a_free_operator_who_presses_one_and_joins(connected, rest_app, redis):
    bernd = make_operator(connected.session, name="Bernd")
    make_shift(connected.session, bernd, connected.line)
    connected.connect()

    reply = text(rest_app, connected.anna.phone_number, "HILFE")
    assert reply.startswith("Verstärkung kommt: 1 ")
    run_worker(rest_app, redis)
    [third] = connected.server.calls
    assert third["To"] == bernd.phone_number and third["From"] == LINE
    call = connected.call()
    assert call.escalated_at is not None and call.escalation_target == EscalationTarget.OPERATOR

    # Bernd picks up: the whisper, press 1, into the same conference.
    bernd_leg = leg(rest_app, THIRD_SID, bernd.phone_number)
    screen = bernd_leg.twiml(third["Url"])
    assert "Unterstützung gebraucht" in say_texts(screen)[0]
    assert screen[-1].tag == "Hangup"  # a mailbox never joins
    joined = bernd_leg.twiml(screen.find("Gather").get("action"), Digits="1")
    assert conference_of(joined).text == f"call-{call.id}"
    assert conference_of(joined).get("endConferenceOnExit") == "false"
    assert connected.call().escalation_joined_at is not None

    # Neither the caller's nor Anna's leg was touched: one update (Anna's move), before it.
    assert [u["sid"] for u in connected.server.updates] == [ANNA_SID]
    assert {c["To"] for c in connected.server.calls} == {bernd.phone_number}
    for doc in connected.caller_docs + connected.anna_docs[-1:]:
        assert "Hangup" not in tags(doc) or tags(doc).index("Hangup") > tags(doc).index("Dial")
    assert "Hangup" not in tags(connected.caller_docs[-1])


def test_escalate_in_english_and_a_second_joiner_is_told_it_is_taken(connected, rest_app, redis):
    bernd, cem = make_operator(connected.session), make_operator(connected.session)
    make_shift(connected.session, bernd, connected.line)
    make_shift(connected.session, cem, connected.line)
    connected.connect()
    assert text(rest_app, connected.anna.phone_number, "escalate").startswith("Help is coming: 2")
    run_worker(rest_app, redis)
    first, second = connected.server.calls
    a = leg(rest_app, THIRD_SID, first["To"])
    b = leg(rest_app, "CA" + "e" * 32, second["To"])
    a_screen, b_screen = a.twiml(first["Url"]), b.twiml(second["Url"])  # both pick up
    a.twiml(a_screen.find("Gather").get("action"), Digits="1")
    late = b.twiml(b_screen.find("Gather").get("action"), Digits="1")  # one second later
    assert "bereits angenommen" in say_texts(late)[0] and late[-1].tag == "Hangup"
    assert "Conference" not in tags(late)
    # Someone picking up after that hears so too, without a whisper to press 1 to.
    after = leg(rest_app, "CA" + "f" * 32, second["To"]).twiml(second["Url"])
    assert after.find("Gather") is None and after[-1].tag == "Hangup"


def test_hilfe_koordination_calls_the_lines_coordination(connected, rest_app, redis):
    add_coordinator(connected.line, "Koordination", "+4915100000009")
    connected.session.flush()
    connected.connect()
    reply = text(rest_app, connected.anna.phone_number, "HILFE KOORDINATION")
    assert reply.startswith("Die Koordination wird angerufen")
    run_worker(rest_app, redis)
    [third] = connected.server.calls
    assert third["To"] == "+4915100000009"
    assert "/twilio/voice/escalation/screen?" in third["Url"]  # screened like an operator
    assert connected.call().escalation_target == EscalationTarget.COORDINATOR


def test_hilfe_112_joins_the_emergency_number_unscreened_where_the_line_allows_it(
    session, rest_app, redis, twilio_server
):
    connected = Connected(rest_app, session, redis, twilio_server, emergency_number="030 4664 112")
    connected.connect()
    assert text(rest_app, connected.anna.phone_number, "HILFE 112").startswith("Der Notruf")
    run_worker(rest_app, redis)
    [third] = twilio_server.calls
    assert third["To"] == CONTROL_CENTRE
    assert third["Url"].startswith(f"{PUBLIC_BASE}/twilio/voice/conference/join?")
    joined = leg(rest_app, THIRD_SID, CONTROL_CENTRE).twiml(third["Url"])
    assert conference_of(joined).text == f"call-{connected.call().id}"
    assert connected.call().escalation_target == EscalationTarget.EMERGENCY


def test_refusals_are_the_sms_reply_and_call_nobody(connected, rest_app, redis):
    anna = connected.anna.phone_number
    assert "kein laufendes Gespräch" in text(rest_app, anna, "HILFE")
    assert "not in a call" in text(rest_app, anna, "ESCALATE")
    connected.connect()
    assert "niemand sonst im Dienst frei" in text(rest_app, anna, "HILFE")
    assert "Nobody else on shift is free" in text(rest_app, anna, "ESCALATE")
    assert "keine Koordination" in text(rest_app, anna, "HILFE KOORDINATION")
    assert "darf den Notruf nicht" in text(rest_app, anna, "HILFE 112")
    assert "may not add the emergency number" in text(rest_app, anna, "ESCALATE 112")
    run_worker(rest_app, redis)
    assert connected.server.calls == []
    assert connected.call().escalated_at is None


def test_unknown_words_still_get_the_operators_help(connected, rest_app):
    assert text(rest_app, connected.anna.phone_number, "WAS").startswith("Befehle:")


def test_a_caller_who_hung_up_before_the_third_leg_is_placed_gets_no_third_leg(
    connected, rest_app, redis
):
    bernd = make_operator(connected.session)
    make_shift(connected.session, bernd, connected.line)
    connected.connect()
    text(rest_app, connected.anna.phone_number, "HILFE")
    connected.caller.post("/twilio/voice/status", CallStatus="completed", CallDuration="60")
    run_worker(rest_app, redis)
    assert connected.server.calls == []


def test_a_direct_bridge_that_ends_hangs_up_the_caller(connected):
    """The move never came (the leg ran out of its waiting document): a plain bridge, as
    before conferences; when it ends, the caller is hung up, not sent to a conference."""
    connected.connect()
    doc = connected.caller.twiml(
        connected.dial_action, DialCallStatus="completed", DialBridged="true"
    )
    assert [el.tag for el in doc] == ["Hangup"]


# -- the operator's phone page ----------------------------------------------------------------


def test_the_phone_page_panel_shows_buttons_only_during_a_call(app, session, twilio):
    from hotline.core.models import Role, utcnow

    line = make_line(session, emergency_number=CONTROL_CENTRE)
    anna = make_operator(session, name="Anna")
    make_shift(session, anna, line)
    user = make_user(session, Role.OPERATOR, operator=anna)
    [panel] = [
        p for p in registry(app).panels_for("operator_home", "operator") if p.name == "escalation"
    ]
    with app.test_request_context("/"):
        assert panel.render(db.session, user, utcnow()) == ""
    _connect_without_worker(twilio, anna)
    with app.test_request_context("/"):
        html = panel.render(db.session, user, utcnow())
    assert 'value="operator"' in html and 'value="emergency"' in html
    assert 'value="coordinator"' not in html  # the line has no coordination
    assert 'name="csrf_token"' in html


def test_the_phone_page_button_escalates_with_a_csrf_token(app, session, twilio, phone):
    from hotline.core.models import Role

    line = make_line(session)
    anna, bernd = make_operator(session, name="Anna"), make_operator(session, name="Bernd")
    make_shift(session, anna, line)
    make_shift(session, bernd, line)
    make_user(session, Role.OPERATOR, operator=anna, username="anna")
    call_id = _connect_without_worker(twilio, anna)
    client = app.test_client()
    login(client, "anna")
    assert client.post("/telefon/verstaerkung", data={"call": call_id}).status_code == 400
    response = post(client, "/telefon/verstaerkung", {"call": call_id, "target": "operator"})
    assert response.status_code == 302
    call = the_call(session)
    assert call.escalation_target == EscalationTarget.OPERATOR
    assert call.escalated_at is not None


def _connect_without_worker(twilio: TwilioDriver, operator) -> int:
    """A call Anna accepted and whose leg was moved (the worker's part done by hand)."""
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="1")
    dial = twilio.twiml("/twilio/voice/node/menu?a=1", Digits="1").find("Dial")
    url = {n.text: n.get("url") for n in dial.findall("Number")}[operator.phone_number]
    anna = leg(twilio.client.application, ANNA_SID, operator.phone_number)
    anna.twiml(anna.twiml(url).find("Gather").get("action"), Digits="1")
    doc = twilio.twiml(dial.get("action"), DialCallStatus="completed", DialBridged="false")
    return int(conference_of(doc).text.removeprefix("call-"))


def test_a_move_the_provider_refuses_leaves_a_direct_bridge(app, session, twilio, phone, redis):
    """The provider refuses the update for good: the call stays a direct bridge (nothing
    lost), and the caller's <Dial> action does not send the caller to an empty conference."""
    from hotline.core.telephony import TelephonyError

    line = make_line(session)
    anna = make_operator(session, name="Anna")
    make_shift(session, anna, line)
    phone.fail_with = TelephonyError("no such call", 404, 20404)
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="1")
    dial = twilio.twiml("/twilio/voice/node/menu?a=1", Digits="1").find("Dial")
    [number] = dial.findall("Number")
    anna_leg = leg(app, ANNA_SID, anna.phone_number)
    anna_leg.twiml(anna_leg.twiml(number.get("url")).find("Gather").get("action"), Digits="1")
    run_worker(app, redis)
    assert phone.redirects == []
    assert the_call(session).conference_at is None
    doc = twilio.twiml(dial.get("action"), DialCallStatus="completed", DialBridged="false")
    assert [el.tag for el in doc] == ["Hangup"]


def test_after_a_walk_home_call_the_operator_presses_nine_if_the_person_arrived(connected):
    from hotline.voice.models import Accompaniment, AccompanimentState

    connected.connect()
    call = connected.call()
    acc = connected.session.get(Accompaniment, call.id)
    assert acc is not None and acc.state == AccompanimentState.ACCOMPANYING
    # Anna's document goes on after the conference (the caller hung up): the key at the end.
    joined = connected.anna_docs[-1]
    assert tags(joined).index("Dial") < tags(joined).index("Gather")
    gather = joined.find("Gather")
    assert "9" in say_texts(gather)[0]
    anna = leg(connected.app, ANNA_SID, connected.anna.phone_number)
    done = anna.twiml(gather.get("action"), Digits="9")
    assert done[-1].tag == "Hangup"
    connected.session.expire_all()
    assert connected.session.get(Accompaniment, call.id).state == AccompanimentState.ARRIVED
