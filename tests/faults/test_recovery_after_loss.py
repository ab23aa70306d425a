"""A worker SIGKILLed in the middle of a run of texts, and Redis restarted empty right after:
every text still pending is sent within 90 s by the next worker, none twice, and the one
whose provider call may have been cut is never repeated."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline import create_app
from hotline.core import messaging
from hotline.core.extensions import db
from hotline.core.models import MessageState, OutboundMessage
from hotline.core.worker import set_app
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE, test_config
from tests.faults.processes import RedisServer, start_worker, worker_env
from tests.twilio_server import TwilioServer

TEXTS = 24
RATE = 6  # texts per second: the kill comes while most are still pending
RECOVERY_SECONDS = 90
ACCOUNT_SID = "AC" + "0" * 32
SENDER = "+4930120000"
NUMBERS = [f"+4915122{n:06d}" for n in range(TEXTS)]


def _wait(condition, what: str, timeout: float):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)  # polling a separate process; the bound is the requirement itself
    raise AssertionError(f"{what}: not within {timeout} s")


def test_a_killed_worker_and_an_emptied_redis_lose_and_double_no_text(
    engine, database_url, tmp_path, outcome
):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a database server shared with the worker processes")
    twilio = TwilioServer().start()
    with RedisServer() as redis_server:
        env = worker_env(
            database_url,
            redis_server.url(),
            TELEPHONY_BACKEND="twilio",
            TWILIO_API_BASE_URL=twilio.base_url,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            PUBLIC_BASE_URL=PUBLIC_BASE,
            SMS_PER_SECOND=RATE,
            SCHEDULER_TICK_SECONDS=0.2,
            SCHEDULER_INTERVALS="sweep-messages=1",
            SCHEDULER_TAKEOVER_SECONDS=2,
        )
        app = create_app(test_config(database_url, redis_server.url(), SMS_PER_SECOND=RATE))
        set_app(app)
        try:
            with app.app_context():
                session = db.new_session()
                for n, number in enumerate(NUMBERS):
                    messaging.queue(
                        session,
                        kind="dispatch_coordinator",
                        key=f"recovery:{n}",
                        to=number,
                        body=f"Nachricht {n}",
                        sender=SENDER,
                    )
                session.commit()  # the send jobs go to Redis after this commit
                session.close()
            first = start_worker(env, log_path=tmp_path / "worker-1.log")
            _wait(lambda: len(twilio.messages) >= 4, "the first worker sends", 30)
            first.kill()  # SIGKILL, mid-run: most texts are still pending
            redis_server.restart()  # and Redis comes back with nothing in it
            started = time.monotonic()
            second = start_worker(env, log_path=tmp_path / "worker-2.log")
            try:

                def settled() -> bool:
                    with Session(engine) as s:
                        states = Counter(
                            s.scalars(
                                select(OutboundMessage.state).where(
                                    OutboundMessage.key.like("recovery:%")
                                )
                            )
                        )
                    return (
                        states[MessageState.PENDING] == 0 and states[MessageState.SENT] >= TEXTS - 1
                    )

                _wait(settled, "every pending text sent", RECOVERY_SECONDS)
                took = time.monotonic() - started
            finally:
                second.stop()
        finally:
            set_app(None)
            db.engine.dispose()
            db.factory = None
            with engine.begin() as conn:
                conn.execute(delete(OutboundMessage).where(OutboundMessage.key.like("recovery:%")))
    twilio.stop()
    received = Counter(m["To"] for m in twilio.messages if m["To"] in NUMBERS)
    doubled = sum(count - 1 for count in received.values() if count > 1)
    lost = TEXTS - len(received)
    assert doubled == 0
    # At most the one text whose provider call the kill may have cut is not delivered: it is
    # left as it was, never repeated (reported once its claim is old, see messaging).
    assert lost <= 1
    assert took <= RECOVERY_SECONDS
    outcome.record(kept=len(received), lost=lost, doubled=doubled)
