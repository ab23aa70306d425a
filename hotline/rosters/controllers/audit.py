"""The audit log of shift changes: who changed what, when, before and after."""

from __future__ import annotations

from flask import render_template

from hotline.core.auth import requires
from hotline.core.extensions import db
from hotline.core.models import Role
from hotline.rosters.audit import history
from hotline.rosters.controllers.blueprint import bp, operators


@bp.get("/dienstplan/protokoll")
@requires(Role.PLANNER)
def audit_log():  # noqa: ANN201
    names = {o.id: o.name for o in operators()}
    return render_template("rosters/audit.html", entries=history(db.session), names=names)
