"""Signing in and out, and the language switch in every page's header."""

from __future__ import annotations

from flask import current_app, g, redirect, render_template, request, session, url_for

from hotline.core.accounts import LoginResult, authenticate
from hotline.core.auth import safe_next_url, sign_in, sign_out
from hotline.core.extensions import db
from hotline.core.i18n import gettext
from hotline.rosters.controllers.blueprint import bp, commit, safe_next
from hotline.rosters.forms import LanguageForm, SignInForm


@bp.route("/anmelden", methods=["GET", "POST"])
def login():  # noqa: ANN201
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("rosters/login.html", form=form, error=form.error), form.http_status
    result, user = authenticate(
        db.session,
        form.username.data,
        form.password.data,
        request.remote_addr or "-",
        current_app.config["LOGIN_MAX_FAILURES"],
        current_app.config["LOGIN_LOCK_MINUTES"],
    )
    commit()
    if result == LoginResult.OK and user is not None:
        sign_in(user)
        # Without a page to go back to: the account's start page (``/`` knows each role's).
        return redirect(safe_next_url(request.args.get("next")) or url_for("pages.home"))
    if result == LoginResult.THROTTLED:
        error, status = gettext("Zu viele Fehlversuche. Bitte später erneut versuchen."), 429
    else:
        error, status = gettext("Anmeldung fehlgeschlagen."), 401
    return render_template("rosters/login.html", form=form, error=error), status


@bp.post("/abmelden")
def logout():  # noqa: ANN201
    sign_out()  # ends every session of the account, on every device
    commit()
    return redirect(url_for("rosters.login"))


@bp.post("/sprache")
def set_language():  # noqa: ANN201
    form = LanguageForm()
    if form.validate():
        session["lang"] = form.lang.data
        user = g.get("roster_user")
        if user is not None:
            user.language = form.lang.data
            commit()
    return redirect(safe_next(form.next.data))
