"""Blocked callers: coordinators see the active blocks per line, lift and extend them.

Callers appear only as a block number (never a phone number: blocks know the caller by
salted hash). Every change is audited in the core's block audit, shown below the list.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from hotline.core.auth import requires
from hotline.core.blocks import (
    BlockError,
    CallerBlock,
    active_blocks,
    block_history,
    extend_block,
    lift_block,
)
from hotline.core.extensions import db
from hotline.core.i18n import gettext
from hotline.core.models import Role, utcnow
from hotline.rosters.controllers.blueprint import actor, bp, commit
from hotline.rosters.forms import ExtendBlockForm


@bp.get("/dienstplan/sperren")
@requires(Role.COORDINATOR)
def blocks():  # noqa: ANN201
    return render_template(
        "rosters/blocks.html",
        blocks=active_blocks(db.session, utcnow()),
        history=block_history(db.session),
        form=ExtendBlockForm(data={"hours": 24}),
    )


def _block(block_id: int) -> CallerBlock:
    return db.session.get(CallerBlock, block_id) or abort(404)


@bp.post("/dienstplan/sperren/<int:block_id>/aufheben")
@requires(Role.COORDINATOR)
def lift_caller_block(block_id: int):  # noqa: ANN201
    _block(block_id)
    who = actor()
    try:
        lift_block(db.session, block_id, who.label, utcnow(), who.user_id)
        commit()
        flash(gettext("Sperre aufgehoben."))
    except BlockError:
        db.session.rollback()
        flash(gettext("Diese Sperre gilt nicht mehr."))
    return redirect(url_for("rosters.blocks"))


@bp.post("/dienstplan/sperren/<int:block_id>/verlaengern")
@requires(Role.COORDINATOR)
def extend_caller_block(block_id: int):  # noqa: ANN201
    _block(block_id)
    form = ExtendBlockForm()
    if not form.validate_on_submit():
        flash(form.error or gettext("Bitte eine Stundenzahl angeben."))
        return redirect(url_for("rosters.blocks"))
    who = actor()
    try:
        extend_block(db.session, block_id, form.hours.data, who.label, utcnow(), who.user_id)
        commit()
        flash(gettext("Sperre verlängert."))
    except BlockError:
        db.session.rollback()
        flash(gettext("Diese Sperre gilt nicht mehr."))
    return redirect(url_for("rosters.blocks"))
