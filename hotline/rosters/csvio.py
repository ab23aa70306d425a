"""CSV import and export of operators and shifts.

An import is all or nothing: every row is checked (and applied inside a savepoint); if any
row fails, the savepoint is rolled back and the errors are reported per row, with the row's
line number in the file. Shift times are wall-clock times in the line's timezone.

Exports neutralise cells a spreadsheet would read as formulas (:mod:`hotline.core.exports`);
imports undo that, so an export reads back in unchanged.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core import csvfiles
from hotline.core.csvfiles import Column
from hotline.core.errors import DomainError
from hotline.core.exports import SafeWriter
from hotline.core.i18n import N_
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
    #: ``(line in the file, refusal)``: shown in the page's language, English on the CLI.
    errors: list[tuple[int, DomainError]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def messages(self, language: str = "en") -> list[tuple[int, str]]:
        """The errors as ``(line, text)`` in ``language`` (English: the command line's)."""
        return [(line, error.text(language)) for line, error in self.errors]


def decode(raw: bytes) -> str:
    """The text of an uploaded file (:func:`hotline.core.csvfiles.decode`)."""
    return csvfiles.decode(raw)


#: Headers as the pages name them in German, or the codes the exports write.
OPERATOR_TABLE = [
    Column("name", N_("Name"), required=True),
    Column("phone", N_("Telefon"), required=True, also=("Handynummer", "Telefonnummer")),
    Column("languages", N_("Sprachen"), also=("Sprache",)),
    Column("status", N_("Status")),
]
SHIFT_TABLE = [
    Column(
        "operator_phone",
        N_("Telefon der Person"),
        required=True,
        also=("Telefon", "Handynummer", "Telefon Ehrenamtliche"),
    ),
    Column("line_number", N_("Nummer der Linie"), required=True, also=("Linie", "Liniennummer")),
    Column("start", N_("Beginn"), required=True, also=("Von", "Start")),
    Column("end", N_("Ende"), required=True, also=("Bis",)),
]
STATUS_NAMES = {"active": "aktiv", "paused": "pausiert"}


def _rows(
    text: str, columns: list[Column]
) -> tuple[list[tuple[int, dict[str, str]]], list[tuple[int, DomainError]]]:
    """The rows by column code, or the file's problems."""
    table = csvfiles.read_table(text, columns, MAX_ROWS)
    return table.rows, [(e.line, e.problem) for e in table.errors]


def _languages(raw: str) -> list[str]:
    try:
        return csvfiles.language_codes(raw, KNOWN_LANGUAGES) or ["de"]
    except csvfiles.CellProblem:
        codes = [c for c in re.split(r"[\s,;/]+", raw) if c]
        raise OperatorError("language_codes_unknown", codes=", ".join(codes)) from None


def _status(raw: str) -> OperatorStatus:
    """``active``/``paused`` or as the pages say it, ``aktiv``/``pausiert``."""
    try:
        return OperatorStatus(csvfiles.choice(raw or "active", STATUS_NAMES, N_("Status")))
    except csvfiles.CellProblem:
        raise OperatorError("status_unknown", value=raw) from None


def import_operators(session: Session, text: str, region: str = "DE") -> ImportReport:
    """Every problem of every row is reported (a row may have several); all or nothing."""
    report = ImportReport()
    rows, problems = _rows(text, OPERATOR_TABLE)
    if problems:
        report.errors.extend(problems)
        return report
    seen: dict[str, int] = {}
    savepoint = session.begin_nested()
    for line_no, row in rows:
        errors: list[DomainError] = []
        number = status = languages = None
        if not row.get("name"):
            errors.append(OperatorError("name_missing"))
        try:
            number = to_mobile_e164(row.get("phone", ""), region)
        except InvalidPhoneNumber as exc:
            errors.append(exc)
        if number is not None and number in seen:
            errors.append(OperatorError("phone_same_as_row", row=seen[number]))
        elif number is not None:
            seen[number] = line_no
        for read in ("status", "languages"):
            try:
                if read == "status":
                    status = _status(row.get("status", ""))
                else:
                    languages = _languages(row.get("languages", ""))
            except OperatorError as exc:
                errors.append(exc)
        if errors:
            report.errors.extend((line_no, message) for message in errors)
            continue
        try:
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
            report.errors.append((line_no, exc))
    if report.errors:
        savepoint.rollback()
        report.created = report.updated = 0
    else:
        savepoint.commit()
    return report


def _local(raw: str) -> dt.datetime:
    """``2026-11-27 20:00`` or as German spreadsheets write it, ``27.11.2026 20:00``."""
    german = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{2})", raw.strip())
    if german:
        day, month, year, hour, minute = (int(g) for g in german.groups())
        try:
            return dt.datetime(year, month, day, hour, minute)
        except ValueError as exc:
            raise ShiftError("datetime_unreadable", value=raw) from exc
    try:
        value = dt.datetime.fromisoformat(raw.replace("T", " "))
    except ValueError as exc:
        raise ShiftError("datetime_unreadable", value=raw) from exc
    if value.tzinfo is not None:
        raise ShiftError("datetime_with_offset")
    return value


def import_shifts(session: Session, text: str, actor: Actor, region: str = "DE") -> ImportReport:
    report = ImportReport()
    rows, problems = _rows(text, SHIFT_TABLE)
    if problems:
        report.errors.extend(problems)
        return report
    savepoint = session.begin_nested()
    for line_no, row in rows:
        errors: list[DomainError] = []
        operator = line = start = end = None
        try:
            phone = to_e164(row.get("operator_phone", ""), region)
            operator = session.scalar(select(Operator).where(Operator.phone_number == phone))
            if operator is None:
                errors.append(
                    ShiftError("operator_number_unknown", number=row.get("operator_phone", ""))
                )
        except InvalidPhoneNumber as exc:
            errors.append(exc)
        try:
            number = to_e164(row.get("line_number", ""), region)
            line = session.scalar(select(Line).where(Line.number == number))
            if line is None:
                errors.append(ShiftError("line_number_unknown", number=row.get("line_number", "")))
        except InvalidPhoneNumber as exc:
            errors.append(exc)
        for name in ("start", "end"):
            try:
                value = _local(row.get(name, ""))
            except ShiftError as exc:
                errors.append(exc)
                continue
            if name == "start":
                start = value
            else:
                end = value
        if errors:
            report.errors.extend((line_no, message) for message in errors)
            continue
        try:
            with session.begin_nested():
                add_shift(session, actor, operator.id, line.id, start, end, "import")
            report.created += 1
        except (InvalidPhoneNumber, ShiftError) as exc:
            report.errors.append((line_no, exc))
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


# -- sample files -------------------------------------------------------------------------------


def sample_operators() -> bytes:
    """A sample operators file in the dialect German spreadsheets write (it imports cleanly)."""
    return csvfiles.sample(
        OPERATOR_TABLE,
        [
            ["Anna Beispiel", "0151 23456789", "Deutsch, Englisch", "aktiv"],
            ["Özlem Yılmaz", "0160 98765432", "Deutsch, Türkisch", "pausiert"],
        ],
    )


def sample_shifts(session: Session, today: dt.date | None = None) -> bytes:
    """A sample shifts file: two evenings next week for the first operator on the first line
    (placeholders while there are none), in German date format."""
    operator = session.scalar(
        select(Operator).where(Operator.status == OperatorStatus.ACTIVE).order_by(Operator.id)
    )
    line = session.scalar(select(Line).order_by(Line.id))
    phone = operator.phone_number if operator else "0151 23456789"
    number = line.number if line else "030 1234567"
    today = today or utcnow().date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    rows = [
        [phone, number, f"{day:%d.%m.%Y} 20:00", f"{day:%d.%m.%Y} 23:00"]
        for day in (monday, monday + dt.timedelta(days=2))
    ]
    return csvfiles.sample(SHIFT_TABLE, rows)
