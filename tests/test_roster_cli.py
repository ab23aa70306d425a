"""``rufbereit line|operator|shift add`` go through the roster's domain functions: a shift
added on the command line is overlap-checked and audited like one added in the browser."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline import cli
from hotline.core.oncall.models import Shift
from hotline.rosters.models import ShiftAudit
from tests.conftest import make_line, make_operator


@pytest.fixture
def run(app, monkeypatch):
    monkeypatch.setattr(cli, "create_app", lambda: app)

    def invoke(*args):
        return CliRunner().invoke(cli.main, list(args))

    return invoke


@pytest.fixture
def anna(session):
    make_line(session)
    return make_operator(session, name="Anna", phone="+4915123456789")


def add_shift(run, start: str, end: str, line: str = "+4930120000"):
    return run("shift", "add", "--operator", "0151 23456789", "--line", line, start, end)


def test_a_shift_added_on_the_command_line_is_audited_as_the_command_line(run, session, anna):
    result = add_shift(run, "2030-01-07 20:00", "2030-01-07 23:00")
    assert result.exit_code == 0, result.output
    shift = session.scalar(select(Shift))
    entry = session.scalar(select(ShiftAudit).where(ShiftAudit.shift_id == shift.id))
    assert (entry.action, entry.actor, entry.user_id) == ("create", "Kommandozeile", None)
    assert entry.after["local_start"] == "2030-01-07T20:00"
    assert entry.after["operator_id"] == anna.id


def test_an_overlapping_shift_on_the_command_line_is_refused_in_one_line(run, session, anna):
    make_line(session, number="+4930120001", name="Andere Linie")
    assert add_shift(run, "2030-01-07 20:00", "2030-01-07 23:00").exit_code == 0
    result = add_shift(run, "2030-01-07 22:00", "2030-01-08 01:00", line="+4930120001")
    assert result.exit_code == 1
    assert result.output == (
        "Error: this person is already on shift from 2030-01-07 20:00 to 2030-01-07 23:00\n"
    )
    assert len(session.scalars(select(Shift)).all()) == 1


def test_a_shift_in_year_0001_on_the_command_line_is_refused(run, session, anna):
    result = add_shift(run, "0001-01-01 20:00", "0001-01-01 23:00")
    assert result.exit_code == 1
    assert "dates must lie between 2000-01-01 and 2099-12-31" in result.output
    assert session.scalars(select(Shift)).all() == []


def test_operator_add_refuses_a_number_another_operator_has(run, session, anna):
    result = run("operator", "add", "Anna Zwei", "0151 23456789")
    assert result.exit_code == 1
    assert "an operator with number +4915123456789 exists already" in result.output


def test_operator_add_refuses_an_empty_name_like_the_web_form(run, session):
    result = run("operator", "add", "  ", "0151 23456789")
    assert result.exit_code == 1
    assert result.output == "Error: name is empty\n"


def test_line_add_without_hours_is_open_around_the_clock(run, session):
    from hotline.core.oncall.models import Line

    result = run("line", "add", "030 120000", "Heimweg Nord", "--flow", "heimweg")
    assert result.exit_code == 0, result.output
    line = session.scalar(select(Line))
    assert len(line.opening_spans) == 7
