"""``rufbereit dispatch …``: helper import from the command line, and a ticket's state."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group("dispatch")
def dispatch() -> None:
    """Help requests and helpers."""


@dispatch.command("import-helpers")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_helpers(path: Path) -> None:
    """Import helpers from a CSV file; all rows or none (errors are listed per line)."""
    from dispatch.helpers import import_csv
    from hotline import cli as hotline_cli  # its create_app, so tests can swap the app
    from hotline.extensions import db

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        click.echo(f"error: {path} is not UTF-8", err=True)
        sys.exit(1)
    app = hotline_cli.create_app()
    with app.app_context():
        session = db.new_session()
        try:
            result = import_csv(session, text, app.config["DEFAULT_REGION"])
            if not result.ok:
                session.rollback()
                for line, message in result.errors:
                    click.echo(f"{path.name}:{line}: {message}", err=True)
                click.echo(f"nothing imported ({len(result.errors)} error(s))", err=True)
                sys.exit(1)
            session.commit()
        finally:
            session.close()
    click.echo(f"{result.created} helper(s) imported")
