"""Rosters: planners plan shifts in the browser and see the gaps; operators manage their own
availability by SMS (``AN``/``AUS``/``SCHICHTEN``) and get reminders before each shift.

:func:`init_app` registers its settings, cookie security, pages, the operators' SMS keywords
(for texts to a line's number), the reminder outbox kind and sweep, and its demo data.
"""

from __future__ import annotations

from flask import Flask

from hotline.core.registry import Registry


def init_app(app: Flask, registry: Registry) -> None:
    from hotline.rosters import (
        models,  # noqa: F401 - mappers must exist before the first query
        web,
    )
    from hotline.rosters.config import load_roster_config
    from hotline.rosters.demo import load_demo
    from hotline.rosters.operator_sms import handle_operator_sms, is_line_number
    from hotline.rosters.reminders import (
        MESSAGE_KIND,
        OUTBOX_KIND,
        SWEEP_INTERVAL,
        reminder_sweep,
        reminder_wanted,
        send_reminder,
    )

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
    registry.sms_route("operators", is_line_number, handle_operator_sms)
    registry.outbox_kind(OUTBOX_KIND, send_reminder)
    registry.message_kind(MESSAGE_KIND, check=reminder_wanted)
    registry.periodic("roster-reminders", reminder_sweep, SWEEP_INTERVAL)
    registry.demo("rosters", load_demo)
