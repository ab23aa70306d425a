"""The voice benchmark's own building blocks, so ``scripts/bench_voice.py`` cannot rot.

The benchmark itself is not part of the suite (it needs gunicorn, PostgreSQL and a minute);
these tests load its seed rows at a small scale into the test database, send its pre-built,
signed requests to an app configured the way the benchmark configures gunicorn's, and drive
its load generator against a local server.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from hotline import create_app
from hotline.core.config import load_config
from hotline.core.extensions import db
from hotline.core.models import Base, UTCDateTime
from hotline.core.oncall.models import Operator, Shift
from hotline.core.oncall.shifts import on_shift
from hotline.core.worker import set_app
from hotline.voice.models import Call

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _load(name: str):  # noqa: ANN202
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


bench = _load("bench_voice")
baseline = _load("bench_baseline_app")

PLAN = bench.SeedPlan(
    lines=4, operators=60, shifts=900, past_days=3, future_days=2, per_slot=3, seed=7
)
NOW = dt.datetime.now(dt.UTC)


def insert_seed(connection, plan=PLAN, now=NOW) -> None:  # noqa: ANN001
    """The benchmark's COPY rows, inserted with plain INSERTs (works on SQLite too)."""
    for name, columns, rows, _expected in bench.seed_tables(plan, now):
        table = Base.metadata.tables[name]
        aware = {c for c in columns if isinstance(table.c[c].type, UTCDateTime)}
        records = [
            {
                col: value.replace(tzinfo=dt.UTC) if col in aware and value else value
                for col, value in zip(columns, row, strict=True)
            }
            for row in rows
        ]
        connection.execute(table.insert(), records)


def parse_raw(raw: bytes) -> tuple[str, str, dict[str, str], bytes]:
    """Split the load generator's request bytes into method, path, headers and body."""
    head, body = raw.split(b"\r\n\r\n", 1)
    request_line, *header_lines = head.decode().split("\r\n")
    method, path, _version = request_line.split(" ")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return method, path, headers, body


def post_raw(client, request) -> object:  # noqa: ANN001
    method, path, headers, body = parse_raw(request.raw("127.0.0.1:8710"))
    assert method == "POST"
    assert int(headers["Content-Length"]) == len(body)
    return client.post(
        path,
        data=body,
        headers={
            "X-Twilio-Signature": headers["X-Twilio-Signature"],
            "Content-Type": headers["Content-Type"],
        },
        base_url=bench.PUBLIC_BASE,
    )


@pytest.fixture
def seeded(connection):  # noqa: ANN001, ANN201
    insert_seed(connection)
    return connection


@pytest.fixture
def bench_app(seeded, database_url, phone, tmp_path):  # noqa: ANN001, ANN201
    """The app configured from the environment the benchmark gives gunicorn."""
    flows_dir = bench.write_flows_dir(tmp_path / "flows")
    config = load_config(bench.app_env(database_url, flows_dir, "WARNING"))
    app = create_app({**config, "TESTING": True}, telephony=phone)
    db.bind_to(seeded)
    set_app(app)
    yield app
    set_app(None)


def test_seed_rows_have_the_planned_counts(seeded, session) -> None:  # noqa: ANN001
    assert session.scalar(select(func.count()).select_from(Operator)) == PLAN.operators
    assert session.scalar(select(func.count()).select_from(Shift)) == PLAN.shifts
    assert session.scalar(select(func.count(func.distinct(Shift.line_id)))) == PLAN.lines


def test_seed_rows_put_a_handful_on_shift_now_on_the_benchmarked_line(seeded, session) -> None:  # noqa: ANN001
    working = on_shift(session, 1, NOW)
    assert len(working) == PLAN.per_slot


def test_seed_rows_spread_shifts_over_past_and_future(seeded, session) -> None:  # noqa: ANN001
    first, last = session.execute(
        select(func.min(Shift.starts_at), func.max(Shift.starts_at))
    ).one()
    assert first.replace(tzinfo=dt.UTC) < NOW - dt.timedelta(days=PLAN.past_days - 1)
    assert last.replace(tzinfo=dt.UTC) > NOW + dt.timedelta(days=PLAN.future_days - 1)


def test_each_request_has_its_own_call_sid() -> None:
    requests = bench.build_requests(50, bench.line_number(1), run_id="0badcafe")
    sids = {r.form["CallSid"] for r in requests}
    assert len(sids) == 50
    assert all(len(s) == 34 and s.startswith("CA0badcafe") for s in sids)


def test_signed_requests_ring_the_operators_on_shift(bench_app, seeded) -> None:  # noqa: ANN001
    # Not the ``session`` fixture: it builds the default app, whose flows would replace ours.
    session = Session(bind=seeded, join_transaction_mode="create_savepoint")
    client = bench_app.test_client()
    for request in bench.build_requests(3, bench.line_number(1)):
        response = post_raw(client, request)
        assert response.status_code == 200, response.data
        doc = ET.fromstring(response.data)
        numbers = doc.findall("./Dial/Number")
        assert len(numbers) == PLAN.per_slot
        sid = request.form["CallSid"]
        assert all(f"/twilio/voice/screen?call={sid}&op=" in n.get("url") for n in numbers)
        call = session.scalar(select(Call).where(Call.call_sid == sid))
        assert call is not None and call.ring_round == 1


def test_signed_requests_to_the_heimweg_line_open_the_language_menu(bench_app) -> None:  # noqa: ANN001
    request = bench.build_requests(1, bench.line_number(2))[0]
    response = post_raw(bench_app.test_client(), request)
    assert response.status_code == 200
    assert ET.fromstring(response.data).find("./Gather") is not None


def test_a_request_changed_after_signing_is_refused(bench_app) -> None:  # noqa: ANN001
    request = bench.build_requests(1, bench.line_number(1))[0]
    forged = bench.SignedRequest(
        request.path, {**request.form, "From": "+4917600000000"}, request.signature
    )
    assert post_raw(bench_app.test_client(), forged).status_code == 403


def test_load_generator_sends_every_request_and_times_it() -> None:
    server = make_server("127.0.0.1", 0, baseline.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host = f"127.0.0.1:{server.port}"
        raw = [r.raw(host) for r in bench.build_requests(40, bench.line_number(1))]
        latencies, errors, first_error, start, end = bench._drive(
            server.port, raw, 4, b"<Dial", deadline=time.perf_counter() + 30
        )
    finally:
        server.shutdown()
    assert (len(latencies), errors, first_error) == (40, 0, None)
    result = bench.LoadResult(latencies, errors, first_error, end - start)
    assert 0 < result.percentile(50) <= result.percentile(99)
    assert result.rps > 0


def test_load_generator_counts_unexpected_answers_as_errors() -> None:
    server = make_server("127.0.0.1", 0, baseline.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        raw = [r.raw("x") for r in bench.build_requests(5, bench.line_number(1))]
        latencies, errors, first_error, _, _ = bench._drive(
            server.port, raw, 2, b"<Gather", deadline=time.perf_counter() + 30
        )
    finally:
        server.shutdown()
    assert (len(latencies), errors) == (0, 5)
    assert first_error is not None and "200" in first_error
