"""The composition root: builds the core, then lets each feature register what it adds.

This is the only module (with the command line and the development stack) that knows the
features; the core never imports them and they never import each other.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

from flask import Flask
from gunicorn.errors import AppImportError
from werkzeug.middleware.proxy_fix import ProxyFix

import dispatch
from hotline import rosters, voice
from hotline.core import config as core_config
from hotline.core import fallback, health, inbound, messaging, pages, privacy, today, web
from hotline.core.config import ConfigError, Setting, load_settings
from hotline.core.deadline import init_deadline
from hotline.core.extensions import db, flows, init_telephony, jobs
from hotline.core.logs import configure_logging
from hotline.core.mail import MailTransport, init_mail
from hotline.core.phones import check_country_settings
from hotline.core.registry import init_registry
from hotline.core.scheduler import register_core_jobs
from hotline.core.telephony import Telephony

log = logging.getLogger(__name__)

#: Features in the order they register. Inbound SMS is routed by the number texted, so the
#: order does not decide who answers a text.
FEATURES: tuple[ModuleType, ...] = (voice, rosters, dispatch)

#: Every setting: the core's, then each feature's ``SETTINGS`` (a feature without its own
#: settings has none).
SETTINGS: tuple[Setting[Any], ...] = (
    *core_config.SETTINGS,
    *(setting for feature in FEATURES for setting in getattr(feature, "SETTINGS", ())),
)


class SettingsRefused(ConfigError, AppImportError):
    """The environment is not a valid configuration, so the app does not start.

    gunicorn's master checks the settings before forking (``gunicorn.conf.py``); when it
    runs without that file, this is an ``AppImportError``, gunicorn's way of saying the app
    cannot be loaded: the worker prints the message (one line per problem) and gunicorn
    stops instead of booting the next worker into the same error.
    """


def create_app(
    config: dict[str, Any] | None = None,
    telephony: Telephony | None = None,
    mail: MailTransport | None = None,
) -> Flask:
    """Build the app from environment variables, overridden by ``config`` (by config key,
    already typed). Raises :class:`SettingsRefused` listing every problem, before anything
    is set up."""
    try:
        settings = load_settings(SETTINGS, overrides=config)
    except ConfigError as error:
        raise SettingsRefused(error.problems) from None
    app = Flask("hotline")
    app.config.update(settings)
    if config:
        app.config.update(config)
    app.extensions["rufbereit.settings"] = settings
    configure_logging(app.config["LOG_LEVEL"])
    check_country_settings(app.config)
    web.init_app(app)
    pages.init_app(app)
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )

    registry = init_registry(app)
    register_core_jobs(registry)
    pages.register(registry)
    privacy.register(registry)
    db.init_app(app)
    jobs.init_app(app)
    flows.init_app(app)
    init_telephony(app, telephony)
    init_mail(app, mail)
    fallback.init_fallback(app)
    init_deadline(app)
    fallback.watch_lines()
    app.register_blueprint(inbound.bp)
    app.register_blueprint(health.bp)
    messaging.init_app(app, registry)
    today.init_app(app, registry)
    for feature in FEATURES:
        feature.init_app(app, registry)
    if app.config.get("FALLBACK_SYNC_AT_START", app.config["ENV_NAME"] != "testing"):
        fallback.sync_from_database(app)
    return app
