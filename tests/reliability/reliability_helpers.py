"""Helpers for the end-to-end reliability tests: run the real pipeline against portalsim
into a real database, and read the database back in a form that can be compared.

The crawl is ``flows.pipeline.run_sources`` — the code every flow wraps — called without
Prefect, so a test pays for HTTP, parsing and SQL but not for a Prefect server start-up.
Politeness is off (the simulator is ours) and parsing runs inline (one worker) so a
SIGKILL of a crawl process leaves no orphaned pool workers behind.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from portalsim import Simulator
from portalsim.truth import TruthReport

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("crawl_driver.py")

#: columns that legitimately differ between two crawls of the same web (clocks, run ids,
#: surrogate keys, per-request timings); everything else must match exactly
VOLATILE = {
    "id", "fetched_at", "parsed_at", "first_seen", "last_changed", "last_fetched", "replaced_at",
    "updated_at", "started_at", "finished_at", "run_id", "at", "duration_ms", "archive_path",
}
#: plus, for a crawl that ran more than once: a document's last HTTP status (200 the first
#: time, 304 when a resumed crawl revalidates it; its hash, ETag and Last-Modified must match)
RECRAWLED = VOLATILE | {"http_status"}
#: tables whose rows are history of *how* a crawl went (retries, restarts), not its result
HISTORY = {"crawl_runs", "fetch_log"}


def write_catalog(sim: Simulator, port: int, path: Path) -> Path:
    """The simulator's own catalog as a sources file, as a user would save it."""
    path.write_text(yaml.safe_dump(sim.catalog(port), allow_unicode=True), encoding="utf-8")
    return path


def crawl(catalog: Path, db: str, archive: Path, *, batch_size: int = 8, keys: list[str] | None = None,
          max_bytes: int = 4_000_000) -> list[Any]:
    """One crawl of every (or the chosen) source in this process; returns the SourceResults.

    ``max_bytes`` is small so that the simulator's bombs and oversized bodies hit the cap
    after a few MB instead of 50."""
    from flows.pipeline import CrawlResources, run_sources
    from govreports.settings import get_settings
    from scrapers.catalog import load_catalog

    settings = get_settings(db=db, archive=str(archive), sources=str(catalog), max_bytes=max_bytes)
    sources = load_catalog(catalog).select(keys, None)
    with CrawlResources(settings, politeness=False, batch_size=batch_size, workers=1) as res:
        return asyncio.run(run_sources(sources, res))


def driver_cmd(catalog: Path, db: str, archive: Path, *, batch_size: int = 4) -> list[str]:
    """The command line of ``crawl_driver.py``: the same crawl, in its own process."""
    return [sys.executable, str(DRIVER), str(catalog), db, str(archive), str(batch_size)]


def run_driver(catalog: Path, db: str, archive: Path, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(driver_cmd(catalog, db, archive), cwd=ROOT, env=driver_env(), capture_output=True,
                          text=True, timeout=timeout, check=False)


def driver_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def expected_reports(truth: list[TruthReport], site: str | None = None) -> dict[str, TruthReport]:
    """Report page URL → truth, for every report the site serves (traps excluded)."""
    return {t.page_url: t for t in truth if t.is_report and t.fault is None and (site is None or t.site == site)}


def rows(db: str, sql: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(db, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))
    finally:
        engine.dispose()


def stored_stats(db: str) -> dict[str, dict[str, float]]:
    """Report URL → its statistics as stored."""
    out: dict[str, dict[str, float]] = {}
    for url, key, value in rows(db, "SELECT r.url, s.key, s.value FROM reports r JOIN report_stats s ON s.report_id = r.id"):
        out.setdefault(url, {})[key] = value
    return out


def normalised_dump(db: str, *, skip: set[str] = HISTORY, volatile: set[str] = VOLATILE) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, without volatile columns; report ids replaced by report URLs
    and agency ids by agency keys (ids depend on insertion order, which a crash and a resume
    may change)."""
    from storage.models import metadata

    engine = sa.create_engine(db, poolclass=sa.pool.NullPool)
    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with engine.connect() as conn:
            url_of = dict(conn.execute(sa.text("SELECT id, url FROM reports")).all())
            key_of = dict(conn.execute(sa.text("SELECT id, key FROM agencies")).all())
            for name, table in metadata.tables.items():
                if name in skip:
                    continue
                cols = [c for c in table.columns if c.name not in volatile]
                dumped = []
                for r in conn.execute(sa.select(*cols)):
                    d = dict(r._mapping)
                    for col in ("report_id", "prev_report_id"):
                        if col in d:
                            d[col] = url_of.get(d[col], f"dangling:{d[col]}")
                    if d.get("agency_id") is not None:
                        d["agency_id"] = key_of.get(d["agency_id"], f"dangling:{d['agency_id']}")
                    dumped.append(tuple(sorted(d.items())))
                out[name] = sorted(dumped, key=repr)
    finally:
        engine.dispose()
    return out
