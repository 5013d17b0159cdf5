"""Storage benchmark: full report upserts per second, and what an unchanged re-upsert costs.

A "full report" is what a 2021-format report parses to: ~200 stats, seven
sections, ~40 checks, a contact block, a few KB of text. Reports are built with
``parsers.record.Record`` directly, with the corpus text of a real report as the
extracted text. Measured on a fresh SQLite file (tmp dir) and, when
``GOVREPORTS_TEST_PG_URL`` is set, in a fresh PostgreSQL schema (dropped after).

Rows: reports/s for first inserts, reports/s and ms/report for an unchanged
re-upsert, the number of rows it changed (must be 0), and reports/s for a
re-upsert where every report changed (versions kept, children replaced).

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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from parsers.record import Check, Contact, Record, Section

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "corpus" / "text" / "jiangsu_huaian_2024.pdf.txt").read_text(encoding="utf-8")
BATCH = 200
COLS = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total")
ROWS = (
    "new_received",
    "carried_over",
    "granted",
    "partially_granted",
    "denied.state_secret",
    "denied.prohibited_by_law",
    "denied.three_safeties",
    "denied.third_party",
    "denied.internal_affairs",
    "denied.process_info",
    "denied.enforcement_files",
    "denied.admin_inquiry",
    "unable.not_held",
    "unable.needs_creation",
    "unable.unclear",
    "not_processed.petition",
    "not_processed.repeated",
    "not_processed.publication",
    "not_processed.excessive",
    "not_processed.confirmation",
    "other.overdue_correction",
    "other.overdue_fee",
    "other.other",
    "total",
    "carried_forward",
)


def full_record(i: int, variant: int = 0) -> Record:
    """A 2021-format record shaped like a real one: 175 table cells + headline and art20 keys."""
    stats: dict[str, float | int] = {}
    for r, row in enumerate(ROWS):
        for c, col in enumerate(COLS):
            stats[f"requests.table.{row}.{col}"] = (i + r * 7 + c + variant) % 113
    for k in ("upheld", "corrected", "other", "pending", "total"):
        stats[f"review.{k}"] = (i + len(k)) % 5
        stats[f"litigation.direct.{k}"] = i % 3
        stats[f"litigation.after_review.{k}"] = i % 2
    for k in ("issued", "repealed", "in_force"):
        stats[f"art20.rules.{k}"] = i % 11
        stats[f"art20.normative.{k}"] = i % 13
    stats.update({"proactive.total": 7000 + i, "requests.received": 300 + i, "fees.total_yuan": 0})
    stats["art20.fees.amount_wan"] = 12.5 + variant
    checks = [Check(f"balance.{c}", True, "a + b = c + d") for c in COLS]
    checks += [Check(f"row_total.{r}", (i + n) % 17 != 0, "sum of six columns") for n, r in enumerate(ROWS)]
    return Record(
        title=f"淮安市{i}区2024年政府信息公开工作年度报告",
        year=2024,
        agency=f"淮安市{i}区",
        format="2021",
        published_at="2025-01-20",
        period_start="2024-01-01",
        period_end="2024-12-31",
        contact=Contact(address="淮安市健康东路", postcode="223001", phone="0517-83605000"),
        sections=[Section(n, h, TEXT[k * 300 : k * 300 + 300]) for k, (n, h) in enumerate(_SECTIONS)],
        stats=stats,
        checks=checks,
        warnings=[],
    )


_SECTIONS = [
    ("一", "总体情况"),
    ("二", "主动公开政府信息情况"),
    ("三", "收到和处理政府信息公开申请情况"),
    ("四", "政府信息公开行政复议、行政诉讼情况"),
    ("五", "存在的主要问题及改进情况"),
    ("六", "其他需要报告的事项"),
]


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
            f"{n} new reports (~200 stats, 6 sections, 32 checks, 11 KB text), batches of {BATCH}, wall clock",
        )
    )
    if engine_name == "sqlite":  # in-process: CPU time is the whole cost, minus waiting for a shared CPU
        out.append(
            _row(
                "storage.sqlite.insert_full_reports_cpu",
                n / dcpu,
                "reports/s",
                "same run, per CPU-second of this process (what an unshared core would do)",
            )
        )

    writes: list[str] = []

    def _watch(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE"):
            writes.append(verb)

    with store.engine.connect() as conn:
        before = conn.execute(sa.text("SELECT COUNT(*) FROM reports")).scalar_one()
    sa.event.listen(store.engine, "before_cursor_execute", _watch)
    t = time.perf_counter()
    for k in range(0, n, BATCH):
        counts = store.upsert_reports(again[k : k + BATCH])
        assert counts.unchanged == len(again[k : k + BATCH]), counts
    dt = time.perf_counter() - t
    sa.event.remove(store.engine, "before_cursor_execute", _watch)
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
            f"storage.{engine_name}.reupsert_unchanged_write_statements",
            float(len(writes)),
            "statements",
            f"INSERT/UPDATE/DELETE statements issued re-upserting {n} unchanged reports (reports rows: {before})",
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


def _row(name: str, value: float, unit: str, note: str) -> dict[str, Any]:
    return {"name": name, "value": round(value, 3), "unit": unit, "note": note}


def run(quick: bool = False) -> list[dict[str, Any]]:
    n = 400 if quick else 2000
    rows: list[dict[str, Any]] = []
    with _sqlite() as url:
        rows += _measure("sqlite", url, n)
    pg = os.environ.get("GOVREPORTS_TEST_PG_URL")
    if pg:
        with _postgres(pg) as url:
            rows += _measure("postgres", url, n)
    else:
        rows.append(
            _row(
                "storage.postgres.insert_full_reports",
                float("nan"),
                "reports/s",
                "skipped: GOVREPORTS_TEST_PG_URL unset",
            )
        )
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(f"{r['name']:<60} {r['value']:>12} {r['unit']:<12} {r['note']}")
