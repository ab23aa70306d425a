"""Rosters: planners plan shifts in the browser and see the gaps; operators manage their own
availability by SMS (``AN``/``AUS``/``SCHICHTEN``) and get reminders before each shift.

:data:`SETTINGS` are its settings (the composition root loads them with the core's);
:func:`init_app` registers its cookie security, pages, the operators' SMS keywords
(for texts to a line's number), the reminder outbox kind and sweep, and its demo data.
"""

from __future__ import annotations

from flask import Flask

from hotline.core.registry import Registry
from hotline.rosters.config import SETTINGS

__all__ = ["SETTINGS", "init_app"]


def init_app(app: Flask, registry: Registry) -> None:
    from hotline.rosters import (
        controllers,
        models,  # noqa: F401 - mappers must exist before the first query
        privacy,
    )
    from hotline.rosters.demo import load_demo
    from hotline.rosters.operator_sms import handle_operator_sms, is_line_number, understands
    from hotline.rosters.reminders import OUTBOX_KIND, SWEEP_INTERVAL, reminder_sweep, send_reminder

    # Session cookies: HttpOnly always, SameSite=Lax, Secure outside development and tests.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = not app.config["ROSTER_INSECURE_COOKIES"]
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    app.register_blueprint(controllers.bp)
    registry.sms_route("operators", is_line_number, handle_operator_sms, understands)
    registry.outbox_kind(OUTBOX_KIND, send_reminder)
    registry.periodic("roster-reminders", reminder_sweep, SWEEP_INTERVAL)
    registry.demo("rosters", load_demo)
    privacy.register(registry)
