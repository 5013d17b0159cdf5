"""The ``reports`` table's write statements, built once per dialect and run on the driver.

A batch writes one multi-row ``INSERT`` per ≤ ``ROWS_PER_STATEMENT`` reports.
Through SQLAlchemy Core each call compiled the statement again and ran every
value of ~30 columns through its parameter machinery: ~12% of a new-report
upsert. Here the SQL text is made once per (dialect, row count) and values are
converted only where the dialect needs it (SQLite stores timestamps as text, so
``DateTime`` columns go through the very bind processor SQLAlchemy would use:
the stored format, and hence every read, stays the same).

Both engines take the same statement text (``ON CONFLICT … DO NOTHING/UPDATE``,
``excluded.``, ``RETURNING``); only the bind marker differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect

from .load import chunks, driver_cursor
from .models import Report

__all__ = ["ROWS_PER_STATEMENT", "ReportWriter"]

REPORTS: Table = Report.__table__  # type: ignore[attr-defined]

#: reports per statement: 500 × 29 columns stays under SQLite's 32,766 and
#: PostgreSQL's 65,535 bind parameters
ROWS_PER_STATEMENT = 500

#: never overwritten by an update of an existing report
_KEPT = ("id", "source_key", "url", "first_seen")


class ReportWriter:
    """Writes ``reports`` rows (dicts keyed by column name) on one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        columns = [c for c in REPORTS.columns if c.name != "id"]
        self.columns: tuple[str, ...] = tuple(c.name for c in columns)
        #: (position, converter) of the columns the dialect converts (SQLite: DateTime)
        self._procs: list[tuple[int, Callable[[Any], Any]]] = [
            (i, proc)
            for i, c in enumerate(columns)
            if (proc := c.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        ]

    def _values(self, rows: Iterable[dict[str, Any]]) -> list[Any]:
        flat: list[Any] = []
        cols, procs = self.columns, self._procs
        for row in rows:
            values = [row[c] for c in cols]
            for i, proc in procs:
                values[i] = proc(values[i])
            flat.extend(values)
        return flat

    def insert_new(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], int]:
        """``INSERT … ON CONFLICT DO NOTHING`` in the given order; the ids of rows actually inserted."""
        got: dict[tuple[str, str], int] = {}
        cur = driver_cursor(conn)
        try:
            for part in chunks(rows, ROWS_PER_STATEMENT):
                cur.execute(_insert_sql(conn.dialect.paramstyle, self.columns, len(part)), self._values(part))
                got.update(((src, url), rid) for rid, src, url in cur.fetchall())
        finally:
            cur.close()
        return got

    def update_existing(
        self, conn: Connection, rows: Sequence[dict[str, Any]], *, content_changed: bool
    ) -> None:
        """``INSERT … ON CONFLICT DO UPDATE`` of rows that exist (and are locked).

        ``first_seen`` is kept; ``last_changed`` moves only when the content changed.
        """
        cur = driver_cursor(conn)
        try:
            for part in chunks(rows, ROWS_PER_STATEMENT):
                sql = _upsert_sql(conn.dialect.paramstyle, self.columns, len(part), content_changed)
                cur.execute(sql, self._values(part))
        finally:
            cur.close()


def _values_clause(paramstyle: str, width: int, n: int) -> str:
    mark = "?" if paramstyle == "qmark" else "%s"
    one = "(" + ", ".join([mark] * width) + ")"
    return ", ".join([one] * n)


@lru_cache(maxsize=64)
def _insert_sql(paramstyle: str, columns: tuple[str, ...], n: int) -> str:
    return (
        f"INSERT INTO reports ({', '.join(columns)}) VALUES {_values_clause(paramstyle, len(columns), n)} "
        "ON CONFLICT (source_key, url) DO NOTHING RETURNING id, source_key, url"
    )


@lru_cache(maxsize=64)
def _upsert_sql(paramstyle: str, columns: tuple[str, ...], n: int, content_changed: bool) -> str:
    kept = set(_KEPT) | (set() if content_changed else {"last_changed"})
    sets = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in kept)
    return (
        f"INSERT INTO reports ({', '.join(columns)}) VALUES {_values_clause(paramstyle, len(columns), n)} "
        f"ON CONFLICT (source_key, url) DO UPDATE SET {sets}"
    )
