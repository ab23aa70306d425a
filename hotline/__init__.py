"""Rufbereit: a telephony-first hotline and dispatch system.

``hotline.core`` is the platform (configuration, database, accounts, jobs, messaging,
telephony); ``hotline.voice``, ``hotline.rosters`` and ``dispatch`` are features on top of it.
:func:`create_app` (in :mod:`hotline.app`) puts them together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from hotline.core.telephony import Telephony


def create_app(config: dict[str, Any] | None = None, telephony: Telephony | None = None) -> Flask:
    """Build the app (see :func:`hotline.app.create_app`); ``hotline:create_app()`` for
    gunicorn. Imported on call so that ``import hotline.core…`` loads no feature."""
    from hotline.app import create_app as build

    return build(config, telephony)
