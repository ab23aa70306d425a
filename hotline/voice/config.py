"""The voice hotline's own settings (the walk-home line's call-backs and post-call texts),
declared with the core's :class:`~hotline.core.config.Setting` and read by its one loader."""

from __future__ import annotations

from hotline.core.config import Bool, Declarations, Int

WALK_HOME = "Walk-home line"

SETTINGS = Declarations()

CALLBACK_WINDOW_MINUTES = SETTINGS.add(
    "CALLBACK_WINDOW_MINUTES",
    Int(min=0),
    60,
    "Minutes after a call ends in which its operator can call the caller back through the line (`RÜCKRUF`/`CALLBACK`); 0 = never.",
    section=WALK_HOME,
)
POST_CALL_SMS = SETTINGS.add(
    "POST_CALL_SMS",
    Bool(),
    True,
    "Text the operator after every bridged call how to reply with a call note; the text after a dropped walk-home call is sent either way.",
    section=WALK_HOME,
)
