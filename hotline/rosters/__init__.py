"""Rosters: planners plan shifts in the browser and see the gaps; operators manage their own
availability by SMS (``AN``/``AUS``/``SCHICHTEN``) and get reminders before each shift.

:func:`init_app` wires it into the hotline app: settings, cookie security, pages, the
operators' SMS handler (first in line) and the reminder outbox kind.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from hotline import jobs as hotline_jobs
    from hotline.rosters import (
        models,  # noqa: F401 - mappers must exist before the first query
        web,
    )
    from hotline.rosters.config import load_roster_config
    from hotline.rosters.operator_sms import handle_operator_sms
    from hotline.rosters.reminders import OUTBOX_KIND, send_reminder

    for key, value in load_roster_config().items():
        app.config.setdefault(key, value)
    # Session cookies: HttpOnly always, SameSite=Lax, Secure outside development and tests.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config.setdefault(
        "ROSTER_INSECURE_COOKIES", app.config.get("ENV_NAME") in {"development", "testing"}
    )
    app.config["SESSION_COOKIE_SECURE"] = not app.config["ROSTER_INSECURE_COOKIES"]
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    app.register_blueprint(web.bp)
    app.extensions.setdefault("rufbereit.sms_handlers", []).insert(0, handle_operator_sms)
    hotline_jobs.HANDLERS[OUTBOX_KIND] = send_reminder
