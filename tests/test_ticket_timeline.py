"""A ticket's timeline and its truthful status, read from the records (dispatch.timeline),
and the pages that show them: ticket detail, the list, the page after creating a ticket,
the helper search, and a member's view of their organisation's call-outs."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from dispatch import offers as offer_actions
from dispatch.models import Organisation, OrganisationMember, Ticket, TicketSource
from dispatch.timeline import EntryKind, StatusKind, ticket_status, timeline
from dispatch.waves import send_wave
from hotline.core.models import MessageState, OutboundMessage, Role
from tests.conftest import make_operator
from tests.dispatch_support import (
    DAYTIME,
    configure,
    make_helper,
    make_ticket,
    offers,
    request_scope,
)
from tests.roster_support import login, make_user

#: 23:30 Berlin (22:30 UTC): quiet hours.
NIGHT = dt.datetime(2026, 3, 10, 22, 30, tzinfo=dt.UTC)


@pytest.fixture
def ctx(app):
    configure(app)
    with app.app_context():
        yield app


def message(session, offer) -> OutboundMessage:  # noqa: ANN001
    return session.scalars(
        select(OutboundMessage).where(OutboundMessage.key == f"offer:{offer.id}")
    ).one()


def filled_ticket(session):  # noqa: ANN001, ANN201
    """Wave 1 asks three helpers: Anna declines, Bert accepts (filling the ticket), Cem's
    offer was sent and is stood down."""
    for name in ("Anna", "Bert", "Cem"):
        make_helper(session, name=name)
    ticket = make_ticket(session, needed=1)
    ticket.created_at = DAYTIME - dt.timedelta(minutes=1)
    assert send_wave(session, ticket.id, 1, DAYTIME).asked == 3
    by_name = {o.helper.name: o for o in offers(session, ticket)}
    for offer in by_name.values():
        sent = message(session, offer)
        sent.state, sent.sent_at = MessageState.SENT, DAYTIME
    message(session, by_name["Anna"]).delivery_status = "delivered"
    message(session, by_name["Bert"]).state = MessageState.UNCERTAIN
    session.flush()
    offer_actions.decline(session, by_name["Anna"])
    offer_actions.accept(session, by_name["Bert"])
    session.flush()
    return ticket, by_name


def test_timeline_tells_the_story_of_a_filled_ticket_from_the_records(ctx, session):
    ticket, _ = filled_ticket(session)
    entries = timeline(session, ticket.id)
    kinds = [e.kind for e in entries]
    assert kinds[:2] == [EntryKind.CREATED, EntryKind.WAVE]
    assert {EntryKind.DECLINED, EntryKind.ACCEPTED, EntryKind.STOOD_DOWN, EntryKind.FILLED} <= set(
        kinds
    )
    assert kinds.index(EntryKind.DECLINED) < kinds.index(EntryKind.ACCEPTED)
    wave = entries[1]
    assert wave.wave == 1 and wave.label == "Runde 1: 3 gefragt"
    delivery = {a.name: a.delivery for a in wave.asked}
    assert delivery == {"Anna": "delivered", "Bert": "uncertain", "Cem": "sent"}
    assert {a.channel for a in wave.asked} == {"sms"}
    assert [e.name for e in entries if e.kind == EntryKind.STOOD_DOWN] == ["Cem"]
    assert [e.label for e in entries if e.kind == EntryKind.ACCEPTED] == ["Bert hat zugesagt"]


def test_an_uncertain_delivery_is_shown_as_such(ctx, session):
    ticket, _ = filled_ticket(session)
    wave = timeline(session, ticket.id)[1]
    labels = {a.name: a.delivery_label for a in wave.asked}
    assert labels == {"Anna": "zugestellt", "Bert": "Versand unklar", "Cem": "gesendet"}


def test_a_ticket_created_at_night_waits_for_the_end_of_quiet_hours(ctx, session):
    ticket = make_ticket(session)
    status = ticket_status(session, ticket, NIGHT)
    assert status.kind == StatusKind.QUIET
    assert status.text() == "Wartet bis 08:00 (Ruhezeit)"


def test_an_urgent_ticket_is_not_held_back_by_quiet_hours(ctx, session):
    ticket = make_ticket(session, urgent=True)
    assert ticket_status(session, ticket, NIGHT).kind == StatusKind.STARTING


def test_a_running_call_out_counts_acceptances_and_names_the_next_wave(ctx, session):
    for _ in range(6):
        make_helper(session)
    ticket = make_ticket(session, needed=2)
    send_wave(session, ticket.id, 1, DAYTIME)
    offer_actions.accept(session, offers(session, ticket)[0])
    session.flush()
    # next wave after 20 minutes: 10:20 Berlin
    assert ticket_status(session, ticket, DAYTIME).text() == "1 von 2 zugesagt, nächste Runde 10:20"


def test_a_filled_ticket_says_so(ctx, session):
    ticket, _ = filled_ticket(session)
    assert ticket_status(session, ticket, DAYTIME).text() == "Besetzt"


def test_when_nobody_matches_the_status_says_so(ctx, session):
    ticket = make_ticket(session, postal_code="80331")  # no helper in Munich
    send_wave(session, ticket.id, 1, DAYTIME)
    assert ticket_status(session, ticket, DAYTIME).text() == "Keine passenden Helfenden mehr"


def test_status_in_english(ctx, session):
    ticket = make_ticket(session)
    with ctx.test_request_context("/?lang=en"):
        assert ticket_status(session, ticket, NIGHT).text() == "Waiting until 08:00 (quiet hours)"


# -- pages ------------------------------------------------------------------------------------


def signed_in(client, session, role: Role, username: str):  # noqa: ANN001, ANN201
    user = make_user(session, role, username=username)
    with request_scope():
        assert login(client, username).status_code == 302
    return user


def get(client, path: str) -> str:  # noqa: ANN001
    with request_scope():
        return client.get(path).get_data(as_text=True)


def test_ticket_detail_page_shows_status_and_timeline(ctx, session):
    ticket, _ = filled_ticket(session)
    client = ctx.test_client()
    signed_in(client, session, Role.COORDINATOR, "koordination")
    page = get(client, f"/dispatch/tickets/{ticket.id}")
    assert "Besetzt" in page
    assert "Runde 1: 3 gefragt" in page
    assert "Bert: Versand unklar" in page
    assert "Cem wurde abbestellt" in page
    assert f'href="/dispatch/tickets/{ticket.id}"' in get(client, "/dispatch/")


def test_the_page_after_creating_a_ticket_at_night_does_not_claim_texts_go_out_now(ctx, session):
    ctx.config["CLOCK"] = lambda: NIGHT
    client = ctx.test_client()
    make_user(session, Role.OPERATOR, operator=make_operator(session), username="otto")
    with request_scope():
        assert login(client, "otto").status_code == 302
    form = get(client, "/dispatch/tickets/neu")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    with request_scope():
        response = client.post(
            "/dispatch/tickets/neu",
            data={
                "activity": "shopping",
                "postal_code": "10115",
                "starts_at": "2026-03-12T10:00",
                "hours": "3",
                "needed": "1",
                "languages": "de",
                "requester_first_name": "Hans",
                "requester_phone": "030 1234567",
                "csrf_token": token,
            },
        )
    page = response.get_data(as_text=True)
    assert "Wartet bis 08:00 (Ruhezeit)" in page
    assert "jetzt" not in page


def test_helper_search_filters_and_pages(ctx, session):
    make_helper(session, name="Zora Türk", postal_code="10115", languages=["de", "tr"])
    make_helper(session, name="Yusuf", postal_code="10117", activities=["translation"])
    for n in range(55):
        make_helper(session, name=f"Person {n:02d}", postal_code="10119")
    client = ctx.test_client()
    signed_in(client, session, Role.COORDINATOR, "koordination")
    page = get(client, "/dispatch/helfende?sprache=tr")
    assert "Zora Türk" in page and "Yusuf" not in page and "1 gefunden" in page
    page = get(client, "/dispatch/helfende?taetigkeit=translation")
    assert "Yusuf" in page and "Zora" not in page
    page = get(client, "/dispatch/helfende?q=1011")
    assert "57 gefunden" in page and "Seite 1 von 2" in page
    second = get(client, "/dispatch/helfende?q=1011&seite=2")
    assert "Person 00" in page and "Zora" not in page
    assert "Seite 2 von 2" in second and "Zora" in second and "Person 00" not in second


def test_members_see_their_organisations_call_outs_with_counts_and_nothing_else(ctx, session):
    ours = Organisation(name="Tafel Mitte", approved_at=DAYTIME)
    theirs = Organisation(name="Nachbarschaft Süd", approved_at=DAYTIME)
    session.add_all([ours, theirs])
    session.flush()
    ticket = make_ticket(session, needed=2)
    ticket.source, ticket.organisation_id = TicketSource.ORGANISATION, ours.id
    other = make_ticket(session)
    other.source, other.organisation_id = TicketSource.ORGANISATION, theirs.id
    helper = make_helper(session, name="Bert")
    send_wave(session, ticket.id, 1, DAYTIME)
    offer_actions.accept(session, offers(session, ticket)[0])
    user = make_user(session, Role.MEMBER, username="tafel")
    session.add(OrganisationMember(user_id=user.id, organisation_id=ours.id))
    session.flush()
    ctx.config["CLOCK"] = lambda: DAYTIME + dt.timedelta(minutes=5)
    client = ctx.test_client()
    with request_scope():
        assert login(client, "tafel").status_code == 302
    page = get(client, "/dispatch/aufrufe")
    assert ticket.reference in page and other.reference not in page
    assert "1/2" in page and "1 von 2 zugesagt" in page
    assert helper.name not in page
    with request_scope():
        assert client.get(f"/dispatch/tickets/{ticket.id}").status_code == 403
    assert session.scalars(select(Ticket)).all()
