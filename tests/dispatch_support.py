"""Factories and helpers for the dispatch tests."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from flask.globals import _cv_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import Helper, HelperStatus, Offer, Ticket, TicketSource
from dispatch.postcodes import lookup
from dispatch.tickets import TicketRequest, create_ticket
from hotline.core.models import OutboundMessage
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE

_numbers = itertools.count(1)

#: A weekday at 10:00 Berlin time (09:00 UTC): outside quiet hours.
DAYTIME = dt.datetime(2026, 3, 11, 9, 0, tzinfo=dt.UTC)
SENDER = "+4915799990000"

DISPATCH_CONFIG = {
    "DISPATCH_SMS_FROM": SENDER,
    "SMS_PER_SECOND": 0,  # no rate limit unless a test asks for one
    "DISPATCH_WAVE_FACTOR": 3,
    "DISPATCH_WAVE_MINUTES": 20,
    "DISPATCH_MAX_WAVES": 3,
    "DISPATCH_COORDINATOR_NUMBERS": ["+4915111110000"],
}


def configure(app) -> None:  # noqa: ANN001
    app.config.update(DISPATCH_CONFIG)


def make_helper(session: Session, **kw) -> Helper:  # noqa: ANN003
    n = next(_numbers)
    place = lookup(kw.pop("postal_code", "10115"))
    helper = Helper(
        name=kw.pop("name", f"Helfer {n}"),
        phone=kw.pop("phone", f"+49160{n:08d}"),
        postal_code=place.postal_code,
        lat=kw.pop("lat", place.lat),
        lon=kw.pop("lon", place.lon),
        radius_km=kw.pop("radius_km", 10),
        availability=kw.pop("availability", {}),
        max_per_week=kw.pop("max_per_week", 10),
        preferred_language=kw.pop("preferred_language", "de"),
        status=kw.pop("status", HelperStatus.ACTIVE),
        consent_at=DAYTIME,
        last_asked_at=kw.pop("last_asked_at", None),
    )
    helper.email = kw.pop("email", None)
    helper.channels = kw.pop("channels", ["sms"])
    helper.activities = kw.pop("activities", ["shopping", "errands"])
    helper.languages = kw.pop("languages", ["de"])
    assert not kw, kw
    session.add(helper)
    session.flush()
    return helper


def make_ticket(session: Session, **kw) -> Ticket:  # noqa: ANN003
    start = kw.pop("window_start", DAYTIME)
    request = TicketRequest(
        activity=kw.pop("activity", "shopping"),
        postal_code=kw.pop("postal_code", "10115"),
        window_start=start,
        window_end=kw.pop("window_end", start + dt.timedelta(hours=3)),
        needed=kw.pop("needed", 1),
        description=kw.pop("description", "Einkauf für die Woche"),
        languages=tuple(kw.pop("languages", ("de",))),
        urgent=kw.pop("urgent", False),
        requester_first_name=kw.pop("requester_first_name", "Erika"),
        requester_phone=kw.pop("requester_phone", "+4915212345678"),
        address=kw.pop("address", "Invalidenstraße 1, 3. OG"),
    )
    ticket = create_ticket(session, request, kw.pop("source", TicketSource.OPERATOR), 3)
    assert not kw, kw
    session.flush()
    return ticket


@contextlib.contextmanager
def request_scope() -> Iterator[None]:
    """Leave any app context pushed by the test while a request runs, so the request gets
    its own context, ``g`` and database session, as in production."""
    stack = []
    while _cv_app.get(None) is not None:
        current = _cv_app.get()
        stack.append(current)
        current.pop()
    try:
        yield
    finally:
        for current in reversed(stack):
            current.push()


def messages(session: Session, prefix: str = "") -> list[OutboundMessage]:
    stmt = select(OutboundMessage).order_by(OutboundMessage.id)
    if prefix:
        stmt = stmt.where(OutboundMessage.key.startswith(prefix))
    return list(session.scalars(stmt))


def offers(session: Session, ticket: Ticket) -> list[Offer]:
    return list(
        session.scalars(select(Offer).where(Offer.ticket_id == ticket.id).order_by(Offer.id))
    )


def sms_xml(response) -> list[str]:  # noqa: ANN001
    assert response.status_code == 200, response.data
    doc = ET.fromstring(response.data)
    return [(m.text or "").strip() for m in doc.iter("Message")]


def post_sms(app, session, sender: str, body: str, sid: str | None = None):  # noqa: ANN001, ANN201
    """An inbound SMS webhook, signed like Twilio's; ``session`` then sees its changes."""
    from twilio.request_validator import RequestValidator

    form = {
        "MessageSid": sid or f"SM{next(_numbers):032d}",
        "From": sender,
        "To": SENDER,
        "Body": body,
        "AccountSid": "AC" + "0" * 32,
    }
    url = PUBLIC_BASE + "/twilio/sms"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    with request_scope():
        response = app.test_client().post(
            "/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
        )
    if session is not None:
        session.expire_all()
    return response


def post_signed(client, path: str, form: dict[str, str]):  # noqa: ANN001, ANN201
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE + path, form)
    with request_scope():
        return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


#: What the apps on committed data write, emptied after each of their tests.
COMMITTED_TABLES = (
    "outbound_messages, inbound_messages, mail_addresses, dispatch_offers, dispatch_intakes, "
    "dispatch_tickets, dispatch_signups, dispatch_organisation_members, dispatch_organisations, "
    "dispatch_helpers, roster_users, outbox"
)


def committed_app(request, engine, database_url, redis_url, monkeypatch, **config) -> Iterator:  # noqa: ANN001, ANN003
    """An app on committed data, with a local SMTP server, so that threads see each other
    and row locks are real; the pool and the statements wait long enough for 200 accepts
    queueing for its connections and the ticket's lock on a loaded machine (production bounds
    both for webhooks). Generator for a fixture: ``yield from committed_app(...)``."""
    import pytest
    from sqlalchemy import text

    from hotline import create_app
    from hotline.core import db as db_module
    from hotline.core.extensions import db
    from hotline.core.worker import set_app
    from tests.conftest import test_config
    from tests.mail_support import smtp_config

    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent accepts need PostgreSQL row locks (CI runs PostgreSQL)")
    options = db_module.engine_options

    def patient(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        opts = options(*args, **kwargs)
        connect = {**opts["connect_args"], "options": "-c statement_timeout=120000"}
        return {**opts, "pool_timeout": 120, "connect_args": connect}

    monkeypatch.setattr(db_module, "engine_options", patient)
    smtp = request.getfixturevalue("smtp_server")
    phone = request.getfixturevalue("phone")
    request.getfixturevalue("redis")  # flushed
    settings = {**DISPATCH_CONFIG, **config}
    app = create_app(
        test_config(database_url, redis_url, **settings, **smtp_config(smtp)), telephony=phone
    )
    set_app(app)
    yield app
    set_app(None)
    db.engine.dispose()
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {COMMITTED_TABLES} RESTART IDENTITY CASCADE"))
