"""CSV import and export of operators and shifts.

An import is all or nothing: every row is checked (and applied inside a savepoint); if any
row fails, the savepoint is rolled back and the errors are reported per row, with the row's
line number in the file. Shift times are wall-clock times in the line's timezone.

Exports neutralise cells a spreadsheet would read as formulas (:mod:`hotline.core.exports`);
imports undo that, so an export reads back in unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.exports import SafeWriter, restore
from hotline.core.models import utcnow
from hotline.core.oncall.models import Line, Operator, OperatorStatus, Shift
from hotline.core.oncall.operators import KNOWN_LANGUAGES, OperatorError, create_operator
from hotline.core.oncall.shifts import ShiftError
from hotline.core.phones import InvalidPhoneNumber, to_e164, to_mobile_e164
from hotline.rosters.audit import Actor
from hotline.rosters.shift_edits import add_shift

OPERATOR_COLUMNS = ["name", "phone", "languages", "status"]
SHIFT_COLUMNS = ["operator_phone", "line_number", "start", "end"]
MAX_ROWS = 5000


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def decode(raw: bytes) -> str:
    """The text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252, the
    encoding spreadsheet programs on German Windows save CSV files in."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _rows(text: str, required: list[str]) -> tuple[list[tuple[int, dict[str, str]]], str | None]:
    text = text.lstrip("\ufeff")
    sample = text[:2048]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    # Only the delimiter is guessed (German spreadsheets write ";"); quoting is always '"':
    # the sniffer would take the apostrophes that mark exported numbers for quotes.
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        return [], f"missing column(s): {', '.join(missing)}"
    reader.fieldnames = header
    rows = []
    for row in reader:
        if reader.line_num - 1 > MAX_ROWS:
            return [], f"at most {MAX_ROWS} rows per file"
        values = {k: restore(v or "").strip() for k, v in row.items() if k}
        if any(values.values()):
            rows.append((reader.line_num, values))
    return rows, None


def _languages(raw: str) -> list[str]:
    codes = [c.lower() for c in re.split(r"[\s,;/]+", raw) if c]
    unknown = [c for c in codes if c not in KNOWN_LANGUAGES]
    if unknown:
        raise OperatorError(f"unknown language code(s): {', '.join(unknown)}")
    return codes or ["de"]


def import_operators(session: Session, text: str, region: str = "DE") -> ImportReport:
    report = ImportReport()
    rows, problem = _rows(text, ["name", "phone"])
    if problem:
        report.errors.append((1, problem))
        return report
    seen: dict[str, int] = {}
    savepoint = session.begin_nested()
    for line_no, row in rows:
        try:
            if not row.get("name"):
                raise OperatorError("name is empty")
            number = to_mobile_e164(row.get("phone", ""), region)
            if number in seen:
                raise OperatorError(f"same phone number as row {seen[number]}")
            seen[number] = line_no
            status = OperatorStatus(row.get("status") or "active")
            languages = _languages(row.get("languages", ""))
            existing = session.scalar(select(Operator).where(Operator.phone_number == number))
            if existing is None:
                create_operator(session, row["name"], number, languages, status, region)
                report.created += 1
            else:
                existing.name = row["name"]
                existing.languages = languages
                existing.status = status
                report.updated += 1
        except (InvalidPhoneNumber, OperatorError) as exc:
            report.errors.append((line_no, str(exc)))
        except ValueError:
            report.errors.append(
                (line_no, f"status must be active or paused, not {row.get('status')!r}")
            )
    if report.errors:
        savepoint.rollback()
        report.created = report.updated = 0
    else:
        savepoint.commit()
    return report


def _local(raw: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(raw.replace("T", " "))
    except ValueError as exc:
        raise ShiftError(f"{raw!r} is not a date and time like 2026-11-27 20:00") from exc
    if value.tzinfo is not None:
        raise ShiftError("give wall-clock times without a UTC offset")
    return value


def import_shifts(session: Session, text: str, actor: Actor, region: str = "DE") -> ImportReport:
    report = ImportReport()
    rows, problem = _rows(text, SHIFT_COLUMNS)
    if problem:
        report.errors.append((1, problem))
        return report
    savepoint = session.begin_nested()
    for line_no, row in rows:
        try:
            phone = to_e164(row["operator_phone"], region)
            operator = session.scalar(select(Operator).where(Operator.phone_number == phone))
            if operator is None:
                raise ShiftError(f"no operator with number {row['operator_phone']}")
            number = to_e164(row["line_number"], region)
            line = session.scalar(select(Line).where(Line.number == number))
            if line is None:
                raise ShiftError(f"no line with number {row['line_number']}")
            with session.begin_nested():
                add_shift(
                    session,
                    actor,
                    operator.id,
                    line.id,
                    _local(row["start"]),
                    _local(row["end"]),
                    "import",
                )
            report.created += 1
        except (InvalidPhoneNumber, ShiftError) as exc:
            report.errors.append((line_no, str(exc)))
    if report.errors:
        savepoint.rollback()
        report.created = 0
    else:
        savepoint.commit()
    return report


def export_operators(session: Session) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(OPERATOR_COLUMNS)
    for op in session.scalars(select(Operator).order_by(Operator.name)):
        writer.writerow([op.name, op.phone_number, " ".join(op.languages), op.status.value])
    return out.getvalue()


def export_shifts(
    session: Session, since: dt.datetime | None = None, line_id: int | None = None
) -> str:
    since = since or utcnow() - dt.timedelta(days=30)
    stmt = select(Shift).where(Shift.ends_at > since).order_by(Shift.starts_at)
    if line_id is not None:
        stmt = stmt.where(Shift.line_id == line_id)
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow([*SHIFT_COLUMNS, "operator_name", "timezone"])
    for s in session.scalars(stmt):
        writer.writerow(
            [
                s.operator.phone_number,
                s.line.number,
                f"{s.local_start:%Y-%m-%d %H:%M}",
                f"{s.local_end:%Y-%m-%d %H:%M}",
                s.operator.name,
                s.timezone,
            ]
        )
    return out.getvalue()
