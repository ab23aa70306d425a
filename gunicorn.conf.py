"""Gunicorn settings for the web process (the Procfile runs ``gunicorn -c gunicorn.conf.py``;
gunicorn also reads this file on its own from the directory it is started in).

Sync workers: every Twilio webhook runs under its own deadline (``WEBHOOK_DEADLINE_SECONDS``,
a timer signal in the worker's main thread), so no request holds a worker for longer than
that, and the Fallback URL, which touches no database, is never starved. ``timeout`` is the
last resort for a worker stuck where even the timer cannot interrupt it: it is killed and
replaced well inside Twilio's 15 s. The settings are checked once in the master before any
worker is forked.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from typing import Any

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 9))
worker_class = "sync"
timeout = int(os.environ.get("WEB_WORKER_TIMEOUT") or 10)
graceful_timeout = 10


def _own_control_socket(port: str) -> str:
    """gunicornc's control socket, one per web process: gunicorn's default path is one per
    user, so a second web process on the same host would take it over from the first, and
    whichever stops first would remove it for the other. Same directory, named for the port."""
    from gunicorn.config import ControlSocket

    return os.path.join(os.path.dirname(ControlSocket.default), f"gunicorn-{port}.ctl")


control_socket = _own_control_socket(os.environ.get("PORT", "5000"))
keepalive = 5
# The request line without its query string: query strings can hold personal data.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def on_starting(server: Any) -> None:
    """Check the settings once in the master, before any worker is forked: on a problem,
    print one line each and exit 1, instead of every worker failing on its own."""
    if not str(server.app.app_uri or "").startswith("hotline"):
        return  # another app served from this directory (the benchmarks' baselines)
    from hotline.app import SETTINGS
    from hotline.core.config import ConfigError, load_settings

    try:
        load_settings(SETTINGS)
    except ConfigError as error:
        print(error, file=sys.stderr, flush=True)
        sys.exit(1)
