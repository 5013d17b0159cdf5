"""Panel benchmark: agencies, the panel and the cross-year checks at 100,000 reports.

A panel of 10 years (2015–2024) per agency: legacy reports (20 headline stats)
up to 2018, then the 2019 format (the full 2021 template's stats plus the
2019 第二十条 prior/change items) for 2019–2020 and the 2021 format after. Each
agency's name alternates between ``淮安N市洪泽N区人民政府`` and ``洪泽N区人民政府``
(one identity), about 3% of agency-years are missing (gaps), 1% are published
twice (a mirror source), and 5% of carried-over cells do not match the year
before (cross-year failures), and 2% of 第二十条 prior counts in 2020. Text is short: the panel never reads it.

Rows, per engine (SQLite file; PostgreSQL when ``GOVREPORTS_TEST_PG_URL`` is set):
storing the reports (reports/s, agency identity and the incremental cross-year
recompute included), what that recompute costs per batch, a full rebuild of
every check, and the read side: the panel for one key, wide for three keys,
one agency, the failures, the gaps and the agency list.

Run alone: ``uv run python -m bench panel [--quick]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.storage import _row, on_both_engines, template

YEARS = range(2015, 2025)
BATCH = 200
_COLS = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total")
_ART20 = ("licensing", "other_services", "penalty", "enforcement", "fees")
_LEGACY_KEYS = 20


def _stats(agency: int, year: int) -> tuple[str, dict[str, float | int]]:
    """(format, stats) of one agency-year; carried-over follows the previous year's carried-forward
    except in 5% of the agency-years."""
    t = template()
    if year < 2019:
        keys = list(t.stats)[:_LEGACY_KEYS]
        return "legacy", {k: (agency + year + n) % 500 for n, k in enumerate(keys)}
    fmt = "2019" if year < 2021 else "2021"
    stats: dict[str, float | int] = {k: v for k, v in t.stats.items() if isinstance(v, int | float)}
    for n, col in enumerate(_COLS):
        stats[f"requests.table.carried_forward.{col}"] = (agency * 3 + year + n) % 40
        prev = (agency * 3 + year - 1 + n) % 40
        off = 1 if (agency * 31 + year) % 20 == 0 else 0
        stats[f"requests.table.carried_over.{col}"] = prev + off
    if fmt == "2019":
        for n, item in enumerate(_ART20):
            off = 1 if (agency * 17 + year + n) % 50 == 0 else 0
            stats[f"art20.{item}.prior"] = 100 + agency % 50 + n + (year - 2019) * 2 + off
            stats[f"art20.{item}.change"] = 2
    return fmt, stats


def reports(n: int) -> Iterator[Any]:
    """``n`` ReportItems, agency by agency, generated lazily (100k full records do not fit in memory)."""
    from parsers.record import Record
    from storage import ReportItem

    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    made, agency = 0, 0
    while True:
        for year in YEARS:
            if (agency * 7 + year) % 31 == 0:  # a gap
                continue
            copies = 2 if (agency * 13 + year) % 100 == 0 else 1
            for copy in range(copies):
                if made == n:
                    return
                name = f"淮安{agency}市洪泽{agency}区人民政府" if year % 2 else f"洪泽{agency}区人民政府"
                fmt, stats = _stats(agency, year)
                record = Record(title=f"{name}{year}年政府信息公开工作年度报告", year=year, agency=name,
                                format=fmt, stats=stats)
                yield ReportItem(
                    source_key="mirror" if copy else f"bench{agency % 8}",
                    url=f"http://127.0.0.1:8000/{agency}/{year}.htm",
                    record=record,
                    text=record.title,
                    document_sha256=None,
                    fetched_at=t0 + timedelta(seconds=made),
                )
                made += 1
        agency += 1


def _timed(fn: Any) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _measure(engine_name: str, url: str, n: int) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from storage import Store
    from storage import panel as p

    store = Store(url)
    out: list[dict[str, Any]] = []
    e = f"panel.{engine_name}"
    batch: list[Any] = []
    t = time.perf_counter()
    for item in reports(n):
        batch.append(item)
        if len(batch) == BATCH:
            store.upsert_reports(batch)
            batch = []
    if batch:
        store.upsert_reports(batch)
    dt = time.perf_counter() - t
    out.append(_row(f"{e}.store_reports", n / dt, "reports/s",
                    f"{n} reports in batches of {BATCH}, agency identity and cross-year recompute included"))

    if engine_name == "postgres":  # what autovacuum does soon after a bulk load; the reads need its statistics
        with store.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    with store.engine.connect() as conn:
        agencies = conn.execute(sa.text("SELECT COUNT(*) FROM agencies")).scalar_one()
        stats_rows = conn.execute(sa.text("SELECT COUNT(*) FROM report_stats")).scalar_one()
        # the pairs a batch of reports touches: 200 reports from the middle of the panel
        sample = [
            pair
            for aid, year in conn.execute(
                sa.text("SELECT agency_id, year FROM reports ORDER BY id LIMIT :k OFFSET :o"), {"k": BATCH, "o": n // 2}
            )
            for pair in p.touched_pairs(aid, year)
        ]
    shape = f"{n} reports, {agencies} agencies, {stats_rows} stats rows"

    # the incremental recompute a batch of 200 stored reports costs
    rounds = 5
    t = time.perf_counter()
    for _ in range(rounds):
        with store.engine.begin() as conn:
            p.recompute_cross_year(conn, sample)
    per_batch = (time.perf_counter() - t) / rounds
    out.append(_row(f"{e}.recompute_checks_per_batch", per_batch * 1000, "ms/batch",
                    f"cross-year checks around {BATCH} reports ({len(sample)} agency-year pairs) rebuilt; store_reports "
                    f"spends {1000 * BATCH / (n / dt):.0f} ms per batch in all"))

    def rebuild() -> None:
        with store.engine.begin() as conn:
            p.recompute_cross_year(conn)

    _, s = _timed(rebuild)
    fails = len(p.cross_year_failures(store.engine))
    out.append(_row(f"{e}.rebuild_all_checks", s, "s", f"every cross-year check, {shape}: {fails} failures"))
    out.append(_row(f"{e}.rebuild_all_checks_per_report", s * 1e6 / n, "µs/report", ""))
    rows, s = _timed(lambda: p.panel_rows(store.engine, keys=["requests.table.carried_over.total"]))
    out.append(_row(f"{e}.panel_one_key", s, "s", f"{len(rows)} rows (long form), {shape}"))
    keys = ["requests.received", "requests.table.carried_over.total", "requests.table.carried_forward.total"]
    rows, s = _timed(lambda: p.panel_rows(store.engine, keys=keys))
    out.append(_row(f"{e}.panel_three_keys", s, "s", f"{len(rows)} rows (the --wide input)"))
    rows, s = _timed(lambda: p.panel_rows(store.engine, agency="洪泽77区"))
    out.append(_row(f"{e}.panel_one_agency_all_keys", s * 1000, "ms", f"{len(rows)} rows, --agency substring"))
    fl, s = _timed(lambda: p.cross_year_failures(store.engine))
    out.append(_row(f"{e}.list_failures", s, "s", f"{len(fl)} failures with agency names"))
    gaps, s = _timed(lambda: p.gaps(store.engine))
    out.append(_row(f"{e}.gaps", s, "s", f"{sum(map(len, gaps.values()))} missing years of {len(gaps)} agencies"))
    ags, s = _timed(lambda: p.agencies(store.engine))
    out.append(_row(f"{e}.agencies", s, "s", f"{len(ags)} agencies with names and years"))
    store.close()
    return out


def run(quick: bool = False) -> list[dict[str, Any]]:
    return on_both_engines(_measure, 5_000 if quick else 100_000, "panel.postgres.store_reports", "reports/s")


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(f"{r['name']:<50} {r['value']:>12} {r['unit']:<10} {r['note']}")
