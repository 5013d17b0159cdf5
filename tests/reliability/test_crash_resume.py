"""SIGKILL a crawl process at seeded random points, run it again: nothing lost, nothing doubled.

The reference is one uninterrupted crawl of the same simulated web into its own SQLite
file. Each seed kills a fresh crawl (``crawl_driver.py``, the plain pipeline in its own
process) at a random moment, then runs it again to completion; the two databases must then
hold the same rows in every result table (reports, stats, sections, checks, warnings,
versions, documents, sources), compared without clocks, run ids and surrogate keys.
``crawl_runs``/``fetch_log`` are history (the killed run is in them) and are checked apart.
"""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    RECRAWLED,
    ROOT,
    driver_cmd,
    driver_env,
    expected_reports,
    normalised_dump,
    rows,
    run_driver,
    write_catalog,
)

from portalsim import Simulator

pytestmark = [pytest.mark.timeout(150), pytest.mark.xdist_group(name="reliability-crash")]

SEEDS = [1, 2, 3, 4]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("crash")
    sim = Simulator(sites=2, reports_per_site=10, seed=21, families=["trs", "jsonapi"], page_size=5)
    with sim.running_in_thread(port=0) as port:
        catalog = write_catalog(sim, port, tmp / "sources.yaml")
        ref_db = f"sqlite:///{tmp / 'reference.db'}"
        t0 = time.monotonic()
        done = run_driver(catalog, ref_db, tmp / "raw-ref")
        elapsed = time.monotonic() - t0
        assert done.returncode == 0, done.stdout + done.stderr
        yield {"tmp": tmp, "catalog": catalog, "ref_db": ref_db, "elapsed": elapsed,
               "truth": sim.ground_truth(port)}


def test_reference_crawl_stored_every_report(web: dict[str, Any]) -> None:
    want = expected_reports(web["truth"])
    assert {u for (u,) in rows(web["ref_db"], "SELECT url FROM reports")} == set(want)


@pytest.mark.parametrize("seed", SEEDS)
def test_killed_then_rerun_equals_uninterrupted(web: dict[str, Any], seed: int) -> None:
    tmp: Path = web["tmp"] / f"seed{seed}"
    tmp.mkdir()
    db = f"sqlite:///{tmp / 'crawl.db'}"
    rng = random.Random(seed)
    total = len(expected_reports(web["truth"]))
    # seed 1 kills at a random moment of start-up (imports, schema migration, discovery);
    # the others once k reports are committed, k random, plus a random fraction of a batch
    target = 0 if seed == 1 else rng.randint(1, total - 1)
    proc = subprocess.Popen(driver_cmd(web["catalog"], db, tmp / "raw", batch_size=2), cwd=ROOT, env=driver_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if target == 0:
            time.sleep(rng.uniform(0.1, 1.5))
        else:
            deadline = time.monotonic() + 60
            while proc.poll() is None and _committed(tmp / "crawl.db") < target and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0, 0.1))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    before = _committed(tmp / "crawl.db")
    # the kill really interrupted a crawl (and, past start-up, one that had written k reports)
    assert proc.returncode == -signal.SIGKILL, "the crawl finished before the kill point"
    assert target <= before < len(expected_reports(web["truth"])), (target, before)

    again = run_driver(web["catalog"], db, tmp / "raw")
    assert again.returncode == 0, again.stdout + again.stderr
    assert normalised_dump(db, volatile=RECRAWLED) == normalised_dump(web["ref_db"], volatile=RECRAWLED), (seed, before)
    # the rerun closed one COMPLETED run per source (the killed run stays RUNNING: history)
    assert sorted(rows(db, "SELECT source_key FROM crawl_runs WHERE state = 'COMPLETED'")) == [("site0",), ("site1",)]
    # no duplicates, no report without its statistics
    assert rows(db, "SELECT url, COUNT(*) FROM reports GROUP BY source_key, url HAVING COUNT(*) > 1") == []
    assert rows(db, "SELECT r.url FROM reports r LEFT JOIN report_stats s ON s.report_id = r.id "
                    "WHERE s.report_id IS NULL") == []
    assert rows(db, "SELECT COUNT(*) FROM report_versions") == [(0,)]
    # a kill may leave a ``.tmp-*`` file behind, never an archive object with the wrong bytes
    for path in (tmp / "raw").rglob("*"):
        if path.is_file() and not path.name.startswith(".tmp-"):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, path


def _committed(path: Path) -> int:
    """Reports committed so far, read the way any other reader would (WAL: never blocks the writer)."""
    import sqlite3

    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0])
    except sqlite3.Error:  # not migrated yet
        return 0
