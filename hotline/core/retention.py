"""Retention: every feature registers a rule for the personal data it keeps; the periodic
:func:`purge_job` (and ``rufbereit purge``) runs them all in one transaction."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from hotline.core.extensions import db
from hotline.core.models import utcnow
from hotline.core.registry import registry
from hotline.core.worker import app_context

log = logging.getLogger(__name__)

PURGE_INTERVAL = dt.timedelta(hours=6)


def purge(session: Session, now: dt.datetime | None = None) -> list[str]:
    """Apply every registered retention rule; returns one line per rule."""
    now = now or utcnow()
    return [f"{name}: {rule(session, now)}" for name, rule in registry().retention_rules]


def purge_job() -> str:
    """The periodic purge (every :data:`PURGE_INTERVAL`)."""
    with app_context():
        session = db.new_session()
        try:
            lines = purge(session)
            session.commit()
        finally:
            session.close()
        summary = "; ".join(lines)
        log.info("retention: %s", summary)
        return summary
