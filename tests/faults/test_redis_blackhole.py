"""Redis that stops answering: a call still rings, and its queued work is kept in the
database for the sweep instead of keeping the caller waiting."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from hotline import create_app
from hotline.core.extensions import db
from hotline.core.models import OutboxMessage
from hotline.core.worker import set_app
from tests.conftest import TwilioDriver, make_line, test_config
from tests.faults.tcpproxy import Mode, TcpProxy


@pytest.fixture
def redis_proxy(redis_url: str) -> Iterator[TcpProxy]:
    parts = urlsplit(redis_url)
    if parts.scheme != "redis":
        pytest.skip("needs Redis over TCP (CI runs a Redis server)")
    with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379) as proxy:
        yield proxy


@pytest.fixture
def silent_redis_app(redis_proxy, connection, database_url, redis_url, phone):  # noqa: ANN001, ANN201
    db_number = urlsplit(redis_url).path or "/0"
    app = create_app(
        test_config(
            database_url,
            redis_url,
            REDIS_URL=f"redis://127.0.0.1:{redis_proxy.port}{db_number}",
            REDIS_SOCKET_TIMEOUT=0.3,
        ),
        telephony=phone,
    )
    db.bind_to(connection)
    set_app(app)
    yield app
    set_app(None)


def test_a_caller_nobody_can_take_is_queued_quickly_and_the_call_out_waits_in_the_outbox(
    silent_redis_app, redis_proxy, session, outcome
):
    make_line(session)  # nobody on shift: the entry queues the caller and asks for call-outs
    redis_proxy.set_mode(Mode.BLACKHOLE)
    driver = TwilioDriver(silent_redis_app)
    started = time.monotonic()
    driver.twiml("/twilio/voice")
    driver.twiml("/twilio/voice/node/language?a=1", Digits="1")
    doc = driver.twiml("/twilio/voice/node/menu?a=1", Digits="1")
    took = time.monotonic() - started
    assert took < 2.0
    assert doc.find("Enqueue") is not None
    pending = session.scalars(select(OutboxMessage).where(OutboxMessage.done_at.is_(None))).all()
    assert [m.kind for m in pending] == ["queue_callout"]
    outcome.record(kept=len(pending))  # the call-out, for the sweep
