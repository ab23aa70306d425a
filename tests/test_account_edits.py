"""Admins change accounts on the users page: name, role (chosen explicitly, least privilege
preselected, named in the page's language), operator link, deactivation that ends sessions
at once, and a password reset that lets a locked-out person in again."""

from __future__ import annotations

import pytest

from hotline.core.accounts import AccountError
from hotline.core.models import Role, User
from hotline.rosters.account_edits import set_account_active, update_account
from tests.conftest import make_operator
from tests.roster_support import login, make_user, post


@pytest.fixture
def admin(app, session):
    make_user(session, Role.ADMIN, username="ada")
    client = app.test_client()
    login(client, "ada")
    return client


def reload(session, user_id):
    session.expire_all()
    return session.get(User, user_id)


def test_an_admin_changes_name_role_and_operator_of_an_account(session, admin):
    anna = make_operator(session, name="Anna")
    account = make_user(session, Role.PLANNER, username="paula")
    response = post(
        admin,
        f"/dienstplan/benutzer/{account.id}",
        {"name": "Paula Neu", "role": "coordinator", "operator_id": str(anna.id), "language": "en"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    changed = reload(session, account.id)
    assert (changed.name, changed.role, changed.operator_id, changed.language) == (
        "Paula Neu",
        Role.COORDINATOR,
        anna.id,
        "en",
    )


def test_the_edit_page_names_roles_in_the_page_language_and_shows_the_current_one(session, admin):
    account = make_user(session, Role.PLANNER, username="paula")
    page = admin.get(f"/dienstplan/benutzer/{account.id}").get_data(as_text=True)
    assert '<option value="planner" selected>Planung</option>' in page
    assert '<option value="operator">Telefondienst</option>' in page
    assert 'value="member"' not in page


def test_a_new_account_form_preselects_the_least_privileged_role(admin):
    page = admin.get("/dienstplan/benutzer").get_data(as_text=True)
    assert 'value="operator" selected' in page


def test_a_change_without_a_role_is_refused_never_defaulted(session, admin):
    account = make_user(session, Role.PLANNER, username="paula")
    response = post(admin, f"/dienstplan/benutzer/{account.id}", {"name": "X", "language": "de"})
    assert response.status_code == 422
    assert reload(session, account.id).role == Role.PLANNER


def test_an_operator_account_needs_its_operator(session, admin):
    account = make_user(session, Role.PLANNER, username="paula")
    response = post(
        admin, f"/dienstplan/benutzer/{account.id}", {"role": "operator", "language": "de"}
    )
    assert response.status_code == 422
    assert "Konten der Rolle operator gehören zu einer ehrenamtlichen Person" in (
        response.get_data(as_text=True)
    )


def test_an_operator_has_at_most_one_account(session):
    anna = make_operator(session, name="Anna")
    make_user(session, Role.OPERATOR, operator=anna, username="anna")
    other = make_user(session, Role.PLANNER, username="paula")
    with pytest.raises(AccountError, match="already has the account 'anna'"):
        update_account(session, other.id, "Paula", Role.PLANNER, anna.id)


def test_the_last_active_admin_keeps_the_role(session):
    ada = make_user(session, Role.ADMIN, username="ada")
    with pytest.raises(AccountError, match="last active admin"):
        update_account(session, ada.id, "Ada", Role.PLANNER, None)


def test_deactivating_an_account_ends_its_open_sessions_at_once(app, session, admin):
    account = make_user(session, Role.PLANNER, username="paula")
    paula = app.test_client()
    login(paula, "paula")
    assert paula.get("/dienstplan/").status_code == 200
    response = post(admin, f"/dienstplan/benutzer/{account.id}/aktiv", {"active": "0"})
    assert response.status_code == 302
    assert reload(session, account.id).active is False
    assert paula.get("/dienstplan/").status_code == 302  # signed out
    assert login(app.test_client(), "paula").status_code == 401


def test_a_deactivated_account_can_be_reactivated(session, admin):
    account = make_user(session, Role.PLANNER, username="paula")
    post(admin, f"/dienstplan/benutzer/{account.id}/aktiv", {"active": "0"})
    post(admin, f"/dienstplan/benutzer/{account.id}/aktiv", {"active": "1"})
    assert reload(session, account.id).active is True


def test_nobody_deactivates_their_own_account(session):
    ada = make_user(session, Role.ADMIN, username="ada2")
    make_user(session, Role.ADMIN, username="ben")
    with pytest.raises(AccountError, match="your own account"):
        set_account_active(session, ada.id, False, by=ada)


def test_an_admin_resets_a_password_in_the_web_and_old_sessions_end(app, session, admin):
    account = make_user(session, Role.PLANNER, username="paula")
    paula = app.test_client()
    login(paula, "paula")
    response = post(
        admin, f"/dienstplan/benutzer/{account.id}/passwort", {"password": "ganz-neues-passwort"}
    )
    assert response.status_code == 302
    assert paula.get("/dienstplan/").status_code == 302
    assert login(app.test_client(), "paula", "ganz-neues-passwort").status_code == 302


def test_a_too_short_reset_password_is_refused_in_german(session, admin):
    account = make_user(session, Role.PLANNER, username="paula")
    response = post(admin, f"/dienstplan/benutzer/{account.id}/passwort", {"password": "kurz"})
    assert response.status_code == 422
    assert "Passwörter brauchen mindestens 10 Zeichen" in response.get_data(as_text=True)


def test_planners_cannot_open_another_account(app, session):
    make_user(session, Role.PLANNER, username="paula")
    other = make_user(session, Role.PLANNER, username="piet")
    client = app.test_client()
    login(client, "paula")
    assert client.get(f"/dienstplan/benutzer/{other.id}").status_code == 403


def test_the_edit_page_speaks_english_role_names_for_english_pages(app, session):
    make_user(session, Role.ADMIN, username="ada")
    account = make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "ada")
    post(client, "/sprache", {"lang": "en", "next": "/"})
    page = client.get(f"/dienstplan/benutzer/{account.id}").get_data(as_text=True)
    assert '<option value="planner" selected>Planning</option>' in page
