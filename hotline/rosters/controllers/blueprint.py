"""The ``rosters`` blueprint and what every roster page shares: the signed-in user, the CSRF
check, template helpers, and :func:`save` (validate, call the domain, commit once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Blueprint, g, render_template, request, url_for
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import select

from hotline.core import outbox
from hotline.core.accounts import AccountError
from hotline.core.auth import check_csrf, load_user, safe_next_url
from hotline.core.extensions import db
from hotline.core.i18n import WEEKDAYS_DE, error_text, gettext
from hotline.core.models import Role, User
from hotline.core.oncall.lines import LineError
from hotline.core.oncall.models import Line, Operator, OperatorStatus
from hotline.core.oncall.operators import OperatorError
from hotline.core.oncall.shifts import ShiftError
from hotline.core.phones import InvalidPhoneNumber
from hotline.rosters.audit import Actor
from hotline.rosters.forms import RosterForm
from hotline.rosters.staffing import StaffingError

bp = Blueprint("rosters", __name__)

#: What the domain functions raise when they refuse a change (shown to the user, 422).
REFUSALS: tuple[type[ValueError], ...] = (
    AccountError,
    InvalidPhoneNumber,
    LineError,
    OperatorError,
    ShiftError,
    StaffingError,
)


@bp.before_request
def _load_user() -> None:
    load_user()
    if not request.path.startswith("/kalender/"):
        check_csrf()


@bp.errorhandler(CSRFError)
def _csrf_failed(exc: CSRFError):  # noqa: ANN202
    return render_template("rosters/message.html", message=exc.description), 400


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "_": gettext,
        "error_text": error_text,
        "csrf_token": generate_csrf,
        "user": g.get("roster_user"),
        "weekday_name": lambda i: gettext(WEEKDAYS_DE[i]),
        "Role": Role,
        "slot_end": lambda day, hour: (
            dt.datetime.combine(day, dt.time(hour)) + dt.timedelta(hours=1)
        ).strftime("%Y-%m-%dT%H:%M"),
    }


# -- who is asking -----------------------------------------------------------------------


def current_user() -> User:
    return g.roster_user


def actor() -> Actor:
    """The signed-in user as the author of audited changes."""
    user = current_user()
    return Actor(f"{user.name} ({user.username})", user.id)


def is_planner() -> bool:
    return current_user().role.at_least(Role.PLANNER)


# -- handling a form -----------------------------------------------------------------------


def commit() -> None:
    """The request's one commit; outbox rows it wrote are queued after it."""
    outbox.commit()


def save(form: RosterForm, operation: Callable[[], Any]) -> bool:
    """Validate a submitted ``form``, run the domain ``operation``, commit once.

    False when nothing was submitted, the form is invalid, or the domain refused (its
    message, in the page's language, is then on the form and the session rolled back).
    """
    if not form.validate_on_submit():
        return False
    try:
        operation()
        commit()
    except REFUSALS as exc:
        db.session.rollback()
        form.refuse(error_text(exc))
        return False
    return True


def form_for(form_class: type[RosterForm], **current: Any) -> RosterForm:
    """A form for the submitted values, or (on GET) showing ``current``."""
    if request.method == "POST":
        return form_class()
    return form_class(data=current)


# -- lists the forms offer ---------------------------------------------------------------


def active_lines() -> list[Line]:
    return list(db.session.scalars(select(Line).where(Line.active.is_(True)).order_by(Line.name)))


def operators(active_only: bool = False, also: int | None = None) -> list[Operator]:
    """Operators by name; ``active_only`` leaves out paused ones except ``also`` (the one
    already on the shift being edited)."""
    stmt = select(Operator).order_by(Operator.name)
    if active_only:
        stmt = stmt.where((Operator.status == OperatorStatus.ACTIVE) | (Operator.id == also))
    return list(db.session.scalars(stmt))


def safe_next(target: str | None) -> str:
    """A local path to go on to after signing in or switching the language, else the
    roster's start page (never another site)."""
    return safe_next_url(target) or url_for("rosters.index")
