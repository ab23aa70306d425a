"""Taking a call-out from the public page: "Ich helfe", the number, a code by SMS, the code.

Only an active helper who may do the call-out is texted a code; the page answers every
number alike. The take accepts through the same function as SMS and accept links, so
exactly the number needed are accepted however the helpers say yes.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from dispatch.models import HelperStatus, Offer, OfferState, Ticket, TicketStatus
from dispatch.waves import create_offers
from hotline import create_app
from hotline.core.extensions import db
from hotline.core.models import utcnow
from hotline.core.worker import set_app
from tests.conftest import test_config
from tests.dispatch_support import (
    DISPATCH_CONFIG,
    configure,
    make_helper,
    make_ticket,
    messages,
    offers,
    post_sms,
)

#: Tomorrow at this time: a call-out the public page still shows.
SOON = (utcnow() + dt.timedelta(days=1)).replace(microsecond=0)


@pytest.fixture
def ctx(app):
    configure(app)
    return app


@pytest.fixture
def client(ctx):  # noqa: ANN201
    return ctx.test_client()


def csrf(client, path: str) -> str:  # noqa: ANN001
    body = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


def callout(app, session, **kw) -> Ticket:  # noqa: ANN001, ANN003
    with app.app_context():
        ticket = make_ticket(session, window_start=kw.pop("window_start", SOON), **kw)
    session.flush()
    return ticket


def ask_for_code(client, ticket: Ticket, phone: str):  # noqa: ANN001, ANN201
    path = f"/angebote/{ticket.reference}/helfen"
    return client.post(path, data={"csrf_token": csrf(client, path), "phone": phone})


def code_texted(session, response) -> str | None:  # noqa: ANN001
    """The code sent for the take the response redirected to (None: nothing was sent)."""
    nonce = response.headers["Location"].rsplit("/", 1)[1]
    session.expire_all()
    sent = messages(session, f"take:{nonce}")
    return re.search(r"(\d{6})$", sent[0].body).group(1) if sent else None


def enter_code(client, response, code: str):  # noqa: ANN001, ANN201
    path = response.headers["Location"]
    return client.post(path, data={"csrf_token": csrf(client, path), "code": code})


def test_each_open_callout_offers_ich_helfe(ctx, client, session):
    ticket = callout(ctx, session)
    body = client.get("/angebote").get_data(as_text=True)
    assert f'href="/angebote/{ticket.reference}/helfen"' in body
    assert "Ich helfe" in body


def test_a_matching_helper_is_texted_a_code(ctx, client, session):
    helper = make_helper(session, phone="+4916020202020")
    ticket = callout(ctx, session)
    response = ask_for_code(client, ticket, "0160 20202020")
    assert response.status_code == 302
    [sent] = messages(session, "take:")
    assert sent.to == helper.phone and ticket.reference in sent.body
    assert re.search(r"\d{6}$", sent.body)


def test_the_right_code_accepts_the_callout(ctx, client, session):
    helper = make_helper(session)
    ticket = callout(ctx, session)
    asked = ask_for_code(client, ticket, helper.phone)
    done = enter_code(client, asked, code_texted(session, asked))
    assert done.status_code == 200
    assert "Sie haben zugesagt" in done.get_data(as_text=True)
    session.expire_all()
    [offer] = offers(session, ticket)
    assert (offer.helper_id, offer.state) == (helper.id, OfferState.ACCEPTED)
    assert session.get(Ticket, ticket.id).status == TicketStatus.FILLED
    [details] = messages(session, f"details:{offer.id}:")
    assert details.to == helper.phone and "Erika" in details.body


def test_a_helper_already_asked_accepts_their_own_offer(ctx, client, session):
    helper = make_helper(session)
    ticket = callout(ctx, session)
    with ctx.app_context():
        create_offers(session, ticket, [helper.id], 1, utcnow())
    asked = ask_for_code(client, ticket, helper.phone)
    enter_code(client, asked, code_texted(session, asked))
    session.expire_all()
    [offer] = offers(session, ticket)
    assert (offer.wave, offer.state) == (1, OfferState.ACCEPTED)


def test_a_wrong_code_is_refused(ctx, client, session):
    helper = make_helper(session)
    ticket = callout(ctx, session)
    asked = ask_for_code(client, ticket, helper.phone)
    right = code_texted(session, asked)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    refused = enter_code(client, asked, wrong)
    assert refused.status_code == 422
    assert "Der Code stimmt nicht." in refused.get_data(as_text=True)
    session.expire_all()
    assert offers(session, ticket) == []


def test_five_wrong_codes_use_the_take_up(ctx, client, session):
    helper = make_helper(session)
    ticket = callout(ctx, session)
    asked = ask_for_code(client, ticket, helper.phone)
    right = code_texted(session, asked)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(5):
        enter_code(client, asked, wrong)
    last = enter_code(client, asked, right)
    assert last.status_code == 422
    session.expire_all()
    assert offers(session, ticket) == []


def _visible(response) -> str:  # noqa: ANN001
    """The page without what differs on every request (CSRF token, the take's own id)."""
    body = response.get_data(as_text=True)
    return re.sub(r'value="[^"]+"', "", body)


@pytest.mark.parametrize(
    "who",
    ["unknown", "paused", "other activity"],
)
def test_the_page_is_the_same_whether_or_not_the_number_may_take_it(ctx, client, session, who):
    ticket = callout(ctx, session)
    known = make_helper(session)
    if who == "unknown":
        number = "+4916077777777"
    elif who == "paused":
        number = make_helper(session, status=HelperStatus.PAUSED).phone
    else:
        number = make_helper(session, activities=["translation"]).phone
    for_known, for_other = (
        ask_for_code(client, ticket, known.phone),
        ask_for_code(client, ticket, number),
    )
    assert for_known.status_code == for_other.status_code == 302
    page_known = client.get(for_known.headers["Location"])
    page_other = client.get(for_other.headers["Location"])
    assert _visible(page_known) == _visible(page_other)
    assert "Wenn die Nummer bei uns angemeldet ist" in page_other.get_data(as_text=True)
    assert code_texted(session, for_other) is None
    refused_known = enter_code(client, for_known, "000000")
    refused_other = enter_code(client, for_other, "000000")
    assert _visible(refused_known) == _visible(refused_other)
    assert [m.to for m in messages(session, "take:")] == [known.phone]


def test_a_full_callout_says_so(ctx, client, session):
    ticket = callout(ctx, session)
    ticket.status = TicketStatus.FILLED
    session.flush()
    response = client.get(f"/angebote/{ticket.reference}/helfen")
    assert response.status_code == 410
    assert "schon genug Helfende" in response.get_data(as_text=True)


def test_a_callout_filled_while_the_code_travels_says_so(ctx, client, session):
    helper = make_helper(session)
    ticket = callout(ctx, session)
    asked = ask_for_code(client, ticket, helper.phone)
    code = code_texted(session, asked)
    ticket.status = TicketStatus.FILLED
    session.flush()
    done = enter_code(client, asked, code)
    assert "schon genug Helfende" in done.get_data(as_text=True)
    session.expire_all()
    assert offers(session, ticket) == []


def test_codes_are_limited_per_number(ctx, client, session):
    ctx.config["TAKE_CODES_PER_NUMBER_HOUR"] = 2
    helper = make_helper(session)
    ticket = callout(ctx, session)
    statuses = [ask_for_code(client, ticket, helper.phone).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert len(messages(session, "take:")) == 2


def test_a_bad_number_is_refused_in_german(ctx, client, session):
    ticket = callout(ctx, session)
    response = ask_for_code(client, ticket, "12")
    assert response.status_code == 422
    assert messages(session, "take:") == []


# -- exactly N on real PostgreSQL -------------------------------------------------------------

TABLES = (
    "outbound_messages, inbound_messages, dispatch_offers, dispatch_tickets, dispatch_signups, "
    "dispatch_helpers, outbox"
)


@pytest.fixture
def pg_app(engine, database_url, redis_url, redis) -> Iterator:
    """An app on committed data, so threads see each other and row locks are real."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent accepts need PostgreSQL row locks (CI runs PostgreSQL)")
    app = create_app(
        test_config(
            database_url,
            redis_url,
            **DISPATCH_CONFIG,
            TAKE_CODES_PER_ADDRESS_HOUR=0,
            TAKE_CODES_PER_HOUR=0,
        )
    )
    set_app(app)
    yield app
    set_app(None)
    db.engine.dispose()
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))


def test_thirty_public_takes_and_sms_yeses_at_once_accept_exactly_three(pg_app):
    with pg_app.app_context():
        session = db.new_session()
        public = [make_helper(session) for _ in range(30)]
        by_sms = [make_helper(session) for _ in range(5)]
        ticket = make_ticket(session, window_start=SOON, needed=3)
        create_offers(session, ticket, [h.id for h in by_sms], 1, utcnow())
        session.commit()
        reference, ticket_id = ticket.reference, ticket.id
        public_phones = [h.phone for h in public]
        sms_phones = [h.phone for h in by_sms]
        session.close()

    asks = []
    for phone in public_phones:
        client = pg_app.test_client()
        asked = ask_for_code(client, Ticket(reference=reference), phone)
        assert asked.status_code == 302
        asks.append((client, asked))
    with pg_app.app_context():
        session = db.new_session()
        try:
            takes = [(client, asked, code_texted(session, asked)) for client, asked in asks]
        finally:
            session.close()
    assert all(code for _, _, code in takes)
    tokens = [csrf(client, asked.headers["Location"]) for client, asked, _ in takes]

    barrier = threading.Barrier(len(takes) + len(sms_phones))
    pages: list[str] = []

    def take(n: int) -> None:
        client, asked, code = takes[n]
        barrier.wait()
        response = client.post(
            asked.headers["Location"], data={"csrf_token": tokens[n], "code": code}
        )
        pages.append(response.get_data(as_text=True))

    def yes(phone: str) -> None:
        barrier.wait()
        post_sms(pg_app, None, phone, "JA")

    threads = [threading.Thread(target=take, args=(n,)) for n in range(len(takes))]
    threads += [threading.Thread(target=yes, args=(p,)) for p in sms_phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(pages) == 30
    with pg_app.app_context():
        session = db.new_session()
        rows = session.execute(
            select(Offer.wave, Offer.state).where(Offer.ticket_id == ticket_id)
        ).all()
        status = session.get(Ticket, ticket_id).status
        session.close()
    accepted = [wave for wave, state in rows if state == OfferState.ACCEPTED]
    assert len(accepted) == 3
    assert status == TicketStatus.FILLED
    # Every public take that won says so; every one that lost is told the call-out is full.
    public_wins = accepted.count(0)
    assert sum("Sie haben zugesagt" in p for p in pages) == public_wins
    assert sum("schon genug Helfende" in p for p in pages) == 30 - public_wins
