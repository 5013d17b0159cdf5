"""PostgreSQL restarted in the middle of a crawl: the run ends (completed after reconnecting,
or failed with a reason), never hangs, and a rerun converges to the full result.

Runs where PostgreSQL is configured for the tests (``GOVREPORTS_TEST_PG_URL``), but on a
private server that ``scripts/pg-test-server`` starts on a free port with its own data
directory, so restarting it cannot cut other tests' connections. The server is restarted
(``-w``: back up before the call returns), checked to answer, and stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from reliability_helpers import (
    ROOT,
    driver_cmd,
    driver_env,
    expected_reports,
    rows,
    run_driver,
    stored_stats,
    write_catalog,
)

from portalsim import Simulator

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(150), pytest.mark.xdist_group(name="reliability-pg-restart")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def private_pg(pg_url: str) -> Iterator[tuple[str, list[str]]]:
    """A PostgreSQL server of this test's own (own port, own data directory).

    Restarting the shared test server would cut the connections of tests running on the
    other xdist worker; a private server makes the restart hurt nobody else. It needs the
    same binaries as the shared server (``pg_url`` is configured, so they are installed).
    """
    del pg_url
    # Not under pytest's tmp dir: that is private to root, and the server runs as `postgres`.
    parent = tempfile.mkdtemp(prefix="govreports-pg-restart-")
    os.chmod(parent, 0o755)
    ctl = ["env", f"PGPORT_TEST={_free_port()}", f"PGDATA_TEST={parent}/data",
           "bash", str(ROOT / "scripts" / "pg-test-server")]
    started = subprocess.run([*ctl, "start"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        pytest.fail(f"could not start a private PostgreSQL: {started.stderr}")
    url = started.stdout.strip().splitlines()[-1]
    try:
        yield url, ctl
    finally:
        subprocess.run([*ctl, "stop"], cwd=ROOT, capture_output=True, timeout=60)
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_ctl(private_pg: tuple[str, list[str]]) -> list[str]:
    return private_pg[1]


@pytest.fixture(scope="module")
def own_db(private_pg: tuple[str, list[str]]) -> Iterator[str]:
    """A fresh database on the private server, dropped afterwards."""
    server_url = private_pg[0]
    name = f"rel_restart_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        _wait_up(server_url)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _wait_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            rows(url, "SELECT 1")
            return
        except sa.exc.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _count(url: str) -> int:
    try:
        return int(rows(url, "SELECT COUNT(*) FROM reports")[0][0])
    except sa.exc.SQLAlchemyError:
        return 0


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory, pg_ctl: list[str], own_db: str) -> dict[str, Any]:
    """Crawl into ``own_db`` (one transaction per report), restart the server once two reports
    are committed, let that run end, then run the crawl again."""
    tmp_path = tmp_path_factory.mktemp("pg-restart")
    sim = Simulator(sites=2, reports_per_site=10, seed=51, families=["trs", "jsonapi"], page_size=5,
                    faults={"site0": "slow:0.1", "site1": "slow:0.1"})
    with sim.running_in_thread(port=0) as port:
        catalog = write_catalog(sim, port, tmp_path / "sources.yaml")
        truth = expected_reports(sim.ground_truth(port))
        proc = subprocess.Popen(driver_cmd(catalog, own_db, tmp_path / "raw", batch_size=1), cwd=ROOT,
                                env=driver_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 60
            while proc.poll() is None and _count(own_db) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            at_restart = _count(own_db)
            subprocess.run([*pg_ctl, "restart"], cwd=ROOT, check=True, timeout=60)
            _wait_up(own_db)
            out = proc.communicate(timeout=90)[0]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert 0 < at_restart < len(truth), (at_restart, out)  # the restart hit a crawl in progress
        again = run_driver(catalog, own_db, tmp_path / "raw")
    return {"db": own_db, "truth": truth, "first": (proc.returncode, out), "again": again}


def test_rerun_after_restart_converges_to_the_full_result(restarted: dict[str, Any]) -> None:
    db, truth, again = restarted["db"], restarted["truth"], restarted["again"]
    assert again.returncode == 0, again.stdout + again.stderr
    stats = stored_stats(db)
    assert set(stats) == set(truth)
    assert all(stats[u] == t.stats for u, t in truth.items())
    assert rows(db, "SELECT url FROM reports GROUP BY source_key, url HAVING COUNT(*) > 1") == []


def test_interrupted_run_completes_or_fails_cleanly(restarted: dict[str, Any]) -> None:
    code, out = restarted["first"]
    assert code in (0, 1) and "Traceback" not in out, out
    if code == 1:  # failed sources say why
        assert "failed" in out and "error=" in out, out
