"""Dispatch pages: accept links, helper sign-up, organisations, coordinators, operators."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dispatch.models import (
    Helper,
    HelperStatus,
    OfferState,
    Organisation,
    Ticket,
    TicketSource,
    TicketStatus,
)
from dispatch.tickets import close_ticket
from dispatch.waves import create_offers
from hotline.models import OutboxMessage
from tests.dispatch_support import DAYTIME, configure, make_helper, make_ticket, messages, offers


@pytest.fixture
def ctx(app):
    """The app; requests run in their own app context, domain calls in ``with ctx.app_context()``."""
    configure(app)
    return app


@pytest.fixture
def client(ctx):  # noqa: ANN201
    return ctx.test_client()


def csrf(client, path: str) -> str:  # noqa: ANN001
    page = client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def offer_for(app, session):  # noqa: ANN001, ANN201
    helper = make_helper(session)
    ticket = make_ticket(session)
    with app.app_context():
        create_offers(session, ticket, [helper.id], 1, DAYTIME)
    return ticket, offers(session, ticket)[0]


def coordinator(client) -> None:  # noqa: ANN001
    token = csrf(client, "/dispatch/anmelden")
    response = client.post(
        "/dispatch/anmelden", data={"csrf_token": token, "token": "coordinator-secret"}
    )
    assert response.status_code == 302


# -- accept links -----------------------------------------------------------------------------


def test_get_shows_what_when_and_roughly_where_without_personal_data(client, session):
    ticket, offer = offer_for(client.application, session)
    page = client.get(f"/d/{offer.token}").get_data(as_text=True)
    assert "Einkaufen" in page and "11.03.2026 10:00" in page and "10115 Berlin" in page
    for private in ("Erika", "1521", "Invalidenstraße"):
        assert private not in page
    session.expire_all()
    assert offer.state == OfferState.PENDING  # a link preview never accepts


def test_post_accepts_and_shows_the_requesters_details(client, session):
    ticket, offer = offer_for(client.application, session)
    token = csrf(client, f"/d/{offer.token}")
    response = client.post(f"/d/{offer.token}", data={"csrf_token": token, "action": "accept"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sie haben zugesagt" in page and "Erika" in page and "Invalidenstraße 1" in page
    session.expire_all()
    assert offer.state == OfferState.ACCEPTED and ticket.status == TicketStatus.FILLED
    [details] = messages(session, "details:")
    assert "Erika" in details.body


def test_post_without_csrf_token_is_refused(client, session):
    _, offer = offer_for(client.application, session)
    response = client.post(f"/d/{offer.token}", data={"action": "accept"})
    assert response.status_code == 400
    session.expire_all()
    assert offer.state == OfferState.PENDING


def test_decline_by_link(client, session):
    _, offer = offer_for(client.application, session)
    token = csrf(client, f"/d/{offer.token}")
    client.post(f"/d/{offer.token}", data={"csrf_token": token, "action": "decline"})
    session.expire_all()
    assert offer.state == OfferState.DECLINED


def test_link_expires_when_the_ticket_closes(client, session):
    ticket, offer = offer_for(client.application, session)
    token = csrf(client, f"/d/{offer.token}")
    with client.application.app_context():
        close_ticket(session, ticket)
    session.flush()
    response = client.get(f"/d/{offer.token}")
    assert response.status_code == 410
    assert "abgeschlossen" in response.get_data(as_text=True)
    client.post(f"/d/{offer.token}", data={"csrf_token": token, "action": "accept"})
    session.expire_all()
    assert offer.state != OfferState.ACCEPTED


def test_unknown_token_is_not_found(client):
    assert client.get("/d/not-a-real-token").status_code == 404


def test_late_accept_by_link_is_thanked_and_told_it_is_filled(client, session):
    ticket = make_ticket(session)
    first, second = make_helper(session), make_helper(session)
    with client.application.app_context():
        create_offers(session, ticket, [first.id, second.id], 1, DAYTIME)
    o1, o2 = offers(session, ticket)
    token = csrf(client, f"/d/{o2.token}")  # both pages were opened before anyone accepted
    for offer in (o1, o2):
        response = client.post(f"/d/{offer.token}", data={"csrf_token": token, "action": "accept"})
    assert "schon genug Helfende" in response.get_data(as_text=True)
    session.expire_all()
    assert (o1.state, o2.state) == (OfferState.ACCEPTED, OfferState.TOO_LATE)


# -- sign-up ------------------------------------------------------------------------------------


SIGNUP = {
    "name": "Mia Muster",
    "phone": "0151 23456789",
    "postal_code": "33602",
    "radius_km": "8",
    "activities": ["shopping", "phone_company"],
    "languages": "de, en",
    "preferred_language": "de",
    "availability": "mo-fr 17:00-20:00",
    "max_per_week": "2",
    "consent": "1",
}


def test_signup_texts_a_code_and_the_right_code_creates_the_helper(client, session):
    token = csrf(client, "/hilfe/anmelden")
    response = client.post("/hilfe/anmelden", data={**SIGNUP, "csrf_token": token})
    assert response.status_code == 302
    [sms] = messages(session, "signup:")
    assert sms.to == "+4915123456789"
    code = re.search(r"\d{6}", sms.body).group(0)
    assert session.scalars(select(Helper)).first() is None  # not before the number is confirmed
    wrong = client.post(
        response.location,
        data={"csrf_token": token, "code": "000000" if code != "000000" else "111111"},
    )
    assert wrong.status_code == 422
    done = client.post(response.location, data={"csrf_token": token, "code": code})
    assert done.status_code == 200 and "Mia Muster" in done.get_data(as_text=True)
    helper = session.scalars(select(Helper)).one()
    assert helper.status == HelperStatus.ACTIVE and helper.consent_at is not None
    assert helper.activities == ["shopping", "phone_company"]
    assert helper.availability == {str(d): [["17:00", "20:00"]] for d in range(5)}


def test_signup_with_an_unknown_postal_code_is_a_clear_error(client, session):
    token = csrf(client, "/hilfe/anmelden")
    response = client.post(
        "/hilfe/anmelden", data={**SIGNUP, "postal_code": "00000", "csrf_token": token}
    )
    assert response.status_code == 422
    assert "Postal code 00000 is not in the postal code table." in response.get_data(as_text=True)
    assert messages(session, "signup:") == []


def test_signup_needs_consent(client, session):
    token = csrf(client, "/hilfe/anmelden")
    data = {k: v for k, v in SIGNUP.items() if k != "consent"}
    response = client.post("/hilfe/anmelden", data={**data, "csrf_token": token})
    assert response.status_code == 422
    assert messages(session, "signup:") == []


# -- organisations and coordinators ---------------------------------------------------------------


def register(client, name: str = "Tafel Mitte") -> str:  # noqa: ANN001
    token = csrf(client, "/organisationen/registrieren")
    page = client.post(
        "/organisationen/registrieren",
        data={"csrf_token": token, "name": name, "contact_phone": "0151 99887766"},
    ).get_data(as_text=True)
    return re.search(r'<code id="token">([^<]+)</code>', page).group(1)


CALLOUT = {
    "activity": "errands",
    "postal_code": "10115",
    "starts_at": "2026-03-12T10:00",
    "hours": "3",
    "needed": "2",
    "description": "Kartons tragen",
    "languages": "de",
}


def test_coordinator_pages_need_sign_in(client):
    response = client.get("/dispatch/")
    assert response.status_code == 302 and "/dispatch/anmelden" in response.location


def test_a_wrong_token_does_not_sign_in(client):
    token = csrf(client, "/dispatch/anmelden")
    assert (
        client.post("/dispatch/anmelden", data={"csrf_token": token, "token": "nope"}).status_code
        == 403
    )
    assert client.get("/dispatch/").status_code == 302


def test_an_organisation_that_is_not_approved_cannot_create_call_outs(ctx, session):
    client = ctx.test_client()
    org_token = register(client)
    login = csrf(client, "/dispatch/anmelden")
    client.post("/dispatch/anmelden", data={"csrf_token": login, "token": org_token})
    page = client.get("/dispatch/aufrufe/neu")
    assert page.status_code == 403
    assert "noch nicht freigegeben" in page.get_data(as_text=True)
    token = csrf(client, "/dispatch/aufrufe/neu")
    response = client.post("/dispatch/aufrufe/neu", data={**CALLOUT, "csrf_token": token})
    assert response.status_code == 422
    assert session.scalars(select(Ticket)).first() is None


def test_a_coordinator_approves_and_then_members_create_call_outs(ctx, session):
    member = ctx.test_client()
    org_token = register(member)
    org = session.scalars(select(Organisation)).one()
    boss = ctx.test_client()
    coordinator(boss)
    assert "Tafel Mitte" in boss.get("/dispatch/").get_data(as_text=True)
    token = csrf(boss, "/dispatch/")
    boss.post(f"/dispatch/organisationen/{org.id}/freigeben", data={"csrf_token": token})
    session.expire_all()
    assert org.approved
    login = csrf(member, "/dispatch/anmelden")
    member.post("/dispatch/anmelden", data={"csrf_token": login, "token": org_token})
    token = csrf(member, "/dispatch/aufrufe/neu")
    response = member.post("/dispatch/aufrufe/neu", data={**CALLOUT, "csrf_token": token})
    assert response.status_code == 200
    ticket = session.scalars(select(Ticket)).one()
    assert ticket.source == TicketSource.ORGANISATION and ticket.organisation_id == org.id
    assert ticket.needed == 2 and ticket.activity.value == "errands"
    assert (ticket.requester_first_name, ticket.requester_phone) == (
        "Tafel Mitte",
        "+4915199887766",
    )
    assert ticket.window_start.isoformat() == "2026-03-12T09:00:00+00:00"  # 10:00 Berlin
    assert ticket.reference in response.get_data(as_text=True)


def test_operator_creates_a_ticket_while_on_the_phone_and_dispatch_is_queued(client, session):
    coordinator(client)
    token = csrf(client, "/dispatch/tickets/neu")
    response = client.post(
        "/dispatch/tickets/neu",
        data={
            **CALLOUT,
            "activity": "shopping",
            "needed": "1",
            "csrf_token": token,
            "requester_first_name": "Hans",
            "requester_phone": "030 1234567",
            "address": "Chausseestraße 5",
        },
    )
    assert response.status_code == 200
    ticket = session.scalars(select(Ticket)).one()
    assert ticket.source == TicketSource.OPERATOR and ticket.requester_phone == "+49301234567"
    start = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "dispatch_start")
    ).one()
    assert start.payload == {"ticket_id": ticket.id}


def test_operator_form_reports_an_unknown_postal_code(client, session):
    coordinator(client)
    token = csrf(client, "/dispatch/tickets/neu")
    response = client.post(
        "/dispatch/tickets/neu",
        data={
            **CALLOUT,
            "postal_code": "99999",
            "requester_phone": "030 1234567",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert "99999" in response.get_data(as_text=True)
    assert session.scalars(select(Ticket)).first() is None


def test_coordinator_edits_a_helper(client, session):
    helper = make_helper(session, name="Alt")
    coordinator(client)
    token = csrf(client, f"/dispatch/helfende/{helper.id}")
    response = client.post(
        f"/dispatch/helfende/{helper.id}",
        data={
            "csrf_token": token,
            "name": "Neu",
            "phone": helper.phone,
            "postal_code": "10117",
            "radius_km": "20",
            "activities": ["translation"],
            "languages": "de, ar",
            "max_per_week": "4",
            "status": "paused",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert (helper.name, helper.radius_km, helper.status) == ("Neu", 20, HelperStatus.PAUSED)
    assert helper.activities == ["translation"] and helper.languages == ["de", "ar"]


CSV_OK = """name,phone,postal_code,radius_km,activities,languages,availability,max_per_week,preferred_language,consent_at
Ada,0151 11111111,10115,5,shopping;errands,de;en,mo-fr 09:00-12:00,3,de,2026-01-02
Ben,0151 22222222,33602,10,translation,de;tr,,2,en,2026-01-03
"""


def upload(client, text: str):  # noqa: ANN001, ANN201
    import io

    token = csrf(client, "/dispatch/helfende/import")
    return client.post(
        "/dispatch/helfende/import",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "helfende.csv")},
        content_type="multipart/form-data",
    )


def test_csv_import_by_a_coordinator(client, session):
    coordinator(client)
    response = upload(client, CSV_OK)
    assert response.status_code == 200
    assert "2 Helfende importiert" in response.get_data(as_text=True)
    assert sorted(h.name for h in session.scalars(select(Helper))) == ["Ada", "Ben"]


def test_csv_import_with_a_bad_row_imports_nothing_and_names_the_row(client, session):
    coordinator(client)
    bad = CSV_OK + "Cem,12,99999,5,flying,de,,3,de,2026-01-04\n"
    response = upload(client, bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Zeile 4" in page and "99999" in page and "flying" in page
    assert session.scalars(select(Helper)).first() is None


def test_coordinator_adds_a_helper_with_the_form(client, session):
    coordinator(client)
    page = client.get("/dispatch/helfende/neu")
    assert page.status_code == 200 and 'name="postal_code"' in page.get_data(as_text=True)
    token = csrf(client, "/dispatch/helfende/neu")
    data = {**SIGNUP, "csrf_token": token}
    assert client.post("/dispatch/helfende/neu", data=data).status_code == 302
    helper = session.scalars(select(Helper)).one()
    assert (helper.name, helper.radius_km, helper.status) == ("Mia Muster", 8, HelperStatus.ACTIVE)
    again = client.post("/dispatch/helfende/neu", data=data)
    assert again.status_code == 422
    assert "schon eingetragen" in again.get_data(as_text=True)


def test_signup_sends_at_most_three_codes_per_number_and_hour(client, session):
    token = csrf(client, "/hilfe/anmelden")
    statuses = [
        client.post("/hilfe/anmelden", data={**SIGNUP, "csrf_token": token}).status_code
        for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 422]
    assert len(messages(session, "signup:")) == 3


def test_offer_pages_are_not_cached_and_send_no_referrer(client, session):
    _, offer = offer_for(client.application, session)
    response = client.get(f"/d/{offer.token}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
