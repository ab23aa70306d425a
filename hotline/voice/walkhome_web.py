"""The walk-home line in the browser: the operator's "Mein letzter Anruf" panel on their
phone home (arrived, call back, note), the Today page's list of dropped accompaniments, and
the coordinators' page of call notes (``/anrufe/notizen``).

Handlers are thin: signed in, CSRF checked, one domain call, one commit, back to the phone
home with what happened. Callers appear by line and time only, never by number. The page
texts live in the templates (``voice/_texts.html``), where the catalogue finds them.
"""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.auth import check_csrf, load_user, requires
from hotline.core.extensions import db
from hotline.core.models import Role, User, utcnow
from hotline.core.oncall.models import Operator
from hotline.core.outbox import commit
from hotline.voice import accompaniment, callback, notes
from hotline.voice.models import Accompaniment, Call, NoteCategory

bp = Blueprint("voice_walkhome", __name__)

#: How far back the Today page lists dropped accompaniments.
TODAY_SPAN = dt.timedelta(hours=24)


@bp.before_request
def _load_user() -> None:
    load_user()


def _page_text(key: str, **values: object) -> str:
    return str(get_template_attribute("voice/_texts.html", "text")(key, **values)).strip()


def _operator() -> Operator:
    user: User | None = g.get("roster_user")
    if user is None or user.operator_id is None:
        abort(403)
    return db.session.get(Operator, user.operator_id) or abort(403)


def _own_call(call_id: int, operator: Operator) -> Call:
    call = db.session.get(Call, call_id) or abort(404)
    if call.answered_by_id != operator.id:
        abort(403)
    return call


def _home():  # noqa: ANN202
    return redirect(url_for("pages.home"))


@bp.post("/anrufe/<int:call_id>/angekommen")
@requires(Role.OPERATOR)
def mark_arrived(call_id: int):  # noqa: ANN201
    check_csrf()
    call = _own_call(call_id, _operator())
    outcome = accompaniment.mark_arrived(db.session, call.id, utcnow())
    commit()
    flash(_page_text(f"arrived_{outcome}"))
    return _home()


@bp.post("/anrufe/<int:call_id>/rueckruf")
@requires(Role.OPERATOR)
def call_back(call_id: int):  # noqa: ANN201
    check_csrf()
    operator = _operator()
    call = _own_call(call_id, operator)
    result = callback.request_callback(
        db.session, call.line, operator, utcnow(), via="page", call_id=call.id
    )
    commit()
    if result.refused is not None:
        minutes = current_app.config["CALLBACK_WINDOW_MINUTES"]
        flash(_page_text(result.refused.value, minutes=minutes))
    else:
        flash(_page_text("callback_queued"))
    return _home()


@bp.post("/anrufe/<int:call_id>/notiz")
@requires(Role.OPERATOR)
def add_note(call_id: int):  # noqa: ANN201
    check_csrf()
    operator = _operator()
    call = _own_call(call_id, operator)
    try:
        notes.add_note(
            db.session,
            call.id,
            operator.id,
            request.form.get("category", ""),
            request.form.get("text", ""),
            utcnow(),
            via="page",
        )
    except notes.NoteError as exc:
        db.session.rollback()
        flash(_page_text(f"note_{exc.reason}", length=exc.length, limit=notes.MAX_TEXT))
        return _home()
    commit()
    flash(_page_text("note_saved"))
    return _home()


@bp.get("/anrufe/notizen")
@requires(Role.COORDINATOR)
def call_notes():  # noqa: ANN201
    return render_template(
        "voice/notes.html", notes=notes.recent_notes(db.session), categories=list(NoteCategory)
    )


# -- panels ---------------------------------------------------------------------------------------


def last_call_panel(session: Session, user: User, now: dt.datetime) -> str:
    """The operator's phone home: their most recent call, with arrived / call back / note."""
    if user is None or user.operator_id is None:
        return ""
    operator = session.get(Operator, user.operator_id)
    if operator is None:
        return ""
    call = session.scalars(
        select(Call)
        .where(Call.answered_by_id == operator.id)
        .order_by(Call.answered_at.desc(), Call.id.desc())
        .limit(1)
    ).first()
    if call is None:
        return render_template("voice/_last_call.html", call=None)
    acc = session.get(Accompaniment, call.id)
    can_call_back = isinstance(callback.check(session, call.line_id, operator, now), Call)
    return render_template(
        "voice/_last_call.html",
        call=call,
        acc=acc,
        open_states=accompaniment.OPEN_STATES,
        can_call_back=can_call_back,
        categories=list(NoteCategory),
        max_text=notes.MAX_TEXT,
    )


def dropped_panel(session: Session, user: User, now: dt.datetime) -> str:
    """The Today page: accompaniments that dropped in the last day and are neither
    reconnected nor marked arrived."""
    dropped = accompaniment.dropped_not_reconnected(session, now - TODAY_SPAN)
    return render_template("voice/_dropped.html", dropped=dropped, now=now)
