"""Writing thousands of rows in one statement (a dispatch wave: 10,000 offers and texts).

SQLAlchemy's executemany writes ``INSERT … VALUES (…), (…), …`` with one parameter per
value: for 10,000 rows of 13 columns psycopg rewrites a query of 130,000 placeholders,
which took longer than the database took to store the rows. :func:`insert_rows` sends the
rows as one JSON document instead (PostgreSQL ``INSERT … SELECT … FROM
json_to_recordset(…)``): one parameter whatever the number of rows, written by the C
encoder of :mod:`json` (one array per column, ``unnest``, spent as long again in psycopg's
per-value adaptation), the values converted by the columns' own types first (enums to
their values, UTC datetimes as stored). Elsewhere (SQLite) it is SQLAlchemy's executemany.

:func:`among` is the matching filter for many ids: ``= ANY(array)`` on PostgreSQL, one
parameter instead of thousands.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Integer, Table, any_, insert, literal, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Iterable[str] = (),
    skip_conflicts_on: Iterable[str] | None = None,
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (dicts with the same keys; columns left out get their server
    default) in one statement and return the ``returning`` columns of the rows written.

    ``skip_conflicts_on`` names the columns of a unique constraint: a row that would break it
    (the same key stored already, by this or another transaction) is left out silently and
    is not returned. The returned rows come in no promised order: return the columns that
    tell them apart.
    """
    if not rows:
        return []
    names = list(rows[0])
    returning = list(returning)
    if session.get_bind().dialect.name != "postgresql":
        stmt = insert(table)
        if skip_conflicts_on is not None:
            stmt = stmt.prefix_with("OR IGNORE", dialect="sqlite")
        if not returning:
            session.execute(stmt, list(rows))
            return []
        # One statement per row: SQLite's executemany cannot return rows, and an ignored
        # row must not be returned.
        stmt = stmt.returning(*(table.c[n] for n in returning))
        found = []
        for row in rows:
            found += [tuple(r) for r in session.execute(stmt, dict(row)).all()]
        return found
    dialect = session.get_bind().dialect
    columns = [table.c[n] for n in names]
    quoted = dialect.identifier_preparer
    names_sql = ", ".join(quoted.format_column(c) for c in columns)
    record = ", ".join(f"{quoted.format_column(c)} {c.type.compile(dialect)}" for c in columns)
    sql = (
        f"INSERT INTO {quoted.format_table(table)} ({names_sql}) "
        f"SELECT {names_sql} FROM json_to_recordset(CAST(:rows AS JSON)) AS u({record})"
    )
    if skip_conflicts_on is not None:
        conflict = ", ".join(quoted.format_column(table.c[n]) for n in skip_conflicts_on)
        sql += f" ON CONFLICT ({conflict}) DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(quoted.format_column(table.c[n]) for n in returning)
    result = session.execute(text(sql), {"rows": _as_json(columns, rows, dialect)})
    return [tuple(r) for r in result.all()] if returning else []


def _as_json(columns: list[Any], rows: Sequence[Mapping[str, Any]], dialect: Any) -> str:
    """The rows as one JSON array, each value as its column stores it (the column's own
    conversion: enums to their values, UTC datetimes as stored; JSON columns as they are)."""
    converters = []
    for column in columns:
        if isinstance(column.type, JSON):
            converters.append(None)
        else:
            converters.append(column.type._cached_bind_processor(dialect))  # noqa: SLF001
    # A wave's rows share most values (its time, its state): each converted once.
    seen: list[dict[tuple[type, Any], Any]] = [{} for _ in columns]
    out = []
    for row in rows:
        item = {}
        for column, convert, cache in zip(columns, converters, seen, strict=True):
            value = row[column.key]
            if convert is not None:
                try:
                    key = (type(value), value)
                    value = cache[key]
                except KeyError:
                    value = cache[key] = _plain(convert(value))
                except TypeError:  # unhashable
                    value = _plain(convert(value))
            else:
                value = _plain(value)
            item[column.name] = value
        out.append(item)
    # json.dumps writes floats with every digit, so they come back exactly.
    return json.dumps(out)


def _plain(value: Any) -> Any:  # noqa: ANN401
    return value.isoformat() if hasattr(value, "isoformat") else value


def among(session: Session, column: ColumnElement[int], ids: Sequence[int]) -> ColumnElement[bool]:
    """``column IN ids`` as one array parameter on PostgreSQL (``= ANY(:ids)``)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(ids), ARRAY(Integer)))
    return column.in_(list(ids))
