"""Command-line helpers every feature's commands use: the app to run in, bad input as a
one-line error.

The ``rufbereit`` group (:mod:`hotline.cli`) puts the app factory into the click context, so
feature commands build their app without importing the composition root.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask import Flask


def make_app() -> Flask:
    """The app for the running command (from the root group's context)."""
    ctx = click.get_current_context()
    factory = (ctx.find_root().obj or {}).get("create_app")
    if factory is None:
        raise click.ClickException("run this command through `rufbereit`")
    return factory()


def with_appcontext(command: Callable[..., Any]) -> Callable[..., Any]:
    """Build the app only for commands that need it (``flows check`` works without a
    database or any configuration)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with make_app().app_context():
            return command(*args, **kwargs)

    return wrapper


def fail_on_bad_input(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn validation errors into a one-line message and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValueError as exc:  # InvalidPhoneNumber, LineError, ShiftError, …
            raise click.ClickException(str(exc)) from exc

    return wrapper
