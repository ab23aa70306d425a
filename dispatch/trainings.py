"""Helpers' trainings, and the trainings an activity requires.

The requirement is a table (:class:`~dispatch.models.ActivityTraining`), not a setting:
coordinators change it on a page as soon as, say, a food bank starts to insist on a hygiene
course, without a deployment, and every wave from then on respects it. A helper is asked
about a ticket only when they hold every training its activity requires, valid on the day
the help starts (:func:`required_for`, used by :mod:`dispatch.matching`). Names are
compared without regard to case or surrounding spaces.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, select
from sqlalchemy.orm import Session

from dispatch.models import Activity, ActivityTraining, Helper, HelperTraining
from hotline.core.errors import DomainError, FieldErrors

MAX_NAME = 120


class InvalidTraining(FieldErrors):
    """A training that cannot be stored; refusals by field."""


def normalise(name: str) -> str:
    return " ".join((name or "").split()).lower()


def add_training(
    session: Session,
    helper: Helper,
    name: str,
    completed_on: dt.date,
    valid_until: dt.date | None = None,
) -> HelperTraining:
    """Record a training of ``helper``; it must have a name and not expire before it began."""
    errors: dict[str, DomainError] = {}
    clean = " ".join((name or "").split())
    if not clean:
        errors["name"] = DomainError("training_name_missing")
    elif len(clean) > MAX_NAME:
        errors["name"] = DomainError("training_name_too_long", max=MAX_NAME)
    if valid_until is not None and valid_until < completed_on:
        errors["valid_until"] = DomainError("training_valid_until_before")
    if errors:
        raise InvalidTraining(errors)
    training = HelperTraining(
        helper_id=helper.id, name=clean, completed_on=completed_on, valid_until=valid_until
    )
    session.add(training)
    session.flush()
    return training


def remove_training(session: Session, helper: Helper, training_id: int) -> None:
    session.execute(
        delete(HelperTraining).where(
            HelperTraining.id == training_id, HelperTraining.helper_id == helper.id
        )
    )


def trainings_of(session: Session, helper_id: int) -> list[HelperTraining]:
    return list(
        session.scalars(
            select(HelperTraining)
            .where(HelperTraining.helper_id == helper_id)
            .order_by(HelperTraining.completed_on.desc(), HelperTraining.id)
        )
    )


def valid_names(session: Session, helper_id: int, day: dt.date) -> set[str]:
    """The (normalised) names of the helper's trainings valid on ``day``."""
    return {t.name.lower() for t in trainings_of(session, helper_id) if t.valid_on(day)}


# -- what activities require -----------------------------------------------------------------


def requirements(session: Session) -> dict[str, list[str]]:
    """Activity code → required training names, for the coordinators' page."""
    found: dict[str, list[str]] = {}
    for row in session.scalars(
        select(ActivityTraining).order_by(ActivityTraining.activity, ActivityTraining.training_name)
    ):
        found.setdefault(row.activity.value, []).append(row.training_name)
    return found


def require(session: Session, activity: str, name: str) -> ActivityTraining:
    try:
        kind = Activity(activity)
    except ValueError:
        raise InvalidTraining({"activity": DomainError("activity_unknown")}) from None
    clean = normalise(name)
    if not clean:
        raise InvalidTraining({"name": DomainError("training_name_missing")})
    if len(clean) > MAX_NAME:
        raise InvalidTraining({"name": DomainError("training_name_too_long", max=MAX_NAME)})
    row = session.get(ActivityTraining, (kind, clean))
    if row is None:
        row = ActivityTraining(activity=kind, training_name=clean)
        session.add(row)
        session.flush()
    return row


def unrequire(session: Session, activity: str, name: str) -> None:
    try:
        kind = Activity(activity)
    except ValueError:
        return
    session.execute(
        delete(ActivityTraining).where(
            ActivityTraining.activity == kind, ActivityTraining.training_name == normalise(name)
        )
    )


def required_for(session: Session, activity: Activity, day: dt.date) -> list[ColumnElement[Any]]:
    """Conditions on :class:`Helper` rows: one ``EXISTS`` per training ``activity``
    requires, each a training of that name valid on ``day``. Empty: nothing required."""
    names = session.scalars(
        select(ActivityTraining.training_name).where(ActivityTraining.activity == activity)
    ).all()
    return [
        exists().where(
            HelperTraining.helper_id == Helper.id,
            func.lower(HelperTraining.name) == name,
            HelperTraining.completed_on <= day,
            (HelperTraining.valid_until.is_(None)) | (HelperTraining.valid_until >= day),
        )
        for name in names
    ]
