"""Roster accounts, made, changed, deactivated and given new passwords by admins
(organisation members are made on their organisation's page)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hotline.core.accounts import AccountError
from hotline.core.auth import requires
from hotline.core.extensions import db
from hotline.core.i18n import error_text, gettext
from hotline.core.models import Role, User
from hotline.rosters.account_edits import (
    add_account,
    reset_account_password,
    set_account_active,
    update_account,
)
from hotline.rosters.controllers.blueprint import (
    bp,
    commit,
    current_user,
    form_for,
    operators,
    save,
)
from hotline.rosters.forms import AccountForm, EditAccountForm, PasswordResetForm

#: The roles the roster makes, least privilege first (the one a form preselects).
ROSTER_ROLES = (Role.OPERATOR, Role.PLANNER, Role.COORDINATOR, Role.ADMIN)


@bp.route("/dienstplan/benutzer", methods=["GET", "POST"])
@requires(Role.ADMIN)
def users():  # noqa: ANN201
    form = AccountForm()
    if save(
        form,
        lambda: add_account(
            db.session,
            form.username.data,
            form.name.data or "",
            form.password.data,
            form.role.data,
            form.operator_id.data,
            form.language.data,
        ),
    ):
        flash(gettext("Gespeichert."))
        return redirect(url_for("rosters.users"))
    rows = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template(
        "rosters/users.html", users=rows, operators=operators(), form=form, error=form.error
    ), form.http_status


@bp.route("/dienstplan/benutzer/<int:user_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def edit_user(user_id: int):  # noqa: ANN201
    account = db.session.get(User, user_id)
    if account is None or account.role == Role.MEMBER:
        abort(404)
    form = form_for(
        EditAccountForm,
        name=account.name,
        role=account.role.value,
        operator_id=account.operator_id,
        language=account.language,
    )
    if save(
        form,
        lambda: update_account(
            db.session,
            account.id,
            form.name.data or "",
            form.role.data,
            form.operator_id.data,
            form.language.data,
        ),
    ):
        flash(gettext("Gespeichert."))
        return redirect(url_for("rosters.users"))
    return _edit_page(account, form, PasswordResetForm(formdata=None), form.error)


def _edit_page(account: User, form: EditAccountForm, reset: PasswordResetForm, error):  # noqa: ANN001, ANN202
    status = 422 if error else 200
    return render_template(
        "rosters/user_form.html",
        account=account,
        form=form,
        reset=reset,
        operators=operators(),
        error=error,
        roles=ROSTER_ROLES,
    ), status


@bp.post("/dienstplan/benutzer/<int:user_id>/passwort")
@requires(Role.ADMIN)
def reset_user_password(user_id: int):  # noqa: ANN201
    account = db.session.get(User, user_id)
    if account is None or account.role == Role.MEMBER:
        abort(404)
    reset = PasswordResetForm()
    if save(reset, lambda: reset_account_password(db.session, account.id, reset.password.data)):
        flash(gettext("Neues Passwort gesetzt; alle Sitzungen des Kontos sind beendet."))
        return redirect(url_for("rosters.edit_user", user_id=account.id))
    form = EditAccountForm(
        formdata=None,
        data={
            "name": account.name,
            "role": account.role.value,
            "operator_id": account.operator_id,
            "language": account.language,
        },
    )
    return _edit_page(account, form, reset, reset.error or gettext("Bitte ausfüllen."))


@bp.post("/dienstplan/benutzer/<int:user_id>/aktiv")
@requires(Role.ADMIN)
def set_user_active(user_id: int):  # noqa: ANN201
    account = db.session.get(User, user_id)
    if account is None or account.role == Role.MEMBER:
        abort(404)
    active = request.form.get("active") == "1"
    try:
        set_account_active(db.session, account.id, active, current_user())
        commit()
    except AccountError as exc:
        db.session.rollback()
        flash(error_text(exc))
        return redirect(url_for("rosters.edit_user", user_id=account.id))
    flash(
        gettext("Konto wieder aktiv.")
        if active
        else gettext("Konto deaktiviert; alle Sitzungen sind beendet.")
    )
    return redirect(url_for("rosters.users"))
