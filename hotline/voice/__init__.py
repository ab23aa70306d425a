"""The voice hotline: Twilio voice webhooks, the IVR runner, routing to the operators on
shift, the overflow queue, voicemail, call records and the terminal simulator; for walk-home
lines, accompaniment, call-backs through the line and call notes.

:func:`init_app` registers its webhooks, its
outbox kinds (voicemail notices, queue call-outs: urgent), the check before each call-out is
placed, the retention rule for call records, the IVR host other features' node types use,
and escalation: the ``HILFE``/``ESCALATE`` SMS route and the operator's phone-page panel.
"""

from __future__ import annotations

from flask import Flask

from hotline.core.registry import Registry
from hotline.voice import refusals  # noqa: F401 - registers the refusals with the core
from hotline.voice.config import SETTINGS

__all__ = ["SETTINGS", "init_app"]


def init_app(app: Flask, registry: Registry) -> None:
    from hotline.core.i18n import N_
    from hotline.core.queues import Priority
    from hotline.voice import (
        callback_webhooks,
        log_pages,
        models,  # noqa: F401 - mappers must exist before the first query
        notes,
        operator_sms,
        privacy,
        statistics_web,
        today,
        walkhome_web,
        web,
        webhooks,
    )
    from hotline.voice.accompaniment import POST_CALL_TEXT
    from hotline.voice.callback import CALLBACK_CALL, callback_wanted
    from hotline.voice.callers import VoiceCallHistory
    from hotline.voice.demand import call_history
    from hotline.voice.escalation import ESCALATION_CALL, escalation_wanted
    from hotline.voice.ivr import VoiceCallFlows
    from hotline.voice.jobs import OUTBOX_HANDLERS, QUEUE_CALLOUT, callout_wanted
    from hotline.voice.sms import (
        ESCALATION_HELP,
        handle_escalation_sms,
        is_line_number,
        understands,
    )
    from hotline.voice.walkhome_texts import TEXTS as WALKHOME_TEXTS

    app.register_blueprint(webhooks.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(statistics_web.bp)
    statistics_web.init_app(registry)
    app.register_blueprint(log_pages.bp)
    registry.nav_group("hotline", N_("Hotline"), order=20)
    registry.nav("Anrufe", "voice_log.call_log", "planner", group="hotline")
    today.register(registry)
    app.register_blueprint(callback_webhooks.bp)
    app.register_blueprint(walkhome_web.bp)
    for kind, handler in OUTBOX_HANDLERS.items():
        registry.outbox_kind(kind, handler, priority=Priority.URGENT.value)
    registry.message_kind(QUEUE_CALLOUT, check=callout_wanted)
    registry.message_kind(ESCALATION_CALL, check=escalation_wanted)
    # HILFE / ESCALATE from an operator in a call (texts to a line's number, shared with the
    # rosters' keywords), and the same as a button on the operator's phone page.
    registry.sms_route("escalation", is_line_number, handle_escalation_sms, understands)
    registry.panel(
        "operator_home",
        "escalation",
        N_("Verstärkung holen"),
        web.escalation_panel,
        min_role="operator",
        order=10,
        refresh_seconds=15,
    )
    registry.message_kind(CALLBACK_CALL, check=callback_wanted)
    registry.message_kind(POST_CALL_TEXT)
    # The walk-home keywords share a line's number with the rosters' AN/AUS, by keyword.
    registry.sms_route(
        "walkhome", operator_sms.is_line_number, operator_sms.handle_sms, operator_sms.understands
    )
    registry.panel(
        "today",
        "dropped_calls",
        N_("Abgebrochene Begleitungen"),
        walkhome_web.dropped_panel,
        min_role="coordinator",
        refresh_seconds=30,
    )
    registry.panel(
        "operator_home",
        "last_call",
        N_("Mein letzter Anruf"),
        walkhome_web.last_call_panel,
        min_role="operator",
        order=20,
    )
    registry.nav("Anrufnotizen", "voice_walkhome.call_notes", "coordinator", group="hotline")
    registry.operator_help(WALKHOME_TEXTS["help"])
    registry.operator_help(ESCALATION_HELP)
    notes.register(registry)  # before the call records: erasing those forgets the number
    privacy.register(registry)
    registry.call_flows = VoiceCallFlows()
    registry.demand_source = call_history
    registry.call_history = VoiceCallHistory(app.config["CALLER_HASH_SALT"])
