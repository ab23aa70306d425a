"""Signed-in accounts for every page of the app (rosters and dispatch alike): the session
key, loading the account into ``g.roster_user``, ``requires(Role)``, the CSRF check
(Flask-WTF's token, one mechanism for every form) and where to go after signing in.

Sessions live in signed cookies, which the server cannot delete. So each session also
carries the account's ``session_generation``, and a session whose generation is not the
account's current one counts as signed out. Signing out, a new password and deactivation
raise the generation (:func:`hotline.core.accounts.end_sessions`): a copied or forgotten
cookie is worth nothing afterwards, on every device.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from hotline.core.accounts import end_sessions
from hotline.core.extensions import db
from hotline.core.i18n import gettext
from hotline.core.models import Role, User

USER_KEY = "roster_user"
GENERATION_KEY = "roster_generation"
_MAX_NEXT_LENGTH = 2048


def load_user() -> User | None:
    """Put the signed-in, active account (or None) into ``g.roster_user``; a session of an
    earlier generation is signed out."""
    user_id = session.get(USER_KEY)
    user = db.session.get(User, user_id) if user_id else None
    if user is not None and (
        not user.active or session.get(GENERATION_KEY) != user.session_generation
    ):
        session.pop(USER_KEY, None)
        session.pop(GENERATION_KEY, None)
        user = None
    g.roster_user = user
    return user


def sign_in(user: User) -> None:
    """A fresh session for ``user`` (nothing of the anonymous session carries over)."""
    session.clear()
    session[USER_KEY] = user.id
    session[GENERATION_KEY] = user.session_generation or 0
    session.permanent = False
    g.roster_user = user


def sign_out() -> None:
    """End every session of the signed-in account, this one included; the caller commits."""
    user = g.get("roster_user")
    if user is not None:
        end_sessions(user)
    session.clear()
    g.roster_user = None


def safe_next_url(target: str | None) -> str | None:
    r"""``target`` if it is a path on this site, else None.

    ``next`` comes from a link anyone can send, so it must not lead off the site: no scheme
    (``https:``, ``javascript:``), no host (``//evil.com``), no backslash (browsers read
    ``/\evil.com`` as ``//evil.com``), and no whitespace or control characters (browsers drop
    tab and newline, which turns ``/\t/evil.com`` into ``//evil.com``; CR LF would split the
    header).
    """
    if not target or len(target) > _MAX_NEXT_LENGTH:
        return None
    if any(c.isspace() or unicodedata.category(c) in {"Cc", "Cf"} for c in target):
        return None
    if "\\" in target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


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
