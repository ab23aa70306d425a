"""Accounts: hashed passwords, throttled sign-in, secure cookies, CSRF, roles, the CLI."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from hotline import create_app
from hotline.core.extensions import db
from hotline.core.models import Role, User
from hotline.core.oncall.models import Shift
from tests.conftest import make_line, make_operator, make_shift, test_config
from tests.roster_support import PASSWORD, csrf_token, login, make_user, post


def test_passwords_are_stored_as_scrypt_hashes(session):
    user = make_user(session, Role.PLANNER, username="paula")
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_planner_signs_in_and_reaches_the_roster(app, session):
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    response = login(client, "paula")
    assert response.status_code == 302
    assert client.get("/dienstplan/").status_code == 200


def test_wrong_password_is_refused(app, session):
    make_user(session, Role.PLANNER, username="paula")
    response = login(app.test_client(), "paula", "falsches-passwort")
    assert response.status_code == 401
    assert "Anmeldung fehlgeschlagen" in response.get_data(as_text=True)


def test_sign_in_is_throttled_after_repeated_failures_even_with_the_right_password(app, session):
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, "paula", "falsch-falsch-falsch").status_code == 401
    response = login(client, "paula")
    assert response.status_code == 429
    assert client.get("/dienstplan/").status_code == 302  # still signed out


def test_form_without_csrf_token_is_rejected_and_changes_nothing(app, session):
    operator = make_operator(session)
    line = make_line(session)
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    response = client.post(
        "/dienstplan/schicht/neu",
        data={
            "line_id": line.id,
            "operator_id": operator.id,
            "start": "2030-01-07T20:00",
            "end": "2030-01-07T23:00",
        },
    )
    assert response.status_code == 400
    assert session.scalar(select(func.count(Shift.id))) == 0


def test_login_form_without_csrf_token_is_rejected(app, session):
    make_user(session, Role.PLANNER, username="paula")
    response = app.test_client().post("/anmelden", data={"username": "paula", "password": PASSWORD})
    assert response.status_code == 400


def test_session_cookie_is_secure_httponly_and_samesite_in_production(
    connection, database_url, redis_url, session
):
    app = create_app(test_config(database_url, redis_url, ENV_NAME="production"))
    db.bind_to(connection)
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/anmelden",
        data={"username": "paula", "password": PASSWORD, "csrf_token": token},
        base_url="https://roster.example.org",
    )
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_operator_cannot_edit_someone_elses_shift(app, session):
    line = make_line(session)
    mine, theirs = make_operator(session), make_operator(session)
    other_shift = make_shift(session, theirs, line)
    make_user(session, Role.OPERATOR, operator=mine, username="otto")
    client = app.test_client()
    login(client, "otto")
    assert client.get(f"/dienstplan/schicht/{other_shift.id}").status_code == 403
    response = post(
        client,
        f"/dienstplan/schicht/{other_shift.id}",
        {"start": "2030-01-07T20:00", "end": "2030-01-07T23:00"},
    )
    assert response.status_code == 403
    assert post(client, f"/dienstplan/schicht/{other_shift.id}/loeschen").status_code == 403
    session.refresh(other_shift)
    assert other_shift.operator_id == theirs.id


def test_operator_may_change_the_times_of_their_own_shift(app, session):
    line = make_line(session)
    mine = make_operator(session)
    import datetime as dt

    shift = make_shift(session, mine, line, start=dt.datetime(2030, 1, 7, 20, 0), hours=3)
    make_user(session, Role.OPERATOR, operator=mine, username="otto")
    client = app.test_client()
    login(client, "otto")
    response = post(
        client,
        f"/dienstplan/schicht/{shift.id}",
        {"start": "2030-01-07T21:00", "end": "2030-01-07T23:30"},
    )
    assert response.status_code == 302
    session.refresh(shift)
    assert shift.local_start == dt.datetime(2030, 1, 7, 21, 0)
    assert shift.operator_id == mine.id


def test_operator_cannot_open_planner_pages(app, session):
    operator = make_operator(session)
    make_user(session, Role.OPERATOR, operator=operator, username="otto")
    client = app.test_client()
    login(client, "otto")
    assert client.get("/dienstplan/schicht/neu").status_code == 403
    assert client.get("/dienstplan/import").status_code == 403
    assert client.get("/dienstplan/benutzer").status_code == 403


def test_pages_follow_the_browser_language(app, session):
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    german = client.get("/anmelden").get_data(as_text=True)
    english = client.get("/anmelden", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(
        as_text=True
    )
    assert "Passwort" in german
    assert "Password" in english and 'lang="en"' in english


def test_cli_creates_the_first_admin(app, session, monkeypatch):
    from hotline import cli

    monkeypatch.setattr(cli, "create_app", lambda: app)
    result = CliRunner().invoke(
        cli.main, ["user", "create-admin", "root", "--password", "ein-sicheres-passwort"]
    )
    assert result.exit_code == 0, result.output
    admin = session.scalar(select(User).where(User.username == "root"))
    assert admin is not None and admin.role == Role.ADMIN


def test_cli_refuses_a_short_admin_password(app, session, monkeypatch):
    from hotline import cli

    monkeypatch.setattr(cli, "create_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["user", "create-admin", "root", "--password", "kurz"])
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output


def test_one_address_trying_many_accounts_is_throttled(app, session):
    from hotline.core.accounts import ADDRESS_FACTOR, LoginResult, authenticate

    make_user(session, Role.PLANNER, username="paula")
    for i in range(5 * ADDRESS_FACTOR):
        result, _ = authenticate(session, f"user{i}", "falsch-falsch", "203.0.113.9")
        assert result == LoginResult.WRONG
    result, _ = authenticate(session, "paula", PASSWORD, "203.0.113.9")
    assert result == LoginResult.THROTTLED
    result, user = authenticate(session, "paula", PASSWORD, "198.51.100.7")
    assert result == LoginResult.OK and user.username == "paula"


def test_admins_cannot_create_organisation_member_accounts_on_the_users_page(app, session):
    make_user(session, Role.ADMIN, username="ada")
    client = app.test_client()
    login(client, "ada")
    assert 'value="member"' not in client.get("/dienstplan/benutzer").get_data(as_text=True)
    response = post(
        client,
        "/dienstplan/benutzer",
        {"username": "max", "name": "Max", "password": PASSWORD, "role": "member"},
    )
    assert response.status_code == 422
    assert "Seite der Organisation" in response.get_data(as_text=True)
    assert session.scalar(select(User.id).where(User.username == "max")) is None
