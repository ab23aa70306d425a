"""A database host that stops answering (connections stay open, nothing comes back): every
Twilio webhook still answers within its deadline, callers hear the line's fallback number and
texters get a valid reply; nothing hangs a worker past Twilio's 15 s."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import delete

from hotline import create_app
from hotline.core.extensions import db
from hotline.core.oncall.models import Line, Operator, Shift
from hotline.core.worker import set_app
from hotline.voice.models import Call
from tests.conftest import TwilioDriver, make_line, make_operator, make_shift, test_config
from tests.faults.tcpproxy import Mode, TcpProxy
from tests.test_entry import DIRECT_FLOW

NUMBER = "+4930778000"
FALLBACK = "+4930778099"


def _through(database_url: str, port: int) -> str:
    parts = urlsplit(database_url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) > 1 else host))


@pytest.fixture
def proxy(database_url: str) -> Iterator[TcpProxy]:
    if not database_url.startswith("postgresql"):
        pytest.skip("a silent database host is a network matter (CI runs PostgreSQL)")
    target = urlsplit(database_url)
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 5432) as p:
        yield p


@pytest.fixture
def flows_dir(tmp_path):  # noqa: ANN001, ANN201
    """The flows, plus one that rings straight away (so the warm call shows the ringing)."""
    import shutil

    from ivr_flows import FLOWS_DIR

    for path in FLOWS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "direct.yaml").write_text(DIRECT_FLOW, encoding="utf-8")
    return tmp_path


@pytest.fixture
def line_committed(engine) -> Iterator[int]:  # noqa: ANN001
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        line = make_line(s, number=NUMBER, flow="direct", fallback_number=FALLBACK)
        op = make_operator(s)
        make_shift(s, op, line)
        s.commit()
        ids = (line.id, op.id)
    yield ids[0]
    with engine.begin() as conn:
        conn.execute(delete(Call).where(Call.line_id == ids[0]))
        conn.execute(delete(Shift).where(Shift.line_id == ids[0]))
        conn.execute(delete(Operator).where(Operator.id == ids[1]))
        conn.execute(delete(Line).where(Line.id == ids[0]))


def _app(database_url: str, redis_url: str, proxy: TcpProxy, flows_dir, **overrides):  # noqa: ANN001, ANN202
    config = test_config(database_url, redis_url, DATABASE_URL=_through(database_url, proxy.port))
    config.update({"WEBHOOK_DEADLINE_SECONDS": 1.0, "DB_CONNECT_TIMEOUT": 1, **overrides})
    config["FLOWS_DIR"] = str(flows_dir)
    app = create_app(config)
    set_app(app)
    return app


@pytest.fixture(autouse=True)
def _release() -> Iterator[None]:
    yield
    set_app(None)
    db.engine.dispose()
    db.factory = None


def _timed(driver: TwilioDriver, path: str, **params: str):  # noqa: ANN202
    started = time.monotonic()
    response = driver.post(path, **params)
    return response, time.monotonic() - started


def test_a_warm_worker_rings_the_lines_fallback_within_the_deadline(
    flows_dir, proxy, line_committed, database_url, redis_url, outcome
):
    app = _app(database_url, redis_url, proxy, flows_dir)
    warm = TwilioDriver(app, call_sid="CA" + "1" * 32, to=NUMBER).twiml("/twilio/voice")
    assert warm.find("Dial/Number") is not None  # rings the operator on shift
    proxy.set_mode(Mode.BLACKHOLE)
    response, took = _timed(TwilioDriver(app, call_sid="CA" + "2" * 32, to=NUMBER), "/twilio/voice")
    assert response.status_code == 200 and took < 2.0
    assert b"<Dial" in response.data and FALLBACK.encode() in response.data
    outcome.record(kept=1)  # the caller reached the fallback number


def test_a_worker_started_during_the_outage_rings_the_configured_fallback(
    flows_dir, proxy, database_url, redis_url, outcome
):
    proxy.set_mode(Mode.BLACKHOLE)
    app = _app(database_url, redis_url, proxy, flows_dir, FALLBACK_NUMBERS={NUMBER: FALLBACK})
    response, took = _timed(TwilioDriver(app, to=NUMBER), "/twilio/voice")
    assert response.status_code == 200 and took < 2.0
    assert FALLBACK.encode() in response.data
    outcome.record(kept=1)  # the caller reached the fallback number


def test_the_fallback_url_answers_within_a_second(
    flows_dir, proxy, database_url, redis_url, outcome
):
    proxy.set_mode(Mode.BLACKHOLE)
    app = _app(database_url, redis_url, proxy, flows_dir, FALLBACK_NUMBERS={NUMBER: FALLBACK})
    response, took = _timed(
        TwilioDriver(app, to=NUMBER), "/twilio/voice/fallback", ErrorCode="11205"
    )
    assert response.status_code == 200 and took < 1.0
    assert FALLBACK.encode() in response.data
    outcome.record(kept=1)  # the caller reached the fallback number


def test_a_status_callback_during_the_outage_answers_within_the_deadline(
    flows_dir, proxy, line_committed, database_url, redis_url
):
    app = _app(database_url, redis_url, proxy, flows_dir)
    driver = TwilioDriver(app, call_sid="CA" + "5" * 32, to=NUMBER)
    driver.twiml("/twilio/voice")
    proxy.set_mode(Mode.BLACKHOLE)
    response, took = _timed(driver, "/twilio/voice/status", CallStatus="completed")
    assert response.status_code < 500 and took < 2.0


def test_an_sms_during_the_outage_gets_a_valid_reply_within_the_deadline(
    flows_dir, proxy, database_url, redis_url
):
    app = _app(database_url, redis_url, proxy, flows_dir)
    proxy.set_mode(Mode.BLACKHOLE)
    driver = TwilioDriver(app, to=NUMBER)
    response, took = _timed(driver, "/twilio/sms", Body="AN", MessageSid="SM" + "1" * 32)
    assert response.status_code == 200 and took < 2.0
    assert response.mimetype == "text/xml" and b"<Response" in response.data


def test_with_the_production_deadline_the_entry_answers_within_three_seconds(
    flows_dir, proxy, line_committed, database_url, redis_url, outcome
):
    app = _app(database_url, redis_url, proxy, flows_dir)
    app.config["WEBHOOK_DEADLINE_SECONDS"] = 2.5  # the default
    TwilioDriver(app, call_sid="CA" + "6" * 32, to=NUMBER).twiml("/twilio/voice")
    proxy.set_mode(Mode.BLACKHOLE)
    response, took = _timed(TwilioDriver(app, call_sid="CA" + "7" * 32, to=NUMBER), "/twilio/voice")
    assert took < 3.0 and FALLBACK.encode() in response.data
    outcome.record(kept=1)  # the caller reached the fallback number
