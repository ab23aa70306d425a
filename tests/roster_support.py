"""Helpers for the roster tests: accounts, signed-in test clients, CSRF tokens, and a
committed database for tests that need several connections (threads, a live server)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, delete
from werkzeug.serving import make_server

from hotline.core.accounts import create_user
from hotline.core.models import Base, Role

PASSWORD = "richtig-langes-passwort"


def make_user(session, role: Role = Role.PLANNER, operator=None, username: str | None = None):  # noqa: ANN001, ANN201
    name = username or f"{role.value}-{operator.id if operator else 'x'}"
    user = create_user(
        session, name, name.title(), PASSWORD, role, operator.id if operator else None
    )
    session.flush()
    return user


def csrf_token(client, path: str = "/anmelden") -> str:  # noqa: ANN001
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):  # noqa: ANN001, ANN201
    token = csrf_token(client)
    return client.post(
        "/anmelden", data={"username": username, "password": password, "csrf_token": token}
    )


def post(client, path: str, data: dict | None = None, **kw):  # noqa: ANN001, ANN201
    """POST a form with a valid CSRF token, as the browser would."""
    form = {"csrf_token": csrf_token(client), **(data or {})}
    return client.post(path, data=form, **kw)


def wipe(engine: Engine) -> None:
    """Delete every row the models know of (committed-database tests clean up after
    themselves; the schema and alembic_version stay)."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))


@contextmanager
def live_server(app) -> Iterator[str]:  # noqa: ANN001
    """Serve ``app`` from a thread on 127.0.0.1; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(name="committed_app")
def committed_app_fixture(engine, database_url, redis_url, redis, phone):  # noqa: ANN001, ANN201
    """The app on a real, committed database (several connections, threads, a live server);
    every row is deleted again afterwards."""
    from hotline import create_app
    from hotline.core.extensions import db
    from hotline.core.worker import set_app
    from tests.conftest import test_config

    wipe(engine)
    app = create_app(test_config(database_url, redis_url), telephony=phone)
    set_app(app)
    yield app
    set_app(None)
    if db.engine is not None:
        db.engine.dispose()
    wipe(engine)
