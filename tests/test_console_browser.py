"""The layout on a phone, in a real headless Chromium: no page is wider than a 390 px
screen, and the skip link is the first thing the keyboard reaches."""

from __future__ import annotations

import pytest

from hotline.core.models import Role
from tests.conftest import make_line, make_operator, make_shift
from tests.roster_support import committed_app_fixture, live_server, make_user  # noqa: F401
from tests.test_roster_browser import browser, pytestmark, seed, sign_in  # noqa: F401

PHONE = {"width": 390, "height": 844}
PAGES = [
    "/anmelden",
    "/gibt-es-nicht",
    "/dienstplan/",
    "/heute",
    "/anrufe",
    "/dienstplan/linie/{line_id}?woche=2030-01-07",
    "/dienstplan/benutzer",
    "/dienstplan/ehrenamtliche",
    "/dispatch/",
    "/dispatch/tickets/neu",
    "/hilfe/anmelden",
]


@pytest.fixture
def phone_page(browser):  # noqa: ANN001, ANN201, F811
    context = browser.new_context(locale="de-DE", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _build(session):  # noqa: ANN001, ANN202
    import datetime as dt

    line = make_line(session)
    operator = make_operator(session)
    make_shift(session, operator, line, dt.datetime(2030, 1, 7, 20), hours=6)
    make_user(session, Role.ADMIN, username="ada")
    return line.id


def test_no_page_is_wider_than_a_phone(committed_app, phone_page):
    line_id = seed(committed_app, _build)
    with live_server(committed_app) as base:
        sign_in(phone_page, base, "ada")
        for path in PAGES:
            phone_page.goto(base + path.format(line_id=line_id))
            width = phone_page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (path, width)


def test_the_skip_link_comes_first_and_shows_when_focused(committed_app, phone_page):
    with live_server(committed_app) as base:
        phone_page.goto(f"{base}/gibt-es-nicht")  # no field is focused on load
        phone_page.keyboard.press("Tab")
        focused = phone_page.evaluate("document.activeElement.getAttribute('href')")
        assert focused == "#main"
        box = phone_page.locator("a.skip").bounding_box()
        assert box is not None and box["x"] >= 0


def test_on_a_phone_the_navigation_starts_folded_behind_its_menu_button(committed_app, phone_page):
    seed(committed_app, _build)
    with live_server(committed_app) as base:
        sign_in(phone_page, base, "ada")
        menu = phone_page.locator("nav details.menu")
        assert menu.evaluate("m => m.open") is False
        assert not phone_page.get_by_role("link", name="Protokoll").is_visible()
        phone_page.get_by_text("Menü").click()
        assert phone_page.get_by_role("link", name="Protokoll").is_visible()


def test_on_a_desktop_the_navigation_is_open_without_a_menu_button(committed_app, browser):  # noqa: F811
    seed(committed_app, _build)
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    with live_server(committed_app) as base:
        sign_in(page, base, "ada")
        assert page.locator("nav li.group summary", has_text="Dienstplan").is_visible()
        assert not page.locator("nav details.menu > summary").is_visible()
    context.close()


def test_on_a_desktop_a_navigation_group_opens_as_a_drop_down_one_at_a_time(
    committed_app,
    browser,  # noqa: F811
):
    seed(committed_app, _build)
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    with live_server(committed_app) as base:
        sign_in(page, base, "ada")
        protocol = page.get_by_role("link", name="Protokoll")
        assert not protocol.is_visible()
        page.locator("nav li.group summary", has_text="Dienstplan").click()
        assert protocol.is_visible()
        page.locator("nav li.group summary", has_text="Verwaltung").click()
        assert page.get_by_role("link", name="Linien").is_visible()
        assert not protocol.is_visible()  # opening one group closes the other
        page.keyboard.press("Escape")
        assert not page.get_by_role("link", name="Linien").is_visible()
        page.locator("nav li.group summary", has_text="Dienstplan").click()
        page.locator("main").click()  # a click elsewhere closes it
        assert not protocol.is_visible()
    context.close()
