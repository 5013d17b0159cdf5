"""Scale-out: a Prefect server on PostgreSQL, a ``process`` work pool, two workers, the data
database on PostgreSQL. One flow run per source is queued; the two workers split them, every
source is crawled exactly once (one COMPLETED crawl run, each report page requested once),
the stored reports are the simulator's, and each host's politeness budget was a lease in the
shared data database. Runs only with a PostgreSQL server (bounded time).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parents[2]
POOL = "govreports-scale-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the Prefect server exited"
        try:
            if httpx.get(f"{url}/health", timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"Prefect server at {url} not healthy after {timeout} s")


@contextlib.contextmanager
def _fresh_database(pg_url: str, prefix: str) -> Iterator[str]:
    """A database of this test's own on the test server, dropped afterwards.

    Both the Prefect server's database and the data database are fresh: a Prefect
    database kept from an earlier run would hold that run's flow runs, and the test
    counts flow runs.
    """
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield pg_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def data_db(pg_url: str) -> Iterator[str]:
    with _fresh_database(pg_url, "govreports_scale") as url:
        yield url


@pytest.fixture
def prefect_db(pg_url: str) -> Iterator[str]:
    with _fresh_database(pg_url, "prefect_scale") as url:
        yield url.replace("+psycopg", "+asyncpg")


def test_two_workers_split_a_crawl_without_duplicate_work(data_db: str, prefect_db: str, tmp_path: Path) -> None:
    from portalsim import Simulator

    sim = Simulator(sites=4, reports_per_site=6, seed=3, families=["trs", "jsonapi", "trs", "hanweb"])
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_db,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        # the workers' logs are read after they are stopped: nothing may sit in a buffer
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PREFECT_API_URL", None)
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []

    def start(args: list[str], name: str, extra: dict[str, str]) -> subprocess.Popen[bytes]:
        log = tmp_path / f"{name}.log"
        logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", *args], cwd=ROOT, env={**env, **extra},
            stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        procs.append(proc)
        return proc

    with sim.running_in_thread(port=0) as sim_port:
        catalog = tmp_path / "sources.yaml"
        catalog.write_text(sim.catalog_yaml(sim_port), encoding="utf-8")
        client_env = {
            "PREFECT_API_URL": api,
            "GOVREPORTS_DB": data_db,
            "GOVREPORTS_SOURCES": str(catalog),
            "GOVREPORTS_ARCHIVE": str(tmp_path / "raw"),
        }
        try:
            server = start(["server", "start", "--host", "127.0.0.1", "--port", str(port)], "server", {})
            _wait_healthy(api, server, 180)
            run_env = {**env, **client_env}
            subprocess.run([sys.executable, "-m", "prefect", "work-pool", "create", POOL, "--type", "process",
                            "--overwrite"], cwd=ROOT, env=run_env, check=True, capture_output=True, timeout=120)
            deploy = (
                "from flows.crawl import crawl_source\n"
                f"fl = crawl_source.from_source(source={str(ROOT)!r}, entrypoint='flows/crawl.py:crawl_source')\n"
                f"print(fl.to_deployment(name='scale', work_pool_name={POOL!r}).apply())\n"
            )
            done = subprocess.run([sys.executable, "-c", deploy], cwd=ROOT, env=run_env, capture_output=True,
                                  text=True, timeout=120)
            assert done.returncode == 0, done.stderr[-3000:]
            for w in ("w1", "w2"):
                start(["worker", "start", "--pool", POOL, "--name", w, "--limit", "2"], w, client_env)
            keys = [s["key"] for s in sim.catalog(sim_port)["sources"]]
            runs = {}
            for key in keys:
                out = subprocess.run(
                    [sys.executable, "-m", "prefect", "deployment", "run", "crawl-source/scale",
                     "-p", f"source_key={key}"],  # politeness on: the host budgets live in the data db
                    cwd=ROOT, env=run_env, check=True, capture_output=True, text=True, timeout=120,
                )
                runs[key] = out.stdout
            # wait until every flow run is final
            deadline = time.monotonic() + 240
            states: list[Any] = []
            while time.monotonic() < deadline:
                resp = httpx.post(f"{api}/flow_runs/filter", json={"limit": 50, "offset": 0, "sort": "ID_DESC",
                                  "flows": {"name": {"any_": ["crawl-source"]}}}, timeout=10, trust_env=False)
                states = resp.json()
                if len(states) >= len(keys) and all(s["state_type"] in ("COMPLETED", "FAILED", "CRASHED")
                                                    for s in states):
                    break
                time.sleep(2)
            assert len(states) == len(keys), states
            assert all(s["state_type"] == "COMPLETED" for s in states), [(s["name"], s["state_name"]) for s in states]
        finally:
            for p in procs:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, 15)
            for p in procs:
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, 9)

        # both workers took runs: a worker labels each run it submits (prefect.worker.name),
        # read from the API, not from logs a stopped worker may not have written out
        taken: dict[str, int] = {}
        for st in states:
            name = (st.get("labels") or {}).get("prefect.worker.name")
            taken[name] = taken.get(name, 0) + 1
        assert sum(taken.values()) == len(keys) and set(taken) == {"w1", "w2"}, taken

        # no duplicate work: one crawl run per source, each report page requested once
        import sqlalchemy as sa

        engine = sa.create_engine(data_db, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            crawl_runs = list(conn.execute(sa.text("SELECT source_key, state, flow_run_id FROM crawl_runs")))
            leases = dict(conn.execute(sa.text("SELECT host, until FROM host_leases")).all())
            stored = {u for (u,) in conn.execute(sa.text("SELECT url FROM reports"))}
        engine.dispose()
        assert sorted(r.source_key for r in crawl_runs) == sorted(keys)
        assert {r.flow_run_id for r in crawl_runs} == {str(s["id"]) for s in states}
        # each host's budget was a lease in the shared database, taken and given back
        hosts = {s.ip for s in sim.sites()}
        assert set(leases) == hosts and set(leases.values()) == {0.0}, leases
        truth = sim.ground_truth(sim_port)
        want = {t.page_url for t in truth if t.is_report and t.fault is None}
        assert stored == want
        pages = [e["path"] for e in sim.log if e["path"] in {u.split(str(sim_port), 1)[1] for u in want}]
        assert len(pages) == len(set(pages)), "a report page was fetched twice"
