"""Shared steps of the walk-home tests: a whole call as Twilio makes it, the worker, and the
rows a test looks at."""

from __future__ import annotations

from rq import Queue, SimpleWorker
from sqlalchemy import select

from hotline.core.queues import Priority
from hotline.voice.models import Accompaniment, Call, Callback
from tests.call_support import caller, sid, to_route
from tests.conftest import TwilioDriver

CALLER = "+4917655555555"


def run_worker(app, redis) -> None:  # noqa: ANN001
    """A worker serving every priority queue, most urgent first, until they are empty."""
    queues = [Queue(f"{app.config['RQ_QUEUE']}-{p.value}", connection=redis) for p in Priority]
    SimpleWorker(queues, connection=redis).work(burst=True)


def answer(app, number: str, operator) -> tuple[TwilioDriver, object]:  # noqa: ANN001
    """A call from ``number`` that ``operator`` takes (still going on): the caller's driver
    and the caller's <Dial>."""
    twilio = caller(app, number)
    dial = to_route(twilio).find("Dial")
    legs = {n.text: n.get("url") for n in dial.findall("Number")}
    screen = twilio.twiml(legs[operator.phone_number], CallSid=sid())
    twilio.twiml(screen.find("Gather").get("action"), Digits="1")
    return twilio, dial


def hang_up(twilio: TwilioDriver, dial) -> None:  # noqa: ANN001
    """The bridged call ends (either side hung up)."""
    twilio.twiml(dial.get("action"), DialCallStatus="completed", DialBridged="true")
    twilio.post("/twilio/voice/status", CallStatus="completed", CallDuration="300")


def call_of(session, twilio: TwilioDriver) -> Call:  # noqa: ANN001
    session.expire_all()
    return session.scalar(select(Call).where(Call.call_sid == twilio.call_sid))


def accompaniment_of(session, twilio: TwilioDriver) -> Accompaniment | None:  # noqa: ANN001
    return session.get(Accompaniment, call_of(session, twilio).id)


def callbacks(session) -> list[Callback]:  # noqa: ANN001
    session.expire_all()
    return list(session.scalars(select(Callback).order_by(Callback.id)))


def texts_to(server, number: str) -> list[str]:  # noqa: ANN001
    return [m["Body"] for m in server.messages if m["To"] == number]
