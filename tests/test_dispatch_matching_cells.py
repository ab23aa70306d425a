"""Matching by grid cells finds exactly the helpers the plain distance filter finds."""

from __future__ import annotations

import random

import pytest

from dispatch.matching import candidates, cell_of, cells_in_box, match_list
from dispatch.postcodes import bounding_box, distance_km
from tests.dispatch_support import DAYTIME, configure, make_helper, make_ticket

RADII = [1, 2, 3, 5, 10, 15, 25, 40, 50, 60]


@pytest.fixture
def ctx(app):
    configure(app)
    with app.app_context():
        yield app


def near_a_border(rng: random.Random, centre: float, spread: float) -> float:
    """A coordinate a hair either side of a cell border (a multiple of 0.1°) near ``centre``."""
    border = round((centre + rng.uniform(-spread, spread)) * 10) / 10
    return border + rng.choice([-1, 1]) * rng.choice([1e-9, 1e-7, 1e-5, 1e-3])


def plain_distance_filter(ticket, helpers) -> set[int]:  # noqa: ANN001
    """What matching meant before the cells: inside the 50 km box, within the own radius."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(ticket.lat, ticket.lon, 50)
    return {
        h.id
        for h in helpers
        if min_lat <= h.lat <= max_lat
        and min_lon <= h.lon <= max_lon
        and distance_km(ticket.lat, ticket.lon, h.lat, h.lon) <= h.radius_km
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_helpers_near_cell_borders_across_50_km_match_as_the_distance_filter_says(
    ctx, session, seed
):
    rng = random.Random(seed)
    ticket = make_ticket(session, postal_code="10115")
    helpers = []
    for n in range(300):
        if n % 2:  # on a border of latitude, of longitude, or at a corner
            lat = (
                near_a_border(rng, ticket.lat, 0.5)
                if n % 3
                else ticket.lat + rng.uniform(-0.5, 0.5)
            )
            lon = (
                near_a_border(rng, ticket.lon, 0.8)
                if n % 5
                else ticket.lon + rng.uniform(-0.8, 0.8)
            )
        else:  # anywhere in and around the 50 km box
            lat = ticket.lat + rng.uniform(-0.5, 0.5)
            lon = ticket.lon + rng.uniform(-0.8, 0.8)
        helpers.append(make_helper(session, lat=lat, lon=lon, radius_km=rng.choice(RADII)))
    expected = plain_distance_filter(ticket, helpers)
    assert len(expected) > 50  # the case is not empty
    assert {m.helper_id for m in candidates(session, ticket, DAYTIME)} == expected
    assert {m.helper_id for m in match_list(session, ticket, DAYTIME)} == expected


def test_a_helper_just_inside_their_radius_across_a_cell_border_matches(ctx, session):
    ticket = make_ticket(session, postal_code="10115")
    # 9.9 km due north: a cell row or more away from the ticket's own.
    north = make_helper(session, lat=ticket.lat + 9.9 / 111.2, lon=ticket.lon, radius_km=10)
    make_helper(session, lat=ticket.lat + 10.3 / 111.2, lon=ticket.lon, radius_km=10)
    assert cell_of(north.lat, north.lon) != cell_of(ticket.lat, ticket.lon)
    assert [m.helper_id for m in match_list(session, ticket, DAYTIME)] == [north.id]


def test_the_cell_is_kept_by_the_database_when_a_helper_moves(ctx, session):
    helper = make_helper(session, lat=52.5323, lon=13.3846)
    session.refresh(helper)
    assert helper.cell == cell_of(52.5323, 13.3846) == 5250133
    helper.lat, helper.lon = 48.1374, 11.5755  # moved to Munich
    session.flush()
    session.refresh(helper)
    assert helper.cell == cell_of(48.1374, 11.5755) == 4810115


def test_the_cells_of_a_box_cover_every_point_in_it():
    rng = random.Random(4)
    box = bounding_box(52.5323, 13.3846, 50)
    cells = set(cells_in_box(*box))
    for _ in range(2000):
        lat = rng.uniform(box[0], box[1])
        lon = rng.uniform(box[2], box[3])
        assert cell_of(lat, lon) in cells
    assert cell_of(box[0], box[2]) in cells and cell_of(box[1], box[3]) in cells
