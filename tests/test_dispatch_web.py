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
    OrganisationMember,
    Ticket,
    TicketSource,
    TicketStatus,
)
from dispatch.tickets import close_ticket
from dispatch.waves import create_offers
from hotline.core.models import OutboxMessage, Role, User
from tests.conftest import make_operator
from tests.dispatch_support import DAYTIME, configure, make_helper, make_ticket, messages, offers
from tests.roster_support import login, make_user


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


def signed_in(client, session, role: Role = Role.COORDINATOR, username: str = "koordination"):  # noqa: ANN001, ANN201
    """A roster account with ``role``, signed in on ``client`` at the rosters' sign-in page."""
    operator = make_operator(session) if role == Role.OPERATOR else None
    user = make_user(session, role, operator=operator, username=username)
    assert login(client, username).status_code == 302
    return user


def coordinator(client, session) -> None:  # noqa: ANN001
    signed_in(client, session, Role.COORDINATOR)


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
    # the page is German, and so is the refusal (tests/test_domain_errors.py: English too)
    assert "Die Postleitzahl 00000 steht nicht in unserer Tabelle." in response.get_data(
        as_text=True
    )
    assert messages(session, "signup:") == []


def test_signup_needs_consent(client, session):
    token = csrf(client, "/hilfe/anmelden")
    data = {k: v for k, v in SIGNUP.items() if k != "consent"}
    response = client.post("/hilfe/anmelden", data={**data, "csrf_token": token})
    assert response.status_code == 422
    assert messages(session, "signup:") == []


# -- organisations and coordinators ---------------------------------------------------------------


MEMBER_PASSWORD = "tafel-passwort-1234"


def register(client, name: str = "Tafel Mitte", username: str = "tafel", **extra: str):  # noqa: ANN001, ANN201
    token = csrf(client, "/organisationen/registrieren")
    return client.post(
        "/organisationen/registrieren",
        data={
            "csrf_token": token,
            "name": name,
            "contact_phone": "0151 99887766",
            "member_name": "Tina Tafel",
            "username": username,
            "password": MEMBER_PASSWORD,
            **extra,
        },
    )


def register_and_sign_in(client, **kw: str):  # noqa: ANN001, ANN201
    """Register, then sign in as the new member (registering signs nobody in)."""
    response = register(client, **kw)
    assert login(client, kw.get("username", "tafel"), MEMBER_PASSWORD).status_code == 302
    return response


CALLOUT = {
    "activity": "errands",
    "postal_code": "10115",
    "starts_at": "2026-03-12T10:00",
    "hours": "3",
    "needed": "2",
    "description": "Kartons tragen",
    "languages": "de",
}


def approve(ctx, session, org: Organisation) -> None:  # noqa: ANN001
    boss = ctx.test_client()
    coordinator(boss, session)
    token = csrf(boss, "/dispatch/")
    response = boss.post(f"/dispatch/organisationen/{org.id}/freigeben", data={"csrf_token": token})
    assert response.status_code == 302
    session.expire_all()


def test_registering_creates_a_pending_organisation_and_its_first_member(client, session):
    response = register(client)
    assert response.status_code == 200
    assert "meldet sich bei Ihnen" in response.get_data(as_text=True)
    org = session.scalars(select(Organisation)).one()
    assert (org.name, org.contact_phone, org.approved) == ("Tafel Mitte", "+4915199887766", False)
    [member] = session.scalars(select(OrganisationMember)).all()
    user = session.get(User, member.user_id)
    assert (member.organisation_id, user.username, user.name) == (org.id, "tafel", "Tina Tafel")
    assert user.role == Role.MEMBER and user.operator_id is None
    assert user.password_hash.startswith("scrypt:") and MEMBER_PASSWORD not in user.password_hash
    assert client.get("/dispatch/aufrufe/neu").status_code == 302  # nobody is signed in
    assert login(client, "tafel", MEMBER_PASSWORD).status_code == 302
    page = client.get("/dispatch/aufrufe/neu")  # signed in, but not approved yet
    assert page.status_code == 403 and "noch nicht freigegeben" in page.get_data(as_text=True)


def test_registration_with_a_short_password_stores_nothing(client, session):
    make_user(session, Role.PLANNER, username="paula")
    short = register(client, password="zu-kurz")
    assert short.status_code == 422
    assert "mindestens 10 Zeichen" in short.get_data(as_text=True)
    taken_and_short = register(client, username="paula", password="zu-kurz")
    assert taken_and_short.status_code == 422
    assert "vergeben" not in taken_and_short.get_data(as_text=True)
    assert session.scalars(select(Organisation)).first() is None
    assert session.scalars(select(OrganisationMember)).first() is None
    assert [u.username for u in session.scalars(select(User))] == ["paula"]


def test_coordinator_pages_send_anonymous_visitors_to_the_roster_sign_in(client):
    response = client.get("/dispatch/")
    assert response.status_code == 302
    assert response.location == "/anmelden?next=/dispatch/"


def test_an_organisation_that_is_not_approved_cannot_create_call_outs(ctx, session):
    client = ctx.test_client()
    register_and_sign_in(client)
    token = csrf(client, "/organisationen/registrieren")
    response = client.post("/dispatch/aufrufe/neu", data={**CALLOUT, "csrf_token": token})
    assert response.status_code == 403
    assert "noch nicht freigegeben" in response.get_data(as_text=True)
    assert session.scalars(select(Ticket)).first() is None


def test_a_rejected_organisation_cannot_create_call_outs(ctx, session):
    member = ctx.test_client()
    register_and_sign_in(member)
    org = session.scalars(select(Organisation)).one()
    boss = ctx.test_client()
    coordinator(boss, session)
    token = csrf(boss, "/dispatch/")
    boss.post(f"/dispatch/organisationen/{org.id}/ablehnen", data={"csrf_token": token})
    session.expire_all()
    assert org.rejected and not org.approved
    assert (
        "Tafel Mitte"
        not in boss.get("/dispatch/").get_data(as_text=True).split("<h2>Alle Organisationen")[0]
    )
    page = member.get("/dispatch/aufrufe/neu")
    assert page.status_code == 403 and "nicht freigegeben" in page.get_data(as_text=True)
    token = csrf(member, "/organisationen/registrieren")
    response = member.post("/dispatch/aufrufe/neu", data={**CALLOUT, "csrf_token": token})
    assert response.status_code == 403
    assert session.scalars(select(Ticket)).first() is None


def test_a_coordinator_approves_and_then_members_create_call_outs(ctx, session):
    member = ctx.test_client()
    register_and_sign_in(member)
    org = session.scalars(select(Organisation)).one()
    boss = ctx.test_client()
    coordinator(boss, session)
    assert "Tafel Mitte" in boss.get("/dispatch/").get_data(as_text=True)
    token = csrf(boss, "/dispatch/")
    boss.post(f"/dispatch/organisationen/{org.id}/freigeben", data={"csrf_token": token})
    session.expire_all()
    assert org.approved
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


def test_approving_needs_a_coordinator(ctx, session):
    register(ctx.test_client())
    org = session.scalars(select(Organisation)).one()
    path = f"/dispatch/organisationen/{org.id}/freigeben"
    anonymous = ctx.test_client()
    token = csrf(anonymous, "/organisationen/registrieren")
    response = anonymous.post(path, data={"csrf_token": token})
    assert response.status_code == 302 and response.location == f"/anmelden?next={path}"
    for role, username in ((Role.OPERATOR, "otto"), (Role.PLANNER, "paula")):
        client = ctx.test_client()
        signed_in(client, session, role, username)
        token = csrf(client, "/dispatch/tickets/neu")
        assert client.post(path, data={"csrf_token": token}).status_code == 403
        assert client.get("/dispatch/").status_code == 403
    session.expire_all()
    assert not org.approved


def test_a_member_signs_in_lands_on_the_call_out_form_and_has_no_other_pages(ctx, session):
    register(ctx.test_client())
    approve(ctx, session, session.scalars(select(Organisation)).one())
    member = ctx.test_client()
    response = login(member, "tafel", MEMBER_PASSWORD)
    assert response.status_code == 302 and response.location == "/"
    assert member.get("/").location == "/dispatch/aufrufe/neu"
    assert member.get("/dienstplan/").location == "/dispatch/aufrufe/neu"
    assert member.get("/dispatch/aufrufe/neu").status_code == 200
    for path in ("/dispatch/tickets/neu", "/dispatch/", "/dienstplan/offen", "/dienstplan/tausch"):
        assert member.get(path).status_code == 403, path


def test_an_account_without_organisation_cannot_create_call_outs(client, session):
    coordinator(client, session)
    page = client.get("/dispatch/aufrufe/neu")
    assert page.status_code == 403
    assert "gehört zu keiner Organisation" in page.get_data(as_text=True)


def test_a_coordinator_adds_a_member_who_can_then_post_call_outs(ctx, session):
    register(ctx.test_client())
    org = session.scalars(select(Organisation)).one()
    approve(ctx, session, org)
    boss = ctx.test_client()
    signed_in(boss, session, Role.COORDINATOR, "chefin")
    token = csrf(boss, f"/dispatch/organisationen/{org.id}")
    response = boss.post(
        f"/dispatch/organisationen/{org.id}",
        data={
            "csrf_token": token,
            "member_name": "Max Mitglied",
            "username": "max",
            "password": "max-passwort-1234",
        },
    )
    assert response.status_code == 302
    page = boss.get(f"/dispatch/organisationen/{org.id}").get_data(as_text=True)
    assert "Max Mitglied (max)" in page and "Tina Tafel (tafel)" in page
    max_ = session.scalars(select(User).where(User.username == "max")).one()
    assert max_.role == Role.MEMBER
    assert session.get(OrganisationMember, max_.id).organisation_id == org.id
    member = ctx.test_client()
    assert login(member, "max", "max-passwort-1234").status_code == 302
    token = csrf(member, "/dispatch/aufrufe/neu")
    assert (
        member.post("/dispatch/aufrufe/neu", data={**CALLOUT, "csrf_token": token}).status_code
        == 200
    )
    assert session.scalars(select(Ticket)).one().organisation_id == org.id


def test_adding_a_member_with_a_short_password_is_refused(ctx, session):
    register(ctx.test_client())
    org = session.scalars(select(Organisation)).one()
    boss = ctx.test_client()
    coordinator(boss, session)
    token = csrf(boss, f"/dispatch/organisationen/{org.id}")
    response = boss.post(
        f"/dispatch/organisationen/{org.id}",
        data={"csrf_token": token, "username": "max", "password": "kurz"},
    )
    assert response.status_code == 422
    assert session.scalars(select(User).where(User.username == "max")).first() is None


def test_operators_create_tickets_by_phone_but_reach_no_coordinator_page(client, session):
    signed_in(client, session, Role.OPERATOR, "otto")
    assert client.get("/dispatch/tickets/neu").status_code == 200
    for path in ("/dispatch/", "/dispatch/helfende/neu", "/dispatch/helfende/import"):
        assert client.get(path).status_code == 403, path


def test_operator_creates_a_ticket_while_on_the_phone_and_dispatch_is_queued(client, session):
    signed_in(client, session, Role.OPERATOR, "otto")
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
    coordinator(client, session)
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
    coordinator(client, session)
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
    coordinator(client, session)
    response = upload(client, CSV_OK)
    assert response.status_code == 200
    assert "2 Helfende importiert" in response.get_data(as_text=True)
    assert sorted(h.name for h in session.scalars(select(Helper))) == ["Ada", "Ben"]


def test_csv_import_with_a_bad_row_imports_nothing_and_names_the_row(client, session):
    coordinator(client, session)
    bad = CSV_OK + "Cem,12,99999,5,flying,de,,3,de,2026-01-04\n"
    response = upload(client, bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Zeile 4" in page and "99999" in page and "flying" in page
    assert session.scalars(select(Helper)).first() is None


def test_coordinator_adds_a_helper_with_the_form(client, session):
    coordinator(client, session)
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
    assert statuses == [302, 302, 302, 429]
    assert len(messages(session, "signup:")) == 3


def test_offer_pages_are_not_cached_and_send_no_referrer(client, session):
    _, offer = offer_for(client.application, session)
    response = client.get(f"/d/{offer.token}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_demo_sign_ins_reach_their_pages(ctx, session):
    from dispatch.demo import DEMO_PASSWORD
    from hotline.core.demo import load_demo
    from hotline.core.models import utcnow

    with ctx.app_context():
        summary = load_demo(session, utcnow())
    session.flush()
    assert "koordination" in summary and "tafel" in summary and DEMO_PASSWORD in summary
    boss = ctx.test_client()
    assert login(boss, "koordination", DEMO_PASSWORD).status_code == 302
    assert "Tafel Demo" in boss.get("/dispatch/").get_data(as_text=True)
    member = ctx.test_client()
    assert login(member, "tafel", DEMO_PASSWORD).status_code == 302
    assert member.get("/dispatch/aufrufe/neu").status_code == 200


# -- forms: bounded, checked, in German -----------------------------------------------------------

TEN_MB = 10 * 2**20


def test_a_ten_megabyte_field_is_refused_in_german_before_anything_is_stored(client, session):
    token = csrf(client, "/hilfe/anmelden")
    response = client.post(
        "/hilfe/anmelden", data={**SIGNUP, "name": "x" * TEN_MB, "csrf_token": token}
    )
    assert response.status_code == 413
    assert "Die Eingaben sind zu lang" in response.get_data(as_text=True)
    assert messages(session, "signup:") == []


def test_a_ten_megabyte_csv_pasted_into_the_import_is_refused_in_german(client, session):
    coordinator(client, session)
    token = csrf(client, "/dispatch/helfende/import")
    big = CSV_OK + "x" * TEN_MB
    response = client.post("/dispatch/helfende/import", data={"csrf_token": token, "csv": big})
    assert response.status_code == 413
    assert "Die Datei ist zu groß" in response.get_data(as_text=True)
    assert session.scalars(select(Helper)).first() is None


def test_a_huge_csv_file_is_refused_in_german_before_it_is_read(client, session):
    coordinator(client, session)
    response = upload(client, CSV_OK + "x" * TEN_MB)
    assert response.status_code == 413
    assert "höchstens 2 MB" in response.get_data(as_text=True)
    assert session.scalars(select(Helper)).first() is None


def test_a_csv_file_just_over_the_bound_is_refused_in_german(client, session):
    from dispatch.forms import MAX_CSV_BYTES

    coordinator(client, session)
    response = upload(client, CSV_OK + "x" * (MAX_CSV_BYTES - len(CSV_OK) + 1))
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Die Datei ist zu groß (höchstens 2 MB)." in page and "Nichts importiert" not in page
    assert session.scalars(select(Helper)).first() is None


def test_a_csv_may_be_pasted_instead_of_uploaded(client, session):
    coordinator(client, session)
    token = csrf(client, "/dispatch/helfende/import")
    response = client.post("/dispatch/helfende/import", data={"csrf_token": token, "csv": CSV_OK})
    assert response.status_code == 200
    assert sorted(h.name for h in session.scalars(select(Helper))) == ["Ada", "Ben"]


def test_a_name_longer_than_its_column_is_refused_in_german(client, session):
    token = csrf(client, "/hilfe/anmelden")
    response = client.post(
        "/hilfe/anmelden", data={**SIGNUP, "name": "M" * 121, "csrf_token": token}
    )
    assert response.status_code == 422
    assert "Name: Bitte höchstens 120 Zeichen." in response.get_data(as_text=True)
    assert messages(session, "signup:") == []


def test_an_organisation_name_longer_than_its_column_stores_nothing(client, session):
    response = register(client, name="T" * 201)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Name der Organisation: Bitte höchstens 200 Zeichen." in page
    assert MEMBER_PASSWORD not in page  # the password is never echoed back
    assert session.scalars(select(Organisation)).first() is None


def test_the_helper_form_names_each_wrong_number_and_postal_code_in_german(client, session):
    token = csrf(client, "/hilfe/anmelden")
    data = {
        **SIGNUP,
        "csrf_token": token,
        "postal_code": "336",
        "radius_km": "weit",
        "max_per_week": "99",
        "phone": "0151 abc",
        "activities": ["shopping", "flying"],
    }
    response = client.post("/hilfe/anmelden", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for problem in (
        "Postleitzahl: Bitte eine fünfstellige Postleitzahl angeben.",
        "Umkreis in km: Bitte eine ganze Zahl angeben.",
        "Höchstens so viele Anfragen pro Woche: Bitte eine Zahl von 1 bis 50.",
        "Handynummer: Bitte nur Ziffern, Leerzeichen und die Zeichen + ( ) / - verwenden.",
        "„flying“ steht nicht zur Wahl.",
    ):
        assert problem in page, problem
    assert messages(session, "signup:") == []


def test_the_ticket_form_names_each_wrong_value_in_german(client, session):
    signed_in(client, session, Role.OPERATOR, "otto")
    token = csrf(client, "/dispatch/tickets/neu")
    data = {
        **CALLOUT,
        "csrf_token": token,
        "starts_at": "morgen früh",
        "hours": "nan",
        "needed": "viele",
        "languages": "deutsch und türkisch",
    }
    response = client.post("/dispatch/tickets/neu", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for problem in (
        "Beginn: Bitte Datum und Uhrzeit angeben.",
        "Dauer in Stunden: Bitte eine Zahl angeben.",
        "Anzahl Helfende: Bitte eine ganze Zahl angeben.",
        "Sprachen als Kürzel, z. B. de, tr.",
        "Telefon: Bitte eine Rückrufnummer angeben.",
    ):
        assert problem in page, problem
    assert session.scalars(select(Ticket)).first() is None


def test_a_ticket_for_more_than_a_week_or_fifty_helpers_is_refused(client, session):
    signed_in(client, session, Role.OPERATOR, "otto")
    token = csrf(client, "/dispatch/tickets/neu")
    data = {**CALLOUT, "csrf_token": token, "requester_phone": "030 1234567"}
    response = client.post("/dispatch/tickets/neu", data={**data, "hours": "169", "needed": "51"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bitte eine Dauer von 0,5 bis 168 Stunden." in page
    assert "Anzahl Helfende: Bitte eine Zahl von 1 bis 50." in page
    assert session.scalars(select(Ticket)).first() is None


def test_a_sign_up_code_that_is_not_six_digits_is_no_attempt(client, session):
    from dispatch.models import Signup

    token = csrf(client, "/hilfe/anmelden")
    response = client.post("/hilfe/anmelden", data={**SIGNUP, "csrf_token": token})
    wrong = client.post(response.location, data={"csrf_token": token, "code": "12ab"})
    assert wrong.status_code == 422
    assert "Bitte den sechsstelligen Code aus der SMS eingeben." in wrong.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(Signup)).one().attempts == 0


def test_an_accept_link_answer_other_than_yes_or_no_is_a_bad_request(client, session):
    _, offer = offer_for(client.application, session)
    token = csrf(client, f"/d/{offer.token}")
    response = client.post(f"/d/{offer.token}", data={"csrf_token": token, "action": "maybe"})
    assert response.status_code == 400
    session.expire_all()
    assert offer.state == OfferState.PENDING


def test_the_helper_form_shows_the_stored_profile(client, session):
    helper = make_helper(session, name="Ida", status=HelperStatus.PAUSED)
    helper.activities = ["errands", "translation"]
    session.flush()
    coordinator(client, session)
    page = client.get(f"/dispatch/helfende/{helper.id}").get_data(as_text=True)
    assert 'name="name" required type="text" value="Ida"' in page
    checked = re.findall(
        r'<input checked id="activities-\d" name="activities" type="checkbox" value="(\w+)"', page
    )
    assert checked == ["errands", "translation"]
    assert '<option selected value="paused">pausiert</option>' in page


def test_signup_takes_the_channel_choice_and_the_email_address(client, session):
    token = csrf(client, "/hilfe/anmelden")
    assert 'name="channels"' in client.get("/hilfe/anmelden").get_data(as_text=True)
    data = {**SIGNUP, "email": "mia@example.org", "channels": "both", "csrf_token": token}
    response = client.post("/hilfe/anmelden", data=data)
    [sms] = messages(session, "signup:")
    code = re.search(r"\d{6}", sms.body).group(0)
    client.post(response.location, data={"csrf_token": token, "code": code})
    helper = session.scalars(select(Helper)).one()
    assert (helper.email, helper.channels) == ("mia@example.org", ["sms", "email"])


def test_signup_by_email_without_an_address_is_refused_in_german(client, session):
    token = csrf(client, "/hilfe/anmelden")
    response = client.post(
        "/hilfe/anmelden", data={**SIGNUP, "channels": "email", "csrf_token": token}
    )
    assert response.status_code == 422
    assert "bitte eine E-Mail-Adresse angeben" in response.get_data(as_text=True)
    assert messages(session, "signup:") == []


def test_the_coordinators_page_says_there_are_no_tickets_and_names_statuses_in_german(
    client, session
):
    make_helper(session, name="Hanna")
    coordinator(client, session)
    page = client.get("/dispatch/").get_data(as_text=True)
    assert "Noch keine Tickets." in page and "<th>Wellen</th>" not in page
    assert "(10115, aktiv)" in page and "active" not in page
    english = client.get("/dispatch/?lang=en").get_data(as_text=True)
    assert "No tickets yet." in english and "(10115, active)" in english
