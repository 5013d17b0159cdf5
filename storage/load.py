"""Reading whole reports back: one query per table for a set of report ids.

Used by ``show``, ``export`` and by ``upsert_reports`` to keep a changed
report's previous record in ``report_versions``. Child rows (~250 per full
report) are read through the driver's own cursor as plain tuples: going
through SQLAlchemy result rows and a mapping per row was most of the cost of
a changed-report upsert. The ``reports`` rows themselves (one per report, with
timestamps the dialect must convert) still go through SQLAlchemy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from parsers.record import Record

from .models import Report, ReportCheck, ReportSection, ReportStat, ReportWarning
from .rows import CHILD_COLUMNS, record_from_rows

__all__ = ["LoadedReport", "chunks", "driver_cursor", "load_reports", "placeholders"]

REPORTS = Report.__table__  # type: ignore[attr-defined]
CHILD_TABLES = {
    "stats": ReportStat.__table__,  # type: ignore[attr-defined]
    "sections": ReportSection.__table__,  # type: ignore[attr-defined]
    "checks": ReportCheck.__table__,  # type: ignore[attr-defined]
    "warnings": ReportWarning.__table__,  # type: ignore[attr-defined]
}


def chunks(seq: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Slices of at most ``size``: keeps every IN list under the engines' parameter limits."""
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def driver_cursor(conn: Connection) -> Any:
    """A cursor of the DBAPI connection under ``conn``, inside the same transaction."""
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    return dbapi.cursor()


def placeholders(conn: Connection, n: int) -> str:
    """``n`` comma-separated bind markers in the driver's style (sqlite3 ``?``, psycopg ``%s``)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * n)


class LoadedReport:
    __slots__ = ("record", "row")

    def __init__(self, row: dict[str, Any], record: Record):
        self.row = row  # the reports row (id, source_key, url, text, fetched_at, …)
        self.record = record


def load_reports(conn: Connection, ids: Iterable[int]) -> dict[int, LoadedReport]:
    """The reports with these ids, records rebuilt from their child rows."""
    wanted = sorted(set(ids))
    out: dict[int, LoadedReport] = {}
    cur = driver_cursor(conn)
    try:
        for part in chunks(wanted):
            rows = {
                r["id"]: dict(r)
                for r in conn.execute(select(REPORTS).where(REPORTS.c.id.in_(part))).mappings()
            }
            marks = placeholders(conn, len(part))
            children: dict[str, dict[int, list[tuple[Any, ...]]]] = {}
            for name, table in CHILD_TABLES.items():
                cols = CHILD_COLUMNS[table.name]  # report_id first
                cur.execute(
                    f"SELECT {', '.join(cols)} FROM {table.name} WHERE report_id IN ({marks})", tuple(part)
                )
                grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
                for row in cur.fetchall():
                    grouped[row[0]].append(row[1:])
                # in pos order: sorting each report's rows here is cheaper than an
                # ORDER BY pos (stats are keyed by (report_id, key): the engine sorts
                # every row of the batch at once)
                at = cols.index("pos") - 1
                for rows_of_report in grouped.values():
                    rows_of_report.sort(key=itemgetter(at))
                children[name] = grouped
            for rid, row in rows.items():
                record = record_from_rows(
                    row,
                    children["stats"].get(rid, []),
                    children["sections"].get(rid, []),
                    children["checks"].get(rid, []),
                    children["warnings"].get(rid, []),
                )
                out[rid] = LoadedReport(row, record)
    finally:
        cur.close()
    return out
