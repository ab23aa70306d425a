"""The helper's own page, opened by the personal link: offers, pause, availability,
language, export and deleting the profile; and the link texted on PROFIL."""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest
from sqlalchemy import select

from dispatch import helper_links
from dispatch.matching import match_list
from dispatch.models import Helper, HelperStatus, HelperTraining, Offer, OfferState, Ticket
from dispatch.waves import create_offers, send_wave
from tests.dispatch_support import (
    DAYTIME,
    configure,
    make_helper,
    make_ticket,
    messages,
    offers,
    post_sms,
    sms_xml,
)


@pytest.fixture
def ctx(app):
    configure(app)
    return app


@pytest.fixture
def client(ctx):  # noqa: ANN201
    return ctx.test_client()


def page(app, helper) -> str:  # noqa: ANN001
    with app.app_context():
        return f"/hilfe/profil/{helper_links.token_for(helper)}"


def csrf(client, path: str) -> str:  # noqa: ANN001
    body = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


def save(client, path: str, **fields):  # noqa: ANN001, ANN003, ANN201
    data = {"csrf_token": csrf(client, path), "language": "de", "availability": ""}
    data.update(fields)
    return client.post(path, data=data)


def test_the_personal_link_opens_the_helpers_page(ctx, client, session):
    helper = make_helper(session, name="Hanna Hilfreich")
    body = client.get(page(ctx, helper)).get_data(as_text=True)
    assert "Hallo Hanna Hilfreich!" in body
    assert 'data-status="active"' in body


def test_an_expired_link_gets_the_410_page(ctx, client, session, monkeypatch):
    helper = make_helper(session)
    path = page(ctx, helper)
    ctx.config["DISPATCH_HELPER_LINK_DAYS"] = 1
    two_days_on = time.time() + 2 * 24 * 3600
    monkeypatch.setattr(time, "time", lambda: two_days_on)  # the clock itsdangerous reads
    assert client.get(path).status_code == 410


def test_a_forged_or_opted_out_link_gets_the_410_page(ctx, client, session):
    helper = make_helper(session, status=HelperStatus.OPTED_OUT)
    assert client.get(page(ctx, helper)).status_code == 410
    assert client.get("/hilfe/profil/not-a-token").status_code == 410


def test_the_page_lists_pending_and_accepted_offers(ctx, client, session):
    helper = make_helper(session)
    with ctx.app_context():
        asked = make_ticket(session)
        taken = make_ticket(session, needed=2)
        create_offers(session, asked, [helper.id], 1, DAYTIME)
        create_offers(session, taken, [helper.id], 1, DAYTIME)
        offers(session, taken)[0].state = OfferState.ACCEPTED
        session.flush()
    body = client.get(page(ctx, helper)).get_data(as_text=True)
    assert asked.reference in body and taken.reference in body
    assert 'data-state="pending"' in body and 'data-state="accepted"' in body


def test_accepting_on_the_page_is_the_accept_links_accept(ctx, client, session):
    helper = make_helper(session)
    with ctx.app_context():
        ticket = make_ticket(session)
        create_offers(session, ticket, [helper.id], 1, DAYTIME)
    offer = offers(session, ticket)[0]
    path = page(ctx, helper)
    response = client.post(
        f"{path}/angebote/{offer.id}", data={"csrf_token": csrf(client, path), "action": "accept"}
    )
    assert response.status_code == 200
    assert "Sie haben zugesagt" in response.get_data(as_text=True)
    session.expire_all()
    assert offer.state == OfferState.ACCEPTED
    assert session.get(Ticket, ticket.id).status.value == "filled"
    [details] = messages(session, f"details:{offer.id}:")
    assert "Erika" in details.body and "/hilfe/profil/" in details.body


def test_declining_on_the_page_declines(ctx, client, session):
    helper = make_helper(session)
    with ctx.app_context():
        ticket = make_ticket(session)
        create_offers(session, ticket, [helper.id], 1, DAYTIME)
    offer = offers(session, ticket)[0]
    path = page(ctx, helper)
    client.post(
        f"{path}/angebote/{offer.id}", data={"csrf_token": csrf(client, path), "action": "decline"}
    )
    session.expire_all()
    assert offer.state == OfferState.DECLINED


def test_someone_elses_offer_cannot_be_answered(ctx, client, session):
    helper, other = make_helper(session), make_helper(session)
    with ctx.app_context():
        ticket = make_ticket(session)
        create_offers(session, ticket, [other.id], 1, DAYTIME)
    offer = offers(session, ticket)[0]
    path = page(ctx, helper)
    response = client.post(
        f"{path}/angebote/{offer.id}", data={"csrf_token": csrf(client, path), "action": "accept"}
    )
    assert response.status_code == 404
    session.expire_all()
    assert offer.state == OfferState.PENDING


def test_pausing_on_the_page_keeps_the_helper_out_of_the_next_wave(ctx, client, session):
    paused, active = make_helper(session), make_helper(session)
    response = save(client, page(ctx, paused), paused="y")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Helper, paused.id).status == HelperStatus.PAUSED
    with ctx.app_context():
        ticket = make_ticket(session, needed=2)
        send_wave(session, ticket.id, 1, DAYTIME)
    assert [o.helper_id for o in offers(session, ticket)] == [active.id]


def test_resuming_on_the_page_makes_the_helper_active_again(ctx, client, session):
    helper = make_helper(session, status=HelperStatus.PAUSED)
    save(client, page(ctx, helper))
    session.expire_all()
    assert session.get(Helper, helper.id).status == HelperStatus.ACTIVE


def test_availability_saved_on_the_page_is_what_matching_reads(ctx, client, session):
    helper = make_helper(session)
    response = save(client, page(ctx, helper), availability="mo-di 17:00-20:00")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Helper, helper.id).availability == {
        "0": [["17:00", "20:00"]],
        "1": [["17:00", "20:00"]],
    }
    with ctx.app_context():
        wednesday_morning = make_ticket(session)  # DAYTIME: Wednesday 10:00
        monday_evening = make_ticket(session, window_start=DAYTIME + dt.timedelta(days=5, hours=9))
        assert match_list(session, wednesday_morning, DAYTIME) == []
        assert [m.helper_id for m in match_list(session, monday_evening, DAYTIME)] == [helper.id]


def test_unreadable_availability_is_refused_in_german_and_nothing_is_saved(ctx, client, session):
    helper = make_helper(session, availability={"0": [["09:00", "12:00"]]})
    response = save(client, page(ctx, helper), availability="montags früh", paused="y")
    assert response.status_code == 422
    assert "mo-fr 09:00-17:00" in response.get_data(as_text=True)
    session.expire_all()
    saved = session.get(Helper, helper.id)
    assert (saved.availability, saved.status) == ({"0": [["09:00", "12:00"]]}, HelperStatus.ACTIVE)


@pytest.mark.parametrize("language", ["en", "tr", "ar", "uk", "ru"])
def test_the_language_saved_is_the_one_texts_use(ctx, client, session, language):
    helper = make_helper(session)
    assert save(client, page(ctx, helper), language=language).status_code == 302
    session.expire_all()
    assert session.get(Helper, helper.id).preferred_language == language


def test_an_unknown_language_is_refused(ctx, client, session):
    helper = make_helper(session)
    assert save(client, page(ctx, helper), language="xx").status_code == 422
    session.expire_all()
    assert session.get(Helper, helper.id).preferred_language == "de"


def test_export_holds_the_helpers_data_and_nothing_of_anyone_else(ctx, client, session):
    helper = make_helper(session, name="Hanna Hilfreich", phone="+4916011112222")
    make_helper(session, name="Otto Anders", phone="+4916033334444")
    with ctx.app_context():
        ticket = make_ticket(session)
        create_offers(session, ticket, [helper.id], 1, DAYTIME)
    response = client.get(page(ctx, helper) + "/daten.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    data = json.loads(text)["data"]
    [profile] = [row for row in data["dispatch"] if "helper" in row]
    assert profile["name"] == "Hanna Hilfreich"
    assert [o["ticket"] for o in profile["offers"]] == [ticket.reference]
    assert "Otto Anders" not in text and "+4916033334444" not in text


def test_deleting_asks_first_then_erases_as_privacy_erase_does(ctx, client, session):
    helper = make_helper(session, phone="+4916055556666")
    other = make_helper(session)
    session.add(
        HelperTraining(helper_id=helper.id, name="Erste Hilfe", completed_on=DAYTIME.date())
    )
    with ctx.app_context():
        ticket = make_ticket(session, requester_phone="+4916055556666", needed=2)
        create_offers(session, ticket, [helper.id, other.id], 1, DAYTIME)
    own_page = page(ctx, helper)
    path = own_page + "/loeschen"
    confirm_page = client.get(path)
    assert confirm_page.status_code == 200 and "Endgültig löschen" in confirm_page.get_data(
        as_text=True
    )
    unticked = client.post(path, data={"csrf_token": csrf(client, path)})
    assert unticked.status_code == 422
    assert session.get(Helper, helper.id) is not None
    helper_id = helper.id
    done = client.post(path, data={"csrf_token": csrf(client, path), "confirm": "y"})
    assert done.status_code == 200 and 'id="erased"' in done.get_data(as_text=True)
    session.expire_all()
    assert session.get(Helper, helper_id) is None
    assert session.scalars(select(HelperTraining)).all() == []
    assert [o.helper_id for o in session.scalars(select(Offer))] == [other.id]
    ticket = session.get(Ticket, ticket.id)
    assert (ticket.requester_phone, ticket.address) == (None, "")
    assert client.get(own_page).status_code == 410


# -- the link by SMS -------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["PROFIL", "profile", "Link"])
def test_profil_texts_the_personal_link_through_the_pipeline(ctx, session, word):
    helper = make_helper(session)
    with ctx.app_context():
        replies = sms_xml(post_sms(ctx, session, helper.phone, word))
    assert replies == []  # the link is its own text, not the webhook's reply
    [sent] = messages(session, "profile-link:")
    assert sent.to == helper.phone
    token = re.search(r"/hilfe/profil/(\S+)", sent.body).group(1)
    with ctx.app_context():
        assert helper_links.helper_for(session, token).id == helper.id


def test_profil_from_an_unknown_number_gets_the_hint_and_no_link(ctx, session):
    with ctx.app_context():
        [reply] = sms_xml(post_sms(ctx, session, "+4916099998888", "PROFIL"))
    assert "/hilfe/profil/" not in reply
    assert messages(session, "profile-link:") == []


def test_profil_is_limited_per_number(ctx, session):
    ctx.config["PROFILE_LINKS_PER_NUMBER_HOUR"] = 2
    helper = make_helper(session)
    with ctx.app_context():
        for _ in range(4):
            post_sms(ctx, session, helper.phone, "PROFIL")
    assert len(messages(session, "profile-link:")) == 2


def test_the_help_text_names_profil(ctx, session):
    helper = make_helper(session)
    with ctx.app_context():
        [reply] = sms_xml(post_sms(ctx, session, helper.phone, "HILFE"))
    assert "PROFIL" in reply


def test_a_confirmed_sign_up_is_texted_the_personal_link(ctx, client, session):
    from dispatch import helpers as helper_domain

    with ctx.app_context():
        signup, code = helper_domain.start_signup(
            session,
            {
                "name": "Neu Helferin",
                "phone": "0160 12121212",
                "postal_code": "10115",
                "activities": ["shopping"],
                "consent": True,
            },
            ctx.config["SECRET_KEY"],
        )
    path = f"/hilfe/anmelden/{signup.id}"
    response = client.post(path, data={"csrf_token": csrf(client, path), "code": code})
    assert response.status_code == 200
    [welcome] = messages(session, "profile-link:welcome:")
    assert welcome.to == "+4916012121212" and "/hilfe/profil/" in welcome.body


def test_the_helper_chooses_e_mail_and_gives_the_address(ctx, client, session):
    helper = make_helper(session)
    path = page(ctx, helper)
    assert 'name="channels"' in client.get(path).get_data(as_text=True)
    response = save(client, path, channels="both", email="hanna@example.org")
    assert response.status_code == 302
    session.expire_all()
    saved = session.get(Helper, helper.id)
    assert (saved.channels, saved.email) == (["sms", "email"], "hanna@example.org")


def test_e_mail_without_an_address_is_refused_and_nothing_is_saved(ctx, client, session):
    helper = make_helper(session)
    response = save(client, page(ctx, helper), channels="email", email="", paused="y")
    assert response.status_code == 422
    assert "E-Mail-Adresse" in response.get_data(as_text=True)
    session.expire_all()
    saved = session.get(Helper, helper.id)
    assert (saved.channels, saved.status) == (["sms"], HelperStatus.ACTIVE)
