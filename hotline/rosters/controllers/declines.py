"""The Today page's panel of declined shifts: planners see which assigned shifts operators
answered ``NEIN`` to, and whether someone has taken them since."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.rosters.models import OpenShift

#: Declines shown: those of shifts that have not ended yet.
LISTED = 10


def render_declined_panel(session: Session, user: Any, now: dt.datetime) -> str:
    """Declined shifts still to come, open ones first; ``""`` when there are none."""
    slots = list(
        session.scalars(
            select(OpenShift)
            .where(OpenShift.declined_by_id.is_not(None), OpenShift.ends_at > now)
            .order_by(OpenShift.claimed_by_id.is_not(None), OpenShift.starts_at)
            .limit(LISTED)
        )
    )
    if not slots:
        return ""
    return render_template("rosters/_declined_panel.html", slots=slots)
