"""The app as seen from RQ jobs: created once per worker process from the environment."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


def set_app(app: Flask | None) -> None:
    """Use ``app`` for jobs in this process (tests, the embedded dev stack)."""
    global _app
    _app = app


@contextlib.contextmanager
def app_context() -> Iterator[Flask]:
    global _app
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _app is None:
        from hotline import create_app

        _app = create_app()
    with _app.app_context():
        yield _app
