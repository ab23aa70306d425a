"""End to end: a call becomes a ticket, the RQ worker texts wave 1 through the real twilio
client to a local Twilio-compatible server, and helpers accept concurrently against the web
app on real PostgreSQL."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select, text

from dispatch.models import Helper, HelperStatus, Offer, OfferState, Ticket, TicketStatus
from hotline import create_app
from hotline.core.extensions import db
from hotline.core.models import Role
from hotline.core.queues import Priority
from hotline.core.worker import set_app
from tests.conftest import TwilioDriver, make_line, test_config
from tests.dispatch_support import (
    DISPATCH_CONFIG,
    SENDER,
    make_helper,
    make_ticket,
    request_scope,
)
from tests.roster_support import login, make_user

#: Quiet hours off (start == end), so the test means the same at any time of day.
E2E_CONFIG = {**DISPATCH_CONFIG, "DISPATCH_QUIET_START": 0, "DISPATCH_QUIET_END": 0}
REQUESTER = "+4915212345678"
COORDINATOR = "+4915111110000"


def _csrf(client, path: str) -> str:  # noqa: ANN001
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def run_worker(app, redis) -> None:  # noqa: ANN001
    """A worker serving every priority queue, most urgent first, until they are empty."""
    queues = [Queue(f"{app.config['RQ_QUEUE']}-{p.value}", connection=redis) for p in Priority]
    with request_scope():
        SimpleWorker(queues, connection=redis).work(burst=True)


def test_a_call_becomes_a_ticket_and_the_worker_texts_wave_1_to_the_right_helpers(
    rest_app, session, redis, twilio_server
):
    rest_app.config.update(E2E_CONFIG)
    set_app(rest_app)  # the ``session`` fixture's plain app must not serve the worker
    make_line(session, number="+4930120000", name="Nachbarschaftshilfe", flow="nachbarschaftshilfe")
    near = [make_helper(session, postal_code="33602", activities=["shopping"]) for _ in range(3)]
    make_helper(session, postal_code="33602", activities=["translation"])
    make_helper(session, postal_code="10115", activities=["shopping"])  # Berlin: too far
    make_helper(session, postal_code="33602", status=HelperStatus.OPTED_OUT)
    unreachable = near[0]
    twilio_server.fail(unreachable.phone, status=400, code=21610)
    caller = TwilioDriver(rest_app, caller=REQUESTER)

    doc = caller.twiml("/twilio/voice")
    for path, digits in [
        ("/twilio/voice/node/language?a=1", "1"),
        ("/twilio/voice/node/menu?a=1", "1"),
    ]:
        doc = caller.twiml(path, Digits=digits)
    for digits in ("1", "33602", "1", "1", "1", "2"):
        doc = caller.twiml(doc.find("Gather").get("action"), Digits=digits)
    session.expire_all()
    ticket = session.scalars(select(Ticket)).one()
    assert ", ".join(ticket.reference) in doc.find("Say").text

    run_worker(rest_app, redis)

    session.expire_all()
    asked = {
        o.helper_id for o in session.scalars(select(Offer).where(Offer.ticket_id == ticket.id))
    }
    assert asked == {h.id for h in near}  # k × needed = 3, and only these match
    texted = [m["To"] for m in twilio_server.messages]
    assert sorted(texted) == sorted(h.phone for h in near[1:])
    assert all(m["From"] == SENDER for m in twilio_server.messages)
    assert all(f"JA {ticket.reference}" in m["Body"] for m in twilio_server.messages)
    # the REST API answered 21610 for the first: opted out, and asked only once
    assert session.get(Helper, unreachable.id).status == HelperStatus.OPTED_OUT
    assert [to for _, to in twilio_server.requests].count(unreachable.phone) == 1


def test_429_and_500_from_the_rest_api_are_retried_by_the_worker(
    rest_app, session, redis, twilio_server
):
    from dispatch.waves import send_wave
    from hotline.core.sending import send_message
    from tests.dispatch_support import DAYTIME, messages

    rest_app.config.update(E2E_CONFIG)
    set_app(rest_app)
    first, second = make_helper(session), make_helper(session)
    ticket = make_ticket(session, needed=1)
    twilio_server.fail(first.phone, status=429, times=1)
    twilio_server.fail(second.phone, status=500, times=1)
    with rest_app.app_context():
        send_wave(session, ticket.id, 1, DAYTIME)
        session.flush()
        for message in messages(session, "offer:"):
            send_message(message.id)  # each job on its own session, as in the worker
        session.expire_all()
        assert sorted(m.state.value for m in messages(session, "offer:")) == ["pending"] * 2
        for message in messages(session, "offer:"):
            message.not_before = None  # the backoff has passed
        session.flush()
        for message in messages(session, "offer:"):
            send_message(message.id)
    assert sorted(m["To"] for m in twilio_server.messages) == sorted([first.phone, second.phone])
    assert len(twilio_server.requests) == 4


def test_30003_from_the_rest_api_is_not_retried_and_the_next_wave_asks_someone_else(
    rest_app, session, redis, twilio_server
):
    from dispatch.models import OfferState
    from dispatch.waves import send_wave
    from hotline.core.sending import send_due
    from tests.dispatch_support import DAYTIME

    rest_app.config.update({**E2E_CONFIG, "DISPATCH_WAVE_FACTOR": 1})
    set_app(rest_app)
    first, second = make_helper(session, last_asked_at=None), make_helper(session)
    second.last_asked_at = DAYTIME  # asked recently: comes second
    ticket = make_ticket(session)
    twilio_server.fail(first.phone, status=400, code=30003)
    with rest_app.app_context():
        send_wave(session, ticket.id, 1, DAYTIME)
        send_due(session)
        send_wave(session, ticket.id, 2, DAYTIME)
        send_due(session)
    assert [to for _, to in twilio_server.requests] == [first.phone, second.phone]
    session.expire_all()
    states = {o.helper_id: o.state for o in session.scalars(select(Offer))}
    assert states == {first.id: OfferState.UNREACHABLE, second.id: OfferState.PENDING}
    assert session.get(Helper, first.id).status == HelperStatus.ACTIVE


def test_each_text_asks_for_its_delivery_status_at_the_url_its_callback_is_signed_for(
    rest_app, session, redis, twilio_server
):
    from urllib.parse import urlsplit

    from twilio.request_validator import RequestValidator

    from dispatch.waves import send_wave
    from hotline.core.sending import send_due
    from tests.conftest import AUTH_TOKEN
    from tests.dispatch_support import DAYTIME, messages

    rest_app.config.update(E2E_CONFIG)
    set_app(rest_app)
    make_helper(session)
    ticket = make_ticket(session)
    with rest_app.app_context():
        send_wave(session, ticket.id, 1, DAYTIME)
        send_due(session)
    [sent] = twilio_server.messages
    assert sent["StatusCallback"] == "https://hotline.example.org/twilio/sms/status"
    # Twilio signs the callback for exactly the URL it was given.
    form = {"MessageSid": sent["sid"], "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(sent["StatusCallback"], form)
    with request_scope():
        response = rest_app.test_client().post(
            urlsplit(sent["StatusCallback"]).path,
            data=form,
            headers={"X-Twilio-Signature": signature},
        )
    assert response.status_code == 204
    session.expire_all()
    [offer_text] = messages(session, "offer:")
    assert (offer_text.sid, offer_text.delivery_status) == (sent["sid"], "delivered")


# -- concurrency on real PostgreSQL ---------------------------------------------------------------

DISPATCH_TABLES = (
    "outbound_messages, inbound_messages, dispatch_offers, dispatch_intakes, dispatch_tickets, "
    "dispatch_signups, dispatch_organisation_members, dispatch_organisations, dispatch_helpers, "
    "roster_users, outbox"
)


@pytest.fixture
def pg_app(request, engine, database_url, redis_url) -> Iterator:
    """An app on committed data (no rolled-back test transaction), so threads see each other
    and row locks are real. The dispatch tables are emptied afterwards."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent accepts need PostgreSQL row locks (CI runs PostgreSQL)")
    twilio_server = request.getfixturevalue("twilio_server")
    request.getfixturevalue("redis")  # flushed
    app = create_app(
        test_config(
            database_url,
            redis_url,
            TELEPHONY_BACKEND="twilio",
            TWILIO_API_BASE_URL=twilio_server.base_url,
            **{**E2E_CONFIG, "DISPATCH_WAVE_FACTOR": 4},
        )
    )
    set_app(app)
    yield app
    set_app(None)
    db.engine.dispose()
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {DISPATCH_TABLES} RESTART IDENTITY CASCADE"))


def test_ten_helpers_accept_at_once_exactly_three_are_accepted_and_seven_told_it_is_filled(
    pg_app, redis, twilio_server
):
    with pg_app.app_context():
        session = db.new_session()
        helpers = [make_helper(session, postal_code="10115") for _ in range(12)]
        make_user(session, Role.COORDINATOR, username="koordination")
        session.commit()
        helper_phones = {h.id: h.phone for h in helpers}
        session.close()
    operator = pg_app.test_client()
    assert login(operator, "koordination").status_code == 302
    created = operator.post(
        "/dispatch/tickets/neu",
        data={
            "csrf_token": _csrf(operator, "/dispatch/tickets/neu"),
            "activity": "shopping",
            "postal_code": "10115",
            "starts_at": "2026-03-12T10:00",
            "hours": "2",
            "needed": "3",
            "requester_first_name": "Erika",
            "requester_phone": REQUESTER,
            "address": "Invalidenstraße 1",
        },
    )
    reference = re.search(r'id="reference">(\d+)<', created.get_data(as_text=True)).group(1)
    with pg_app.app_context():
        session = db.new_session()
        ticket_id = session.scalars(select(Ticket.id).where(Ticket.reference == reference)).one()
        session.close()

    run_worker(pg_app, redis)  # outbox → wave 1 (k = 4: 12 helpers) → texts
    assert len(twilio_server.messages) == 12

    with pg_app.app_context():
        session = db.new_session()
        offers = list(session.scalars(select(Offer).where(Offer.ticket_id == ticket_id)))
        session.close()
    accepting = offers[:10]
    barrier = threading.Barrier(len(accepting))
    pages: dict[int, str] = {}

    def accept(offer: Offer) -> None:
        client = pg_app.test_client()
        token = _csrf(client, f"/d/{offer.token}")
        barrier.wait()
        response = client.post(f"/d/{offer.token}", data={"csrf_token": token, "action": "accept"})
        assert response.status_code == 200
        pages[offer.id] = response.get_data(as_text=True)

    threads = [threading.Thread(target=accept, args=(o,)) for o in accepting]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(pages) == 10
    accepted_pages = [p for p in pages.values() if "Sie haben zugesagt" in p]
    filled_pages = [p for p in pages.values() if "schon genug Helfende" in p]
    assert (len(accepted_pages), len(filled_pages)) == (3, 7)
    with pg_app.app_context():
        session = db.new_session()
        ticket = session.get(Ticket, ticket_id)
        states = [
            o.state for o in session.scalars(select(Offer).where(Offer.ticket_id == ticket_id))
        ]
        session.close()
    assert ticket.status == TicketStatus.FILLED
    assert states.count(OfferState.ACCEPTED) == 3
    assert states.count(OfferState.TOO_LATE) == 7
    assert states.count(OfferState.STOOD_DOWN) == 2

    before = len(twilio_server.messages)
    run_worker(pg_app, redis)  # details, requester, coordinator, stand-downs
    after = twilio_server.messages[before:]
    to = [m["To"] for m in after]
    assert to.count(REQUESTER) == 1  # the requester is notified once
    assert to.count(COORDINATOR) == 1
    pending_phones = {helper_phones[o.helper_id] for o in offers[10:]}
    standdowns = {m["To"] for m in after if "nicht mehr gebraucht" in m["Body"]}
    assert standdowns == pending_phones
    details = [m for m in after if "Danke für Ihre Zusage" in m["Body"]]
    assert len(details) == 3
    all_to = [m["To"] for m in twilio_server.messages]
    offer_texts = [m["To"] for m in twilio_server.messages if "Hilfe gesucht" in m["Body"]]
    assert len(offer_texts) == len(set(offer_texts)) == 12  # nobody got the offer twice
    assert len(all_to) == 12 + 3 + 1 + 1 + 2


def test_a_worker_dying_mid_wave_and_the_sweep_resuming_sends_nobody_a_second_text(
    rest_app, session, redis, twilio_server, monkeypatch
):
    import datetime as dt

    from dispatch.waves import send_wave
    from hotline.core.extensions import jobs, telephony
    from hotline.core.messaging import sweep_messages
    from hotline.core.models import MessageState, OutboundMessage, utcnow
    from hotline.core.sending import send_due

    rest_app.config.update(E2E_CONFIG)
    set_app(rest_app)
    for _ in range(6):
        make_helper(session)
    ticket = make_ticket(session, needed=2)
    with rest_app.app_context():
        send_wave(session, ticket.id, 1, utcnow())
        real = telephony().send_sms
        sends = []

        def dies_on_the_third(to: str, from_: str, body: str, status_callback=None) -> str:  # noqa: ANN001
            sends.append(to)
            if len(sends) == 3:
                raise SystemExit("worker process killed")  # not an error the job handles
            return real(to, from_, body, status_callback)

        monkeypatch.setattr(telephony(), "send_sms", dies_on_the_third)
        with pytest.raises(SystemExit):
            send_due(session)
        monkeypatch.undo()
        # a minute later the worker's sweep finds the texts still pending, without jobs
        for message in session.scalars(select(OutboundMessage)):
            message.created_at -= dt.timedelta(minutes=1)
        session.flush()
        # and the jobs that were queued for them are gone with the worker and its Redis
        jobs.queue_named(Priority.BULK).empty()
        assert sweep_messages() == "3 message(s) enqueued again, 0 cut send(s) reported"
    run_worker(rest_app, redis)
    texted = [m["To"] for m in twilio_server.messages]
    assert len(texted) == len(set(texted)) == 5
    assert sends[2] not in texted  # the text in flight when the worker died is not repeated
    session.expire_all()
    states = sorted(m.state.value for m in session.scalars(select(OutboundMessage)))
    assert states == [MessageState.SENDING.value] + [MessageState.SENT.value] * 5
