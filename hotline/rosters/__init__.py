"""Rosters: planners plan shifts in the browser and see the gaps; operators manage their own
availability by SMS (``AN``/``AUS``/``SCHICHTEN``) or on their phone home (``/mein-dienst``),
confirm assigned shifts (``OK``/``NEIN``, :mod:`hotline.rosters.confirmations`) and get
reminders before each shift.

:data:`SETTINGS` are its settings (the composition root loads them with the core's);
:func:`init_app` registers its cookie security, pages, the operators' SMS keywords
(for texts to a line's number), the reminder outbox kind and sweep, and its demo data.
"""

from __future__ import annotations

from flask import Flask

from hotline.core.i18n import N_
from hotline.core.registry import Registry
from hotline.rosters.config import SETTINGS

__all__ = ["SETTINGS", "init_app"]


def init_app(app: Flask, registry: Registry) -> None:
    from hotline.rosters import (
        confirmations,
        controllers,
        models,  # noqa: F401 - mappers must exist before the first query
        privacy,
        today,
    )
    from hotline.rosters.controllers.declines import render_declined_panel
    from hotline.rosters.demo import DEMO_SIGN_INS, load_demo, load_demo_sign_ins
    from hotline.rosters.operator_sms import handle_operator_sms, is_line_number, understands
    from hotline.rosters.reminders import (
        MESSAGE_KIND,
        OUTBOX_KIND,
        SWEEP_INTERVAL,
        reminder_sweep,
        reminder_wanted,
        send_reminder,
    )

    # Session cookies: HttpOnly always, SameSite=Lax, Secure outside development and tests.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = not app.config["ROSTER_INSECURE_COOKIES"]
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    app.register_blueprint(controllers.bp)
    registry.sms_route("operators", is_line_number, handle_operator_sms, understands)
    registry.outbox_kind(OUTBOX_KIND, send_reminder)
    registry.message_kind(MESSAGE_KIND, check=reminder_wanted)
    registry.message_kind(confirmations.CONFIRM_KIND, check=confirmations.confirmation_wanted)
    registry.message_kind(confirmations.OFFER_KIND, check=confirmations.offer_wanted)
    registry.panel(
        "today",
        "declined-shifts",
        N_("Abgesagte Schichten"),
        render_declined_panel,
        "planner",
        order=40,
    )
    registry.periodic("roster-reminders", reminder_sweep, SWEEP_INTERVAL)
    registry.demo("rosters", load_demo)
    privacy.register(registry)
    today.register(registry)
    registry.demo("roster-sign-ins", load_demo_sign_ins, sign_ins=True)
    registry.demo_sign_ins.extend(DEMO_SIGN_INS)
    registry.account_pages("rosters.login", "rosters.logout", "rosters.set_language")
    registry.home("operator", "rosters.operator_home")
    # Planners and coordinators start on the Today page (the core registers it).
    registry.home("admin", "rosters.index")
    # Navigation labels are catalogue msgids (German), translated when shown.
    registry.nav_group("rosters", N_("Dienstplan"), order=30)
    registry.nav_group("mine", N_("Mein Dienst"), order=40)
    registry.nav("Wochenansicht", "rosters.index", "planner", group="rosters")
    registry.nav("Mein Dienst", "rosters.operator_home", "operator", group="mine")
    registry.nav("Meine Schichten", "rosters.my_shifts", "operator", group="mine")
    registry.nav("Offene Schichten", "rosters.open_shifts", "operator", group="mine")
    registry.nav("Tausch", "rosters.swaps", "operator", group="mine")
    registry.nav("Wiederkehrende Schicht", "rosters.patterns", "planner", group="rosters")
    registry.nav("Ehrenamtliche", "rosters.operators", "planner", group="rosters")
    registry.nav("Import und Export", "rosters.import_csv", "planner", group="rosters")
    registry.nav("Protokoll", "rosters.audit_log", "planner", group="rosters")
    registry.nav("Gesperrte Anrufer", "rosters.blocks", "coordinator", group="admin")
    registry.nav("Linien", "rosters.lines", "coordinator", group="admin")
    registry.nav("Benutzer", "rosters.users", "admin", group="admin")
