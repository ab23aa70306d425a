"""The console: one app with one layout for rosters and dispatch, a start page that leads
each person home, a navigation per role, error pages in the page's language, and complete
German and English catalogues (Arabic right to left)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import abort
from sqlalchemy import select

from dispatch.models import Organisation, OrganisationMember, TicketStatus
from dispatch.waves import create_offers
from hotline.core.demo import load_demo
from hotline.core.models import Role, User
from hotline.core.registry import registry
from hotline.devstack import banner
from tests.conftest import make_operator
from tests.dispatch_support import DAYTIME, configure, make_helper, make_ticket, offers
from tests.roster_support import login, make_user, post
from tests.test_security_headers import _get_urls, _signed_in_admin, seeded  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
HTTPS = "https://rufbereit.example.org"


def _translations_tool():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("translations", ROOT / "scripts/translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _catalogue(lang: str) -> dict[str, str]:
    path = ROOT / "hotline/translations" / lang / "LC_MESSAGES/messages.po"
    with path.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id}


def _signed_in(app, session, role: Role):  # noqa: ANN001, ANN202
    operator = make_operator(session) if role == Role.OPERATOR else None
    user = make_user(session, role, operator=operator, username=f"{role.value}-console")
    if role == Role.MEMBER:
        org = Organisation(name="Tafel", contact_phone="+4915199887766", approved_at=DAYTIME)
        session.add(org)
        session.flush()
        session.add(OrganisationMember(user_id=user.id, organisation_id=org.id))
        session.flush()
    client = app.test_client()
    assert login(client, user.username).status_code == 302
    return client


class _Texts(HTMLParser):
    """The visible texts of a page (text nodes and labelling attributes), stripped."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder") and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skip:
            self.texts.append(text)


def _visible_texts(page: str) -> list[str]:
    parser = _Texts()
    parser.feed(page)
    return parser.texts


# -- the start page ---------------------------------------------------------------------------


def test_the_start_page_sends_visitors_who_are_signed_out_to_sign_in(app):
    response = app.test_client().get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/anmelden")


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.MEMBER, "/dispatch/aufrufe/neu"),
        (Role.OPERATOR, "/mein-dienst"),
        (Role.PLANNER, "/heute"),
        (Role.COORDINATOR, "/heute"),
        (Role.ADMIN, "/dienstplan/"),
    ],
)
def test_the_start_page_leads_each_role_to_its_home(app, session, role, home):
    client = _signed_in(app, session, role)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(home)
    assert client.get(home).status_code == 200


# -- navigation --------------------------------------------------------------------------------


def _nav_links(page: str) -> list[str]:
    nav = re.search(r"<nav aria-label=[^>]*>(.*?)</nav>", page, re.S)
    return re.findall(r'href="([^"]+)"', nav.group(1)) if nav else []


@pytest.mark.parametrize(
    ("role", "absent"),
    [
        (Role.MEMBER, ["/dienstplan/", "/dispatch/tickets/neu", "/dispatch/"]),
        (Role.OPERATOR, ["/dienstplan/benutzer", "/dienstplan/protokoll", "/dispatch/"]),
        (Role.PLANNER, ["/dienstplan/benutzer", "/dispatch/", "/dispatch/aufrufe/neu"]),
        (Role.COORDINATOR, ["/dienstplan/benutzer", "/dispatch/aufrufe/neu"]),
        (Role.ADMIN, ["/dispatch/aufrufe/neu"]),
    ],
)
def test_the_navigation_shows_only_pages_the_role_may_open(app, session, role, absent):
    client = _signed_in(app, session, role)
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    links = _nav_links(home)
    assert links, "every signed-in role has a navigation"
    for link in links:
        assert client.get(link).status_code == 200, link
    for link in absent:
        assert link not in links


def test_an_admin_sees_rosters_and_dispatch_in_one_navigation(app, session):
    client = _signed_in(app, session, Role.ADMIN)
    links = _nav_links(client.get("/dienstplan/").get_data(as_text=True))
    assert "/dienstplan/benutzer" in links and "/dispatch/" in links
    assert links == _nav_links(client.get("/dispatch/").get_data(as_text=True))


def test_the_navigation_names_pages_registered_by_the_features(app):
    endpoints = {entry.endpoint for entry in registry(app).nav_entries}
    assert {"rosters.index", "rosters.users", "dispatch_web.dashboard"} <= endpoints


def _nav_sections(page: str) -> dict[str, list[str]]:
    """The navigation's group headings and the links under each ("" = the ungrouped ones)."""
    nav = re.search(r"<nav aria-label=[^>]*>(.*?)</nav>", page, re.S).group(1)
    nav = re.sub(r"<summary>[^<]*</summary><ul class=\"sections\">", "", nav, count=1)
    sections: dict[str, list[str]] = {"": []}
    for group in re.finditer(
        r'<li class="group[^"]*"><details><summary>([^<]+)</summary>(.*?)</details>', nav, re.S
    ):
        sections[group.group(1)] = re.findall(r'href="([^"]+)"', group.group(2))
    ungrouped = re.sub(r'<li class="group.*?</details></li>', "", nav, flags=re.S)
    sections[""] = re.findall(r'href="([^"]+)"', ungrouped)
    return sections


def test_a_coordinators_many_links_are_grouped_under_headings(app, session):
    client = _signed_in(app, session, Role.COORDINATOR)
    sections = _nav_sections(client.get("/heute").get_data(as_text=True))
    assert sections[""] == ["/heute"]
    assert {"Hotline", "Dienstplan", "Mein Dienst", "Vermittlung", "Verwaltung"} <= set(sections)
    assert "/anrufe" in sections["Hotline"]
    assert "/dienstplan/linien" in sections["Verwaltung"]
    assert "/dispatch/" in sections["Vermittlung"]


def test_the_group_headings_are_in_the_page_language(app, session):
    client = _signed_in(app, session, Role.COORDINATOR)
    sections = _nav_sections(client.get("/heute?lang=en").get_data(as_text=True))
    assert {"Roster", "Dispatch", "Administration"} <= set(sections)
    assert "Verwaltung" not in sections


def test_an_operators_few_links_stay_one_row(app, session):
    client = _signed_in(app, session, Role.OPERATOR)
    sections = _nav_sections(client.get("/mein-dienst").get_data(as_text=True))
    assert list(sections) == [""]
    assert "/mein-dienst" in sections[""]


def test_the_group_holding_the_page_is_marked(app, session):
    client = _signed_in(app, session, Role.COORDINATOR)
    page = client.get("/anrufe").get_data(as_text=True)
    assert re.search(r'<li class="group current"><details><summary>Hotline</summary>', page)


# -- error pages -------------------------------------------------------------------------------


def test_a_missing_page_is_a_german_page_of_the_layout(app):
    response = app.test_client().get("/gibt-es-nicht")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert '<html lang="de" dir="ltr">' in page and "app.css" in page
    assert "Seite nicht gefunden" in page and "Zum Inhalt springen" in page
    assert "Not Found" not in page


def test_a_missing_page_is_english_with_lang_en(app):
    page = app.test_client().get("/gibt-es-nicht?lang=en").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page and "Page not found" in page


def test_a_page_the_role_may_not_open_is_a_german_403(app, session):
    client = _signed_in(app, session, Role.OPERATOR)
    response = client.get("/dienstplan/benutzer")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Keine Berechtigung" in page and "Abmelden" in page
    english = client.get("/dienstplan/benutzer?lang=en").get_data(as_text=True)
    assert "Not allowed" in english and "Keine Berechtigung" not in english


def test_an_accept_link_of_a_closed_request_is_a_410_in_the_layout(app, session):
    configure(app)
    helper = make_helper(session)
    ticket = make_ticket(session)
    with app.app_context():
        create_offers(session, ticket, [helper.id], 1, DAYTIME)
    ticket.status = TicketStatus.CLOSED
    session.flush()
    token = offers(session, ticket)[0].token
    response = app.test_client().get(f"/d/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "app.css" in page and "Diese Anfrage ist abgeschlossen" in page
    english = app.test_client().get(f"/d/{token}?lang=en").get_data(as_text=True)
    assert "This request is closed" in english


def test_a_gone_page_is_a_german_410(app):
    app.add_url_rule("/test-weg", "test_gone", lambda: abort(410))
    page = app.test_client().get("/test-weg").get_data(as_text=True)
    assert "Nicht mehr gültig" in page and '<html lang="de"' in page


def test_a_server_error_is_a_german_500_and_english_with_lang_en(app):
    app.add_url_rule("/test-kaputt", "test_broken", lambda: abort(500))
    response = app.test_client().get("/test-kaputt")
    assert response.status_code == 500
    assert "Ein Fehler ist aufgetreten" in response.get_data(as_text=True)
    english = app.test_client().get("/test-kaputt?lang=en").get_data(as_text=True)
    assert "Something went wrong" in english


def test_an_expired_form_is_a_german_400_in_the_layout(app, session):
    make_user(session, Role.PLANNER, username="paula")
    response = app.test_client().post("/anmelden", data={"username": "paula", "password": "x"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in page and "app.css" in page


def test_twilio_never_gets_an_html_error_page(app):
    response = app.test_client().post("/gibt-es-nicht", headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 404
    assert response.mimetype == "text/xml" and "<Response" in response.get_data(as_text=True)


# -- languages ---------------------------------------------------------------------------------


def test_arabic_pages_are_written_right_to_left(app):
    page = app.test_client().get("/anmelden?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page


def test_the_language_switch_offers_every_catalogue(app):
    page = app.test_client().get("/anmelden").get_data(as_text=True)
    for lang in ("de", "en", "tr", "ar", "uk", "ru"):
        assert f'<option value="{lang}"' in page
        assert (ROOT / "hotline/translations" / lang / "LC_MESSAGES/messages.mo").exists()


def test_every_catalogue_translates_every_page_text():
    problems = _translations_tool().problems()
    assert problems == []


def test_a_page_text_missing_from_the_catalogue_is_reported(monkeypatch):
    tool = _translations_tool()
    monkeypatch.setattr(tool, "extract", lambda: {"Ein Text, den niemand übersetzt hat"})
    problems = tool.problems()
    assert "en: no translation for 'Ein Text, den niemand übersetzt hat'" in problems
    assert "de: no translation for 'Ein Text, den niemand übersetzt hat'" in problems
    for lang in ("tr", "ar", "uk", "ru"):
        assert f"{lang}: no translation for 'Ein Text, den niemand übersetzt hat'" in problems


def test_dates_and_numbers_are_written_the_german_way(app):
    from hotline.core import i18n

    with app.test_request_context("/"):
        assert i18n.format_date(dt.date(2030, 1, 7)) == "07.01.2030"
        assert i18n.format_number(1234.5) == "1.234,5"
        assert i18n.format_wall_clock(dt.datetime(2030, 1, 7, 20)) == "07.01.2030 20:00"
    with app.test_request_context("/?lang=en"):
        assert i18n.format_number(1234.5) == "1,234.5"


def _crawl(app, seeded, lang: str) -> dict[str, list[str]]:  # noqa: ANN001, F811
    client = _signed_in_admin(app, HTTPS)
    pages = {}
    for endpoint, url in _get_urls(app, seeded):
        if not endpoint.startswith(("rosters.", "dispatch_web.", "pages.", "voice_stats.")):
            continue
        response = client.get(url, query_string={"lang": lang}, base_url=HTTPS)
        if response.status_code == 200 and response.mimetype == "text/html":
            pages[url] = _visible_texts(response.get_data(as_text=True))
    assert len(pages) >= 20
    return pages


def test_english_pages_show_no_german_text(app, seeded):  # noqa: F811
    english = _catalogue("en")
    german_only = {msgid for msgid, text in english.items() if text and text != msgid}
    for url, texts in _crawl(app, seeded, "en").items():
        leftovers = [text for text in texts if text in german_only]
        assert leftovers == [], url


def test_german_pages_show_no_english_text(app, seeded):  # noqa: F811
    english = _catalogue("en")
    english_only = {text for msgid, text in english.items() if text and text != msgid}
    english_only -= set(english)  # a word both languages write alike
    for url, texts in _crawl(app, seeded, "de").items():
        leftovers = [text for text in texts if text in english_only]
        assert leftovers == [], url


# -- accounts ----------------------------------------------------------------------------------


def test_a_new_account_needs_a_role_chosen_explicitly(app, session):
    client = _signed_in(app, session, Role.ADMIN)
    data = {"username": "neu", "name": "Neu", "password": "geheim-genug-1", "language": "de"}
    response = post(client, "/dienstplan/benutzer", data)
    assert response.status_code == 422
    assert session.scalar(select(User).where(User.username == "neu")) is None


def test_the_account_form_preselects_the_least_privilege_and_names_roles_in_german(app, session):
    client = _signed_in(app, session, Role.ADMIN)
    page = client.get("/dienstplan/benutzer").get_data(as_text=True)
    assert '<option value="operator" selected>Telefondienst</option>' in page
    assert ">Administration</option>" in page and 'value="member"' not in page
    english = client.get("/dienstplan/benutzer?lang=en").get_data(as_text=True)
    assert '<option value="operator" selected>Phone duty</option>' in english


# -- demo --------------------------------------------------------------------------------------


def test_the_demo_has_a_sign_in_for_every_role(app, session):
    with app.app_context():
        load_demo(session, dt.datetime.now(dt.UTC))
    roles = {}
    for username, _what in registry(app).demo_sign_ins:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None, username
        roles[user.role] = username
    assert set(roles) == set(Role)
    client = app.test_client()
    for username in roles.values():
        assert login(client, username, "rufbereit-demo").status_code == 302
        client = app.test_client()


def test_the_run_banner_names_the_address_and_every_demo_sign_in(app):
    text = banner(5000, "token")
    assert "http://127.0.0.1:5000/ " in text and "rufbereit-demo" in text
    for username, _what in registry(app).demo_sign_ins:
        assert f" {username} " in text, username
