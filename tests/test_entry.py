"""The voice entry webhook's hot path: the line (one statement) and who can be rung (one
statement) are read on every call, and the call record is its one write."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, event, func, select, text
from sqlalchemy.orm import Session

from hotline import create_app
from hotline.core.extensions import db
from hotline.core.models import OutboxMessage
from hotline.core.oncall.hours import line_is_open
from hotline.core.oncall.models import Closure, Line, Operator, Shift
from hotline.core.worker import set_app
from hotline.voice.directory import load_line
from hotline.voice.models import Call, CallLeg
from ivr_flows import FLOWS_DIR
from tests.conftest import TwilioDriver, make_line, make_operator, make_shift, test_config

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
def flows_dir(tmp_path: Path) -> Path:
    for path in FLOWS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "direct.yaml").write_text(DIRECT_FLOW, encoding="utf-8")
    return tmp_path


def direct_app(connection, database_url, redis_url, phone, flows_dir):  # noqa: ANN001, ANN201
    app = create_app(
        test_config(database_url, redis_url, FLOWS_DIR=str(flows_dir)), telephony=phone
    )
    db.bind_to(connection)
    set_app(app)
    return app


@pytest.fixture
def session(connection):  # noqa: ANN001, ANN201
    """Not conftest's ``session``: that builds the default app, whose flows would replace ours."""
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as s:
        yield s


@pytest.fixture
def direct(connection, database_url, redis_url, redis, phone, flows_dir):  # noqa: ANN001, ANN201
    """An app whose lines may run the greeting-then-route flow."""
    yield direct_app(connection, database_url, redis_url, phone, flows_dir)
    set_app(None)


def ring(app, sid: str) -> list[str]:  # noqa: ANN001
    doc = TwilioDriver(app, call_sid=sid).twiml("/twilio/voice")
    return sorted(n.text for n in doc.findall("./Dial/Number"))


def test_a_call_straight_to_routing_is_recorded_in_its_first_round(direct, session):
    app = direct
    line = make_line(session, flow="direct")
    op = make_operator(session)
    make_shift(session, op, line)
    assert ring(app, "CA" + "1" * 32) == [op.phone_number]
    call = session.scalar(select(Call))
    assert (call.line_id, call.ring_round, call.twilio_status) == (line.id, 1, "in-progress")
    assert session.scalar(select(func.count()).select_from(CallLeg)) == 0


def test_a_retried_entry_webhook_keeps_one_record(direct, session):
    app = direct
    line = make_line(session, flow="direct")
    make_shift(session, make_operator(session), line)
    first = ring(app, "CA" + "2" * 32)
    assert ring(app, "CA" + "2" * 32) == first
    assert session.scalar(select(func.count()).select_from(Call)) == 1


def test_a_roster_change_reaches_the_very_next_call(direct, session):
    app = direct
    line = make_line(session, flow="direct")
    first, second = make_operator(session), make_operator(session)
    make_shift(session, first, line)
    assert ring(app, "CA" + "3" * 32) == [first.phone_number]
    make_shift(session, second, line)
    assert ring(app, "CA" + "4" * 32) == sorted([first.phone_number, second.phone_number])


def test_an_operator_who_accepts_is_not_rung_for_the_next_call(direct, session):
    app = direct
    line = make_line(session, flow="direct")
    taker, other = make_operator(session), make_operator(session)
    make_shift(session, taker, line)
    make_shift(session, other, line)
    driver = TwilioDriver(app, call_sid="CA" + "6" * 32)
    numbers = driver.twiml("/twilio/voice").findall("./Dial/Number")
    url = next(n.get("url") for n in numbers if n.text == taker.phone_number)
    answer = driver.twiml(url).find("Gather").get("action")
    driver.twiml(answer, Digits="1")
    assert ring(app, "CA" + "7" * 32) == [other.phone_number]


NOW = dt.datetime(2026, 12, 24, 21, 0, tzinfo=dt.UTC)


def test_the_lines_copy_answers_like_the_stored_line(session):
    line = make_line(session, number="+4930555123", flow="direct")
    info = load_line(session, "+4930555123", NOW)
    assert (info.id, info.name, info.flow, info.timezone) == (
        line.id,
        line.name,
        line.flow,
        line.timezone,
    )
    stored = sorted((s.weekday, s.opens, s.closes) for s in line.opening_spans)
    assert [(s.weekday, s.opens, s.closes) for s in info.opening_spans] == stored
    assert len(stored) == 7


def test_the_lines_copy_carries_the_closures_that_bear_on_tonight_and_no_others(session):
    line = make_line(session, number="+4930555124", flow="direct")
    for day in (dt.date(2026, 12, 23), dt.date(2026, 12, 24), dt.date(2026, 12, 31)):
        line.closures.append(Closure(date=day))
    session.flush()
    info = load_line(session, "+4930555124", NOW)
    assert [c.date for c in info.closures] == [dt.date(2026, 12, 23), dt.date(2026, 12, 24)]
    assert len(info.opening_spans) == 7  # one row per span, however many closures


def test_a_closed_day_closes_the_line_read_for_the_entry(session):
    line = make_line(session, number="+4930555125", flow="direct")
    open_tonight = line_is_open(load_line(session, "+4930555125", NOW), NOW)
    line.closures.append(Closure(date=dt.date(2026, 12, 24)))
    session.flush()
    assert open_tonight and not line_is_open(load_line(session, "+4930555125", NOW), NOW)


def test_an_inactive_or_unknown_number_is_no_line(session):
    line = make_line(session, number="+4930555126", flow="direct")
    line.active = False
    session.flush()
    assert load_line(session, "+4930555126", NOW) is None
    assert load_line(session, "+4930555999", NOW) is None


def test_nobody_on_shift_at_entry_queues_the_caller_in_one_transaction(direct, session):
    app = direct
    line = make_line(session, flow="direct")
    sid = "CA" + "8" * 32
    doc = TwilioDriver(app, call_sid=sid).twiml("/twilio/voice")
    assert doc.find("Enqueue").text == f"line-{line.id}"
    call = session.scalar(select(Call).where(Call.call_sid == sid))
    assert call.queued_at is not None
    [message] = session.scalars(select(OutboxMessage)).all()
    assert (message.kind, message.payload["call_sid"]) == ("queue_callout", sid)


# -- on the database itself, without the test transaction ------------------------------------


@pytest.fixture
def committed(engine, database_url, redis_url, redis, phone, flows_dir):  # noqa: ANN001, ANN201
    """An app on the real database (no outer transaction) with a committed line, operator and
    shift; removed again afterwards."""
    from hotline.core.extensions import db as database

    app = create_app(
        test_config(database_url, redis_url, FLOWS_DIR=str(flows_dir)), telephony=phone
    )
    set_app(app)
    number = "+4930777000"
    with database.factory() as s:
        line = make_line(s, number=number, flow="direct", fallback_number="+4930777099")
        op = make_operator(s)
        make_shift(s, op, line)
        s.commit()
        ids = (line.id, op.id)
    yield app, number, ids[0]
    with engine.begin() as conn:
        conn.execute(delete(Call).where(Call.line_id == ids[0]))
        conn.execute(delete(Shift).where(Shift.line_id == ids[0]))
        conn.execute(delete(Operator).where(Operator.id == ids[1]))
        conn.execute(delete(Line).where(Line.id == ids[0]))
    set_app(None)
    database.engine.dispose()


def test_a_new_call_reads_the_line_and_who_is_free_and_writes_only_its_record(committed):
    app, number, line_id = committed
    statements: list[str] = []
    TwilioDriver(app, call_sid="CA" + "a" * 32, to=number).twiml("/twilio/voice")

    def seen(conn, cursor, statement, *args):  # noqa: ANN001, ANN002, ANN202
        if statement.strip().upper() != "BEGIN":  # SQLite's own BEGIN
            statements.append(" ".join(statement.split()).upper())

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        doc = TwilioDriver(app, call_sid="CA" + "b" * 32, to=number).twiml("/twilio/voice")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(doc.findall("./Dial/Number")) == 1
    writes = [s for s in statements if not s.startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith("INSERT INTO CALLS")
    # the line with its hours and closures; whether the caller is blocked; who can be rung
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) == 3, statements
    assert "FROM LINES LEFT OUTER JOIN OPENING_SPANS" in reads[0]
    with db.factory() as s:
        stored = s.scalar(select(Call).where(Call.call_sid == "CA" + "b" * 32))
    assert stored.line_id == line_id and stored.ring_round == 1
    assert abs(stored.started_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_with_the_database_gone_a_worker_still_rings_the_lines_fallback(committed):
    from hotline.core import fallback
    from hotline.core.db import make_engine

    app, number, _ = committed
    with app.app_context():
        fallback.forget()
    TwilioDriver(app, call_sid="CA" + "d" * 32, to=number).twiml("/twilio/voice")
    live = db.engine
    db.engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/unreachable")
    db.factory = db.factory.__class__(db.engine, expire_on_commit=False)
    try:
        doc = TwilioDriver(app, call_sid="CA" + "e" * 32, to=number).twiml("/twilio/voice")
    finally:
        db.engine = live
        db.factory = db.factory.__class__(db.engine, expire_on_commit=False)
    assert doc.find("Dial").text == "+4930777099"
    assert doc.find("Dial").get("callerId") == number


def test_the_call_record_is_written_after_its_pooled_connection_was_dropped(committed):
    """A database restart leaves dead connections in the pool; the pool's ping replaces
    them before the entry's statement, so the call is recorded."""
    if db.dialect != "postgresql":
        pytest.skip("connections that die under a pool are a PostgreSQL matter")
    app, number, line_id = committed
    TwilioDriver(app, call_sid="CA" + "5" * 32, to=number).twiml("/twilio/voice")
    db.engine.dispose()
    with db.engine.connect() as conn:  # now the pool's only connection
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = create_engine(db.engine.url)
    try:
        with killer.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        killer.dispose()
    doc = TwilioDriver(app, call_sid="CA" + "6" * 32, to=number).twiml("/twilio/voice")
    assert len(doc.findall("./Dial/Number")) == 1
    with db.factory() as s:
        assert s.scalar(select(Call.line_id).where(Call.call_sid == "CA" + "6" * 32)) == line_id
