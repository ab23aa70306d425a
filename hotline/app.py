"""The composition root: builds the core, then lets each feature register what it adds.

This is the only module (with the command line and the development stack) that knows the
features; the core never imports them and they never import each other.
"""

from __future__ import annotations

import logging
import secrets
from types import ModuleType
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import dispatch
from hotline import rosters, voice
from hotline.core import health, inbound, messaging
from hotline.core.config import load_config
from hotline.core.extensions import db, flows, init_telephony, jobs
from hotline.core.logs import configure_logging
from hotline.core.registry import init_registry
from hotline.core.scheduler import register_core_jobs
from hotline.core.sessions import CookieSessionInterface
from hotline.core.telephony import Telephony

log = logging.getLogger(__name__)

#: Features in the order they register. Inbound SMS is routed by the number texted, so the
#: order does not decide who answers a text.
FEATURES: tuple[ModuleType, ...] = (voice, rosters, dispatch)


def create_app(config: dict[str, Any] | None = None, telephony: Telephony | None = None) -> Flask:
    """Build the app from environment variables, overridden by ``config``."""
    app = Flask("hotline")
    app.config.update(load_config())
    if config:
        app.config.update(config)
    configure_logging(app.config["LOG_LEVEL"])
    if not app.config["SECRET_KEY"]:
        log.warning("SECRET_KEY is not set; using a random one (sessions end on restart)")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if not app.config["CALLER_HASH_SALT"]:
        app.config["CALLER_HASH_SALT"] = app.config["SECRET_KEY"]
    app.session_interface = CookieSessionInterface()
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )

    registry = init_registry(app)
    register_core_jobs(registry)
    db.init_app(app)
    jobs.init_app(app)
    flows.init_app(app)
    init_telephony(app, telephony)
    app.register_blueprint(inbound.bp)
    app.register_blueprint(health.bp)
    messaging.init_app(app, registry)
    for feature in FEATURES:
        feature.init_app(app, registry)
    return app
