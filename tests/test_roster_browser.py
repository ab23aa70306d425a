"""The roster pages in a real headless Chromium (Debian's ``chromium``, driven by
Playwright): a planner closes a gap with a recurring shift, an operator claims an open shift,
a planner sees the error of a bad CSV row. A screenshot of the week view goes to artifacts/."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline.core.extensions import db
from hotline.core.models import Role
from hotline.core.oncall.models import Shift
from hotline.rosters.models import OpenShift
from hotline.rosters.open_shifts import publish_open_shift
from hotline.rosters.staffing import monday_of
from tests.conftest import make_line, make_operator
from tests.roster_support import PASSWORD, committed_app_fixture, live_server, make_user  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason="Debian's chromium is not installed (scripts/test installs it)",
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def seed(app, build):  # noqa: ANN001, ANN201
    """Write test data with its own committed session; returns what ``build`` returns."""
    with app.app_context():
        session = db.new_session()
        try:
            result = build(session)
            session.commit()
            return result
        finally:
            session.close()


def sign_in(page, base: str, username: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/anmelden")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.keyboard.press("Enter")  # the form works from the keyboard
    page.wait_for_url(lambda url: "/anmelden" not in url)  # on to the account's start page


def test_planner_creates_a_recurring_shift_and_the_gap_disappears(committed_app, page):
    next_monday = monday_of(dt.datetime.now(ZoneInfo("Europe/Berlin")).date()) + dt.timedelta(
        days=7
    )

    def build(session):
        line = make_line(session, hours={"mon": ["20:00-22:00"]})
        make_operator(session, name="Anna Beispiel")
        make_user(session, Role.PLANNER, username="paula")
        return line.id

    line_id = seed(committed_app, build)
    with live_server(committed_app) as base:
        sign_in(page, base, "paula")
        page.goto(f"{base}/dienstplan/linie/{line_id}?woche={next_monday}")
        assert page.locator("#gap-summary").inner_text() == "Lücken: 2"
        assert page.locator("td.gap").count() == 2

        page.get_by_role("link", name="Neue wiederkehrende Schicht").click()
        page.get_by_label("Linie").select_option(label="Heimwegtelefon")
        page.get_by_label("Ehrenamtliche Person").select_option(label="Anna Beispiel")
        page.get_by_label("Wochentag").select_option(label="Montag")
        page.get_by_label("Von").fill("20:00")
        page.get_by_label("Bis", exact=True).fill("22:00")
        page.get_by_label("Gültig ab").fill(next_monday.isoformat())
        page.get_by_label("Gültig bis").fill((next_monday + dt.timedelta(days=27)).isoformat())
        page.get_by_role("button", name="Speichern").click()

        page.wait_for_url(f"**/dienstplan/linie/{line_id}?woche={next_monday}")
        assert page.locator("#gap-summary").inner_text() == "Keine Lücken in dieser Woche."
        assert page.locator("td.gap").count() == 0
        assert "Anna Beispiel" in page.locator("table.week").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "week-view.png"), full_page=True)

    def shifts(session):
        return [s.local_start for s in session.scalars(select(Shift).order_by(Shift.starts_at))]

    starts = seed(committed_app, shifts)
    assert starts == [
        dt.datetime.combine(next_monday + dt.timedelta(days=7 * i), dt.time(20)) for i in range(4)
    ]


def test_operator_claims_an_open_shift(committed_app, page):
    start = dt.datetime.combine(dt.date.today() + dt.timedelta(days=3), dt.time(20))

    def build(session):
        line = make_line(session)
        otto = make_operator(session, name="Otto Operator")
        make_user(session, Role.OPERATOR, operator=otto, username="otto")
        return publish_open_shift(
            session, line.id, start, start + dt.timedelta(hours=4)
        ).id, otto.id

    slot_id, otto_id = seed(committed_app, build)
    with live_server(committed_app) as base:
        sign_in(page, base, "otto")
        page.get_by_role("link", name="Offene Schichten").click()
        page.get_by_role("button", name="Übernehmen").click()
        page.wait_for_url("**/dienstplan/meine")
        assert page.get_by_role("status").inner_text() == "Die Schicht gehört jetzt Ihnen."
        assert start.strftime("%d.%m.%Y %H:%M") in page.locator("#my-shifts").inner_text()

    def claimed(session):
        return session.get(OpenShift, slot_id).claimed_by_id

    assert seed(committed_app, claimed) == otto_id


def test_planner_imports_a_csv_with_one_bad_row_and_sees_that_rows_error(committed_app, page):
    def build(session):
        line = make_line(session)
        anna = make_operator(session)
        make_user(session, Role.PLANNER, username="paula")
        return line.number, anna.phone_number

    line_number, phone = seed(committed_app, build)
    csv_body = (
        "operator_phone,line_number,start,end\n"
        f"{phone},{line_number},2030-01-07 20:00,2030-01-07 23:00\n"
        f"{phone},{line_number},2030-01-08 20:00,2030-01-08 19:00\n"
        f"{phone},{line_number},2030-01-09 20:00,2030-01-09 23:00\n"
    )
    with live_server(committed_app) as base:
        sign_in(page, base, "paula")
        page.locator("nav li.group summary", has_text="Dienstplan").click()  # the navigation group
        page.get_by_role("link", name="Import und Export").click()
        page.get_by_label("Art").select_option("shifts")
        page.get_by_label("CSV-Datei").set_input_files(
            files=[{"name": "schichten.csv", "mimeType": "text/csv", "buffer": csv_body.encode()}]
        )
        page.get_by_role("button", name="Importieren").click()
        errors = page.locator("#import-errors")
        errors.wait_for()
        rows = errors.locator("tbody tr")
        assert rows.count() == 1
        assert rows.first.locator("td").first.inner_text() == "3"
        assert "Eine Schicht muss nach ihrem Beginn enden." in rows.first.inner_text()

    assert seed(committed_app, lambda s: s.scalars(select(Shift)).all()) == []
