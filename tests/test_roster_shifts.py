"""Recurring patterns, overrides, deleting vs. ending shifts, the week view across DST, and
the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from hotline.core.models import Role
from hotline.core.oncall.models import Shift
from hotline.core.oncall.shifts import ShiftError, on_shift
from hotline.rosters.audit import SYSTEM, Actor, history
from hotline.rosters.patterns import add_exception, create_pattern, update_pattern
from hotline.rosters.shift_edits import RemoveOutcome, add_shift, change_shift, remove_shift
from hotline.rosters.staffing import set_level, week_view
from tests.conftest import make_line, make_operator
from tests.roster_support import login, make_user, post

UTC = dt.UTC
PAST = dt.datetime(2020, 1, 1, tzinfo=UTC)  # "now" before every planned date below


def _shifts(session, operator_id=None):
    stmt = select(Shift).order_by(Shift.starts_at)
    if operator_id is not None:
        stmt = stmt.where(Shift.operator_id == operator_id)
    return list(session.scalars(stmt))


def test_weekly_pattern_creates_one_shift_per_week_between_its_dates(session):
    line, anna = make_line(session), make_operator(session)
    create_pattern(
        session,
        SYSTEM,
        line.id,
        anna.id,
        4,
        dt.time(20),
        dt.time(23),
        dt.date(2030, 1, 1),
        dt.date(2030, 1, 31),
        now=PAST,
    )
    starts = [s.local_start for s in _shifts(session)]
    assert starts == [dt.datetime(2030, 1, d, 20) for d in (4, 11, 18, 25)]


def test_pattern_skips_its_exception_dates(session):
    line, anna = make_line(session), make_operator(session)
    create_pattern(
        session,
        SYSTEM,
        line.id,
        anna.id,
        4,
        dt.time(20),
        dt.time(23),
        dt.date(2030, 1, 1),
        dt.date(2030, 1, 31),
        exceptions=[dt.date(2030, 1, 11)],
        now=PAST,
    )
    assert dt.date(2030, 1, 11) not in {s.local_start.date() for s in _shifts(session)}
    assert len(_shifts(session)) == 3


def test_exception_added_later_removes_that_dates_shift(session):
    line, anna = make_line(session), make_operator(session)
    pattern = create_pattern(
        session,
        SYSTEM,
        line.id,
        anna.id,
        4,
        dt.time(20),
        dt.time(23),
        dt.date(2030, 1, 1),
        dt.date(2030, 1, 31),
        now=PAST,
    )
    add_exception(session, SYSTEM, pattern, dt.date(2030, 1, 18), now=PAST)
    assert [s.local_start.day for s in _shifts(session)] == [4, 11, 25]


def test_overnight_pattern_across_the_autumn_dst_change_ends_at_wall_clock_four(session):
    # Europe/Berlin leaves summer time in the night of Sat 24 → Sun 25 October 2026
    # (03:00 summer time becomes 02:00), so that night's 22:00–04:00 lasts seven hours.
    line, anna = make_line(session), make_operator(session)
    create_pattern(
        session,
        SYSTEM,
        line.id,
        anna.id,
        5,
        dt.time(22),
        dt.time(4),
        dt.date(2026, 10, 17),
        dt.date(2026, 10, 31),
        now=PAST,
    )
    before, dst_night, after = _shifts(session)
    assert dst_night.local_start == dt.datetime(2026, 10, 24, 22)
    assert dst_night.local_end == dt.datetime(2026, 10, 25, 4)
    assert dst_night.ends_at == dt.datetime(2026, 10, 25, 3, tzinfo=UTC)
    assert dst_night.ends_at - dst_night.starts_at == dt.timedelta(hours=7)
    assert before.ends_at - before.starts_at == dt.timedelta(hours=6)
    assert after.ends_at - after.starts_at == dt.timedelta(hours=6)


def test_week_view_in_the_autumn_dst_week_counts_the_long_two_oclock_hour_once(session):
    line, anna = make_line(session), make_operator(session)
    add_shift(
        session,
        SYSTEM,
        anna.id,
        line.id,
        dt.datetime(2026, 10, 24, 22),
        dt.datetime(2026, 10, 25, 4),
    )
    view = week_view(session, line, dt.date(2026, 10, 25))
    slot = view.slots[(dt.date(2026, 10, 25), 2)]
    assert slot.ends_at - slot.starts_at == dt.timedelta(hours=2)
    assert slot.staffed == 1 and slot.names == [anna.name]
    assert not slot.gap


def test_week_view_in_the_spring_dst_week_has_no_two_oclock_slot(session):
    line = make_line(session)
    view = week_view(session, line, dt.date(2026, 3, 29))
    missing = view.slots[(dt.date(2026, 3, 29), 2)]
    assert not missing.exists and not missing.gap
    assert view.slots[(dt.date(2026, 3, 29), 3)].exists


def test_week_view_marks_a_gap_when_someone_leaves_within_the_hour(session):
    line, anna = make_line(session, hours={"mon": ["20:00-23:00"]}), make_operator(session)
    add_shift(
        session,
        SYSTEM,
        anna.id,
        line.id,
        dt.datetime(2030, 1, 7, 20),
        dt.datetime(2030, 1, 7, 21, 30),
    )
    view = week_view(session, line, dt.date(2030, 1, 7))
    day = dt.date(2030, 1, 7)
    assert not view.slots[(day, 20)].gap
    assert view.slots[(day, 21)].gap and view.slots[(day, 21)].names == [anna.name]
    assert view.slots[(day, 22)].gap
    assert view.slots[(day, 23)].required == 0  # closed: no one needed


def test_staffing_level_raises_the_required_count(session):
    line, anna = make_line(session, hours={"mon": ["20:00-22:00"]}), make_operator(session)
    add_shift(
        session, SYSTEM, anna.id, line.id, dt.datetime(2030, 1, 7, 20), dt.datetime(2030, 1, 7, 22)
    )
    set_level(session, line.id, [0], 20, 20, 2)
    view = week_view(session, line, dt.date(2030, 1, 7))
    assert view.slots[(dt.date(2030, 1, 7), 20)].gap
    assert not view.slots[(dt.date(2030, 1, 7), 21)].gap


def test_deleting_a_future_shift_erases_it(session):
    line, anna = make_line(session), make_operator(session)
    shift = add_shift(
        session, SYSTEM, anna.id, line.id, dt.datetime(2030, 1, 7, 20), dt.datetime(2030, 1, 7, 23)
    )
    assert remove_shift(session, SYSTEM, shift, now=PAST) == RemoveOutcome.DELETED
    assert session.scalar(select(func.count(Shift.id))) == 0


def test_deleting_a_started_shift_ends_it_now(session):
    line, anna = make_line(session), make_operator(session)
    shift = add_shift(
        session, SYSTEM, anna.id, line.id, dt.datetime(2030, 1, 7, 20), dt.datetime(2030, 1, 7, 23)
    )
    now = dt.datetime(2030, 1, 7, 20, 30, tzinfo=UTC) - dt.timedelta(hours=1)  # 20:30 in Berlin
    assert remove_shift(session, SYSTEM, shift, now=now) == RemoveOutcome.ENDED
    assert shift.ends_at == now
    assert shift.local_end == dt.datetime(2030, 1, 7, 20, 30)
    assert on_shift(session, line.id, now + dt.timedelta(minutes=1)) == []


def test_a_shift_in_the_past_cannot_be_deleted(session):
    line, anna = make_line(session), make_operator(session)
    shift = add_shift(
        session, SYSTEM, anna.id, line.id, dt.datetime(2030, 1, 7, 20), dt.datetime(2030, 1, 7, 23)
    )
    with pytest.raises(ShiftError):
        remove_shift(session, SYSTEM, shift, now=dt.datetime(2030, 2, 1, tzinfo=UTC))


def test_every_change_is_audited_with_who_when_before_and_after(session):
    line, anna, ben = make_line(session), make_operator(session), make_operator(session)
    paula = Actor("Paula (paula)", 7)
    shift = add_shift(
        session, paula, anna.id, line.id, dt.datetime(2030, 1, 7, 20), dt.datetime(2030, 1, 7, 23)
    )
    change_shift(
        session, paula, shift, ben.id, dt.datetime(2030, 1, 7, 21), dt.datetime(2030, 1, 7, 23)
    )
    remove_shift(session, paula, shift, now=PAST)
    entries = list(reversed(history(session, shift.id)))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert all(e.actor == "Paula (paula)" and e.user_id == 7 and e.at for e in entries)
    assert entries[0].before is None
    assert entries[1].before["operator_id"] == anna.id
    assert entries[1].after == {
        **entries[1].before,
        "operator_id": ben.id,
        "local_start": "2030-01-07T21:00",
    }
    assert entries[2].after is None


def test_one_off_override_survives_an_edit_of_the_pattern(session):
    line, anna, ben = make_line(session), make_operator(session), make_operator(session)
    pattern = create_pattern(
        session,
        SYSTEM,
        line.id,
        anna.id,
        4,
        dt.time(20),
        dt.time(23),
        dt.date(2030, 1, 1),
        dt.date(2030, 1, 31),
        now=PAST,
    )
    second = _shifts(session)[1]
    change_shift(session, SYSTEM, second, ben.id, second.local_start, second.local_end, "override")
    update_pattern(
        session,
        SYSTEM,
        pattern,
        anna.id,
        4,
        dt.time(19),
        dt.time(23),
        dt.date(2030, 1, 1),
        dt.date(2030, 1, 31),
        now=PAST,
    )
    shifts = _shifts(session)
    assert [(s.local_start.day, s.local_start.hour, s.operator_id) for s in shifts] == [
        (4, 19, anna.id),
        (11, 20, ben.id),
        (18, 19, anna.id),
        (25, 19, anna.id),
    ]


def test_pattern_with_its_end_before_its_start_is_refused(session):
    line, anna = make_line(session), make_operator(session)
    with pytest.raises(ShiftError):
        create_pattern(
            session,
            SYSTEM,
            line.id,
            anna.id,
            4,
            dt.time(20),
            dt.time(23),
            dt.date(2030, 2, 1),
            dt.date(2030, 1, 1),
            now=PAST,
        )


def test_planner_creates_a_recurring_shift_in_the_browser_form(app, session):
    line, anna = make_line(session), make_operator(session)
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    response = post(
        client,
        "/dienstplan/muster/neu",
        {
            "line_id": line.id,
            "operator_id": anna.id,
            "weekday": "0",
            "start_time": "20:00",
            "end_time": "02:00",
            "valid_from": "2030-01-01",
            "valid_until": "2030-01-14",
        },
    )
    assert response.status_code == 302
    assert [s.local_end for s in _shifts(session)] == [
        dt.datetime(2030, 1, 8, 2),
        dt.datetime(2030, 1, 15, 2),
    ]
    week = client.get(f"/dienstplan/linie/{line.id}?woche=2030-01-07").get_data(as_text=True)
    assert anna.name in week


def test_planner_sees_a_clear_error_for_a_bad_shift(app, session):
    line, anna = make_line(session), make_operator(session)
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    response = post(
        client,
        "/dienstplan/schicht/neu",
        {
            "line_id": line.id,
            "operator_id": anna.id,
            "start": "2030-01-07T20:00",
            "end": "2030-01-07T19:00",
        },
    )
    assert response.status_code == 422
    assert "Eine Schicht muss nach ihrem Beginn enden." in response.get_data(as_text=True)
    assert _shifts(session) == []


def test_errors_are_shown_in_english_on_english_pages(app, session):
    line, anna = make_line(session), make_operator(session)
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    post(client, "/sprache", {"lang": "en"})
    response = post(
        client,
        "/dienstplan/schicht/neu",
        {
            "line_id": line.id,
            "operator_id": anna.id,
            "start": "2030-01-07T20:00",
            "end": "2030-01-08T21:00",
        },
    )
    assert response.status_code == 422
    assert "a shift may last at most 24 hours" in response.get_data(as_text=True)


def test_one_person_cannot_be_on_two_overlapping_shifts(session):
    line, other_line = make_line(session), make_line(session, number="+4930120001")
    anna, ben = make_operator(session), make_operator(session)
    add_shift(
        session, SYSTEM, anna.id, line.id, dt.datetime(2030, 1, 7, 20), dt.datetime(2030, 1, 7, 23)
    )
    with pytest.raises(ShiftError, match="already on shift"):
        add_shift(
            session,
            SYSTEM,
            anna.id,
            other_line.id,
            dt.datetime(2030, 1, 7, 22),
            dt.datetime(2030, 1, 8, 1),
        )
    later = add_shift(
        session, SYSTEM, anna.id, line.id, dt.datetime(2030, 1, 7, 23), dt.datetime(2030, 1, 8, 2)
    )
    ben_shift = add_shift(
        session, SYSTEM, ben.id, line.id, dt.datetime(2030, 1, 7, 21), dt.datetime(2030, 1, 7, 22)
    )
    with pytest.raises(ShiftError, match="already on shift"):
        change_shift(
            session, SYSTEM, ben_shift, anna.id, ben_shift.local_start, ben_shift.local_end
        )
    assert later.operator_id == anna.id
