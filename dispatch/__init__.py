"""Dispatch: help requests phoned in (or posted) become tickets, and matching helpers are
texted in fair waves until enough have accepted.

:func:`init_app` wires it into the hotline app: models, settings, the intake and status
webhooks, the web pages, the helpers' SMS handler and the outbox kinds.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from dispatch import (
        callbacks,
        intake,
        models,  # noqa: F401 - mappers must exist before the first query
        web,
    )
    from dispatch.config import load_dispatch_config
    from dispatch.jobs import OUTBOX_HANDLERS
    from dispatch.replies import handle_sms
    from hotline import jobs as hotline_jobs

    for key, value in load_dispatch_config().items():
        app.config.setdefault(key, value)
    app.register_blueprint(intake.bp)
    app.register_blueprint(callbacks.bp)
    app.register_blueprint(web.bp)
    # Organisation members have no roster pages: after signing in they land on the call-outs.
    app.config.setdefault("MEMBER_HOME_ENDPOINT", "dispatch_web.callout")
    app.extensions.setdefault("rufbereit.sms_handlers", []).append(handle_sms)
    hotline_jobs.HANDLERS.update(OUTBOX_HANDLERS)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # a global CSRFProtect must leave signed Twilio webhooks alone
        csrf.exempt(intake.bp)
        csrf.exempt(callbacks.bp)
