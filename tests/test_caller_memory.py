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


@pytest.fixture
def committed_block(engine, database_url, redis_url, redis, phone, tmp_path):  # noqa: ANN001, ANN201
    """The direct-flow app on the real database (no outer transaction), with a committed
    line, operator, shift and a block of ``CALLER``; removed again afterwards."""
    from sqlalchemy import delete

    from hotline.core.blocks import BlockAudit, CallerBlock, block_caller
    from hotline.core.models import utcnow
    from hotline.core.oncall.models import Line, Operator, Shift
    from hotline.core.phones import caller_hash
    from hotline.voice.models import Call

    for path in FLOWS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "direct.yaml").write_text(DIRECT_FLOW, encoding="utf-8")
    app = create_app(test_config(database_url, redis_url, FLOWS_DIR=str(tmp_path)), phone)
    set_app(app)
    number = "+4930777100"
    with app.app_context(), db.factory() as s:
        line = make_line(s, number=number, flow="direct")
        op = make_operator(s)
        make_shift(s, op, line)
        block_caller(s, line.id, caller_hash(CALLER, "test-salt"), 1, "Test", utcnow())
        s.commit()
        ids = (line.id, op.id)
    yield app, number
    with engine.begin() as conn:
        conn.execute(delete(Call).where(Call.line_id == ids[0]))
        conn.execute(delete(BlockAudit).where(BlockAudit.line_id == ids[0]))
        conn.execute(delete(CallerBlock).where(CallerBlock.line_id == ids[0]))
        conn.execute(delete(Shift).where(Shift.line_id == ids[0]))
        conn.execute(delete(Operator).where(Operator.id == ids[1]))
        conn.execute(delete(Line).where(Line.id == ids[0]))
    set_app(None)
    db.engine.dispose()


def test_a_blocked_call_is_refused_before_anyone_is_looked_up_and_writes_only_its_record(
    committed_block,
):
    """The block is checked before routing: no shift or busy-operator query, one write."""
    from sqlalchemy import event

    from tests.conftest import TwilioDriver

    app, number = committed_block
    for warm_up in (sid(), sid()):  # the caller's memory and the connection are warm
        TwilioDriver(app, call_sid=warm_up, caller=CALLER, to=number).twiml("/twilio/voice")
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):  # noqa: ANN001, ANN002, ANN202
        if statement.strip().upper() != "BEGIN":  # SQLite's own BEGIN
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        doc = TwilioDriver(app, call_sid=sid(), caller=CALLER, to=number).twiml("/twilio/voice")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert doc.find("Dial") is None and doc[-1].tag == "Hangup"
    writes = [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("INSERT INTO CALLS")
    assert not [s for s in statements if "shifts" in s or "call_legs" in s]
