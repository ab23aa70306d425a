"""Accompaniment on the walk-home line, from the caller's and the operator's side: a bridged
call is accompanying until the operator marks the person arrived; a drop before that texts
the operator (through the pipeline, at the local Twilio-compatible server) and shows on the
Today page until it is reconnected or marked arrived."""

from __future__ import annotations

import datetime as dt

import pytest

from hotline.core.models import utcnow
from hotline.core.registry import registry
from hotline.voice.accompaniment import accompaniment_counts, mark_escalated
from hotline.voice.models import AccompanimentState
from hotline.voice.walkhome_web import dropped_panel, last_call_panel
from tests.call_support import LINE_NUMBER, talk, text
from tests.conftest import make_line, make_operator, make_shift
from tests.roster_support import login, make_user, post
from tests.walkhome_support import (
    CALLER,
    accompaniment_of,
    answer,
    call_of,
    hang_up,
    run_worker,
    texts_to,
)


@pytest.fixture
def line(session):
    return make_line(session, number=LINE_NUMBER)


@pytest.fixture
def anna(session, line):
    operator = make_operator(session, name="Anna", phone="+4915100000031")
    make_shift(session, operator, line)
    return operator


def test_a_bridged_call_on_the_walk_home_line_is_accompanying(session, app, anna):
    twilio, _dial = answer(app, CALLER, anna)
    acc = accompaniment_of(session, twilio)
    assert acc.state == AccompanimentState.ACCOMPANYING
    assert acc.operator_id == anna.id


def test_a_drop_before_arrived_texts_the_operator_the_offer_to_call_back(
    session, rest_app, redis, twilio_server, line, anna
):
    twilio = talk(rest_app, CALLER, anna)
    assert accompaniment_of(session, twilio).state == AccompanimentState.DROPPED
    run_worker(rest_app, redis)
    [notice] = [m for m in twilio_server.messages if m["To"] == anna.phone_number]
    assert notice["From"] == LINE_NUMBER
    assert notice["Body"].startswith(
        "Heimwegtelefon: Der Anruf ist beendet, bevor ANGEKOMMEN vermerkt war."
    )
    assert "RÜCKRUF" in notice["Body"] and "NOTIZ <Kategorie> <Text>" in notice["Body"]
    assert CALLER not in notice["Body"]


def test_a_repeated_status_callback_texts_the_operator_once(
    session, rest_app, redis, twilio_server, anna
):
    twilio = talk(rest_app, CALLER, anna)
    twilio.post("/twilio/voice/status", CallStatus="completed", CallDuration="300")
    run_worker(rest_app, redis)
    assert len(texts_to(twilio_server, anna.phone_number)) == 1


def test_angekommen_during_the_call_marks_it_arrived_and_no_drop_is_texted(
    session, rest_app, redis, twilio_server, anna
):
    twilio, dial = answer(rest_app, CALLER, anna)
    assert text(rest_app, anna.phone_number, "ANGEKOMMEN") == (
        "Danke! Vermerkt: Die Person ist angekommen."
    )
    hang_up(twilio, dial)
    assert accompaniment_of(session, twilio).state == AccompanimentState.ARRIVED
    run_worker(rest_app, redis)
    [after] = texts_to(twilio_server, anna.phone_number)
    assert after.startswith("Heimwegtelefon: Anruf beendet. Notiz dazu: NOTIZ")
    assert "RÜCKRUF" not in after


def test_arrived_in_english_after_the_drop_takes_it_off_the_today_page(session, app, line):
    emma = make_operator(session, name="Emma", phone="+4915100000032", languages=["en"])
    make_shift(session, emma, line)
    twilio = talk(app, CALLER, emma)
    with app.test_request_context("/"):
        assert "Emma" in dropped_panel(session, None, utcnow())
    assert text(app, emma.phone_number, "arrived") == "Thank you! Noted: the person has arrived."
    assert accompaniment_of(session, twilio).state == AccompanimentState.ARRIVED
    with app.test_request_context("/"):
        html = dropped_panel(session, None, utcnow())
    assert "Emma" not in html and "Keine abgebrochenen Begleitungen." in html
    assert text(app, emma.phone_number, "ARRIVED") == "Already noted: the person has arrived."


def test_angekommen_without_an_accompanied_call_says_so(session, app, anna):
    assert text(app, anna.phone_number, "ANGEKOMMEN") == (
        "Kein begleiteter Anruf gefunden, den Sie als angekommen markieren können."
    )


def test_the_person_calling_again_within_the_window_reconnects_the_dropped_walk(session, app, anna):
    first = talk(app, CALLER, anna)
    second, _dial = answer(app, CALLER, anna)
    assert accompaniment_of(session, first).state == AccompanimentState.DROPPED_RECONNECTED
    assert accompaniment_of(session, second).state == AccompanimentState.ACCOMPANYING


def test_a_line_whose_flow_does_not_accompany_has_no_accompaniment(
    session, rest_app, redis, twilio_server
):
    help_line = make_line(session, number=LINE_NUMBER, flow="nachbarschaftshilfe")
    cem = make_operator(session, name="Cem", phone="+4915100000033")
    make_shift(session, cem, help_line)
    twilio = talk_on_help_line(rest_app, cem)
    assert accompaniment_of(session, twilio) is None
    run_worker(rest_app, redis)
    [after] = texts_to(twilio_server, cem.phone_number)
    assert "Anruf beendet. Notiz dazu" in after


def talk_on_help_line(app, operator):  # noqa: ANN001, ANN201
    from tests.call_support import caller, sid

    twilio = caller(app, CALLER)
    doc = twilio.twiml("/twilio/voice")
    while doc.find("Dial") is None:  # the help line's menus: the first choice, to a person
        gather = doc.find("Gather")
        doc = twilio.twiml(gather.get("action"), Digits="1")
    dial = doc.find("Dial")
    legs = {n.text: n.get("url") for n in dial.findall("Number")}
    screen = twilio.twiml(legs[operator.phone_number], CallSid=sid())
    twilio.twiml(screen.find("Gather").get("action"), Digits="1")
    hang_up(twilio, dial)
    return twilio


def test_outcomes_are_counted_per_line_and_period(session, app, line, anna):
    arrived, dial = answer(app, CALLER, anna)
    text(app, anna.phone_number, "ANGEKOMMEN")
    hang_up(arrived, dial)
    talk(app, "+4917655555556", anna)  # dropped
    escalated, _ = answer(app, "+4917655555557", anna)
    mark_escalated(session, call_of(session, escalated).id, utcnow())
    now = utcnow()
    counts = accompaniment_counts(
        session, [line.id], now - dt.timedelta(hours=1), now + dt.timedelta(minutes=1)
    )
    assert counts == {
        "accompanying": 0,
        "arrived": 1,
        "dropped": 1,
        "dropped_reconnected": 0,
        "escalated": 1,
    }
    assert set(accompaniment_counts(session, [], now, now).values()) == {0}
    earlier = accompaniment_counts(
        session, [line.id], now - dt.timedelta(days=2), now - dt.timedelta(days=1)
    )
    assert sum(earlier.values()) == 0


def test_the_panels_are_registered_for_today_and_the_operators_phone_home(app):
    with app.app_context():
        today = {p.name for p in registry().panels_for("today", "coordinator")}
        home = {p.name for p in registry().panels_for("operator_home", "operator")}
    assert "dropped_calls" in today and "last_call" in home


def test_the_phone_page_marks_the_last_call_arrived(session, app, anna):
    twilio = talk(app, CALLER, anna)
    user = make_user(session, operator=anna, username="anna")
    with app.test_request_context("/"):
        html = last_call_panel(session, user, utcnow())
    assert "Person ist angekommen" in html and "Zurückrufen (über die Linie)" in html
    assert CALLER not in html
    client = app.test_client()
    login(client, "anna")
    call_id = call_of(session, twilio).id
    response = post(client, f"/anrufe/{call_id}/angekommen")
    assert response.status_code == 302
    assert accompaniment_of(session, twilio).state == AccompanimentState.ARRIVED


def test_the_phone_page_needs_the_forms_token(session, app, anna):
    twilio = talk(app, CALLER, anna)
    make_user(session, operator=anna, username="anna")
    client = app.test_client()
    login(client, "anna")
    call_id = call_of(session, twilio).id
    assert client.post(f"/anrufe/{call_id}/angekommen").status_code == 400
    assert accompaniment_of(session, twilio).state == AccompanimentState.DROPPED


def test_a_flow_says_whether_it_accompanies_and_anything_but_true_or_false_is_an_error(tmp_path):
    from ivr_flows.loader import FLOWS_DIR, FlowValidationError, load_flow

    assert load_flow(FLOWS_DIR / "heimweg.yaml").accompaniment is True
    assert load_flow(FLOWS_DIR / "nachbarschaftshilfe.yaml").accompaniment is False
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (FLOWS_DIR / "heimweg.yaml")
        .read_text(encoding="utf-8")
        .replace("accompaniment: true", "accompaniment: ja"),
        encoding="utf-8",
    )
    with pytest.raises(FlowValidationError, match="'accompaniment' must be true or false"):
        load_flow(broken)
