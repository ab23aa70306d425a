"""The time "now" for whatever a request decides by the clock (opening hours, shifts on duty,
quiet hours).

An app may carry its own clock (``app.config["CLOCK"]``, a callable returning an aware UTC
datetime): the simulator plays a call as at a chosen time by handing the app a clock that
stands still then, instead of patching module globals. Without one this is the real time.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, has_app_context

from hotline.core.models import utcnow

CONFIG_KEY = "CLOCK"


def now() -> dt.datetime:
    """The app's clock if it has one, else the real time (UTC)."""
    if has_app_context():
        clock = current_app.config.get(CONFIG_KEY)
        if clock is not None:
            return clock()
    return utcnow()
