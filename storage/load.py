"""Reading whole reports back: one query per table for a set of report ids.

Used by ``show``, ``export`` and by ``upsert_reports`` to keep a changed
report's previous record in ``report_versions``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from parsers.record import Record

from .models import Report, ReportCheck, ReportSection, ReportStat, ReportWarning
from .rows import record_from_rows

__all__ = ["LoadedReport", "chunks", "load_reports"]

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


class LoadedReport:
    __slots__ = ("record", "row")

    def __init__(self, row: dict[str, Any], record: Record):
        self.row = row  # the reports row (id, source_key, url, text, fetched_at, …)
        self.record = record


def load_reports(conn: Connection, ids: Iterable[int]) -> dict[int, LoadedReport]:
    """The reports with these ids, records rebuilt from their child rows."""
    wanted = sorted(set(ids))
    out: dict[int, LoadedReport] = {}
    for part in chunks(wanted):
        rows = {
            r["id"]: dict(r) for r in conn.execute(select(REPORTS).where(REPORTS.c.id.in_(part))).mappings()
        }
        children: dict[str, dict[int, list[dict[str, Any]]]] = {}
        for name, table in CHILD_TABLES.items():
            grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for c in conn.execute(select(table).where(table.c.report_id.in_(part))).mappings():
                grouped[c["report_id"]].append(dict(c))
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
    return out
