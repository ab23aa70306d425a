"""``rufbereit mail``: feed bounces and mailed unsubscribes from a mail server's pipe
(``| rufbereit mail bounce``), and send a test e-mail."""

from __future__ import annotations

import sys

import click

from hotline.core.cli import fail_on_bad_input, with_appcontext


@click.group("mail")
def mail() -> None:
    """E-mail: bounces, unsubscribes, a test message."""


@mail.command("bounce")
@with_appcontext
def bounce() -> None:
    """Read a delivery status notification from stdin and mark its bounced addresses."""
    from hotline.core.extensions import db
    from hotline.core.mail.bounces import apply_dsn
    from hotline.core.mail.console import mask_address

    session = db.new_session()
    try:
        results = apply_dsn(session, sys.stdin.buffer.read())
        session.commit()
    finally:
        session.close()
    if not results:
        click.echo("no bounce found in the message")
    for address, status, kind in results:
        click.echo(f"{mask_address(address)}: {status} ({kind} bounce)")


@mail.command("unsubscribe")
@with_appcontext
def unsubscribe() -> None:
    """Read a mail sent to the mailto: unsubscribe address from stdin and honour it."""
    from hotline.core.extensions import db
    from hotline.core.mail.addresses import opt_out
    from hotline.core.mail.bounces import unsubscribe_request
    from hotline.core.mail.console import mask_address

    address = unsubscribe_request(sys.stdin.buffer.read())
    if address is None:
        raise click.ClickException("no valid unsubscribe token in the subject")
    session = db.new_session()
    try:
        opt_out(session, address, source="mailto")
        session.commit()
    finally:
        session.close()
    click.echo(f"{mask_address(address)} unsubscribed")


@mail.command("test")
@click.argument("address")
@with_appcontext
@fail_on_bad_input
def test(address: str) -> None:
    """Send one test e-mail to ADDRESS directly (checks the SMTP settings)."""
    import uuid

    from flask import current_app

    from hotline.core.mail import mail_transport, message_domain
    from hotline.core.mail.transport import MailError, OutgoingMail

    sender = current_app.config["MAIL_FROM"]
    mail_ = OutgoingMail(
        sender=sender,
        to=address,
        subject="Rufbereit: Test",
        text="Diese Test-E-Mail zeigt, dass der Versand funktioniert.",
        message_id=f"test.{uuid.uuid4().hex}@{message_domain(sender)}",
    )
    try:
        mail_transport().send(mail_)
    except MailError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("sent")


COMMANDS = [mail]
