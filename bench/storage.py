"""Storage benchmark: full report upserts per second, and what an unchanged re-upsert costs.

A "full report" is what a 2021-format report parses to: the corpus's Huai'an
2024 report run through the parser once (208 stats, six sections with ~5,700
characters, 42 checks, a contact block), then copied with its own numbers per
report; its 6,300-character extracted text (~18 KB UTF-8) is the text.
Measured on a fresh SQLite file (tmp dir) and, when ``GOVREPORTS_TEST_PG_URL``
is set, in a fresh PostgreSQL schema (dropped after).

Rows: reports/s for first inserts (SQLite also per CPU-second), reports/s and
ms/report for an unchanged re-upsert, the write transactions it opened (must
be 0), and reports/s for a re-upsert where every report changed (versions
kept, children replaced). The machine is shared: run it a few times and
compare medians.

Run alone: ``uv run python -m bench.storage [--quick]``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from parsers.record import Check, ExtractedDoc, Record, Section
from parsers.report import build_record

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "corpus" / "text" / "jiangsu_huaian_2024.pdf.txt").read_text(encoding="utf-8")
BATCH = 200


@lru_cache(maxsize=1)
def template() -> Record:
    """The record the parser makes of a real 2021-format report (the corpus's Huai'an 2024 PDF).

    Its stats keys, checks and sections are the benchmark's shape, so the key
    list lives in one place (the parser) and the benchmark follows it.
    """
    record = build_record(ExtractedDoc(kind="pdf", text=TEXT))
    assert record.format == "2021" and len(record.stats) >= 150, "the benchmark needs a full 2021 report"
    return record


def full_record(i: int, variant: int = 0) -> Record:
    """Report ``i``: the template with its own numbers, title and check outcomes.

    ``variant`` changes every number (a revised report). Ints stay ints and
    floats stay floats, as the parser would make them.
    """
    t = template()
    stats: dict[str, float | int] = {
        k: (v + (i + n + variant) % 113) if isinstance(v, int) else v + variant + (i % 7) / 4
        for n, (k, v) in enumerate(t.stats.items())
    }
    agency = f"淮安市{i}区"
    return Record(
        title=f"{agency}2024年政府信息公开工作年度报告",
        year=t.year,
        agency=agency,
        format=t.format,
        published_at=t.published_at,
        period_start=t.period_start,
        period_end=t.period_end,
        contact=replace(t.contact),
        sections=[Section(s.number, s.heading, s.text) for s in t.sections],
        stats=stats,
        checks=[Check(c.rule, (i + n) % 17 != 0, c.detail) for n, c in enumerate(t.checks)],
        warnings=list(t.warnings),
    )


def items(n: int, variant: int = 0) -> list[Any]:
    from storage import ReportItem

    t0 = datetime(2025, 2, 1, tzinfo=UTC)
    return [
        ReportItem(
            source_key=f"bench{i % 4}",
            url=f"http://127.0.0.1:8000/zfxxgknb/{i:06d}.htm",
            record=full_record(i, variant),
            text=TEXT,
            document_sha256=f"{i + variant:064x}",
            fetched_at=t0 + timedelta(seconds=i),
        )
        for i in range(n)
    ]


@contextmanager
def _sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="govreports-bench-") as d:
        yield f"sqlite:///{d}/bench.db"


@contextmanager
def _postgres(base: str) -> Iterator[str]:
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, poolclass=sa.pool.NullPool)
    with admin.begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as c:
            c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _measure(engine_name: str, url: str, n: int) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from storage import Store

    store = Store(url)
    first, again, changed = items(n), items(n), items(n, variant=1)
    out: list[dict[str, Any]] = []

    t, cpu = time.perf_counter(), time.process_time()
    for k in range(0, n, BATCH):
        store.upsert_reports(first[k : k + BATCH])
    dt, dcpu = time.perf_counter() - t, time.process_time() - cpu
    out.append(
        _row(
            f"storage.{engine_name}.insert_full_reports",
            n / dt,
            "reports/s",
            f"{n} new reports ({_shape()}), batches of {BATCH}, wall clock",
        )
    )
    if engine_name == "sqlite":  # in-process: CPU time is the whole cost (writer and checkpoint thread)
        out.append(
            _row(
                "storage.sqlite.insert_full_reports_cpu",
                n / dcpu,
                "reports/s",
                "same run, per CPU-second of this process (the writer and its WAL checkpoint thread)",
            )
        )

    # Writes go partly through the driver cursor (bulk rows), which SQLAlchemy's
    # statement events do not see; every write happens inside a write transaction,
    # which they do see. SQLite's data_version, read from another connection,
    # also moves when anything at all was committed.
    write_txns: list[int] = []

    def _on_begin(conn: Any) -> None:
        if not conn.get_execution_options().get("govreports_read", False):
            write_txns.append(1)

    with store.engine.connect() as conn:
        before = conn.execute(sa.text("SELECT COUNT(*) FROM reports")).scalar_one()
    version = _DataVersion(url) if engine_name == "sqlite" else None
    sa.event.listen(store.engine, "begin", _on_begin)
    t = time.perf_counter()
    for k in range(0, n, BATCH):
        counts = store.upsert_reports(again[k : k + BATCH])
        assert counts.unchanged == len(again[k : k + BATCH]), counts
    dt = time.perf_counter() - t
    sa.event.remove(store.engine, "begin", _on_begin)
    committed = version.moved() if version is not None else False
    out.append(_row(f"storage.{engine_name}.reupsert_unchanged", n / dt, "reports/s", "hash compare only"))
    out.append(
        _row(
            f"storage.{engine_name}.reupsert_unchanged_cost",
            dt * 1000 / n,
            "ms/report",
            "incl. hashing the record",
        )
    )
    out.append(
        _row(
            f"storage.{engine_name}.reupsert_unchanged_write_transactions",
            float(len(write_txns) + committed),
            "transactions",
            f"write transactions opened re-upserting {n} unchanged reports (reports rows: {before})"
            + ("; SQLite data_version unchanged" if version is not None and not committed else ""),
        )
    )

    t = time.perf_counter()
    for k in range(0, n, BATCH):
        counts = store.upsert_reports(changed[k : k + BATCH])
    dt = time.perf_counter() - t
    out.append(
        _row(
            f"storage.{engine_name}.upsert_changed_reports",
            n / dt,
            "reports/s",
            "previous version kept, children replaced",
        )
    )
    store.close()
    return out


class _DataVersion:
    """SQLite's ``PRAGMA data_version`` on a connection of our own: it changes when another connection commits."""

    def __init__(self, url: str) -> None:
        import sqlite3

        from storage.engine import sqlite_path

        path = sqlite_path(url)
        assert path is not None
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.start = self._read()

    def _read(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def moved(self) -> bool:
        moved = self._read() != self.start
        self.conn.close()
        return moved


def _shape() -> str:
    t = template()
    kb = (len(TEXT.encode()) + sum(len(s.text.encode()) for s in t.sections)) / 1024
    return f"{len(t.stats)} stats, {len(t.sections)} sections, {len(t.checks)} checks, {kb:.0f} KB text"


def _row(name: str, value: float, unit: str, note: str) -> dict[str, Any]:
    return {"name": name, "value": round(value, 3), "unit": unit, "note": note}


def on_both_engines(measure: Any, n: int, skipped_row: str, unit: str) -> list[dict[str, Any]]:
    """``measure(engine, url, n)`` on a fresh SQLite file and, when ``GOVREPORTS_TEST_PG_URL``
    names a server, on a fresh PostgreSQL database; else one NaN row saying why."""
    rows: list[dict[str, Any]] = []
    with _sqlite() as url:
        rows += measure("sqlite", url, n)
    pg = os.environ.get("GOVREPORTS_TEST_PG_URL")
    if pg:
        with _postgres(pg) as url:
            rows += measure("postgres", url, n)
    else:
        rows.append(_row(skipped_row, float("nan"), unit, "skipped: GOVREPORTS_TEST_PG_URL unset"))
    return rows


def run(quick: bool = False) -> list[dict[str, Any]]:
    return on_both_engines(_measure, 400 if quick else 2000, "storage.postgres.insert_full_reports", "reports/s")


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(f"{r['name']:<60} {r['value']:>12} {r['unit']:<12} {r['note']}")
