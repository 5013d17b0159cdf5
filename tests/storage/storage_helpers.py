"""Test data and database dumps for the storage tests (records made with ``Record(...)`` directly)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from parsers.record import Check, Contact, Record, Section
from storage import ReportItem

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def make_record(
    n_stats: int = 30, *, year: int = 2020, seed: int = 0, agency: str = "重庆市大渡口区"
) -> Record:
    """A 2019-format record with ``n_stats`` stats (ints and floats), sections, checks, warnings."""
    stats: dict[str, float | int] = {
        "requests.received": 100 + seed,
        "requests.granted": 60,
        "spending_wan": 12.5,
    }
    cols = (
        "natural_person",
        "commercial",
        "research",
        "social_welfare",
        "legal_services",
        "other_org",
        "total",
    )
    rows = ("new_received", "carried_over", "granted", "partially_granted", "total", "carried_forward")
    i = 0
    while len(stats) < n_stats:
        row, col = rows[i % len(rows)], cols[(i // len(rows)) % len(cols)]
        stats[f"requests.table.{row}.{col}.{i}"] = (i * 7 + seed) % 97
        i += 1
    return Record(
        title=f"{agency}{year}年政府信息公开工作年度报告",
        year=year,
        agency=agency,
        format="2019",
        published_at=f"{year + 1}-01-20",
        period_start=f"{year}-01-01",
        period_end=f"{year}-12-31",
        contact=Contact(address="重庆市大渡口区文体路", postcode="400084", phone="023-68832541"),
        sections=[
            Section("一", "总体情况", "主动公开政府信息7656条。"),
            Section("二", "主动公开政府信息情况", "见下表。"),
        ],
        stats=stats,
        checks=[
            Check("balance.total", True, "10 + 1 = 11"),
            Check("row_total.granted", seed % 2 == 0, "10 + 1 ≠ 10"),
        ],
        warnings=["表格三第2行无法识别"] if seed % 3 == 0 else [],
    )


def make_item(
    i: int, *, source: str = "dadukou", seed: int = 0, fetched_at: datetime = T0, **kw: Any
) -> ReportItem:
    rec = make_record(seed=seed + i, year=2015 + i % 8)
    return ReportItem(
        source_key=source,
        url=f"http://127.0.0.1:8000/zwgk/zfxxgknb/{i:05d}.htm",
        record=rec,
        text=f"报告全文 {i} {seed}",
        document_sha256=f"{(i * 31 + seed) % 2**64:064x}",
        fetched_at=fetched_at + timedelta(seconds=i),
        **kw,
    )


def dump_tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sorted), to compare whole databases."""
    from storage.models import metadata

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, table in metadata.tables.items():
            out[name] = sorted((tuple(r) for r in conn.execute(sa.select(table))), key=repr)
    engine.dispose()
    return out


# ---- the panel: agencies across years (test_panel, test_cli_panel)

T_PANEL = datetime(2025, 3, 1, tzinfo=UTC)
COLS = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total")


def table(carried_over: int, carried_forward: int) -> dict[str, float | int]:
    """The application table's two rows the cross-year rule reads, in every column."""
    stats: dict[str, float | int] = {}
    for n, col in enumerate(COLS):
        stats[f"requests.table.carried_over.{col}"] = carried_over + n
        stats[f"requests.table.carried_forward.{col}"] = carried_forward + n
    stats["requests.received"] = 100 + carried_over
    return stats


def panel_item(
    agency: str | None,
    year: int,
    stats: dict[str, float | int],
    *,
    fmt: str = "2019",
    source: str = "src",
    url: str | None = None,
    at: int = 0,
) -> ReportItem:
    record = Record(
        title=f"{agency or ''}{year}年政府信息公开工作年度报告",
        year=year,
        agency=agency,
        format=fmt,
        stats=stats,
    )
    return ReportItem(
        source_key=source,
        url=url or f"http://127.0.0.1:8000/{source}/{year}.htm",
        record=record,
        text=record.title,
        document_sha256=None,
        fetched_at=T_PANEL + timedelta(minutes=at),
    )
