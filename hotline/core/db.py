"""Database engine and per-request sessions (SQLAlchemy 2.x, no Flask-SQLAlchemy).

One :class:`Database` object is created unbound in :mod:`hotline.extensions` and wired to an
app in ``create_app``. Request handlers get a session from :attr:`Database.session`; the
request wrapper commits once. Tests and the call simulator bind the session factory to a
connection inside an outer transaction so everything is rolled back afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, g
from sqlalchemy import Connection, Dialect, Engine, Executable, create_engine, event
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


def make_autocommit_engine(url: str, connect_timeout: int = 2, echo: bool = False) -> Engine:
    """An engine for single statements that are their own transaction, on PostgreSQL.

    No ``BEGIN``/``COMMIT`` and no pre-ping: one statement is one round trip. A connection
    that turns out to be dead is replaced by :meth:`Database.autocommit_scalar`.
    """
    opts = engine_options(url, connect_timeout, echo)
    opts.update(pool_pre_ping=False, pool_size=2, max_overflow=8)
    return create_engine(url, isolation_level="AUTOCOMMIT", **opts)


@dataclass(frozen=True)
class DriverStatement:
    """A statement compiled once by SQLAlchemy, to be run on the driver's own connection.

    Running a cached statement through SQLAlchemy costs a few hundred microseconds of CPU
    per execution; the driver alone, a fraction of that. The SQL and the bind processors
    (type conversions such as aware datetimes to UTC) still come from SQLAlchemy.
    """

    sql: str
    processors: dict[str, Callable[[Any], Any]]

    @classmethod
    def compile(cls, statement: Executable, dialect: Dialect, keys: list[str]) -> DriverStatement:
        compiled = statement.compile(dialect=dialect, column_keys=keys)  # type: ignore[attr-defined]
        processors = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        return cls(str(compiled), processors)

    def parameters(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            key: (self.processors[key](value) if key in self.processors else value)
            for key, value in params.items()
        }


class Database:
    """Holds the engine and session factory of one app."""

    #: Compiled statements kept per app (a handful: only hot single statements use this).
    MAX_DRIVER_STATEMENTS = 32

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.autocommit_engine: Engine | None = None
        self.factory: sessionmaker[Session] | None = None
        self._driver_statements: dict[tuple[Any, ...], DriverStatement] = {}
        self._lock = threading.Lock()
        self.driver_path = True

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        timeout, echo = app.config["DB_CONNECT_TIMEOUT"], app.config["SQL_ECHO"]
        self.engine = make_engine(url, timeout, echo)
        # SQLite has no round trips to save; its single statements use the main engine.
        self.autocommit_engine = (
            make_autocommit_engine(url, timeout, echo) if url.startswith("postgresql") else None
        )
        self.factory = sessionmaker(self.engine, expire_on_commit=False)
        #: Whether the voice entry writes its call record with :meth:`autocommit_scalar`
        #: (``CALL_RECORD_DRIVER_PATH``, measured in docs/benchmarks.md); off, it goes
        #: through the request's session like every other write.
        self.driver_path = bool(app.config.get("CALL_RECORD_DRIVER_PATH", True))
        app.extensions["rufbereit.db"] = self
        app.teardown_appcontext(self._teardown)

    def bind_to(self, connection: Connection) -> None:
        """Run every session inside ``connection``'s transaction (tests, simulator)."""
        self.factory = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    def autocommit_scalar(self, statement: Executable, params: dict[str, Any] | None = None) -> Any:
        """Run one statement as its own transaction and return its first column, or None.

        For the voice entry's call record: on PostgreSQL a single round trip, run on the
        driver's connection (:class:`DriverStatement`). The statement must be safe to run
        twice: it is retried once on a connection that turned out dead (a database restart).
        """
        params = params or {}
        bind = self._bind()
        if isinstance(bind, Connection):  # bound to an outer transaction (tests, simulator)
            return bind.execute(statement, params).scalar()
        engine = self.autocommit_engine
        if bind is not self.engine or engine is None:
            with bind.begin() as conn:
                return conn.execute(statement, params).scalar()
        prepared = self._driver_statement(statement, engine.dialect, params)
        values = prepared.parameters(params)
        dbapi = engine.dialect.loaded_dbapi
        for attempt in (1, 2):
            with engine.connect() as conn:
                try:
                    row = conn.connection.driver_connection.execute(prepared.sql, values).fetchone()
                except (dbapi.OperationalError, dbapi.InterfaceError):
                    if conn.connection.driver_connection.closed and attempt == 1:
                        conn.invalidate()  # dropped by the server: a fresh one, once
                        continue
                    raise
                return row[0] if row else None
        return None  # not reached

    def _driver_statement(
        self, statement: Executable, dialect: Dialect, params: dict[str, Any]
    ) -> DriverStatement:
        key = (statement, tuple(params))
        prepared = self._driver_statements.get(key)
        if prepared is None:
            prepared = DriverStatement.compile(statement, dialect, list(params))
            with self._lock:
                if len(self._driver_statements) >= self.MAX_DRIVER_STATEMENTS:
                    self._driver_statements.clear()
                self._driver_statements[key] = prepared
        return prepared

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
