"""Dispatch: help requests phoned in (or posted) become tickets, and matching helpers are
texted (mailed, or for helpers without a mobile phoned) in fair waves until enough have
accepted.

:data:`SETTINGS` are its settings (the composition root loads them with the core's);
:func:`init_app` registers the intake IVR node and webhooks, the web pages, the helpers' SMS
replies (texts to the dispatch sender), the hook that keeps helpers in step with the core
opt-out list, its outbox kinds, the hooks of its outbound message kinds, the periodic sweep,
its retention rules and its demo data.
"""

from __future__ import annotations

from flask import Flask

from dispatch import refusals  # noqa: F401 - registers dispatch's refusals with the core
from dispatch.config import SETTINGS
from hotline.core.i18n import N_
from hotline.core.registry import Registry

__all__ = ["SETTINGS", "init_app"]


def init_app(app: Flask, registry: Registry) -> None:
    from dispatch import (
        intake,
        models,  # noqa: F401 - mappers must exist before the first query
        outbound,
        privacy,
        thanks,
        today,
        voice_offers,
        web,
    )
    from dispatch.alerts import notify_daily_cap
    from dispatch.consent import on_mail_opt_out, on_opt_out
    from dispatch.demo import DEMO_SIGN_INS, load_dispatch_demo
    from dispatch.jobs import OUTBOX_HANDLERS, SWEEP_INTERVAL, sweep
    from dispatch.replies import handle_sms, is_dispatch_number, understands
    from dispatch.web import voice
    from hotline.core.budgets import on_daily_cap

    app.register_blueprint(intake.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(voice.bp)
    # Organisation members have no roster pages: after signing in they land on the call-outs.
    app.config.setdefault("MEMBER_HOME_ENDPOINT", "dispatch_web.callout")
    registry.home("member", "dispatch_web.callout")
    registry.nav("Neuer Aufruf", "dispatch_web.callout", "member", only_role="member")
    registry.nav("Unsere Aufrufe", "dispatch_web.our_callouts", "member", only_role="member")
    registry.nav_group("dispatch", N_("Vermittlung"), order=50)
    registry.nav("Neues Ticket (Telefon)", "dispatch_web.new_ticket", "operator", group="dispatch")
    registry.nav("Koordination", "dispatch_web.dashboard", "coordinator", group="dispatch")
    registry.ivr_node("intake", intake.begin)
    registry.sms_route("helpers", is_dispatch_number, handle_sms, understands)
    registry.on_opt_out(on_opt_out)
    registry.on_mail_opt_out(on_mail_opt_out)
    for kind, handler in OUTBOX_HANDLERS.items():
        registry.outbox_kind(kind, handler)
    outbound.register(registry)
    voice_offers.register(registry)
    registry.periodic("dispatch-sweep", sweep, SWEEP_INTERVAL)
    registry.periodic("dispatch-thanks", thanks.thanks_job, thanks.INTERVAL)
    privacy.register(registry)
    today.register(registry)
    on_daily_cap(notify_daily_cap, app)
    registry.demo("dispatch", lambda session, now: load_dispatch_demo(session), sign_ins=True)
    registry.demo_sign_ins.extend(DEMO_SIGN_INS)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # a global CSRFProtect must leave signed Twilio webhooks alone
        csrf.exempt(intake.bp)
        csrf.exempt(voice.bp)
