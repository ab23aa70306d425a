"""``rufbereit user …``: accounts for the roster pages."""

from __future__ import annotations

import sys

import click


@click.group("user")
def user() -> None:
    """Accounts for the roster pages."""


@user.command("create-admin")
@click.argument("username")
@click.option("--name", default="", help="Display name (default: the username).")
@click.password_option(help="At least 10 characters; prompted for when not given.")
def create_admin(username: str, name: str, password: str) -> None:
    """Create an admin account (the first one, or another)."""
    from hotline import cli as hotline_cli  # its create_app, so tests can swap the app
    from hotline.extensions import db
    from hotline.rosters.accounts import AccountError, create_user
    from hotline.rosters.models import Role

    with hotline_cli.create_app().app_context():
        session = db.new_session()
        try:
            account = create_user(session, username, name or username, password, Role.ADMIN)
            session.commit()
        except AccountError as exc:
            session.rollback()
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        finally:
            session.close()
    click.echo(f"admin {account.username} created; sign in at /anmelden")
