"""The public list of open call-outs: what, roughly where, when, how many are still needed;
searchable around a postal code; never anything personal."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dispatch.models import Offer, OfferState
from dispatch.postcodes import distance_km, lookup
from tests.dispatch_support import configure, make_helper, make_ticket

SOON = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(
    hour=9, minute=0, second=0, microsecond=0
)
PERSONAL = ("Erika", "+4915212345678", "0152 12345678", "Invalidenstraße", "Einkauf für die Woche")


@pytest.fixture
def ctx(app):  # noqa: ANN001, ANN201
    configure(app)
    return app


@pytest.fixture
def client(ctx):  # noqa: ANN001, ANN201
    return ctx.test_client()


def _tickets(ctx, session, codes: list[str]):  # noqa: ANN001, ANN202
    with ctx.app_context():
        return [make_ticket(session, postal_code=code, window_start=SOON) for code in codes]


def test_the_page_lists_open_call_outs_without_anything_personal(ctx, client, session):
    _tickets(ctx, session, ["10115"])
    page = client.get("/angebote")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Einkaufen" in html and "10115" in html and "noch gesucht: 1" in html
    for personal in PERSONAL:
        assert personal not in html


def test_the_feed_carries_the_same_call_outs_and_nothing_personal(ctx, client, session):
    [ticket] = _tickets(ctx, session, ["10115"])
    response = client.get("/angebote.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    [entry] = response.get_json()["callouts"]
    assert entry["reference"] == ticket.reference and entry["still_needed"] == 1
    assert set(entry) == {
        "reference",
        "activity",
        "activity_name",
        "postal_code",
        "place",
        "starts_at",
        "ends_at",
        "still_needed",
        "distance_km",
    }
    for personal in PERSONAL:
        assert personal not in json.dumps(response.get_json())


def test_the_radius_search_equals_an_independent_haversine_computation(ctx, client, session):
    codes = ["10115", "10117", "10785", "12049", "13353", "14195", "80331", "20095"]
    _tickets(ctx, session, codes)
    centre = lookup("10115")
    for km in (2, 5, 10, 20):
        got = {
            c["postal_code"]
            for c in client.get(f"/angebote.json?plz=10115&km={km}").get_json()["callouts"]
        }
        expected = set()
        for code in codes:
            place = lookup(code)
            if distance_km(centre.lat, centre.lon, place.lat, place.lon) <= km:
                expected.add(code)
        assert got == expected, km


def test_results_near_a_postal_code_come_nearest_first(ctx, client, session):
    _tickets(ctx, session, ["14195", "10117", "12049"])
    found = client.get("/angebote.json?plz=10115&km=50").get_json()["callouts"]
    distances = [c["distance_km"] for c in found]
    assert distances == sorted(distances) and len(found) == 3


def test_a_call_out_with_enough_helpers_is_no_longer_listed(ctx, client, session):
    [ticket] = _tickets(ctx, session, ["10115"])
    with ctx.app_context():
        helper = make_helper(session)
    session.add(
        Offer(
            ticket_id=ticket.id,
            helper_id=helper.id,
            wave=1,
            token="t" * 20,
            state=OfferState.ACCEPTED,
        )
    )
    session.flush()
    assert client.get("/angebote.json").get_json()["callouts"] == []


def test_filters_by_activity_and_day(ctx, client, session):
    _tickets(ctx, session, ["10115"])
    day = SOON.date().isoformat()
    assert (
        len(client.get(f"/angebote.json?taetigkeit=shopping&tag={day}").get_json()["callouts"]) == 1
    )
    assert client.get("/angebote.json?taetigkeit=translation").get_json()["callouts"] == []
    other_day = (SOON.date() + dt.timedelta(days=3)).isoformat()
    assert client.get(f"/angebote.json?tag={other_day}").get_json()["callouts"] == []


@pytest.mark.parametrize(
    "query", ["plz=99999", "plz=abcde", "km=inf", "km=1e10", "tag=9999-99-99", "taetigkeit=x"]
)
def test_a_bad_search_is_answered_in_german_with_400(client, query):
    page = client.get(f"/angebote?{query}")
    assert page.status_code == 400 and 'role="alert"' in page.get_data(as_text=True)
    assert client.get(f"/angebote.json?{query}").status_code == 400


def test_the_embeddable_list_may_be_framed_by_other_sites(client):
    response = client.get("/angebote/einbetten")
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "<nav" not in response.get_data(as_text=True)
    assert "frame-ancestors 'none'" in client.get("/angebote").headers["Content-Security-Policy"]
