"""Matching and ranking: who is asked about a ticket, and in which order."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from dispatch.matching import available, in_quiet_hours, match_list, rank
from dispatch.models import HelperStatus
from dispatch.waves import WaveOutcome, send_wave
from tests.dispatch_support import DAYTIME, configure, make_helper, make_ticket, offers


@pytest.fixture
def ctx(app):
    configure(app)
    with app.app_context():
        yield app


def ids(matches):  # noqa: ANN001, ANN201
    return {m.helper_id for m in matches}


def test_helper_who_does_the_activity_matches(ctx, session):
    shopper = make_helper(session, activities=["shopping"])
    make_helper(session, activities=["translation"])
    ticket = make_ticket(session, activity="shopping")
    assert ids(match_list(session, ticket, DAYTIME)) == {shopper.id}


def test_helper_must_speak_one_of_the_requesters_languages(ctx, session):
    turkish = make_helper(session, languages=["de", "tr"])
    make_helper(session, languages=["de"])
    ticket = make_ticket(session, languages=("tr", "ar"))
    assert ids(match_list(session, ticket, DAYTIME)) == {turkish.id}


def test_helper_must_be_within_their_own_radius(ctx, session):
    # 10115 Berlin-Mitte; 14467 Potsdam is about 27 km away
    near = make_helper(session, postal_code="10117", radius_km=5)
    make_helper(session, postal_code="14467", radius_km=10)
    wide = make_helper(session, postal_code="14467", radius_km=40)
    ticket = make_ticket(session, postal_code="10115")
    assert ids(match_list(session, ticket, DAYTIME)) == {near.id, wide.id}


def test_helper_must_be_available_in_the_tickets_window(ctx, session):
    # DAYTIME is a Wednesday, 10:00-13:00 Berlin time
    wednesday_morning = make_helper(session, availability={"2": [["09:00", "11:00"]]})
    make_helper(session, availability={"2": [["17:00", "20:00"]]})
    make_helper(session, availability={"5": [["09:00", "18:00"]]})
    any_time = make_helper(session, availability={})
    ticket = make_ticket(session)
    assert ids(match_list(session, ticket, DAYTIME)) == {wednesday_morning.id, any_time.id}


def test_availability_windows_are_local_wall_clock_times():
    start = dt.datetime(2026, 7, 1, 16, 30, tzinfo=dt.UTC)  # 18:30 in Berlin (CEST)
    end = start + dt.timedelta(hours=1)
    assert available({"2": [["18:00", "19:00"]]}, start, end, "Europe/Berlin")
    assert not available({"2": [["16:00", "17:00"]]}, start, end, "Europe/Berlin")


def test_helper_at_their_weekly_cap_is_not_asked(ctx, session):
    busy = make_helper(session, max_per_week=1)
    other = make_helper(session, max_per_week=1)
    first = make_ticket(session)
    session.flush()
    from dispatch.waves import create_offers

    create_offers(session, first, [busy.id], 1, DAYTIME)
    second = make_ticket(session)
    assert ids(match_list(session, second, DAYTIME + dt.timedelta(hours=1))) == {other.id}
    # a week later the cap has room again
    later = DAYTIME + dt.timedelta(days=7, hours=1)
    assert busy.id in ids(match_list(session, second, later))


@pytest.mark.parametrize("status", [HelperStatus.PAUSED, HelperStatus.OPTED_OUT])
def test_paused_and_opted_out_helpers_are_not_asked(ctx, session, status):
    make_helper(session, status=status)
    active = make_helper(session)
    ticket = make_ticket(session)
    assert ids(match_list(session, ticket, DAYTIME)) == {active.id}


def test_least_recently_asked_come_first_and_never_asked_before_all():
    from dispatch.matching import Match

    old = Match(1, 1.0, DAYTIME - dt.timedelta(days=3))
    recent = Match(2, 1.0, DAYTIME - dt.timedelta(hours=1))
    never = Match(3, 9.0, None)
    assert [m.helper_id for m in rank([recent, old, never])] == [3, 1, 2]


def test_distance_comes_after_fairness():
    from dispatch.matching import Match

    far = Match(1, 12.0, None)
    near = Match(2, 1.0, None)
    near_but_recent = Match(3, 0.5, DAYTIME)
    assert [m.helper_id for m in rank([far, near_but_recent, near])] == [2, 1, 3]


def test_ties_are_broken_at_random():
    from dispatch.matching import Match

    tied = [Match(i, 1.0, None) for i in range(10)]
    orders = {tuple(m.helper_id for m in rank(tied, random.Random(seed))) for seed in range(5)}
    assert len(orders) > 1


def test_the_database_ranks_like_rank_never_asked_then_least_recent_then_nearer(ctx, session):
    # 10117 is next to the ticket's 10115; 12683 Marzahn is some 14 km away
    recent_near = make_helper(
        session, postal_code="10117", last_asked_at=DAYTIME - dt.timedelta(hours=1)
    )
    old_far = make_helper(
        session, postal_code="12683", radius_km=25, last_asked_at=DAYTIME - dt.timedelta(days=5)
    )
    never_far = make_helper(session, postal_code="12683", radius_km=25)
    never_near = make_helper(session, postal_code="10117")
    ticket = make_ticket(session, postal_code="10115")
    order = [m.helper_id for m in match_list(session, ticket, DAYTIME)]
    assert order == [never_near.id, never_far.id, old_far.id, recent_near.id]


def test_a_limited_list_is_the_head_of_the_ranked_list_after_availability(ctx, session):
    # DAYTIME is a Wednesday 10:00-13:00 Berlin time; the nearest helper is away then
    make_helper(session, postal_code="10117", availability={"5": [["09:00", "18:00"]]})
    second = make_helper(session, postal_code="10178")
    third = make_helper(session, postal_code="12683", radius_km=25)
    ticket = make_ticket(session, postal_code="10115")
    assert [m.helper_id for m in match_list(session, ticket, DAYTIME, limit=1)] == [second.id]
    assert [m.helper_id for m in match_list(session, ticket, DAYTIME, limit=5)] == [
        second.id,
        third.id,
    ]


def test_the_databases_shuffle_of_ties_differs_between_draws(ctx, session):
    tied = [make_helper(session, postal_code="10117") for _ in range(8)]
    ticket = make_ticket(session, postal_code="10115")
    orders = {
        tuple(m.helper_id for m in match_list(session, ticket, DAYTIME, rng=random.Random(seed)))
        for seed in range(5)
    }
    assert len(orders) > 1
    assert all(set(order) == {h.id for h in tied} for order in orders)


@pytest.mark.parametrize(
    ("utc_hour", "quiet"),
    [(18, False), (19, True), (2, True), (5, True), (6, False)],  # Berlin in summer: UTC+2
)
def test_quiet_hours_are_21_to_8_local_time(utc_hour, quiet):
    now = dt.datetime(2026, 7, 1, utc_hour, 0, tzinfo=dt.UTC)
    assert in_quiet_hours(now, "Europe/Berlin") is quiet


def test_a_wave_during_quiet_hours_is_postponed_to_8_oclock(ctx, session):
    make_helper(session)
    ticket = make_ticket(session)
    night = dt.datetime(2026, 3, 11, 22, 30, tzinfo=dt.UTC)  # 23:30 in Berlin
    result = send_wave(session, ticket.id, 1, night)
    assert result.outcome == WaveOutcome.QUIET
    assert offers(session, ticket) == []
    assert result.next_wave_at == dt.datetime(2026, 3, 12, 7, 0, tzinfo=dt.UTC)  # 08:00 CET
    assert ticket.waves_sent == 0


def test_an_urgent_ticket_is_sent_during_quiet_hours(ctx, session):
    helper = make_helper(session)
    ticket = make_ticket(session, urgent=True)
    night = dt.datetime(2026, 3, 11, 22, 30, tzinfo=dt.UTC)
    result = send_wave(session, ticket.id, 1, night)
    assert result.outcome == WaveOutcome.SENT
    assert [o.helper_id for o in offers(session, ticket)] == [helper.id]


def test_fairness_200_tickets_50_equal_helpers_asked_within_2_of_each_other(ctx, session):
    pool = [make_helper(session, max_per_week=1000) for _ in range(50)]
    now = DAYTIME
    for _ in range(200):
        ticket = make_ticket(session)
        result = send_wave(session, ticket.id, 1, now)
        assert result.outcome == WaveOutcome.SENT
        now += dt.timedelta(minutes=1)
    from sqlalchemy import select

    from dispatch.models import Offer

    asked = Counter(session.scalars(select(Offer.helper_id)))
    counts = [asked[h.id] for h in pool]
    assert sum(counts) == 200 * 3
    assert max(counts) - min(counts) <= 2
