"""Signed-in accounts for every page of the app (rosters and dispatch alike): the session
key, loading the account into ``g.roster_user``, ``requires(Role)`` and the CSRF check
(Flask-WTF's token, one mechanism for every form)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, flash, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from hotline.core.extensions import db
from hotline.core.i18n import gettext
from hotline.core.models import Role, User

USER_KEY = "roster_user"


def load_user() -> User | None:
    """Put the signed-in, active account (or None) into ``g.roster_user``."""
    user_id = session.get(USER_KEY)
    g.roster_user = db.session.get(User, user_id) if user_id else None
    if g.roster_user is not None and not g.roster_user.active:
        session.pop(USER_KEY, None)
        g.roster_user = None
    return g.roster_user


def sign_in(user: User) -> None:
    """A fresh session for ``user`` (nothing of the anonymous session carries over)."""
    session.clear()
    session[USER_KEY] = user.id
    session.permanent = False
    g.roster_user = user


def check_csrf() -> None:
    """Refuse a POST without a valid CSRF token (400 via Flask-WTF's ``CSRFError``)."""
    if request.method != "POST":
        return
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        raise CSRFError(
            gettext("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.")
        ) from exc


def requires(role: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Signed-in users with at least ``role``; others go to the sign-in page or get 403."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = g.get("roster_user")
            if user is None:
                flash(gettext("Bitte melden Sie sich an."))
                return redirect(url_for("rosters.login", next=request.path))
            if not user.role.at_least(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
