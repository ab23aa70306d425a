"""Roster accounts, made by admins (organisation members are made on their organisation's
page)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from sqlalchemy import select

from hotline.core.auth import requires
from hotline.core.extensions import db
from hotline.core.i18n import gettext
from hotline.core.models import Role, User
from hotline.rosters.account_edits import add_account
from hotline.rosters.controllers.blueprint import bp, operators, save
from hotline.rosters.forms import AccountForm


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
