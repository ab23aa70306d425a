"""Flood counts and redial partners live in Redis, read by the entry webhook in one round
trip: a flow that rings straight away rings the last operator first from the entry itself,
and with Redis gone callers are neither limited nor kept from the line."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy.orm import Session

from hotline import create_app
from hotline.core.extensions import db
from hotline.core.worker import set_app
from ivr_flows import FLOWS_DIR
from tests.call_support import LINE_NUMBER, caller, sid
from tests.conftest import make_line, make_operator, make_shift, test_config

CALLER = "+4917677777777"
DIRECT_FLOW = """\
name: direct
description: Greeting, then ring the operators on shift
default_language: de
languages:
  de: {locale: de-DE, voice: Polly.Vicki, name: Deutsch}
start: welcome
nodes:
  welcome:
    type: greeting
    say:
      de: "Willkommen."
    next: route
  route:
    type: route
"""


@pytest.fixture
def session(connection):  # noqa: ANN001, ANN201
    """Not conftest's ``session``: that builds the default app, whose flows would replace ours."""
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as s:
        yield s


def direct_app(connection, database_url, tmp_path, phone, redis_url):  # noqa: ANN001, ANN201
    for path in FLOWS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "direct.yaml").write_text(DIRECT_FLOW, encoding="utf-8")
    app = create_app(test_config(database_url, redis_url, FLOWS_DIR=str(tmp_path)), telephony=phone)
    db.bind_to(connection)
    set_app(app)
    return app


@pytest.fixture
def app(connection, database_url, redis_url, redis, phone, tmp_path):  # noqa: ANN001, ANN201
    yield direct_app(connection, database_url, tmp_path, phone, redis_url)
    set_app(None)


@pytest.fixture
def no_redis_app(connection, database_url, phone, tmp_path):  # noqa: ANN001, ANN201
    """Redis refuses connections (nothing listens on port 9)."""
    yield direct_app(connection, database_url, tmp_path, phone, "redis://127.0.0.1:9/0")
    set_app(None)


@pytest.fixture
def operators(session):  # noqa: ANN001, ANN201
    line = make_line(session, number=LINE_NUMBER, flow="direct")
    anna = make_operator(session, name="Anna", phone="+4915100000021")
    bernd = make_operator(session, name="Bernd", phone="+4915100000022")
    for operator in (anna, bernd):
        make_shift(session, operator, line)
    return anna, bernd


def ring_and_take(app, number: str, operator) -> None:  # noqa: ANN001
    twilio = caller(app, number)
    dial = twilio.twiml("/twilio/voice").find("Dial")
    legs = {n.text: n.get("url") for n in dial.findall("Number")}
    screen = twilio.twiml(legs[operator.phone_number], CallSid=sid())
    twilio.twiml(screen.find("Gather").get("action"), Digits="1")
    twilio.twiml(dial.get("action"), DialCallStatus="completed", DialBridged="true")
    twilio.post("/twilio/voice/status", CallStatus="completed", CallDuration="60")


def rung(doc) -> list[str]:  # noqa: ANN001
    return sorted(n.text for n in doc.findall("./Dial/Number"))


def test_a_flow_that_rings_at_once_rings_the_last_operator_first_from_the_entry(
    app, session, operators
):
    anna, bernd = operators
    ring_and_take(app, CALLER, bernd)
    doc = caller(app, CALLER).twiml("/twilio/voice")
    [number] = doc.findall("./Dial/Number")
    assert number.text == bernd.phone_number and "again=1" in number.get("url")


def test_with_redis_down_a_caller_over_the_limit_is_still_routed(no_redis_app, session, operators):
    no_redis_app.config["CALLER_CALLS_PER_HOUR"] = 1
    for _ in range(3):
        assert rung(caller(no_redis_app, CALLER).twiml("/twilio/voice")) == sorted(
            op.phone_number for op in operators
        )


def test_with_redis_down_a_redial_is_routed_normally(no_redis_app, session, operators):
    anna, bernd = operators
    ring_and_take(no_redis_app, CALLER, bernd)
    assert rung(caller(no_redis_app, CALLER).twiml("/twilio/voice")) == sorted(
        op.phone_number for op in operators
    )
