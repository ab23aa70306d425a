"""The blueprint of every dispatch page (``dispatch_web``) and what all its pages share: the
signed-in account and CSRF check before each request, the template helpers, and headers that
keep accept-link tokens out of caches and Referer headers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template
from flask_wtf.csrf import CSRFError, generate_csrf

from dispatch import access, texts
from dispatch.matching import dispatch_zone
from dispatch.models import Activity
from hotline.core.models import Role

#: The templates stay where they were: ``dispatch/templates/dispatch/``.
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

bp = Blueprint("dispatch_web", __name__, template_folder=str(TEMPLATES))


@bp.before_request
def _load_user_and_check_csrf() -> None:
    access.load_user()
    access.check_csrf()


@bp.errorhandler(CSRFError)
def _csrf_failed(exc: CSRFError):  # noqa: ANN202
    return render_template(
        "dispatch/message.html", title="Abgelaufen", message=exc.description
    ), 400


@bp.context_processor
def _helpers() -> dict:
    return {
        "csrf_token": generate_csrf,
        "activity_name": lambda code: texts.activity_name(code, "de"),
        "activities": [a.value for a in Activity],
        "user": access.current_user(),
        "Role": Role,
    }


@bp.after_request
def _private(response):  # noqa: ANN001, ANN202
    """Accept links carry a token in the URL: keep it out of caches and Referer headers."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def local_time(value: dt.datetime) -> str:
    return value.astimezone(ZoneInfo(dispatch_zone())).strftime("%d.%m.%Y %H:%M")
