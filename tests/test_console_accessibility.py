"""Every role's pages in a real headless Chromium, at a desktop width (1280 px) and a phone
width (390 px):

* axe-core (vendored from the npm registry under ``tests/vendor/axe-core``, injected by the
  test, never loaded by a page) reports no serious or critical violation;
* no page requests anything outside the product (fonts, scripts, images, trackers);
* no page is wider than the phone screen;
* a screenshot of each page goes to ``artifacts/screenshots/<role>-<width>/``.

The pages are found the way a person finds them: the role's home and every link of the
navigation, plus the pages anyone can open signed out. A page a feature adds to the
navigation is covered without touching this test.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dispatch.models import Organisation, OrganisationMember
from hotline.core.models import Role
from tests.conftest import make_line, make_operator, make_shift
from tests.dispatch_support import DAYTIME, configure, make_helper, make_ticket
from tests.roster_support import (  # noqa: F401
    PASSWORD,
    committed_app_fixture,
    live_server,
    make_user,
)
from tests.test_roster_browser import ARTIFACTS, browser, pytestmark, seed  # noqa: F401

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
#: What anyone can open without an account.
PUBLIC_PAGES = [
    "/anmelden",
    "/angebote",
    "/hilfe/anmelden",
    "/organisationen/registrieren",
    "/gibt-es-nicht",
]
ROLES = ["anonymous", "member", "operator", "planner", "coordinator", "admin"]
#: axe-core impacts a page must not have.
BLOCKING = {"serious", "critical"}


def _build(session):  # noqa: ANN001, ANN202
    """A small but complete organisation: a line with a shift now and one tomorrow, an
    account per role, an approved organisation with a member, helpers and a ticket."""
    line = make_line(session)
    operator = make_operator(session)
    make_shift(session, operator, line)
    tomorrow = dt.datetime.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    make_shift(session, operator, line, tomorrow, hours=3)
    for role in (Role.PLANNER, Role.COORDINATOR, Role.ADMIN):
        make_user(session, role, username=f"a11y-{role.value}")
    make_user(session, Role.OPERATOR, operator=operator, username="a11y-operator")
    member = make_user(session, Role.MEMBER, username="a11y-member")
    org = Organisation(name="Tafel Mitte", contact_phone="+4915199887766", approved_at=DAYTIME)
    session.add(org)
    session.flush()
    session.add(OrganisationMember(user_id=member.id, organisation_id=org.id))
    for _ in range(3):
        make_helper(session)
    make_ticket(session, needed=2)
    return line.id


def _sign_in(page, base: str, username: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/anmelden")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/anmelden" not in url)


def _nav_paths(page) -> list[str]:  # noqa: ANN001
    hrefs = page.eval_on_selector_all(
        "nav a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return [h for h in hrefs if h.startswith("/") and not h.startswith("//")]


def _outside(origin: str, seen: list[str]):  # noqa: ANN202
    """A request listener noting every web request to anywhere but the product."""

    def note(request) -> None:  # noqa: ANN001
        url = urlsplit(request.url)
        if url.scheme in ("http", "https") and url.netloc != origin:
            seen.append(request.url)

    return note


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "start"


def _check(page, base: str, path: str, width: int, shots: Path) -> list[str]:  # noqa: ANN001
    """Open ``path`` and return what is wrong with it (empty: nothing)."""
    problems = []
    page.goto(base + path)
    page.wait_for_load_state("load")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        problems.append(f"{path}: {scroll} px wide at {width} px")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    for violation in result:
        if violation["impact"] in BLOCKING:
            problems.append(
                f"{path}: {violation['impact']} {violation['id']} ({violation['help']}) "
                f"at {violation['nodes']}"
            )
    page.screenshot(path=str(shots / f"{_slug(path)}.png"), full_page=True)
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_is_accessible_local_and_fits_a_phone(committed_app, browser, role):  # noqa: F811
    configure(committed_app)
    seed(committed_app, _build)
    problems: list[str] = []
    with live_server(committed_app) as base:
        origin = urlsplit(base).netloc
        for name, viewport in WIDTHS.items():
            # The pages forbid inline scripts (CSP); the injected axe-core is the test's, not theirs.
            context = browser.new_context(locale="de-DE", viewport=viewport, bypass_csp=True)
            external: list[str] = []
            context.on("request", _outside(origin, external))
            page = context.new_page()
            page.set_default_timeout(10_000)
            shots = ARTIFACTS / "screenshots" / f"{role}-{viewport['width']}"
            shots.mkdir(parents=True, exist_ok=True)
            if role == "anonymous":
                paths = list(PUBLIC_PAGES)
            else:
                _sign_in(page, base, f"a11y-{role}")
                home = urlsplit(page.url).path
                paths = list(dict.fromkeys([home, *_nav_paths(page), "/gibt-es-nicht"]))
            assert len(paths) >= 2, paths
            for path in paths:
                problems += _check(page, base, path, viewport["width"], shots)
            context.close()
            assert not external, f"{name}: requests outside the product: {external}"
    assert not problems, "\n".join(problems)


def test_the_check_notices_a_request_outside_the_product(browser):  # noqa: F811
    context = browser.new_context()
    seen: list[str] = []
    context.on("request", _outside("127.0.0.1:5000", seen))
    page = context.new_page()
    page.set_content('<img src="http://127.0.0.1:9/pixel.png" alt="">')
    page.wait_for_load_state("load")
    context.close()
    assert seen == ["http://127.0.0.1:9/pixel.png"]
