"""The statistics and the monthly report on a phone, in a real headless Chromium: nothing is
wider than a 390 px screen and both charts are drawn."""

from __future__ import annotations

import pytest

from hotline.core.models import Role
from tests.roster_support import committed_app_fixture, live_server, make_user  # noqa: F401
from tests.test_roster_browser import browser, pytestmark, seed, sign_in  # noqa: F401
from tests.test_statistics import MONTH, seed_month

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone_page(browser):  # noqa: ANN001, ANN201, F811
    context = browser.new_context(locale="de-DE", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _build(session):  # noqa: ANN001, ANN202
    seed_month(session)
    make_user(session, Role.PLANNER, username="paula")


@pytest.mark.parametrize(
    "path", [f"/statistik?monat={MONTH}&partner=Wiesbaden", f"/statistik/bericht/Wiesbaden/{MONTH}"]
)
def test_statistics_fit_a_phone_and_draw_both_charts(committed_app, phone_page, path):
    seed(committed_app, _build)
    with live_server(committed_app) as base:
        sign_in(phone_page, base, "paula")
        phone_page.goto(base + path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
        charts = phone_page.locator("figure.chart")
        assert charts.count() == 2 and phone_page.locator("figure.chart svg").count() == 2
        for i in range(2):  # a chart wider than the screen scrolls inside its own box
            box = charts.nth(i).bounding_box()
            drawn = charts.nth(i).locator("svg").bounding_box()
            assert box is not None and 0 < box["width"] <= PHONE["width"]
            assert drawn is not None and drawn["height"] > 100
