"""The call log: every call, filtered by line, partner, date and outcome, for the page and
its CSV export; and marking a voicemail as called back.

The caller's number is personal data kept for ``CALLER_NUMBER_RETENTION_DAYS`` (see
:mod:`hotline.voice.privacy`). The log shows it in full only while it is still within that
period *and* to coordinators (who call back); everyone else, and every number past its
period that the nightly purge has not emptied yet, sees it masked. The CSV follows the same
rule, so an export never carries more than the page shows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from hotline.core.errors import DomainError
from hotline.core.exports import SafeWriter
from hotline.core.i18n import N_, gettext
from hotline.core.models import Role, User
from hotline.core.oncall.models import Line
from hotline.core.phones import mask
from hotline.core.retention import days
from hotline.voice.models import Call, CallOutcome

#: Calls per page of the log.
PAGE_SIZE = 50
#: Longest date range one export covers (days), so an export stays a file, not a dump.
MAX_RANGE_DAYS = 366
#: Filter value for "no outcome yet" (a running call).
RUNNING = "running"

#: Each outcome in words (catalogue msgids); shared by the log, its CSV and the Today page.
OUTCOME_LABELS: dict[CallOutcome, str] = {
    CallOutcome.ANSWERED: N_("angenommen"),
    CallOutcome.ABANDONED: N_("aufgelegt"),
    CallOutcome.VOICEMAIL: N_("Nachricht hinterlassen"),
    CallOutcome.AFTER_HOURS: N_("außerhalb der Zeiten"),
    CallOutcome.FALLBACK: N_("an Ersatznummer"),
    CallOutcome.BLOCKED: N_("gesperrt"),
}
#: A call that has no outcome yet.
RUNNING_LABEL = N_("läuft noch")


class FilterError(DomainError):
    """A filter value the log cannot use."""


@dataclass(frozen=True)
class CallFilter:
    """What the log shows: all fields optional; dates are local days (``DEFAULT_TIMEZONE``),
    both ends included."""

    line_id: int | None = None
    partner: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    outcome: CallOutcome | str | None = None  # a CallOutcome, RUNNING or None (all)

    def query_args(self) -> dict[str, str]:
        """The filter as the page's query parameters (for links and the export)."""
        args = {
            "linie": str(self.line_id) if self.line_id else "",
            "partner": self.partner or "",
            "von": self.date_from.isoformat() if self.date_from else "",
            "bis": self.date_to.isoformat() if self.date_to else "",
            "ergebnis": self.outcome.value
            if isinstance(self.outcome, CallOutcome)
            else (self.outcome or ""),
        }
        return {k: v for k, v in args.items() if v}


def parse_filter(args: dict[str, str]) -> CallFilter:
    """The filter from the page's query (``linie``, ``partner``, ``von``, ``bis``,
    ``ergebnis``); raises :class:`FilterError` with a German message for bad input."""
    line_id = None
    raw_line = (args.get("linie") or "").strip()
    if raw_line:
        if not raw_line.isdigit():
            raise FilterError("filter_line")
        line_id = int(raw_line)
    dates = []
    for key in ("von", "bis"):
        raw = (args.get(key) or "").strip()
        try:
            dates.append(dt.date.fromisoformat(raw) if raw else None)
        except ValueError:
            raise FilterError("filter_date") from None
    date_from, date_to = dates
    if date_from and date_to and date_from > date_to:
        raise FilterError("filter_dates_reversed")
    raw_outcome = (args.get("ergebnis") or "").strip()
    outcome: CallOutcome | str | None = None
    if raw_outcome == RUNNING:
        outcome = RUNNING
    elif raw_outcome:
        try:
            outcome = CallOutcome(raw_outcome)
        except ValueError:
            raise FilterError("filter_outcome") from None
    partner = (args.get("partner") or "").strip() or None
    return CallFilter(line_id, partner, date_from, date_to, outcome)


def _local_midnight(day: dt.date) -> dt.datetime:
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def filtered(flt: CallFilter) -> Select[tuple[Call]]:
    """The calls matching ``flt``, newest first."""
    stmt = select(Call).join(Line, Line.id == Call.line_id)
    if flt.line_id:
        stmt = stmt.where(Call.line_id == flt.line_id)
    if flt.partner:
        stmt = stmt.where(Line.partner == flt.partner)
    if flt.date_from:
        stmt = stmt.where(Call.started_at >= _local_midnight(flt.date_from))
    if flt.date_to:
        stmt = stmt.where(Call.started_at < _local_midnight(flt.date_to + dt.timedelta(days=1)))
    if flt.outcome == RUNNING:
        stmt = stmt.where(Call.outcome.is_(None))
    elif isinstance(flt.outcome, CallOutcome):
        stmt = stmt.where(Call.outcome == flt.outcome)
    return stmt.order_by(Call.started_at.desc(), Call.id.desc())


@dataclass
class LogPage:
    calls: list[Call]
    total: int
    page: int
    pages: int


def log_page(session: Session, flt: CallFilter, page: int = 1) -> LogPage:
    """One page of the log (``page`` counts from 1; past the end: the last page)."""
    stmt = filtered(flt)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    calls = session.scalars(
        stmt.options(joinedload(Call.line), joinedload(Call.answered_by))
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return LogPage(list(calls), total, page, pages)


def partners(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(Line.partner).where(Line.partner.is_not(None)).distinct().order_by(Line.partner)
        )
    )


def number_retained(call: Call, now: dt.datetime) -> bool:
    """Whether the call's number is still within its retention period (and stored)."""
    if not call.caller_number:
        return False
    return call.started_at >= now - days("CALLER_NUMBER_RETENTION_DAYS")


def caller_shown(call: Call, user: User | None, now: dt.datetime) -> str:
    """The caller's number as ``user`` may see it: in full for coordinators while retained,
    else masked; ``–`` once it is no longer stored."""
    if not call.caller_number:
        return "–"
    if user is not None and user.role.at_least(Role.COORDINATOR) and number_retained(call, now):
        return call.caller_number
    return mask(call.caller_number)


def outcome_text(call: Call) -> str:
    return gettext(OUTCOME_LABELS[call.outcome] if call.outcome else RUNNING_LABEL)


#: The export's columns (catalogue msgids: German headings, as German Excel users read them).
CSV_COLUMNS = (
    N_("Beginn"),
    N_("Linie"),
    N_("Partner"),
    N_("Anrufernummer"),
    N_("Sprache"),
    N_("Ergebnis"),
    N_("Wartezeit (s)"),
    N_("Dauer (s)"),
    N_("Angenommen von"),
    N_("Nachricht"),
    N_("Zurückgerufen am"),
)


def _local_text(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    return value.astimezone(zone).strftime("%d.%m.%Y %H:%M:%S")


def csv_rows(calls: Iterable[Call], user: User | None, now: dt.datetime) -> Iterable[list[object]]:
    yield [gettext(c) for c in CSV_COLUMNS]
    for call in calls:
        yield [
            _local_text(call.started_at),
            call.line.name,
            call.line.partner or "",
            caller_shown(call, user, now),
            call.language or "",
            outcome_text(call),
            "" if call.wait_seconds is None else call.wait_seconds,
            "" if call.duration_seconds is None else call.duration_seconds,
            call.answered_by.name if call.answered_by else "",
            gettext("ja") if call.recording_url else "",
            _local_text(call.callback_done_at),
        ]


def export_csv(session: Session, flt: CallFilter, user: User | None, now: dt.datetime) -> str:
    """The filtered log as CSV the way German Excel opens it: ``;`` between cells, UTF-8 with
    a byte-order mark, every cell formula-safe (:mod:`hotline.core.exports`)."""
    if flt.date_from and flt.date_to and (flt.date_to - flt.date_from).days > MAX_RANGE_DAYS:
        raise FilterError("export_too_long")
    out = io.StringIO()
    out.write("\ufeff")
    writer = SafeWriter(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    calls = session.scalars(
        filtered(flt).options(joinedload(Call.line), joinedload(Call.answered_by))
    )
    writer.writerows(csv_rows(calls, user, now))
    return out.getvalue()


class CallbackError(DomainError):
    """A voicemail that cannot be marked called back."""


def mark_called_back(session: Session, call_id: int, user_id: int, now: dt.datetime) -> Call:
    """Record that ``user_id`` called the voicemail's caller back; marking it twice keeps
    the first time (two coordinators clicking at once is one call back)."""
    call = session.get(Call, call_id, with_for_update=True)
    if call is None or (call.outcome != CallOutcome.VOICEMAIL and not call.recording_url):
        raise CallbackError("callback_no_message")
    if call.callback_done_at is None:
        call.callback_done_at = now
        call.callback_done_by_id = user_id
    return call
