import datetime as dt

from hotline.core.oncall.hours import Span, is_open, parse_span

BERLIN = "Europe/Berlin"
FRI, SAT = 4, 5


def at(y, m, d, h, mi=0):
    from zoneinfo import ZoneInfo

    return dt.datetime(y, m, d, h, mi, tzinfo=ZoneInfo(BERLIN))


NIGHT = [Span(FRI, dt.time(20), dt.time(4))]  # Friday 20:00 until Saturday 04:00


def test_open_during_a_span():
    assert is_open(NIGHT, [], BERLIN, at(2026, 11, 27, 21))  # Friday 21:00


def test_span_past_midnight_is_open_early_next_morning():
    assert is_open(NIGHT, [], BERLIN, at(2026, 11, 28, 3, 59))  # Saturday 03:59


def test_span_past_midnight_closes_at_its_end():
    assert not is_open(NIGHT, [], BERLIN, at(2026, 11, 28, 4, 0))


def test_closed_before_the_span_starts():
    assert not is_open(NIGHT, [], BERLIN, at(2026, 11, 27, 19, 59))


def test_holiday_closure_closes_the_whole_night_that_starts_on_it():
    closures = [dt.date(2026, 11, 27)]
    assert not is_open(NIGHT, closures, BERLIN, at(2026, 11, 27, 22))
    assert not is_open(NIGHT, closures, BERLIN, at(2026, 11, 28, 2))


def test_equal_open_and_close_means_24_hours():
    spans = [Span(SAT, dt.time(0), dt.time(0))]
    assert is_open(spans, [], BERLIN, at(2026, 11, 28, 23, 59))


def test_opening_hours_follow_local_time_across_dst():
    # Saturday 24 Oct 2026 20:00 -> Sunday 04:00 spans the autumn DST change.
    spans = [Span(SAT, dt.time(20), dt.time(4))]
    utc = dt.UTC
    assert is_open(spans, [], BERLIN, dt.datetime(2026, 10, 25, 2, 30, tzinfo=utc))  # 03:30 CET
    assert not is_open(spans, [], BERLIN, dt.datetime(2026, 10, 25, 3, 0, tzinfo=utc))  # 04:00


def test_parse_span_reads_24_00_as_midnight():
    assert parse_span("18:00-24:00", 0) == Span(0, dt.time(18), dt.time(0))
