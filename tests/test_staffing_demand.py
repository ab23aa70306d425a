"""Staffing from demand: calls per hour of the week from the call records, sized with
Erlang C against the line's service level, shown in the week view and adoptable as the
minimum staffing."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline.core.demand import DEFAULT_HANDLING_SECONDS, MIN_HANDLED_PER_HOUR, weekly_demand
from hotline.core.models import Role
from hotline.core.oncall.shifts import local_to_utc
from hotline.core.registry import registry
from hotline.rosters.erlang import ServiceTarget, operators_needed
from hotline.rosters.models import ShiftAudit, StaffingLevel
from hotline.rosters.staffing import needed_from_demand, set_level
from hotline.voice.models import Call, CallOutcome
from tests.conftest import make_line, make_operator, make_shift
from tests.roster_support import login, make_user, post

BERLIN = ZoneInfo("Europe/Berlin")
_sids = count(1)


def add_call(session, line, started_at, handled=None, outcome=None):  # noqa: ANN001, ANN201
    """A call record as the voice hotline leaves it; ``handled`` seconds from answer to end."""
    answered_at = started_at + dt.timedelta(seconds=15) if handled is not None else None
    call = Call(
        call_sid=f"CA{next(_sids):032d}",
        line_id=line.id,
        caller_hash="x" * 64,
        started_at=started_at,
        answered_at=answered_at,
        ended_at=answered_at + dt.timedelta(seconds=handled) if answered_at else started_at,
        outcome=outcome or (CallOutcome.ANSWERED if handled is not None else CallOutcome.ABANDONED),
    )
    session.add(call)
    return call


def this_monday() -> dt.date:
    today = dt.datetime.now(BERLIN).date()
    return today - dt.timedelta(days=today.weekday())


def test_demand_per_hour_of_the_week_equals_an_independent_count(app, session):
    """Eight weeks across the spring DST change (29 March 2026): 600 calls at random
    instants, each counted against the local hour it started in, over the hours that hour of
    the week really lasted (walked here UTC hour by UTC hour)."""
    line = make_line(session)
    other = make_line(session, number="+4930999999", name="Andere Linie")
    now = dt.datetime(2026, 4, 8, 12, tzinfo=dt.UTC)  # a Wednesday
    since = dt.datetime(2026, 2, 8, 23, tzinfo=dt.UTC)  # Monday 9 Feb, 00:00 in Berlin
    until = dt.datetime(2026, 4, 5, 22, tzinfo=dt.UTC)  # Monday 6 April, 00:00 in Berlin
    rng = random.Random(8)
    seconds = int((until - since).total_seconds())
    calls = []
    for _ in range(600):
        started = since + dt.timedelta(seconds=rng.randrange(seconds))
        handled = rng.choice([None, rng.randrange(30, 900)])
        calls.append((started, handled))
        add_call(session, line, started, handled)
    # Not demand on this line's roster: outside the window, after hours, another line.
    add_call(session, line, since - dt.timedelta(seconds=1), 100)
    add_call(session, line, until, 100)
    add_call(session, line, since + dt.timedelta(hours=5), outcome=CallOutcome.AFTER_HOURS)
    add_call(session, other, since + dt.timedelta(hours=5), 100)
    session.flush()

    demand = weekly_demand(registry(app).demand_source, session, line.id, "Europe/Berlin", 8, now)

    exposure: dict[tuple[int, int], float] = defaultdict(float)
    t = since
    while t < until:
        local = t.astimezone(BERLIN)
        exposure[(local.weekday(), local.hour)] += 1
        t += dt.timedelta(hours=1)
    counted: dict[tuple[int, int], int] = defaultdict(int)
    handled_by_hour: dict[tuple[int, int], list[int]] = defaultdict(list)
    for started, handled in calls:
        local = started.astimezone(BERLIN)
        counted[(local.weekday(), local.hour)] += 1
        if handled is not None:
            handled_by_hour[(local.weekday(), local.hour)].append(handled)
    everything = [h for hs in handled_by_hour.values() for h in hs]
    line_mean = sum(everything) / len(everything)

    assert (demand.since, demand.until, demand.calls) == (since, until, 600)
    assert exposure[(6, 2)] == 7  # the Sunday 02:00 that did not exist
    for key, hour in demand.hours.items():
        assert hour.calls == counted[key]
        assert hour.hours_observed == exposure[key]
        assert hour.arrivals_per_hour == pytest.approx(counted[key] / exposure[key])
        own = handled_by_hour[key]
        expected = sum(own) / len(own) if len(own) >= MIN_HANDLED_PER_HOUR else line_mean
        assert hour.handling_seconds == pytest.approx(expected)


def test_a_line_without_calls_needs_one_operator_while_open_and_none_while_closed(app, session):
    line = make_line(session, hours={"mon": ["08:00-16:00"]})
    now = dt.datetime(2026, 4, 8, 12, tzinfo=dt.UTC)
    demand = weekly_demand(registry(app).demand_source, session, line.id, line.timezone, 8, now)
    assert {h.handling_seconds for h in demand.hours.values()} == {DEFAULT_HANDLING_SECONDS}
    needed = needed_from_demand(line, demand)
    assert [needed[(0, h)] for h in (7, 8, 15, 16)] == [0, 1, 1, 0]
    assert needed[(1, 10)] == 0


@pytest.fixture
def busy_tuesday(session):
    """A line whose past eight Tuesdays brought 20 calls between 10:00 and 11:00, each
    handled for 6 minutes; this week one operator is on shift then and the planner asks for 2."""
    line = make_line(session)
    monday = this_monday()
    for week in range(1, 9):
        tuesday = monday - dt.timedelta(weeks=week) + dt.timedelta(days=1)
        for i in range(20):
            local = dt.datetime.combine(tuesday, dt.time(10, i * 3))
            add_call(session, line, local_to_utc(local, line.timezone), 360)
    tuesday = monday + dt.timedelta(days=1)
    make_shift(
        session,
        make_operator(session, name="Anna"),
        line,
        dt.datetime.combine(tuesday, dt.time(9)),
        3,
    )
    set_level(session, line.id, [1], 10, 10, 2)
    session.flush()
    return line, tuesday


def needed_on_busy_tuesday() -> int:
    return operators_needed(20, 360, ServiceTarget(0.8, 20))


@pytest.fixture
def planner(app, session):
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    return client


def test_the_week_view_shows_staffed_minimum_and_needed_from_demand(planner, busy_tuesday):
    line, tuesday = busy_tuesday
    html = planner.get(f"/dienstplan/linie/{line.id}?woche={tuesday}").get_data(as_text=True)
    cell = re.search(rf'<td [^>]*data-slot="{tuesday}T10">(.*?)</td>', html, re.S).group(1)
    assert "1/2" in cell and "Anna" in cell
    assert f'data-needed="{needed_on_busy_tuesday()}"' in cell
    assert needed_on_busy_tuesday() == 4  # A = 2 Erlang: 3 operators answer 58 %, 4 answer 84 %
    assert "160 Anrufe in den letzten 8 Wochen" in html


def test_adopting_one_day_writes_its_minimum_staffing_and_audits_it(planner, session, busy_tuesday):
    line, tuesday = busy_tuesday
    response = post(
        planner,
        f"/dienstplan/linie/{line.id}/bedarf/uebernehmen",
        {"woche": tuesday.isoformat(), "tag": "1"},
    )
    assert response.status_code == 302
    rows = session.scalars(select(StaffingLevel).where(StaffingLevel.line_id == line.id)).all()
    by_hour = {(r.weekday, r.hour): r.required for r in rows}
    assert len(by_hour) == 24 and {w for w, _ in by_hour} == {1}
    assert by_hour[(1, 10)] == needed_on_busy_tuesday()
    assert by_hour[(1, 3)] == 1  # open all day, no calls: one operator
    entry = session.scalar(select(ShiftAudit).where(ShiftAudit.action == "staffing_adopt"))
    assert entry.actor.endswith("(paula)")
    assert entry.before["levels"]["1:10"] == 2 and entry.after["levels"]["1:10"] == 4


def test_adopting_the_whole_week_writes_every_hour(planner, session, busy_tuesday):
    line, tuesday = busy_tuesday
    post(planner, f"/dienstplan/linie/{line.id}/bedarf/uebernehmen", {"woche": str(tuesday)})
    rows = session.scalars(select(StaffingLevel).where(StaffingLevel.line_id == line.id)).all()
    assert len(rows) == 7 * 24
    assert {r.required for r in rows} == {1, needed_on_busy_tuesday()}


def test_adopting_without_the_csrf_token_changes_nothing(planner, session, busy_tuesday):
    line, tuesday = busy_tuesday
    response = planner.post(
        f"/dienstplan/linie/{line.id}/bedarf/uebernehmen", data={"woche": str(tuesday)}
    )
    assert response.status_code == 400
    rows = session.scalars(select(StaffingLevel).where(StaffingLevel.line_id == line.id)).all()
    assert [(r.weekday, r.hour, r.required) for r in rows] == [(1, 10, 2)]


def test_operators_may_not_adopt_demand(app, session, busy_tuesday):
    line, tuesday = busy_tuesday
    anna = make_operator(session, name="Berta")
    make_user(session, Role.OPERATOR, operator=anna, username="berta")
    client = app.test_client()
    login(client, "berta")
    response = post(
        client, f"/dienstplan/linie/{line.id}/bedarf/uebernehmen", {"woche": str(tuesday)}
    )
    assert response.status_code == 403


def test_setting_the_minimum_by_hand_is_audited_too(planner, session, busy_tuesday):
    line, _ = busy_tuesday
    post(
        planner,
        f"/dienstplan/linie/{line.id}/bedarf",
        {"weekday": ["4"], "first_hour": "20", "last_hour": "21", "required": "3"},
    )
    entry = session.scalar(select(ShiftAudit).where(ShiftAudit.action == "staffing"))
    assert entry.after["levels"] == {"4:20": 3, "4:21": 3}
    assert entry.before["levels"] == {"4:20": None, "4:21": None}
    assert "Fr 20=3 21=3" in planner.get("/dienstplan/protokoll").get_data(as_text=True)


def test_the_line_service_level_sets_the_target(planner, session, busy_tuesday):
    line, tuesday = busy_tuesday
    line.service_level_percent, line.service_level_seconds = 95, 10
    session.flush()
    html = planner.get(f"/dienstplan/linie/{line.id}?woche={tuesday}").get_data(as_text=True)
    cell = re.search(rf'<td [^>]*data-slot="{tuesday}T10">(.*?)</td>', html, re.S).group(1)
    assert f'data-needed="{operators_needed(20, 360, ServiceTarget(0.95, 10))}"' in cell
    assert operators_needed(20, 360, ServiceTarget(0.95, 10)) > needed_on_busy_tuesday()


def test_0012_adds_the_service_level_with_defaults_and_downgrades(tmp_path):
    """On a scratch SQLite file: existing lines get 80 % within 20 s."""
    from sqlalchemy import create_engine, inspect, text

    from hotline.core.migrations import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, revision="0007")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO lines (number, name, flow, timezone, ring_strategy, ring_timeout,"
                " show_caller_number, queue_timeout, active, created_at) VALUES ('+4930120000',"
                " 'Heimweg', 'heimweg', 'Europe/Berlin', 'simultaneous', 20, 0, 180, 1,"
                " '2026-01-01 00:00:00')"
            )
        )
    upgrade(url, revision="0012")
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT service_level_percent, service_level_seconds FROM lines")
        ).one()
    assert tuple(row) == (80, 20)
    downgrade(url, "0007")
    assert "service_level_percent" not in {c["name"] for c in inspect(engine).get_columns("lines")}
    engine.dispose()


def test_planner_sets_the_line_service_level_and_it_is_audited(planner, session, busy_tuesday):
    line, _ = busy_tuesday
    page = planner.get(f"/dienstplan/linie/{line.id}/bedarf").get_data(as_text=True)
    assert 'name="percent"' in page and 'value="80"' in page
    response = post(
        planner, f"/dienstplan/linie/{line.id}/servicelevel", {"percent": "90", "seconds": "30"}
    )
    assert response.status_code == 302
    session.refresh(line)
    assert (line.service_level_percent, line.service_level_seconds) == (90, 30)
    entry = session.scalar(select(ShiftAudit).where(ShiftAudit.action == "service_level"))
    assert (entry.before["summary"], entry.after["summary"]) == ("80 % / 20 s", "90 % / 30 s")


def test_a_service_level_of_100_percent_is_refused(planner, session, busy_tuesday):
    """No finite roster answers every caller within the target: Erlang C would never stop."""
    line, _ = busy_tuesday
    response = post(
        planner, f"/dienstplan/linie/{line.id}/servicelevel", {"percent": "100", "seconds": "20"}
    )
    assert response.status_code == 422
    session.refresh(line)
    assert line.service_level_percent == 80
