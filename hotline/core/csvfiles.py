"""Reading the CSV files people actually have, for every import (helpers, operators, shifts).

German spreadsheet programs save CSV with ``;`` between the cells and in Windows-1252 or
UTF-8 with a byte order mark; people type the names the pages show ("Montag", "Deutsch",
"Einkaufen") rather than codes. This module reads all of that:

* :func:`decode` — UTF-8 (with or without BOM), else Windows-1252;
* :func:`read_table` — the delimiter sniffed (``;``, ``,`` or tab), header names accepted as
  the page shows them in German or as the codes (``Name``/``name``, ``Telefon``/``phone``), and
  rows as dictionaries keyed by the column's code, each with its line number in the file;
* :func:`weekday`, :func:`language_codes`, :func:`choice` — values by their German names;
* :class:`CellError` — one problem of one cell (row, column, a
  :class:`~hotline.core.errors.DomainError`), translated into the page's language when
  shown, so an import can report every error of every row;
* :func:`sample` — a sample file in the German dialect (``;``, UTF-8 with BOM) that the
  import reads back.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hotline.core.errors import DomainError, Word, Words
from hotline.core.exports import neutralise, restore
from hotline.core.i18n import current_language, gettext

MAX_ROWS = 5000


def decode(raw: bytes) -> str:
    """The text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252, the
    encoding spreadsheet programs on German Windows save CSV files in."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _key(text: str) -> str:
    """Compare names loosely: case, spaces, hyphens and underscores do not matter."""
    return re.sub(r"[\s_\-.()]+", "", text.strip().lower())


@dataclass(frozen=True)
class Column:
    """One column an import reads: its code (``phone``) and the German header the sample
    file and the page show (``Telefon``); ``also`` are further accepted header names."""

    code: str
    header: str
    required: bool = False
    also: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {_key(self.code), _key(self.header), *(_key(a) for a in self.also)}


@dataclass(frozen=True)
class CellError:
    """A problem of one row (``line`` in the file, 1 = header) and column (its German
    header, or empty for the whole row); ``problem`` is the refusal, a DomainError."""

    line: int
    column: str
    problem: DomainError

    def text(self, language: str | None = None) -> str:
        """The message in ``language``, by default the page's (German outside a request)."""
        return self.problem.text(language or current_language())

    def column_text(self) -> str:
        return gettext(self.column) if self.column else ""


@dataclass
class Table:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)


class CellProblem(DomainError):
    """A value of a cell that cannot be read."""


def read_table(text: str, columns: Iterable[Column], max_rows: int = MAX_ROWS) -> Table:
    """The rows of ``text`` keyed by column code; a missing required column or too many rows
    is an error of line 1 and gives no rows. Empty rows are skipped; unknown columns kept
    under their own header."""
    columns = list(columns)
    table = Table()
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = ","
    # Only the delimiter is guessed (German spreadsheets write ";"); quoting is always '"':
    # the sniffer would take the apostrophes that mark exported numbers for quotes.
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        table.errors.append(CellError(1, "", CellProblem("csv_empty")))
        return table
    by_name = {name: c.code for c in columns for name in c.names()}
    codes = [by_name.get(_key(h), h.strip()) for h in header]
    missing = [c.header for c in columns if c.required and c.code not in codes]
    if missing:
        table.errors.append(
            CellError(1, "", CellProblem("csv_columns_missing", names=Words(missing)))
        )
        return table
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(table.rows) >= max_rows:
            table.errors.append(CellError(1, "", CellProblem("csv_too_many_rows", count=max_rows)))
            table.rows = []
            return table
        values = {code: restore(cell).strip() for code, cell in zip(codes, row, strict=False)}
        table.rows.append((reader.line_num, values))
    return table


def header_of(columns: Iterable[Column], code: str) -> str:
    for column in columns:
        if column.code == code:
            return column.header
    return code


# -- values by their German names ------------------------------------------------------------

WEEKDAY_NAMES = (
    ("montag", "mo", "monday", "mon"),
    ("dienstag", "di", "tuesday", "tue", "tu"),
    ("mittwoch", "mi", "wednesday", "wed", "we"),
    ("donnerstag", "do", "thursday", "thu", "th"),
    ("freitag", "fr", "friday", "fri"),
    ("samstag", "sa", "saturday", "sat", "sonnabend"),
    ("sonntag", "so", "sunday", "sun", "su"),
)


def weekday(raw: str) -> int:
    """0 (Monday) … 6 from "Montag", "Mo", "mon", "Monday" (any case, with or without dot)."""
    name = _key(raw)
    for index, names in enumerate(WEEKDAY_NAMES):
        if name in names:
            return index
    raise CellProblem("csv_weekday_unknown", value=raw.strip())


#: Languages by code, with the German names the pages show and the English ones.
LANGUAGES = {
    "de": ("Deutsch", "German"),
    "en": ("Englisch", "English"),
    "tr": ("Türkisch", "Turkish"),
    "ar": ("Arabisch", "Arabic"),
    "uk": ("Ukrainisch", "Ukrainian"),
    "ru": ("Russisch", "Russian"),
    "pl": ("Polnisch", "Polish"),
    "fr": ("Französisch", "French"),
    "es": ("Spanisch", "Spanish"),
    "it": ("Italienisch", "Italian"),
    "fa": ("Persisch", "Persian", "Farsi"),
    "ku": ("Kurdisch", "Kurdish"),
}


def _fold(text: str) -> str:
    """``Türkisch`` and ``Tuerkisch`` and ``Turkisch`` compare equal."""
    text = _key(text).replace("ae", "a").replace("oe", "o").replace("ue", "u")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_LANGUAGE_BY_NAME = {
    _fold(name): code for code, names in LANGUAGES.items() for name in (code, *names)
}


def language_codes(raw: str, known: Iterable[str] | None = None) -> list[str]:
    """Codes from "Deutsch, Türkisch" or "de tr" (``,``, ``;``, ``/`` or spaces between)."""
    allowed = set(known) if known is not None else set(LANGUAGES)
    codes, unknown = [], []
    for part in re.split(r"[,;/|\s]+", raw.strip()):
        if not part.strip():
            continue
        code = _LANGUAGE_BY_NAME.get(_fold(part))
        if code is None and part.strip().lower() in allowed:
            code = part.strip().lower()
        if code is None or code not in allowed:
            unknown.append(part.strip())
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise CellProblem("csv_language_unknown", value=", ".join(unknown))
    return codes


def choice(raw: str, labels: Mapping[str, str], what: str) -> str:
    """The code of a value given by code or by its German label (``Einkaufen`` → ``shopping``);
    ``what`` names the kind of value in the message (a msgid)."""
    wanted = _fold(raw)
    for code, label in labels.items():
        if wanted in (_fold(code), _fold(label)):
            return code
    raise CellProblem(
        "csv_choice_unknown",
        what=Word(what),
        value=raw.strip(),
        choices=", ".join(labels.values()),
    )


def sample(columns: Iterable[Column], rows: Iterable[Iterable[str]]) -> bytes:
    """A sample file as German spreadsheets write it: ``;`` between cells, UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([neutralise(str(cell)) for cell in row])
    return out.getvalue().encode("utf-8-sig")
