"""Minimal access control and CSRF protection for the dispatch pages.

Until shared accounts and roles exist, two kinds of sign-in are accepted on
``/dispatch/anmelden``:

* the **coordinator token** from ``DISPATCH_COORDINATOR_TOKEN`` (coordinators and operators:
  approve organisations, edit and import helpers, take tickets by phone). Without the
  setting, coordinator pages are closed;
* an **organisation token**, shown once when an organisation registers and stored only as a
  hash; it lets the organisation's members create call-outs once a coordinator has approved
  the organisation.

CSRF: every state-changing form carries a per-session token, checked on each POST of the
dispatch web blueprint (Twilio webhooks are separate blueprints and signed instead).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, redirect, request, session, url_for

from dispatch.models import Organisation
from hotline.extensions import db

ROLE_KEY = "dispatch_role"
ORG_KEY = "dispatch_org"
CSRF_KEY = "dispatch_csrf"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_token() -> str:
    token = session.get(CSRF_KEY)
    if not token:
        token = session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    if request.method != "POST":
        return
    sent = request.form.get("csrf_token", "")
    expected = session.get(CSRF_KEY, "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.")


def sign_in(token: str) -> str | None:
    """Sign in with a coordinator or organisation token; returns the role or None."""
    token = token.strip()
    if not token:
        return None
    coordinator = current_app.config.get("DISPATCH_COORDINATOR_TOKEN") or ""
    if coordinator and hmac.compare_digest(token, coordinator):
        session.clear()
        session[ROLE_KEY] = "coordinator"
        return "coordinator"
    org = db.session.query(Organisation).filter_by(token_hash=token_hash(token)).first()
    if org is not None:
        session.clear()
        session[ROLE_KEY] = "organisation"
        session[ORG_KEY] = org.id
        return "organisation"
    return None


def current_organisation() -> Organisation | None:
    if session.get(ROLE_KEY) != "organisation":
        return None
    return db.session.get(Organisation, session.get(ORG_KEY, 0))


def require(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if session.get(ROLE_KEY) != role:
                return redirect(url_for("dispatch_web.login", next=request.path))
            return view(*args, **kwargs)

        return wrapped

    return decorator
