"""The call log pages (``/anrufe`` and its CSV export) and the "called back" button of the
Today page's voicemail panel.

Thin handlers: parse the filter, ask :mod:`hotline.voice.call_log`, render. Planners and
coordinators read the log (planners size shifts from it); only coordinators see numbers in
full and mark voicemails called back.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from hotline.core import outbox
from hotline.core.auth import check_csrf, load_user, requires, safe_next_url
from hotline.core.extensions import db
from hotline.core.i18n import error_text, gettext
from hotline.core.models import Role, utcnow
from hotline.core.oncall.models import Line
from hotline.voice.call_log import (
    OUTCOME_LABELS,
    RUNNING,
    RUNNING_LABEL,
    CallbackError,
    CallFilter,
    FilterError,
    caller_shown,
    export_csv,
    log_page,
    mark_called_back,
    outcome_text,
    parse_filter,
    partners,
)

log = logging.getLogger(__name__)

bp = Blueprint("voice_log", __name__)


@bp.before_request
def _load_user() -> None:
    load_user()


def _filter() -> tuple[CallFilter, str | None]:
    try:
        return parse_filter(request.args.to_dict()), None
    except FilterError as exc:
        return CallFilter(), error_text(exc)


@bp.get("/anrufe")
@requires(Role.PLANNER)
def call_log():  # noqa: ANN201
    flt, error = _filter()
    page = request.args.get("seite", "1")
    page_no = int(page) if page.isdigit() else 1
    result = log_page(db.session, flt, page_no)
    now = utcnow()
    lines = db.session.scalars(select(Line).order_by(Line.name)).all()
    return render_template(
        "voice/call_log.html",
        flt=flt,
        args=flt.query_args(),
        error=error,
        result=result,
        lines=lines,
        partners=partners(db.session),
        outcomes=[(o.value, label) for o, label in OUTCOME_LABELS.items()]
        + [(RUNNING, RUNNING_LABEL)],
        number=lambda call: caller_shown(call, g.roster_user, now),
        outcome_text=outcome_text,
    ), (422 if error else 200)


@bp.get("/anrufe/export.csv")
@requires(Role.PLANNER)
def export():  # noqa: ANN201
    flt, error = _filter()
    if error is None:
        try:
            body = export_csv(db.session, flt, g.roster_user, utcnow())
        except FilterError as exc:
            error = error_text(exc)
    if error is not None:
        flash(error)
        return redirect(url_for("voice_log.call_log", **request.args.to_dict()))
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="anrufe.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/anrufe/<int:call_id>/zurueckgerufen")
@requires(Role.COORDINATOR)
def called_back(call_id: int):  # noqa: ANN201
    """A coordinator called the voicemail's caller back: it leaves the Today page's list."""
    check_csrf()
    try:
        mark_called_back(db.session, call_id, g.roster_user.id, utcnow())
    except CallbackError as exc:
        db.session.rollback()
        abort(404, error_text(exc))
    outbox.commit()
    log.info("voicemail of call %s marked called back by account %s", call_id, g.roster_user.id)
    flash(gettext("Als zurückgerufen markiert."))
    target = safe_next_url(request.form.get("next")) or url_for("today.page")
    return redirect(target)
