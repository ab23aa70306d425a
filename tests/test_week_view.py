"""The week view a planner enjoys: opening hours by default, today and now marked, past
hours never gaps, shifts as bars told apart by kind, shifts outside opening hours flagged,
jumping to a date, copying a week, and what saving a recurring shift wrote."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline.core.models import Role
from hotline.core.oncall.models import Shift
from hotline.rosters.audit import SYSTEM
from hotline.rosters.models import ShiftAudit
from hotline.rosters.patterns import create_pattern
from hotline.rosters.shift_edits import add_shift
from hotline.rosters.staffing import ShiftKind, week_view
from hotline.rosters.week_copy import copy_week
from tests.conftest import make_line, make_operator
from tests.roster_support import login, make_user, post

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = dt.date(2030, 1, 7)


@pytest.fixture
def planner(app, session):
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    return client


def rows(html: str) -> list[str]:
    return re.findall(r'<th scope="row">(\d\d:00)</th>', html)


def test_the_week_shows_only_the_opening_hours_by_default_and_all_hours_on_request(
    planner, session
):
    line = make_line(session, hours={"mon": ["20:00-23:00"]})
    html = planner.get(f"/dienstplan/linie/{line.id}?woche={MONDAY}").get_data(as_text=True)
    assert rows(html) == ["20:00", "21:00", "22:00"]
    everything = planner.get(f"/dienstplan/linie/{line.id}?woche={MONDAY}&stunden=alle")
    assert len(rows(everything.get_data(as_text=True))) == 24


def test_a_shift_outside_the_opening_hours_is_shown_and_flagged(planner, session):
    line, anna = make_line(session, hours={"mon": ["20:00-22:00"]}), make_operator(session)
    shift = add_shift(
        session, SYSTEM, anna.id, line.id, dt.datetime(2030, 1, 7, 21), dt.datetime(2030, 1, 7, 23)
    )
    view = week_view(session, line, MONDAY)
    assert view.outside_hours == {shift.id}
    html = planner.get(f"/dienstplan/linie/{line.id}?woche={MONDAY}").get_data(as_text=True)
    assert "22:00" in rows(html)
    assert "⚠ außerhalb der Öffnungszeiten" in html


def test_past_hours_are_never_gaps_and_today_and_now_are_marked(session):
    line = make_line(session)  # open around the clock, nobody on shift
    now = dt.datetime(2030, 1, 9, 14, 30, tzinfo=BERLIN)
    view = week_view(session, line, MONDAY, now=now)
    wednesday = dt.date(2030, 1, 9)
    assert not view.slots[(wednesday, 13)].gap and view.slots[(wednesday, 13)].past
    assert view.slots[(wednesday, 14)].current and view.slots[(wednesday, 14)].gap
    assert view.slots[(wednesday, 15)].gap
    assert view.today == wednesday
    assert len(view.gaps) == 7 * 24 - (2 * 24 + 14)


def test_the_page_marks_today_and_the_current_hour(planner, session):
    line = make_line(session)
    today = dt.datetime.now(BERLIN).date()
    html = planner.get(f"/dienstplan/linie/{line.id}?woche={today}").get_data(as_text=True)
    assert 'class="today" aria-current="date"' in html
    assert html.count("▶ jetzt") == 2  # the legend and the current hour


def test_recurring_and_one_off_shifts_are_told_apart_by_symbol_and_text(planner, session):
    line, anna, ben = make_line(session), make_operator(session), make_operator(session)
    create_pattern(session, SYSTEM, line.id, anna.id, 0, dt.time(20), dt.time(22), MONDAY, MONDAY)
    one_off = add_shift(
        session, SYSTEM, ben.id, line.id, dt.datetime(2030, 1, 7, 21), dt.datetime(2030, 1, 7, 23)
    )
    view = week_view(session, line, MONDAY)
    assert view.kinds[one_off.id] == ShiftKind.ONE_OFF
    assert sorted(view.kinds.values()) == [ShiftKind.ONE_OFF, ShiftKind.RECURRING]
    bars = view.slots[(MONDAY, 21)].bars
    assert {(b.name, b.kind) for b in bars} == {
        (anna.name, ShiftKind.RECURRING),
        (ben.name, ShiftKind.ONE_OFF),
    }
    assert [b.starts_here for b in view.slots[(MONDAY, 20)].bars] == [True]
    assert [b.ends_here for b in bars if b.name == anna.name] == [True]
    html = planner.get(f"/dienstplan/linie/{line.id}?woche={MONDAY}").get_data(as_text=True)
    assert f"↻ {anna.name}" in html and f"● {ben.name}" in html
    assert "Legende" in html


def test_jumping_to_a_date_shows_its_week(planner, session):
    line = make_line(session)
    html = planner.get(f"/dienstplan/linie/{line.id}?woche=2030-01-10").get_data(as_text=True)
    assert 'id="jump-date" name="woche" value="2030-01-07"' in html
    assert "Woche ab 07.01.2030" in html


def test_copying_a_week_writes_one_off_copies_and_reports_conflicts(session):
    line, anna, ben = make_line(session), make_operator(session), make_operator(session)
    add_shift(
        session, SYSTEM, anna.id, line.id, dt.datetime(2030, 1, 7, 20), dt.datetime(2030, 1, 7, 23)
    )
    add_shift(
        session, SYSTEM, ben.id, line.id, dt.datetime(2030, 1, 8, 20), dt.datetime(2030, 1, 8, 23)
    )
    add_shift(  # Ben is already on next Tuesday
        session, SYSTEM, ben.id, line.id, dt.datetime(2030, 1, 15, 22), dt.datetime(2030, 1, 16, 1)
    )
    result = copy_week(session, SYSTEM, line.id, MONDAY)
    assert result.written == 1
    ((skipped, why),) = result.conflicts
    assert skipped.operator_id == ben.id and why.code == "shift_overlap"
    assert "already on shift" in str(why)
    copy = session.scalar(select(Shift).where(Shift.local_start == dt.datetime(2030, 1, 14, 20)))
    assert copy.operator_id == anna.id
    audit = session.scalar(select(ShiftAudit).where(ShiftAudit.shift_id == copy.id))
    assert audit.action == "copy"
    again = copy_week(session, SYSTEM, line.id, MONDAY)
    assert again.written == 0 and len(again.conflicts) == 2  # never doubled


def test_copying_a_week_on_the_page_says_what_was_written_and_skipped(planner, session):
    line, anna = make_line(session), make_operator(session, name="Anna")
    add_shift(
        session, SYSTEM, anna.id, line.id, dt.datetime(2030, 1, 7, 20), dt.datetime(2030, 1, 7, 23)
    )
    path = f"/dienstplan/linie/{line.id}/woche-kopieren"
    first = post(planner, path, {"woche": "2030-01-09"}, follow_redirects=True)
    assert "Schichten in die nächste Woche kopiert: 1." in first.get_data(as_text=True)
    second = post(planner, path, {"woche": "2030-01-07"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "Schichten in die nächste Woche kopiert: 0." in second
    assert "Nicht kopiert: Anna 07.01.2030 20:00 (Diese Person hat schon eine Schicht" in second


def test_saving_a_recurring_shift_says_how_many_were_written_and_which_conflicted(planner, session):
    line, anna = make_line(session), make_operator(session)
    add_shift(
        session,
        SYSTEM,
        anna.id,
        line.id,
        dt.datetime(2030, 1, 14, 21),
        dt.datetime(2030, 1, 14, 22),
    )
    response = post(
        planner,
        "/dienstplan/muster/neu",
        {
            "line_id": line.id,
            "operator_id": anna.id,
            "weekday": "0",
            "start_time": "20:00",
            "end_time": "23:00",
            "valid_from": "2030-01-07",
            "valid_until": "2030-01-27",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Schichten angelegt: 2." in html
    assert "Nicht angelegt wegen Überschneidung: 14.01.2030" in html
    assert len(session.scalars(select(Shift)).all()) == 3
