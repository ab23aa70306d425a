import datetime as dt

import pytest

from hotline.core.oncall.models import OperatorStatus
from hotline.core.oncall.shifts import ShiftError, create_shift, on_shift
from tests.conftest import make_line, make_operator

UTC = dt.UTC


def test_overnight_shift_covers_both_days(session):
    line, op = make_line(session), make_operator(session)
    create_shift(
        session, op.id, line.id, dt.datetime(2026, 11, 27, 22), dt.datetime(2026, 11, 28, 2)
    )
    session.flush()
    assert on_shift(session, line.id, dt.datetime(2026, 11, 27, 23, 30, tzinfo=UTC)) == [op]
    assert on_shift(session, line.id, dt.datetime(2026, 11, 28, 0, 59, tzinfo=UTC)) == [op]
    assert on_shift(session, line.id, dt.datetime(2026, 11, 28, 1, 0, tzinfo=UTC)) == []


def test_spring_forward_night_shift_ends_when_the_wall_clock_says_two(session):
    line, op = make_line(session), make_operator(session)
    # Night of 28/29 March 2026: clocks jump from 02:00 CET to 03:00 CEST.
    shift = create_shift(
        session, op.id, line.id, dt.datetime(2026, 3, 28, 22), dt.datetime(2026, 3, 29, 2)
    )
    assert shift.starts_at == dt.datetime(2026, 3, 28, 21, tzinfo=UTC)
    assert shift.ends_at == dt.datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert shift.ends_at - shift.starts_at == dt.timedelta(hours=4)


def test_autumn_night_shift_lasts_an_hour_longer(session):
    line, op = make_line(session), make_operator(session)
    # Night of 24/25 October 2026: 03:00 CEST becomes 02:00 CET.
    shift = create_shift(
        session, op.id, line.id, dt.datetime(2026, 10, 24, 22), dt.datetime(2026, 10, 25, 4)
    )
    assert shift.ends_at - shift.starts_at == dt.timedelta(hours=7)
    session.flush()
    assert on_shift(session, line.id, dt.datetime(2026, 10, 25, 2, 30, tzinfo=UTC)) == [op]
    assert on_shift(session, line.id, dt.datetime(2026, 10, 25, 3, 0, tzinfo=UTC)) == []


def test_paused_operators_are_not_on_shift(session):
    line = make_line(session)
    op = make_operator(session, status=OperatorStatus.PAUSED)
    create_shift(
        session, op.id, line.id, dt.datetime(2026, 11, 27, 10), dt.datetime(2026, 11, 27, 14)
    )
    session.flush()
    assert on_shift(session, line.id, dt.datetime(2026, 11, 27, 11, tzinfo=UTC)) == []


def test_shifts_of_other_lines_do_not_count(session):
    line = make_line(session)
    other = make_line(session, number="+4930120005", name="Andere")
    op = make_operator(session)
    create_shift(
        session, op.id, other.id, dt.datetime(2026, 11, 27, 10), dt.datetime(2026, 11, 27, 14)
    )
    session.flush()
    assert on_shift(session, line.id, dt.datetime(2026, 11, 27, 11, tzinfo=UTC)) == []


def test_two_shifts_of_one_operator_list_them_once(session):
    line, op = make_line(session), make_operator(session)
    create_shift(
        session, op.id, line.id, dt.datetime(2026, 11, 27, 10), dt.datetime(2026, 11, 27, 14)
    )
    create_shift(
        session, op.id, line.id, dt.datetime(2026, 11, 27, 11), dt.datetime(2026, 11, 27, 15)
    )
    session.flush()
    assert on_shift(session, line.id, dt.datetime(2026, 11, 27, 12, tzinfo=UTC)) == [op]


def test_shift_must_end_after_it_starts(session):
    line, op = make_line(session), make_operator(session)
    with pytest.raises(ShiftError, match="end after"):
        create_shift(
            session, op.id, line.id, dt.datetime(2026, 11, 27, 10), dt.datetime(2026, 11, 27, 9)
        )


def test_shift_longer_than_a_day_is_refused(session):
    line, op = make_line(session), make_operator(session)
    with pytest.raises(ShiftError, match="at most 24 hours"):
        create_shift(
            session, op.id, line.id, dt.datetime(2026, 11, 27, 10), dt.datetime(2026, 11, 28, 11)
        )
