"""Asking the database questions: report lists, one record, read-only SQL, exports.

Every function here opens its own connection and only reads. ``readonly_sql``
runs arbitrary user SQL through a connection the *database* keeps read-only
(see ``storage.engine.make_readonly_engine``); no statement text is inspected.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy import Engine, Table, func, select
from sqlalchemy.engine import Connection

from .api import StorageError
from .engine import READ, make_readonly_engine
from .load import load_reports
from .models import HEADLINE_VIEW, Report, ReportCheck
from .rows import as_utc

__all__ = [
    "CANNED_QUERIES",
    "ExportFormat",
    "QueryResult",
    "ReportRow",
    "export",
    "find_report",
    "list_reports",
    "readonly_sql",
]

REPORTS: Table = Report.__table__  # type: ignore[attr-defined]
CHECKS: Table = ReportCheck.__table__  # type: ignore[attr-defined]
ExportFormat = Literal["csv", "jsonl", "parquet"]

#: the canned queries ``govreports browse`` offers in Datasette (also usable with ``govreports sql``)
CANNED_QUERIES: dict[str, dict[str, str]] = {
    "reports_per_year": {
        "title": "Reports per year",
        "sql": "SELECT year, format, COUNT(*) AS reports FROM reports GROUP BY year, format ORDER BY year, format",
    },
    "applications_by_outcome": {
        "title": "Applications by outcome across years",
        "sql": (
            "SELECT year, COUNT(*) AS reports, SUM(requests_received) AS received, "
            "SUM(requests_granted) AS granted, SUM(requests_partially_granted) AS partially_granted, "
            "SUM(requests_denied) AS denied, SUM(requests_carried_forward) AS carried_forward "
            f"FROM {HEADLINE_VIEW} GROUP BY year ORDER BY year"
        ),
    },
    "failed_checks": {
        "title": "Failed arithmetic checks",
        "sql": (
            "SELECT r.id AS report_id, r.year, r.agency, r.url, c.rule, c.detail "
            "FROM report_checks c JOIN reports r ON r.id = c.report_id "
            "WHERE NOT c.ok ORDER BY r.year, r.agency, c.rule"
        ),
    },
}


@dataclass(frozen=True, slots=True)
class ReportRow:
    id: int
    source_key: str
    url: str
    year: int
    agency: str | None
    format: str
    title: str
    n_stats: int
    n_failed_checks: int


def list_reports(
    engine: Engine,
    *,
    agency: str | None = None,
    year: int | None = None,
    format: str | None = None,
    failed_checks: bool = False,
    limit: int | None = None,
) -> list[ReportRow]:
    """Reports matching all given filters (``agency``: substring), by year then agency."""
    r = REPORTS
    stmt = select(
        r.c.id,
        r.c.source_key,
        r.c.url,
        r.c.year,
        r.c.agency,
        r.c.format,
        r.c.title,
        r.c.n_stats,
        r.c.n_failed_checks,
    )
    if agency:
        stmt = stmt.where(r.c.agency.contains(agency, autoescape=True))
    if year is not None:
        stmt = stmt.where(r.c.year == year)
    if format:
        stmt = stmt.where(r.c.format == format)
    if failed_checks:
        stmt = stmt.where(r.c.n_failed_checks > 0)
    stmt = stmt.order_by(r.c.year, r.c.agency, r.c.url)
    if limit:
        stmt = stmt.limit(limit)
    with engine.connect().execution_options(**READ) as conn:
        return [ReportRow(**row) for row in conn.execute(stmt).mappings()]


def find_report(engine: Engine, ref: str) -> dict[str, Any] | None:
    """One report by id or by URL (report page or document URL): the export line, or None."""
    r = REPORTS
    with engine.connect().execution_options(**READ) as conn:
        if ref.isdigit():
            rid = conn.execute(select(r.c.id).where(r.c.id == int(ref))).scalar()
        else:
            rid = conn.execute(
                select(r.c.id).where((r.c.url == ref) | (r.c.document_url == ref)).order_by(r.c.id).limit(1)
            ).scalar()
        if rid is None:
            return None
        return next(_export_lines(conn, [rid]))


def _export_lines(conn: Connection, ids: Sequence[int]) -> Iterator[dict[str, Any]]:
    """JSON Lines objects: ``Record.to_dict()`` plus ``source``, ``url``, ``fetched_at`` (and ``id``)."""
    loaded = load_reports(conn, ids)
    for rid in ids:
        rep = loaded[rid]
        line = rep.record.to_dict()
        line["source"] = rep.row["source_key"]
        line["url"] = rep.row["url"]
        line["fetched_at"] = as_utc(rep.row["fetched_at"]).isoformat()
        line["id"] = rid
        yield line


@dataclass(slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def readonly_sql(url: str, sql: str, *, max_rows: int | None = None) -> QueryResult:
    """Run one statement through a read-only connection; the database refuses any write.

    Raises ``StorageError`` with the database's own message for a refused or
    invalid statement. On PostgreSQL a ``SELECT 1`` first fixes the transaction
    as READ ONLY, so the user's SQL cannot switch it to read-write.
    """
    try:
        engine = make_readonly_engine(url)
    except (OSError, ValueError) as exc:
        raise StorageError(str(exc)) from exc
    try:
        with engine.connect() as conn:
            dbapi = conn.connection.driver_connection
            assert dbapi is not None
            cur = dbapi.cursor()
            try:
                if conn.dialect.name == "postgresql":
                    cur.execute("SELECT 1")
                    cur.fetchall()
                cur.execute(sql)
                if cur.description is None:
                    return QueryResult([], [])
                columns = [d[0] for d in cur.description]
                rows = cur.fetchmany(max_rows) if max_rows else cur.fetchall()
                return QueryResult(columns, [tuple(r) for r in rows])
            finally:
                cur.close()
                dbapi.rollback()
    except StorageError:
        raise
    except Exception as exc:  # the driver's own error types differ per engine
        raise StorageError(f"query refused (read-only connection) or failed: {exc}".strip()) from exc
    finally:
        engine.dispose()


def export(engine: Engine, fmt: ExportFormat, out: IO[Any] | Path, *, table: str = "headline") -> int:
    """Write every report; returns the number of records/rows written.

    ``jsonl``: one report per line, the record exactly as ``Record.to_dict()``
    (``govreports parse --json``) plus ``source``, ``url``, ``fetched_at``, ``id``.
    ``csv``/``parquet``: ``table="headline"`` the ``report_headline`` view (one
    row per report, headline stats as columns) or ``table="stats"`` the long
    form (report_id, source_key, url, year, agency, key, value).
    """
    with engine.connect().execution_options(**READ) as conn:
        if fmt == "jsonl":
            return _export_jsonl(conn, out)
        if table == "headline":
            sql = f"SELECT * FROM {HEADLINE_VIEW} ORDER BY year, agency, url"
        elif table == "stats":
            sql = (
                "SELECT r.id AS report_id, r.source_key, r.url, r.year, r.agency, s.key, s.value "
                "FROM report_stats s JOIN reports r ON r.id = s.report_id ORDER BY r.id, s.pos"
            )
        else:
            raise StorageError(f"unknown export table {table!r} (headline or stats)")
        result = conn.exec_driver_sql(sql)
        columns = list(result.keys())
        rows = [tuple(r) for r in result]
    if fmt == "csv":
        return _write_csv(out, columns, rows)
    if fmt == "parquet":
        return _write_parquet(out, columns, rows)
    raise StorageError(f"unknown export format {fmt!r} (csv, jsonl or parquet)")


def _export_jsonl(conn: Connection, out: IO[Any] | Path) -> int:
    ids = list(conn.execute(select(REPORTS.c.id).order_by(REPORTS.c.id)).scalars())
    fh, close = _open_text(out)
    try:
        n = 0
        for k in range(0, len(ids), 500):
            for line in _export_lines(conn, ids[k : k + 500]):
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                n += 1
        return n
    finally:
        if close:
            fh.close()


def _open_text(out: IO[Any] | Path) -> tuple[IO[str], bool]:
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        return out.open("w", encoding="utf-8", newline=""), True
    return out, False


def _write_csv(out: IO[Any] | Path, columns: list[str], rows: list[tuple[Any, ...]]) -> int:
    fh, close = _open_text(out)
    try:
        w = csv.writer(fh)
        w.writerow(columns)
        w.writerows(rows)
        return len(rows)
    finally:
        if close:
            fh.close()


def _write_parquet(out: IO[Any] | Path, columns: list[str], rows: list[tuple[Any, ...]]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    table = pa.table(data)
    pq.write_table(table, out if isinstance(out, Path) else pa.PythonFile(out))
    return len(rows)


def count_reports(engine: Engine) -> int:
    with engine.connect().execution_options(**READ) as conn:
        return int(conn.execute(select(func.count()).select_from(REPORTS)).scalar_one())
