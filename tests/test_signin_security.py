"""Sign-in: guessing is throttled per account whatever the address, sessions end for good
on sign-out, a new password or deactivation, and ``next`` never leads off the site."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline import create_app
from hotline.core.accounts import (
    AccountError,
    LoginResult,
    authenticate,
    deactivate_user,
    reset_password,
)
from hotline.core.auth import safe_next_url
from hotline.core.extensions import db
from hotline.core.models import LoginFailure, Role
from tests.conftest import test_config
from tests.roster_support import PASSWORD, csrf_token, login, make_user, post

NEW_PASSWORD = "ein-ganz-neues-passwort"
ROSTER = "/dienstplan/"


def signed_out(client) -> bool:  # noqa: ANN001
    response = client.get(ROSTER)
    return response.status_code == 302 and response.location.startswith("/anmelden")


def session_cookie(client) -> str:  # noqa: ANN001
    return client.get_cookie("session").value


def client_with_cookie(app, value: str):  # noqa: ANN001, ANN201
    """Another browser that got hold of a copy of the cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


# -- throttling ---------------------------------------------------------------------------


@pytest.fixture
def proxied_app(connection, database_url, redis_url, redis, phone):  # noqa: ANN001, ANN201
    """Behind one trusted proxy: X-Forwarded-For is believed, the worst case for guessing."""
    app = create_app(test_config(database_url, redis_url, PROXY_FIX_HOPS=1), telephony=phone)
    db.bind_to(connection)
    return app


def test_rotating_x_forwarded_for_gets_no_more_guesses_than_one_address(proxied_app, session):
    make_user(session, Role.ADMIN, username="ada")
    client = proxied_app.test_client()
    token = csrf_token(client)
    allowed = proxied_app.config["LOGIN_MAX_FAILURES"]
    statuses = []
    for i in range(allowed + 3):
        response = client.post(
            "/anmelden",
            data={"username": "ada", "password": f"rate-mal-{i:04d}", "csrf_token": token},
            headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
        )
        statuses.append(response.status_code)
    assert statuses == [401] * allowed + [429] * 3
    right = client.post(
        "/anmelden",
        data={"username": "ada", "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-For": "198.51.100.200"},
    )
    assert right.status_code == 429 and signed_out(client)


def test_without_a_configured_proxy_x_forwarded_for_is_not_believed(app, session):
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    token = csrf_token(client)
    for i in range(3):
        client.post(
            "/anmelden",
            data={"username": "paula", "password": "falsch-falsch", "csrf_token": token},
            headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
        )
    addresses = set(session.scalars(select(LoginFailure.address)))
    assert addresses == {"127.0.0.1"}


def test_failures_from_many_addresses_lock_the_account_for_every_address(app, session):
    make_user(session, Role.PLANNER, username="paula")
    for i in range(5):
        result, _ = authenticate(session, "paula", "falsch-falsch", f"203.0.113.{i}")
        assert result == LoginResult.WRONG
    result, user = authenticate(session, "paula", PASSWORD, "198.51.100.7")
    assert (result, user) == (LoginResult.THROTTLED, None)


def test_an_admin_reset_lets_a_locked_out_owner_in_again(app, session):
    make_user(session, Role.PLANNER, username="paula")
    for i in range(5):
        authenticate(session, "paula", "falsch-falsch", f"203.0.113.{i}")
    reset_password(session, "paula", NEW_PASSWORD)
    result, user = authenticate(session, "paula", NEW_PASSWORD, "198.51.100.7")
    assert result == LoginResult.OK and user.username == "paula"


# -- revocable sessions -------------------------------------------------------------------


def test_the_old_cookie_gets_no_page_after_signing_out(app, session):
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    cookie = session_cookie(client)
    assert post(client, "/abmelden").status_code == 302
    replayed = client_with_cookie(app, cookie)
    assert signed_out(replayed)


def test_signing_out_on_one_device_ends_the_sessions_on_the_others(app, session):
    make_user(session, Role.PLANNER, username="paula")
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "paula")
    login(laptop, "paula")
    post(phone, "/abmelden")
    assert signed_out(laptop)


def test_the_old_cookie_gets_no_page_after_a_password_change(app, session):
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    assert client.get(ROSTER).status_code == 200
    cookie = session_cookie(client)
    reset_password(session, "paula", NEW_PASSWORD)
    session.flush()
    assert signed_out(client_with_cookie(app, cookie))
    assert login(client, "paula", PASSWORD).status_code == 401
    assert login(client, "paula", NEW_PASSWORD).status_code == 302
    assert client.get(ROSTER).status_code == 200


def test_deactivation_ends_every_session_even_if_the_account_is_reactivated(app, session):
    user = make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    cookie = session_cookie(client)
    deactivate_user(session, user)
    session.flush()
    assert signed_out(client)
    user.active = True
    session.flush()
    assert signed_out(client_with_cookie(app, cookie))


def test_a_session_signed_in_before_sessions_had_generations_is_signed_out(app, session):
    user = make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["roster_user"] = user.id  # what a cookie from an earlier version holds
    assert signed_out(client)


def test_resetting_the_password_of_an_unknown_account_is_an_error(app, session):
    with pytest.raises(AccountError, match="no account"):
        reset_password(session, "niemand", NEW_PASSWORD)


def test_cli_resets_a_password_and_ends_the_accounts_sessions(app, session, monkeypatch):
    from hotline import cli

    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    monkeypatch.setattr(cli, "create_app", lambda: app)
    result = CliRunner().invoke(
        cli.main, ["user", "reset-password", "Paula", "--password", NEW_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert "new password for paula" in result.output
    assert signed_out(client)
    assert login(client, "paula", NEW_PASSWORD).status_code == 302


def test_cli_reset_refuses_a_short_password_and_an_unknown_account(app, session, monkeypatch):
    from hotline import cli

    make_user(session, Role.PLANNER, username="paula")
    monkeypatch.setattr(cli, "create_app", lambda: app)
    short = CliRunner().invoke(cli.main, ["user", "reset-password", "paula", "--password", "kurz"])
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    unknown = CliRunner().invoke(
        cli.main, ["user", "reset-password", "niemand", "--password", NEW_PASSWORD]
    )
    assert unknown.exit_code == 1 and "there is no account 'niemand'" in unknown.output


def test_the_session_generation_migration_upgrades_and_downgrades(tmp_path):
    from sqlalchemy import create_engine, inspect, text

    from hotline.core.migrations import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO roster_users (username, name, password_hash, role, language, "
                "active, created_at) VALUES ('ada', 'Ada', 'x', 'admin', 'de', 1, "
                "'2026-01-01 09:00:00')"
            )
        )
        generation = conn.execute(text("SELECT session_generation FROM roster_users")).scalar()
    assert generation == 0  # accounts that existed before start at generation 0
    downgrade(url, "0006")
    columns = {c["name"] for c in inspect(engine).get_columns("roster_users")}
    assert "session_generation" not in columns and "username" in columns
    engine.dispose()


# -- where to go after signing in ---------------------------------------------------------

ATTACKS = [
    "\t",
    "/\t/evil.com",
    "/\n/evil.com",
    "\n//evil.com",
    "/\r\nSet-Cookie: roster=1",
    "//evil.com",
    "///evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    "https://evil.com",
    "https:evil.com",
    "http:/evil.com",
    "javascript:alert(1)",
    "evil.com",
    " //evil.com",
    "/\x00//evil.com",
    "/\u2028//evil.com",
    "/\u200b/evil.com",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("target", ATTACKS)
def test_next_urls_that_could_leave_the_site_are_refused(target):
    assert safe_next_url(target) is None


@pytest.mark.parametrize("target", ["/dienstplan/meine", "/dispatch/?seite=2#neu", "/"])
def test_next_urls_on_the_site_are_kept(target):
    assert safe_next_url(target) == target


def _stays_on_the_site(location: str) -> bool:
    parts = urlsplit(location)
    return (
        parts.scheme in ("", "http")
        and parts.netloc in ("", "localhost")
        and parts.path.startswith("/")
        and not parts.path.startswith("//")
        and "\\" not in location
    )


@pytest.mark.parametrize("target", ATTACKS)
def test_signing_in_with_an_attacking_next_lands_on_the_start_page(app, session, target):
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    assert client.get("/anmelden", query_string={"next": target}).status_code == 200
    response = client.post(
        "/anmelden",
        query_string={"next": target},
        data={"username": "paula", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert _stays_on_the_site(response.location)
    assert response.location == "/"  # the start page, which leads each role home


@pytest.mark.parametrize("target", ATTACKS)
def test_switching_the_language_with_an_attacking_next_stays_on_the_site(app, target):
    client = app.test_client()
    response = post(client, "/sprache", {"lang": "en", "next": target})
    assert response.status_code == 302
    assert _stays_on_the_site(response.location)


def test_signing_in_follows_a_next_on_the_site(app, session):
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    response = client.post(
        "/anmelden",
        query_string={"next": "/dienstplan/muster"},
        data={"username": "paula", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.location == "/dienstplan/muster"
