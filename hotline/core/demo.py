"""Demo data for ``scripts/run`` and ``rufbereit demo``: each feature registers a loader."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from hotline.core.registry import registry


def load_demo(session: Session, now: dt.datetime, sign_ins: bool = True) -> str:
    """Run every registered demo loader (idempotent). Loaders that create sign-ins, whose
    password is published, run only with ``sign_ins`` (development and test databases)."""
    lines = [
        loader(session, now)
        for _name, loader, makes_sign_ins in registry().demo_loaders
        if sign_ins or not makes_sign_ins
    ]
    return "\n".join(lines)
