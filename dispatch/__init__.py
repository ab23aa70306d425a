"""Dispatch: help requests phoned in (or posted) become tickets, and matching helpers are
texted in fair waves until enough have accepted.

:func:`init_app` registers its settings, the intake IVR node and webhooks, the web pages,
the helpers' SMS replies (texts to the dispatch sender), its outbox kinds, the hooks of its
outbound message kinds, the periodic sweep and its demo data.
"""

from __future__ import annotations

from flask import Flask

from hotline.core.registry import Registry


def init_app(app: Flask, registry: Registry) -> None:
    from dispatch import (
        intake,
        models,  # noqa: F401 - mappers must exist before the first query
        outbound,
        web,
    )
    from dispatch.config import load_dispatch_config
    from dispatch.demo import DEMO_SIGN_INS, load_dispatch_demo
    from dispatch.jobs import OUTBOX_HANDLERS, SWEEP_INTERVAL, sweep
    from dispatch.replies import handle_sms, is_dispatch_number

    for key, value in load_dispatch_config().items():
        app.config.setdefault(key, value)
    app.register_blueprint(intake.bp)
    app.register_blueprint(web.bp)
    # Organisation members have no roster pages: after signing in they land on the call-outs.
    app.config.setdefault("MEMBER_HOME_ENDPOINT", "dispatch_web.callout")
    registry.ivr_node("intake", intake.begin)
    registry.sms_route("helpers", is_dispatch_number, handle_sms)
    for kind, handler in OUTBOX_HANDLERS.items():
        registry.outbox_kind(kind, handler)
    outbound.register(registry)
    registry.periodic("dispatch-sweep", sweep, SWEEP_INTERVAL)
    registry.demo("dispatch", lambda session, now: load_dispatch_demo(session), sign_ins=True)
    registry.demo_sign_ins.extend(DEMO_SIGN_INS)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # a global CSRFProtect must leave signed Twilio webhooks alone
        csrf.exempt(intake.bp)
