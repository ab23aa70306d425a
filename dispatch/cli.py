"""``rufbereit dispatch …``: helper import and organisation members from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hotline.core.cli import make_app


@click.group("dispatch")
def dispatch() -> None:
    """Help requests and helpers."""


@dispatch.command("import-helpers")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_helpers(path: Path) -> None:
    """Import helpers from a CSV file; all rows or none (errors are listed per line)."""
    from dispatch.helper_import import import_file
    from hotline.core.extensions import db

    raw = path.read_bytes()  # UTF-8 (with or without BOM) or Windows-1252, ";" or ","
    app = make_app()
    with app.app_context():
        session = db.new_session()
        try:
            result = import_file(session, raw, app.config["DEFAULT_REGION"])
            if not result.ok:
                session.rollback()
                for error in result.errors:
                    column = f" {error.column}:" if error.column else ""
                    click.echo(f"{path.name}:{error.line}:{column} {error.text()}", err=True)
                rows = len({error.line for error in result.errors})
                click.echo(
                    f"nothing imported ({len(result.errors)} error(s) in {rows} row(s))", err=True
                )
                sys.exit(1)
            session.commit()
        finally:
            session.close()
    click.echo(f"{result.created} helper(s) imported")


@dispatch.command("add-member")
@click.argument("organisation_id", type=int)
@click.argument("username")
@click.option("--name", default="", help="Display name (default: the username).")
@click.password_option(help="At least 10 characters; prompted for when not given.")
def add_member(organisation_id: int, username: str, name: str, password: str) -> None:
    """Add a member account to an organisation (members create its call-outs)."""
    from dispatch.models import Organisation
    from dispatch.organisations import InvalidOrganisation
    from dispatch.organisations import add_member as add
    from hotline.core.extensions import db

    with make_app().app_context():
        session = db.new_session()
        try:
            org = session.get(Organisation, organisation_id)
            if org is None:
                click.echo(f"error: no organisation {organisation_id}", err=True)
                sys.exit(1)
            member = add(session, org, username, name or username, password)
            summary = (
                f"member {member.username} added to {org.name} "
                f"({'approved' if org.approved else 'not approved yet'}); sign in at /anmelden"
            )
            session.commit()
        except InvalidOrganisation as exc:
            session.rollback()
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        finally:
            session.close()
    click.echo(summary)


#: The groups this feature adds to ``rufbereit``.
COMMANDS = (dispatch,)
