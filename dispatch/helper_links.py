"""Personal links for helpers: a signed, expiring token that opens a helper's own pages
(long-term engagements, their time budget, certificates) without an account.

The token is an :mod:`itsdangerous` signature over the helper's id, keyed by the app's
``SECRET_KEY`` with a salt of its own (so no other signed value of the app opens these
pages) and valid for ``DISPATCH_HELPER_LINK_DAYS`` days. An opted-out helper's link opens
nothing.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from dispatch.models import Helper, HelperStatus

SALT = "dispatch-helper-link"
DAY = 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(helper: Helper) -> str:
    """A new personal link token for ``helper`` (each call signs afresh, with the time)."""
    return _serializer().dumps({"h": helper.id})


def page_link(helper: Helper) -> str:
    """The helper's own page (:mod:`dispatch.web.profile`) as an absolute link for a text."""
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    return f"{base.rstrip('/')}/hilfe/profil/{token_for(helper)}"


def helper_for(session: Session, token: str) -> Helper | None:
    """The helper a valid, unexpired token names; None for anything else."""
    days = current_app.config.get("DISPATCH_HELPER_LINK_DAYS") or 30
    try:
        data = _serializer().loads(token, max_age=days * DAY)
    except BadSignature:  # SignatureExpired is one
        return None
    helper_id = data.get("h") if isinstance(data, dict) else None
    if not isinstance(helper_id, int):
        return None
    helper = session.get(Helper, helper_id)
    if helper is None or helper.status == HelperStatus.OPTED_OUT:
        return None
    return helper
