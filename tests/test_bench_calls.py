"""The whole-call benchmark's building blocks (``scripts/bench_calls.py``), so it cannot rot.

The benchmark itself is not part of the suite (gunicorn, seeded PostgreSQL, minutes). These
tests play its calls, TwiML-following and signed, against the real app in-process on the
tests' database, and check its arrival schedule, its open loop against a local server, its
count of what PostgreSQL is asked to do, and the format of its RESULT lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import random
import re
import socket
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import psycopg
import pytest
from flask import Flask, Response, request
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from hotline.voice.models import Call, CallOutcome
from ivr_flows.loader import load_flows
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE, make_line, make_operator, make_shift

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _load(name: str):  # noqa: ANN202
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


bench = _load("bench_calls")
assert bench.PUBLIC_BASE == PUBLIC_BASE  # the tests' app is configured for the same base

VALIDATOR = RequestValidator(AUTH_TOKEN)
FLOWS, _ = load_flows()
Behaviour = bench.Behaviour


def script(line, behaviour, **kw) -> object:  # noqa: ANN001
    flow = FLOWS[line.flow]
    return bench.CallScript(
        call_sid=kw.pop("call_sid", f"CA{'1' * 8}{7:024x}"),
        caller=kw.pop("caller", "+4917612345678"),
        line=line.number,
        behaviour=behaviour,
        keys=bench.keys_towards_operator(flow),
        **kw,
    )


def play(app, call_script, validator=VALIDATOR) -> object:  # noqa: ANN001
    player = bench.CallPlayer(call_script, validator, time_scale=0)
    return bench.play_in_process(app.test_client(), player)


def recorded(session, call_sid: str) -> Call:  # noqa: ANN001
    session.expire_all()
    return session.scalar(select(Call).where(Call.call_sid == call_sid))


class Recording:
    """A test client that keeps every request the player made."""

    def __init__(self, client) -> None:  # noqa: ANN001
        self.client = client
        self.sent: list[tuple[str, bytes, str]] = []

    def post(self, path: str, data: bytes, headers: dict, content_type: str):  # noqa: ANN201
        self.sent.append((path, data, headers["X-Twilio-Signature"]))
        return self.client.post(path, data=data, headers=headers, content_type=content_type)


# -- whole calls against the app ---------------------------------------------------------------


def test_an_answered_call_walks_every_webhook_and_is_recorded_as_answered(app, session) -> None:  # noqa: ANN001
    line = make_line(session)
    anna = make_operator(session, name="Anna")
    make_shift(session, anna, line)

    played = play(app, script(line, Behaviour.ANSWERED, talk_seconds=240))

    assert played.kinds == [
        "entry",  # greeting and language menu
        "node",  # language chosen: the main menu
        "node",  # "be connected": <Dial> of the operators on shift
        "screen",  # Anna's leg picks up: whisper, press 1
        "screen-answer",  # she presses 1: bridged
        "dial-result",  # the <Dial> ends after the conversation
        "status",  # the call's status callback
    ]
    assert played.ending == "bridged"
    call = recorded(session, played.script.call_sid)
    assert call.outcome == CallOutcome.ANSWERED
    assert call.answered_by_id == anna.id
    assert call.ended_at is not None
    assert call.twilio_status == "completed"


def test_a_caller_who_finds_nobody_queues_and_hangs_up_while_waiting(app, session) -> None:  # noqa: ANN001
    line = make_line(session, queue_timeout=120)

    played = play(app, script(line, Behaviour.QUEUE_HANGUP, queue_polls=2))

    assert played.kinds == [
        "entry",
        "node",
        "node",  # nobody on shift: <Enqueue>
        "queue-wait",
        "queue-wait",
        "queue-result",  # hung up in the queue
        "status",
    ]
    assert played.ending == "hung up in queue"
    call = recorded(session, played.script.call_sid)
    assert call.queued_at is not None and call.queue_left_at is not None
    assert call.outcome == CallOutcome.ABANDONED
    assert call.ended_at is not None


def test_a_caller_who_waits_out_the_queue_reaches_the_fallback_number(app, session) -> None:  # noqa: ANN001
    line = make_line(session, queue_timeout=60, fallback_number="+4930120099")

    played = play(app, script(line, Behaviour.QUEUE_TIMEOUT))

    waits = played.kinds.count("queue-wait")
    assert waits >= 2  # told their position until the line's queue timeout has passed
    assert played.kinds[-3:] == ["queue-result", "fallback-result", "status"]
    assert played.ending == "fallback"
    assert recorded(session, played.script.call_sid).outcome == CallOutcome.FALLBACK


def test_a_caller_who_hangs_up_in_the_menu_is_recorded_as_abandoned(app, session) -> None:  # noqa: ANN001
    line = make_line(session)
    anna = make_operator(session)
    make_shift(session, anna, line)

    played = play(app, script(line, Behaviour.MENU_HANGUP, hangup_node="menu"))

    assert played.kinds == ["entry", "node", "status"]
    assert played.ending == "hung up in menu"
    assert recorded(session, played.script.call_sid).outcome == CallOutcome.ABANDONED


def test_every_webhook_is_signed_for_the_public_url_twilio_would_request(app, session) -> None:  # noqa: ANN001
    line = make_line(session)
    anna = make_operator(session)
    make_shift(session, anna, line)
    client = Recording(app.test_client())
    call_script = script(line, Behaviour.ANSWERED)

    bench.play_in_process(client, bench.CallPlayer(call_script, VALIDATOR, time_scale=0))

    assert len(client.sent) == 7
    legs = set()
    for path, body, signature in client.sent:
        form = _decoded(body)
        assert VALIDATOR.validate(PUBLIC_BASE + path, form, signature)
        assert form["AccountSid"].startswith("AC")
        legs.add((form["CallSid"], form.get("ParentCallSid")))
    # The operator's leg posts with its own CallSid, the caller's as its parent.
    assert legs == {
        (call_script.call_sid, None),
        (call_script.leg_sid("f"), call_script.call_sid),
    }


def _decoded(body: bytes) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(body.decode(), keep_blank_values=True))


def test_a_refused_webhook_fails_the_call(app, session) -> None:  # noqa: ANN001
    line = make_line(session)
    with pytest.raises(bench.CallFailed, match="HTTP 403"):
        play(app, script(line, Behaviour.ANSWERED), validator=RequestValidator("wrong-token"))


def test_the_apps_fallback_document_counts_as_a_failed_webhook() -> None:
    fallback = (
        b'<?xml version="1.0" encoding="UTF-8"?><Response><Say>Bitte warten.</Say>'
        b"<Dial>+4930120099</Dial><Say>Leider nicht.</Say><Hangup /></Response>"
    )
    call_script = bench.CallScript(
        f"CA{'2' * 8}{0:024x}", "+4917600000000", "+4930120000", Behaviour.ANSWERED, {}
    )
    game = bench.CallPlayer(call_script, VALIDATOR).play()
    assert next(game).kind == "entry"
    with pytest.raises(bench.CallFailed, match="fallback"):
        game.send(bench.Reply(200, fallback))


# -- the schedule, the loop, the counts, the report --------------------------------------------


def test_arrivals_are_poisson_with_the_planned_mean() -> None:
    rate, seconds = 50.0, 400.0
    arrivals = bench.poisson_arrivals(rate, seconds, random.Random(3))
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    mean = sum(gaps) / len(gaps)
    variance = sum((g - mean) ** 2 for g in gaps) / len(gaps)
    assert mean == pytest.approx(1 / rate, rel=0.03)
    assert variance**0.5 == pytest.approx(mean, rel=0.05)  # exponential gaps: sd = mean
    assert len(arrivals) == pytest.approx(rate * seconds, rel=0.03)
    assert arrivals == sorted(arrivals) and arrivals[0] > 0 and arrivals[-1] < seconds


def test_scaling_slots_take_turns_between_the_data_sets() -> None:
    arrivals = [0.1, 0.9, 1.2, 2.5, 3.1, 4.0, 6.2]
    assert bench.slot_schedule(arrivals, 3, 1.0) == [0, 0, 1, 2, 0, 1, 0]


def test_compared_apps_get_the_same_arrivals_one_slot_apart() -> None:
    arrivals, turns = bench.paired_arrivals(20, 4, 1.0, random.Random(7))
    first = [t for t, n in zip(arrivals, turns, strict=True) if n == 0]
    second = [t for t, n in zip(arrivals, turns, strict=True) if n == 1]
    assert arrivals == sorted(arrivals) and len(first) == len(second) > 0
    # The same arrival moments, one slot apart: each pair of slots gives both the same calls.
    gaps = [b - a for a, b in zip(first, second, strict=True)]
    assert [abs(g) for g in gaps] == pytest.approx([1.0] * len(first))
    # Which server leads alternates, and the last pair is led like the first, so each
    # server's arrivals span seven of the eight slots: server 0 leads pairs 0, 2 and 3.
    assert {int(a) // 2 for a, g in zip(first, gaps, strict=True) if g > 0} == {0, 2, 3}
    assert {int(b) // 2 for b, g in zip(second, gaps, strict=True) if g < 0} == {1}


def _served(requests: int, seconds: float, latency_ms: float) -> object:
    result = bench.CallsResult(calls=10, elapsed=seconds)
    result.kind("entry").latencies += [latency_ms / 1000] * requests
    return result


def test_a_mechanism_is_kept_for_five_percent_more_throughput_or_five_percent_less_p99() -> None:
    mechanism = bench.parse_mechanism("CANDIDATE=true:false")
    faster = bench.Comparison(mechanism, _served(110, 10, 40), _served(100, 10, 40))
    quicker = bench.Comparison(mechanism, _served(100, 10, 38), _served(100, 10, 40))
    neither = bench.Comparison(mechanism, _served(102, 10, 39.6), _served(100, 10, 40))
    assert faster.throughput_gain == pytest.approx(10) and faster.p99_gain == pytest.approx(0)
    assert quicker.p99_gain == pytest.approx(5)
    assert [
        bench.Goal(f"mechanism_{c.mechanism.name}_gain", c.gain, ">=", 5).met
        for c in (faster, quicker, neither)
    ] == [True, True, False]


def test_a_mechanism_short_of_five_percent_is_removed_unless_the_machine_was_overloaded() -> None:
    mechanism = bench.parse_mechanism("CANDIDATE=true:false")
    calm = bench.Comparison(mechanism, _served(100, 10, 20), _served(100, 10, 20.2))
    overloaded = bench.Comparison(mechanism, _served(100, 10, 900), _served(100, 10, 910))
    assert (calm.decision, overloaded.decision) == ("remove", "unclear (overloaded)")


def test_a_candidate_mechanism_is_named_by_its_setting_and_its_two_values() -> None:
    mechanism = bench.parse_mechanism("webhook_deadline_seconds=2.5:12")
    assert (mechanism.name, mechanism.setting, mechanism.on, mechanism.off) == (
        "webhook_deadline_seconds",
        "WEBHOOK_DEADLINE_SECONDS",
        "2.5",
        "12",
    )
    with pytest.raises(argparse.ArgumentTypeError):
        bench.parse_mechanism("WEBHOOK_DEADLINE_SECONDS=2.5")


def test_compare_refuses_a_candidate_that_is_not_a_setting_of_the_app(capsys) -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(["--compare", "--setting", "NO_SUCH_SETTING=true:false"])
    assert "not a setting of the app: NO_SUCH_SETTING" in capsys.readouterr().err


def test_compare_without_a_mechanism_says_there_is_none_to_weigh(capsys) -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(["--compare"])
    assert "no mechanism to weigh" in capsys.readouterr().err


def tiny_twiml_app() -> Flask:
    """A two-step hotline: a menu, then goodbye; status callbacks answered 204."""
    app = Flask("tiny")

    @app.post("/twilio/voice")
    def entry() -> Response:
        return Response(
            '<Response><Gather action="/twilio/voice/node/menu?a=1" numDigits="1">'
            "<Say>Drücken Sie die 1.</Say></Gather></Response>",
            mimetype="text/xml",
        )

    @app.post("/twilio/voice/node/menu")
    def menu() -> Response:
        assert request.form["Digits"] == "1"
        return Response("<Response><Hangup/></Response>", mimetype="text/xml")

    @app.post("/twilio/voice/status")
    def status() -> tuple[str, int]:
        return "", 204

    return app


def test_the_open_loop_plays_every_call_to_its_end() -> None:
    server = make_server("127.0.0.1", 0, tiny_twiml_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        arrivals = bench.poisson_arrivals(200, 0.2, random.Random(5))
        players = [
            bench.CallPlayer(
                bench.CallScript(
                    f"CA{'3' * 8}{i:024x}",
                    "+4917600000001",
                    "+4930120000",
                    Behaviour.ANSWERED,
                    {"menu": "1"},
                ),
                VALIDATOR,
                time_scale=0,
            )
            for i in range(len(arrivals))
        ]
        result = bench.run_open_loop(server.port, arrivals, players, limit_s=20, progress=None)
    finally:
        server.shutdown()
    calls = len(arrivals)
    assert (result.completed, result.errors) == (calls, 0)
    assert {k: len(s.latencies) for k, s in result.kinds.items()} == {
        "entry": calls,
        "node": calls,
        "status": calls,
    }
    assert len(result.lags) == 3 * calls


def test_one_open_loop_serves_several_servers_and_reports_each_alone() -> None:
    servers = [make_server("127.0.0.1", 0, tiny_twiml_app(), threaded=True) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ports = [servers[i % 2].port for i in range(7)]
        players = [
            bench.CallPlayer(
                bench.CallScript(
                    f"CA{'5' * 8}{i:024x}",
                    "+4917600000003",
                    "+4930120000",
                    Behaviour.ANSWERED,
                    {"menu": "1"},
                ),
                VALIDATOR,
                time_scale=0,
            )
            for i in range(7)
        ]
        first, second = bench.run_open_loop_on(
            ports, [i * 0.01 for i in range(7)], players, limit_s=20, progress=None
        )
    finally:
        for server in servers:
            server.shutdown()
    assert (first.calls, first.completed, len(first.kinds["entry"].latencies)) == (4, 4, 4)
    assert (second.calls, second.completed, len(second.kinds["entry"].latencies)) == (3, 3, 3)


def test_the_open_loop_stops_by_itself_when_the_server_never_answers() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        call_script = bench.CallScript(
            f"CA{'4' * 8}{0:024x}", "+4917600000002", "+4930120000", Behaviour.ANSWERED, {}
        )
        result = bench.run_open_loop(
            silent.getsockname()[1],
            [0.0],
            [bench.CallPlayer(call_script, VALIDATOR)],
            limit_s=5,
            request_timeout=0.2,
            progress=None,
        )
    assert (result.completed, result.failed, result.errors) == (0, 1, 1)
    assert "no answer" in result.kinds["entry"].first_error


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("counts the PostgreSQL wire protocol")
    return database_url


def test_the_wire_counter_counts_statements_round_trips_and_transactions(postgres_url) -> None:  # noqa: ANN001
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    with bench.PgWireCounter(url.host or "127.0.0.1", url.port or 5432) as counter:
        proxied = url.set(drivername="postgresql", host="127.0.0.1", port=counter.port)
        with psycopg.connect(proxied.render_as_string(hide_password=False)) as conn:
            start = counter.snapshot()
            conn.execute("CREATE TEMP TABLE counted (n int)")  # BEGIN, CREATE
            conn.execute("INSERT INTO counted VALUES (%s), (%s)", (1, 2))
            conn.commit()  # COMMIT
            conn.autocommit = True
            assert conn.execute("SELECT n FROM counted WHERE n > %s", (0,)).fetchall()
            counts = counter.snapshot() - start
    assert counts.verbs == {"BEGIN": 1, "CREATE": 1, "INSERT": 1, "COMMIT": 1, "SELECT": 1}
    assert counts.statements == 5
    assert counts.round_trips == 5  # psycopg waits for every statement's answer
    assert counts.transactions == 2  # the committed block, and the autocommit SELECT
    assert counts.rows == {"INSERT": 2, "SELECT": 2}
    assert start.connections == 1


def test_result_lines_name_the_value_the_target_and_the_verdict() -> None:
    lines = [
        bench.Goal("calls_50_worst_kind_p99_ms", 23.456, "<", 50).line(),
        bench.Goal("entry_rps_vs_write_floor", 0.62, ">=", 0.7).line(),
        bench.Goal("calls_50_errors", 0.0, "==", 0).line(),
        bench.Goal("scaling_p99_ratio", float("nan"), "<=", 1.2).line(),
    ]
    assert lines == [
        "RESULT calls_50_worst_kind_p99_ms 23.46 <50 ok",
        "RESULT entry_rps_vs_write_floor 0.62 >=0.70 missed",
        "RESULT calls_50_errors 0 ==0 ok",
        "RESULT scaling_p99_ratio nan <=1.20 missed",
    ]
    assert all(re.fullmatch(r"RESULT \S+ \S+ \S+ (ok|missed)", line) for line in lines)


def test_the_seed_leaves_the_last_lines_unstaffed_and_keeps_the_counts() -> None:
    plan = bench.CallsSeedPlan(
        lines=12, unstaffed_lines=3, operators=120, shifts=3000, past_days=3, future_days=2
    )
    tables = {t[0]: t for t in bench.calls_seed_tables(plan, dt.datetime.now(dt.UTC))}
    shifts = list(tables["shifts"][2])
    assert len(shifts) == plan.shifts
    used = {row[2] for row in shifts}
    assert used == set(range(1, plan.first_unstaffed))
    assert list(plan.unstaffed()) == [10, 11, 12]


def test_scaled_data_sets_keep_the_default_shape() -> None:
    assert bench.scaled_plan(1_000_000, 10_000) == bench.CallsSeedPlan()
    large = bench.scaled_plan(10_000_000, 100_000)
    assert large.past_days + large.future_days == 2400  # ten times the history
    small = bench.scaled_plan(10_000, 1_000)
    assert small.future_days >= 1 and small.past_days >= 1


def test_a_few_lines_data_set_keeps_the_default_density_in_a_database_of_its_own() -> None:
    default, few = bench.CallsSeedPlan(), bench.few_lines_plan(8)
    assert few.lines == 8 and few.unstaffed_lines == 1 and len(few.staffed_lines()) == 6
    assert few.shifts / few.lines == default.shifts / default.lines
    assert few.operators >= default.operators / default.lines * few.lines
    base = "postgresql+psycopg://postgres@127.0.0.1:5432/rufbereit_bench_calls"
    assert bench.database_for(base, few).endswith("/rufbereit_bench_lines_8")
    with pytest.raises(ValueError):
        bench.few_lines_plan(4)


def test_menu_keys_lead_towards_an_operator() -> None:
    assert bench.keys_towards_operator(FLOWS["heimweg"]) == {"language": "1", "menu": "1"}
    assert bench.keys_towards_operator(FLOWS["nachbarschaftshilfe"]) == {
        "language": "1",
        "menu": "2",
    }


def test_twiml_lengths_follow_the_spoken_text() -> None:
    doc = ET.fromstring("<Response><Say>" + "x" * 28 + '</Say><Pause length="3"/></Response>')
    assert bench.speech_seconds(doc) == pytest.approx(28 / bench.SPEECH_CHARS_PER_SECOND + 3)
