"""Inbound texts during a database outage are kept and acted on once it is back: in the order
they were sent, each exactly once, with the reply then sent as a text."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline import create_app
from hotline.core.extensions import db
from hotline.core.models import InboundMessage, OptOut, utcnow
from hotline.core.oncall.models import Availability, Line, Operator
from hotline.core.oncall.shifts import on_shift
from hotline.core.optouts import OPTED_OUT_REPLY
from hotline.core.replay import replay
from hotline.core.spool import SEND_AGAIN_REPLY
from hotline.core.telephony import RecordingTelephony
from hotline.core.worker import set_app
from tests.conftest import TwilioDriver, make_line, make_operator, test_config
from tests.faults.tcpproxy import Mode, TcpProxy

LINE = "+4930780000"
OPERATOR = "+4915112340001"
STRANGER = "+4915112340002"
_sids = (f"SM{n:032d}" for n in itertools.count(1))


@pytest.fixture
def proxy(database_url: str) -> Iterator[TcpProxy]:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a database server to lose (CI runs PostgreSQL)")
    target = urlsplit(database_url)
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 5432) as p:
        yield p


@pytest.fixture
def people(engine) -> Iterator[tuple[int, int]]:  # noqa: ANN001
    with Session(engine) as s:
        line = make_line(s, number=LINE, fallback_number="+4930780099")
        operator = make_operator(s, phone=OPERATOR)
        s.commit()
        ids = (line.id, operator.id)
    yield ids
    with engine.begin() as conn:
        conn.execute(delete(Availability).where(Availability.operator_id == ids[1]))
        conn.execute(delete(Operator).where(Operator.id == ids[1]))
        conn.execute(delete(Line).where(Line.id == ids[0]))
        conn.execute(delete(OptOut).where(OptOut.phone_number.in_([OPERATOR, STRANGER])))
        conn.execute(delete(InboundMessage))


@pytest.fixture
def outage_app(proxy, people, database_url, redis_url, redis, tmp_path):  # noqa: ANN001, ANN201
    parts = urlsplit(database_url)
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    through = urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{proxy.port}"))
    phone = RecordingTelephony()
    app = create_app(
        test_config(
            database_url,
            redis_url,
            DATABASE_URL=through,
            DB_CONNECT_TIMEOUT=1,
            WEBHOOK_DEADLINE_SECONDS=1.0,
            INBOUND_SPOOL_DIR=str(tmp_path / "spool"),
        ),
        telephony=phone,
    )
    set_app(app)
    yield app, phone
    set_app(None)
    db.engine.dispose()
    db.factory = None


def _text(app, sender: str, body: str, sid: str | None = None):  # noqa: ANN001, ANN202
    driver = TwilioDriver(app, caller=sender, to=LINE)
    response = driver.post("/twilio/sms", Body=body, MessageSid=sid or next(_sids))
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return response.get_data(as_text=True)


def _replay(app):  # noqa: ANN001, ANN202
    with app.app_context():
        return replay()


def test_texts_sent_while_the_database_refuses_are_acted_on_in_order_once_it_is_back(
    outage_app, proxy, engine, outcome
):
    app, phone = outage_app
    proxy.set_mode(Mode.REFUSE)
    for body in ("AN", "AUS"):
        assert "<Message>" not in _text(app, OPERATOR, body)  # kept; the answer comes later
    _text(app, STRANGER, "STOPP")
    assert _replay(app)[0] == 0  # still down: nothing is lost, nothing done
    proxy.set_mode(Mode.PASS)
    assert _replay(app) == (3, 0)
    assert _replay(app) == (0, 0)  # a second pass finds nothing to do
    with Session(engine) as s:
        line_id = s.scalar(select(Line.id).where(Line.number == LINE))
        assert on_shift(s, line_id, utcnow()) == []  # AN, then AUS: not available at the end
        assert s.get(OptOut, STRANGER) is not None
    bodies = [(sms["to"], sms["body"]) for sms in phone.sms]
    assert [to for to, _ in bodies] == [OPERATOR, OPERATOR, STRANGER]
    assert bodies[0][1].startswith("Sie sind jetzt erreichbar")
    assert bodies[1][1].startswith("Sie sind nicht mehr erreichbar")
    assert bodies[2][1] == OPTED_OUT_REPLY
    assert all(sms["from"] == LINE for sms in phone.sms)
    outcome.record(kept=3, lost=0, doubled=len(phone.sms) - 3)


def test_a_text_redelivered_by_the_provider_after_the_outage_is_acted_on_once(
    outage_app, proxy, engine
):
    app, phone = outage_app
    proxy.set_mode(Mode.REFUSE)
    _text(app, OPERATOR, "AN", sid="SM" + "7" * 32)
    proxy.set_mode(Mode.PASS)
    _text(app, OPERATOR, "AN", sid="SM" + "7" * 32)  # the provider tries again
    _replay(app)
    with Session(engine) as s:
        assert s.scalar(select(Availability.id).where(Availability.until > utcnow())) is not None
        count = s.query(Availability).count()
    assert count == 1
    assert phone.sms == []  # the live delivery answered; the kept copy changed nothing


def test_with_redis_down_too_texts_are_kept_on_disk(outage_app, proxy, tmp_path, outcome):
    app, phone = outage_app
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    from hotline.core.extensions import jobs

    jobs.init_app(app)
    proxy.set_mode(Mode.BLACKHOLE)
    _text(app, STRANGER, "STOP")
    assert len(list((tmp_path / "spool").glob("*.json"))) == 1
    proxy.set_mode(Mode.PASS)
    proxy.close_all()
    assert _replay(app) == (1, 0)
    assert list((tmp_path / "spool").glob("*.json")) == []
    assert [sms["to"] for sms in phone.sms] == [STRANGER]
    outcome.record(kept=1)


def test_a_text_that_can_be_kept_nowhere_asks_the_sender_to_send_it_again(
    outage_app, proxy, tmp_path
):
    app, _ = outage_app
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    from hotline.core.extensions import jobs

    jobs.init_app(app)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app.config["INBOUND_SPOOL_DIR"] = str(blocker / "spool")
    proxy.set_mode(Mode.REFUSE)
    assert SEND_AGAIN_REPLY.split(".")[0] in _text(app, STRANGER, "JA")
