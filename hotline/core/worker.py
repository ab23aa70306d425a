"""The app as seen from RQ jobs: created once per worker process from the environment."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from flask import Flask, current_app, has_app_context

_app: Flask | None = None
_factory: Callable[[], Flask] | None = None


def set_app(app: Flask | None) -> None:
    """Use ``app`` for jobs in this process (tests, the embedded dev stack)."""
    global _app
    _app = app


def set_app_factory(factory: Callable[[], Flask] | None) -> None:
    """How a process that runs jobs builds its app on first use (the command line sets it:
    the core cannot import the composition root)."""
    global _factory
    _factory = factory


@contextlib.contextmanager
def app_context() -> Iterator[Flask]:
    global _app
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _app is None:
        if _factory is None:
            raise RuntimeError("no app for this job: start workers with `rufbereit worker`")
        _app = _factory()
    with _app.app_context():
        yield _app
