"""Gunicorn's settings for the web process; gunicorn reads this file from the directory it
is started in (the Procfile's and ``scripts/run``'s)."""

from __future__ import annotations

import sys
from typing import Any


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
