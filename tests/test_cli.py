"""The rufbereit command for coordinators: lines, operators, shifts, statistics."""

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline import cli
from hotline.core.oncall.models import Line, Operator, Shift
from hotline.voice.models import Call, CallOutcome
from tests.conftest import make_line


@pytest.fixture
def run(app, monkeypatch):
    monkeypatch.setattr(cli, "create_app", lambda: app)

    def invoke(*args):
        return CliRunner().invoke(cli.main, list(args))

    return invoke


def test_line_add_stores_number_hours_and_strategy(run, session):
    result = run(
        "line",
        "add",
        "030 120000",
        "Heimweg Süd",
        "--flow",
        "heimweg",
        "--hours",
        "fri=20:00-04:00",
        "--hours",
        "sat=20:00-04:00",
        "--strategy",
        "sequential",
        "--partner",
        "Wiesbaden",
    )
    assert result.exit_code == 0, result.output
    line = session.scalar(select(Line).where(Line.number == "+4930120000"))
    assert line.partner == "Wiesbaden"
    assert line.ring_strategy.value == "sequential"
    assert [(s.weekday, s.opens, s.closes) for s in line.opening_spans] == [
        (4, dt.time(20), dt.time(4)),
        (5, dt.time(20), dt.time(4)),
    ]


def test_line_add_refuses_an_unknown_flow(run):
    result = run("line", "add", "+4930120000", "X", "--flow", "nope")
    assert result.exit_code == 1
    assert "unknown flow 'nope' (loaded flows: heimweg, nachbarschaftshilfe)" in result.output


def test_line_list_shows_opening_hours(run, session):
    make_line(session, hours={"mon": ["20:00-04:00"]})
    result = run("line", "list")
    assert "+4930120000" in result.output and "mon 20:00-04:00" in result.output


def test_operator_add_with_a_landline_gets_a_clear_error(run):
    result = run("operator", "add", "Anna", "030 12345678")
    assert result.exit_code == 1
    assert "is a landline number; a mobile number is needed" in result.output


def test_operator_add_stores_e164_and_languages(run, session):
    result = run("operator", "add", "Anna", "0151 23456789", "--languages", "de,TR")
    assert result.exit_code == 0, result.output
    op = session.scalar(select(Operator))
    assert op.phone_number == "+4915123456789"
    assert op.languages == ["de", "tr"]


def test_shift_add_uses_the_lines_wall_clock(run, session):
    make_line(session)
    run("operator", "add", "Anna", "0151 23456789")
    result = run(
        "shift",
        "add",
        "--operator",
        "0151 23456789",
        "--line",
        "+4930120000",
        "2026-03-28 22:00",
        "2026-03-29 02:00",
    )
    assert result.exit_code == 0, result.output
    shift = session.scalar(select(Shift))
    assert shift.ends_at - shift.starts_at == dt.timedelta(hours=4)


def test_shift_add_for_an_unknown_operator_fails_clearly(run, session):
    make_line(session)
    result = run(
        "shift",
        "add",
        "--operator",
        "0151 99999999",
        "--line",
        "+4930120000",
        "2026-03-28 22:00",
        "2026-03-29 02:00",
    )
    assert result.exit_code == 1
    assert "no such operator" in result.output


def test_stats_per_partner(run, session):
    line = make_line(session, partner="Wiesbaden")
    other = make_line(session, number="+4930120005", name="Andere", partner="Mainz")
    now = dt.datetime.now(dt.UTC)
    session.add_all(
        [
            Call(
                call_sid="CA1",
                line_id=line.id,
                caller_hash="a",
                outcome=CallOutcome.ANSWERED,
                wait_seconds=10,
                started_at=now,
            ),
            Call(
                call_sid="CA2",
                line_id=line.id,
                caller_hash="a",
                outcome=CallOutcome.ABANDONED,
                started_at=now,
            ),
            Call(
                call_sid="CA3",
                line_id=other.id,
                caller_hash="b",
                outcome=CallOutcome.ANSWERED,
                started_at=now,
            ),
        ]
    )
    session.flush()
    result = run("stats", "--partner", "Wiesbaden")
    assert result.exit_code == 0, result.output
    assert (
        "Heimwegtelefon [Wiesbaden]: 2 calls, 1 callers, 50% answered, average wait 10 s; "
        "abandoned 1, answered 1"
    ) in result.output
    assert "Mainz" not in result.output
