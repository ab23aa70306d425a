"""Rufbereit hotline: Twilio voice webhooks, routing to the operators on shift."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline.config import load_config
from hotline.telephony import Telephony

log = logging.getLogger(__name__)


def create_app(config: dict[str, Any] | None = None, telephony: Telephony | None = None) -> Flask:
    """Build the app from environment variables, overridden by ``config``."""
    from hotline import health, sms, voice
    from hotline.extensions import db, flows, init_directory, init_telephony, jobs
    from hotline.logs import configure_logging

    app = Flask(__name__)
    app.config.update(load_config())
    if config:
        app.config.update(config)
    configure_logging(app.config["LOG_LEVEL"])
    if not app.config["SECRET_KEY"]:
        log.warning("SECRET_KEY is not set; using a random one (sessions end on restart)")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if not app.config["CALLER_HASH_SALT"]:
        app.config["CALLER_HASH_SALT"] = app.config["SECRET_KEY"]
    from hotline.sessions import CookieSessionInterface

    app.session_interface = CookieSessionInterface()
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )

    db.init_app(app)
    jobs.init_app(app)
    flows.init_app(app)
    init_directory(app)
    init_telephony(app, telephony)

    app.register_blueprint(voice.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(health.bp)
    # Inbound SMS handlers, tried in order; each returns a reply or None to pass.
    app.extensions["rufbereit.sms_handlers"] = []
    # Rosters: accounts and pages; puts the operators' SMS keywords first in line.
    from hotline.rosters import init_app as init_rosters

    init_rosters(app)
    # Dispatch: models, intake/status webhooks, pages; appends the helpers' SMS handler.
    from dispatch import init_app as init_dispatch

    init_dispatch(app)
    return app
