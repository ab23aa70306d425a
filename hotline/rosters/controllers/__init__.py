"""The roster pages, one controller module per part, all on the ``rosters`` blueprint.

Handlers are thin: read a form (:mod:`hotline.rosters.forms`), call the domain function
that does the work (the same one the command line calls), commit once, redirect or render.
Importing a controller module registers its routes; endpoint names are the handlers' names
(``rosters.week``, ``rosters.new_shift`` …).
"""

from __future__ import annotations

from hotline.rosters.controllers import (  # noqa: F401 - importing registers the routes
    accounts,
    audit,
    blocks,
    exports,
    home,
    lines,
    open_shifts,
    operators,
    patterns,
    shifts,
    signin,
    swaps,
    week,
)
from hotline.rosters.controllers.blueprint import bp

__all__ = ["bp"]
