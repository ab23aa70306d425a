"""Retention: every personal field the product keeps is declared here by the feature that
owns it — which table and fields, why it is kept, for how long, and what happens then — and
the periodic :func:`purge_job` (and ``rufbereit purge``) enforces every rule.

The declarations are also the record of processing an organisation needs under the GDPR:
``rufbereit privacy docs`` writes ``docs/data-protection.md`` from them, and a test fails
when that file and the rules disagree. Personal data of one person can be exported and
erased with ``rufbereit privacy export|erase NUMBER`` (:class:`PersonalData`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from hotline.core.extensions import db
from hotline.core.models import utcnow
from hotline.core.registry import registry
from hotline.core.worker import app_context

log = logging.getLogger(__name__)

PURGE_INTERVAL = dt.timedelta(hours=6)


@dataclass(frozen=True)
class RetentionRule:
    """One kind of personal data and how long it lives."""

    #: Short name, e.g. ``calls.caller_number``.
    name: str
    table: str
    #: The personal fields, comma-separated.
    fields: str
    #: Why it is kept (the purpose, in the record of processing).
    purpose: str
    #: How long, in words, naming the setting (e.g. "``CALLER_NUMBER_RETENTION_DAYS`` days
    #: after the call (30)").
    period: str
    #: What happens then: "deleted", "emptied", ….
    action: str
    #: ``(session, now) -> what was done, in words``; ``None``: kept on purpose (see period).
    apply: Callable[[Session, dt.datetime], str] | None = None


@dataclass(frozen=True)
class PersonalData:
    """How a feature finds, exports and erases what it keeps about one phone number."""

    name: str
    export: Callable[[Session, str], list[dict[str, Any]]]
    erase: Callable[[Session, str], int]


def days(setting: str) -> dt.timedelta:
    """The retention period set in ``setting`` (whole days)."""
    return dt.timedelta(days=int(current_app.config[setting]))


def purge(session: Session, now: dt.datetime | None = None) -> list[str]:
    """Apply every registered retention rule; returns one line per rule."""
    now = now or utcnow()
    return [
        f"{rule.name}: {rule.apply(session, now)}"
        for rule in registry().retention_rules
        if rule.apply is not None
    ]


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


def export_person(session: Session, phone: str) -> dict[str, list[dict[str, Any]]]:
    """Everything the product keeps about ``phone`` (E.164), by kind."""
    found = {}
    for kind in registry().personal_data:
        rows = kind.export(session, phone)
        if rows:
            found[kind.name] = rows
    return found


def erase_person(session: Session, phone: str) -> dict[str, int]:
    """Erase or anonymise everything about ``phone``; returns the rows touched per kind."""
    return {kind.name: kind.erase(session, phone) for kind in registry().personal_data}


DOCS_HEADER = """\
# Data protection

Rufbereit keeps as little personal data as its work needs, for as long as it needs it. Each
row below is a retention rule that the worker's periodic purge enforces (every six hours;
`scripts/rufbereit purge` runs it at once). Phone numbers are masked in every log record
(`+49151******89`), SQL parameters never appear in logs, and the salted caller hash counts
repeat callers without keeping their number.

This file is written from the rules in the code (`scripts/rufbereit privacy docs`), so it is
the record of processing as the product enforces it. The periods are settings (see
[configuration.md](configuration.md)).

To answer a data-subject request for one phone number:
`scripts/rufbereit privacy export +4915112345678` prints everything kept about it as JSON;
`scripts/rufbereit privacy erase +4915112345678` erases or anonymises it.

| Data | Table | Personal fields | Why it is kept | How long | Then |
|---|---|---|---|---|---|
"""


def render_docs(rules: Iterable[RetentionRule]) -> str:
    lines = [DOCS_HEADER.rstrip("\n")]
    for rule in rules:
        cells = [rule.name, rule.table, rule.fields, rule.purpose, rule.period, rule.action]
        lines.append(
            "| " + " | ".join(f"`{c}`" if i < 3 else c for i, c in enumerate(cells)) + " |"
        )
    return "\n".join(lines) + "\n"


def delete_before(session: Session, column: Any, cutoff: dt.datetime) -> int:
    """Delete the rows of ``column``'s table whose ``column`` lies before ``cutoff``; the
    shape of most retention rules. Returns how many went."""
    from sqlalchemy import delete

    table = column.class_
    stmt = delete(table).where(column < cutoff).execution_options(synchronize_session=False)
    return session.execute(stmt).rowcount or 0
