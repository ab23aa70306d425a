"""Database engine and per-request sessions (SQLAlchemy 2.x, no Flask-SQLAlchemy).

One :class:`Database` object is created unbound in :mod:`hotline.extensions` and wired to an
app in ``create_app``. Request handlers get a session from :attr:`Database.session`; the
request wrapper commits once. Tests and the call simulator bind the session factory to a
connection inside an outer transaction so everything is rolled back afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, g
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

#: INSERT constructs that know ON CONFLICT, per supported database.
_CONFLICT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
#: The databases the product runs on.
DIALECTS = tuple(_CONFLICT_INSERTS)


def conflict_insert(dialect: str) -> Callable[..., Any]:
    """The ``insert`` of ``dialect`` (``postgresql``, ``sqlite``) that can say what to do
    ON CONFLICT: both databases the product runs on have it, with the same API."""
    return _CONFLICT_INSERTS[dialect]


def engine_options(url: str, connect_timeout: int = 2, echo: bool = False) -> dict[str, Any]:
    """Engine options that keep a dead database from stalling a webhook."""
    # SQL parameters hold phone numbers: they never appear in an error or a log line.
    opts: dict[str, Any] = {"echo": echo, "future": True, "hide_parameters": True}
    if url.startswith("postgresql"):
        opts.update(
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=5,
            pool_timeout=2,
            connect_args={
                "connect_timeout": connect_timeout,
                # A host that stops answering is noticed by the kernel within seconds, not
                # the minutes of the system defaults (libpq keepalives, unacknowledged data).
                "keepalives": 1,
                "keepalives_idle": 5,
                "keepalives_interval": 2,
                "keepalives_count": 2,
                "tcp_user_timeout": 5000,
                # Bounded statement time: a webhook must answer well inside Twilio's 15 s.
                # No JIT: its estimates count the correlated subqueries of matching as huge,
                # so it compiled for up to a second a query that runs in milliseconds; short
                # OLTP statements never win it back.
                "options": "-c statement_timeout=5000 -c jit=off",
            },
        )
    elif url.startswith("sqlite"):
        opts.update(connect_args={"timeout": 5, "check_same_thread": False})
    return opts


def make_engine(url: str, connect_timeout: int = 2, echo: bool = False) -> Engine:
    engine = create_engine(url, **engine_options(url, connect_timeout, echo))
    if url.startswith("sqlite"):
        # pysqlite starts and ends transactions on its own, which breaks SAVEPOINTs (and so
        # nested transactions and rolled-back tests); take control as SQLAlchemy documents.
        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN")

    return engine


class Database:
    """Holds the engine and session factory of one app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.factory: sessionmaker[Session] | None = None

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        timeout, echo = app.config["DB_CONNECT_TIMEOUT"], app.config["SQL_ECHO"]
        self.engine = make_engine(url, timeout, echo)
        self.factory = sessionmaker(self.engine, expire_on_commit=False)
        app.extensions["rufbereit.db"] = self
        app.teardown_appcontext(self._teardown)

    def bind_to(self, connection: Connection) -> None:
        """Run every session inside ``connection``'s transaction (tests, simulator)."""
        self.factory = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    def _bind(self) -> Engine | Connection:
        bind = self.factory.kw.get("bind") if self.factory is not None else None
        if bind is None:
            raise RuntimeError("Database is not initialised; call init_app first")
        return bind

    @property
    def dialect(self) -> str:
        """Name of the database the sessions talk to (``postgresql``, ``sqlite``)."""
        return self._bind().dialect.name

    def new_session(self) -> Session:
        if self.factory is None:
            raise RuntimeError("Database is not initialised; call init_app first")
        return self.factory()

    def active_session(self) -> Session | None:
        """The current request's session if one was created, without creating one."""
        return g.get("db_session")

    def current_session(self) -> Session:
        """:attr:`session` as a callable, for code that needs a session only sometimes."""
        return self.session

    @property
    def session(self) -> Session:
        """The current request's session, created on first use."""
        if "db_session" not in g:
            g.db_session = self.new_session()
        return g.db_session

    def discard_session(self) -> None:
        """Throw away the request's session without talking to the database again (it is
        unreachable or was interrupted mid-statement)."""
        session = g.pop("db_session", None)
        if session is not None:
            session.invalidate()

    def _teardown(self, exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is None:
            return
        if g.get("webhook_deadline_hit"):
            # Interrupted mid-statement: a ROLLBACK would wait on the same silent socket.
            session.invalidate()
            return
        if exc is not None:
            session.rollback()
        session.close()
