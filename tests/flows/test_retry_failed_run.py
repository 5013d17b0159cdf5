"""Runs of served deployments, as a user gets them: a real Prefect server on loopback, the
``crawl-source`` deployments served by ``govreports serve`` (each flow run in its own
process), the simulator and a SQLite data database.

* A ``crawl_source`` run that FAILED after fetching is retried with ``prefect flow-run
  retry`` and finishes the work: the stored reports are the simulator's, no row is
  duplicated, and what the failed run downloaded is not downloaded again.
* A ``govreports crawl`` run of several sources, one of which failed, is retried the way
  the UI's Retry button does it: only the failed source is crawled again, by ``serve``.
* Two runs for two sources on the SAME host, in two processes, share one request budget
  for that host (``scrapers.politeness.LeasedLimiter``: a lease per host in the database).
* The server is the one ``govreports`` starts (``python -m flows.prefect_server``): a burst
  of concurrent writes queues on SQLite's lock instead of answering 503.

Both tests share one server and one ``serve`` process (module fixture): starting them costs
~15-25 s here, the tests themselves ~10-30 s each.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
#: the polite sources' request rate to their shared host (requests per second)
RATE = 4.0
#: the source whose first run fails, and the two polite sources on one host
RETRY_SOURCE, POLITE_SOURCES = "site0", ("site1a", "site1b")
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """What the fixture started: the simulator, the API, the data db and the environment
    a user's shell would have (``PREFECT_API_URL``, ``GOVREPORTS_*``)."""

    sim: Any
    sim_port: int
    api: str
    db_file: Path
    env: dict[str, str]
    serve_log: Path
    serve_pid: int

    @property
    def db(self) -> str:
        return f"sqlite:///{self.db_file}"

    def prefect(self, *args: str, timeout: float = 60) -> str:
        """The ``prefect`` CLI against the test server; its stdout (fails the test on error)."""
        done = subprocess.run([sys.executable, "-m", "prefect", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    def run_deployment(self, source: str, **params: object) -> str:
        """``prefect deployment run crawl-source/source-<key> -p …``; the new flow run's id."""
        args = ["deployment", "run", f"crawl-source/source-{source}"]
        for k, v in params.items():
            args += ["-p", f"{k}={str(v).lower() if isinstance(v, bool) else v}"]
        out = self.prefect(*args)
        for line in out.splitlines():
            if "UUID:" in line:
                return line.split("UUID:", 1)[1].strip()
        raise AssertionError(f"no flow run id in:\n{out}")

    def create_runs(self, sources: Sequence[str]) -> list[str]:
        """One run of each source's deployment, created back to back through the API.

        The CLI takes seconds per call here, so runs made with it reach the runner's polls
        seconds apart; these reach the same poll and start together."""
        ids = []
        for source in sources:
            dep = httpx.get(f"{self.api}/deployments/name/crawl-source/source-{source}", timeout=10,
                            trust_env=False)
            dep.raise_for_status()
            run = httpx.post(f"{self.api}/deployments/{dep.json()['id']}/create_flow_run", json={}, timeout=10,
                             trust_env=False)
            run.raise_for_status()
            ids.append(str(run.json()["id"]))
        return ids

    def flow_run(self, run_id: str) -> dict[str, Any]:
        resp = httpx.get(f"{self.api}/flow_runs/{run_id}", timeout=10, trust_env=False)
        resp.raise_for_status()
        return dict(resp.json())

    def wait_final(self, run_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        fr = self.flow_run(run_id)
        while time.monotonic() < deadline:
            fr = self.flow_run(run_id)
            if fr["state_type"] in FINAL:
                return fr
            time.sleep(0.5)
        raise AssertionError(
            f"flow run {run_id} still {fr['state_type']} after {timeout} s; serve log:\n"
            + self.serve_log.read_text(errors="replace")[-3000:]
        )

    def rows(self, sql: str, *params: object) -> list[Any]:
        with contextlib.closing(sqlite3.connect(self.db_file, timeout=30)) as conn:
            return conn.execute(sql, params).fetchall()


def _catalog(sim: Any, port: int) -> dict[str, Any]:
    """site0 as the simulator lists it; site1 twice (two sources, one host) at a low rate."""
    sources = {s["key"]: s for s in sim.catalog(port)["sources"]}
    polite = []
    for key in POLITE_SOURCES:
        entry = {**sources["site1"], "key": key, "name": f"{sources['site1']['name']} ({key})"}
        entry["politeness"] = {"rate": RATE, "concurrency": 2}
        polite.append(entry)
    return {"sources": [sources[RETRY_SOURCE], *polite]}


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Interrupt (Ctrl-C: what ``serve`` and the server expect), newest first; kill what lingers."""
    for p in reversed(procs):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGINT)
        try:
            p.wait(8)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(5)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from portalsim import Simulator
    from storage import Store

    tmp = tmp_path_factory.mktemp("served")
    sim = Simulator(sites=2, reports_per_site=6, seed=26, families=["trs", "generic"])
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOVREPORTS_"))}
    base |= {"PREFECT_HOME": str(tmp / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    procs: list[subprocess.Popen[bytes]] = []

    def start(cmd: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        procs.append(proc)
        return proc

    with sim.running_in_thread(port=0) as sim_port:
        catalog = tmp / "sources.yaml"
        catalog.write_text(yaml.safe_dump(_catalog(sim, sim_port), allow_unicode=True), encoding="utf-8")
        # an empty deployments file: serve still serves every retry needs (on-demand, per source)
        no_schedules = tmp / "deployments.yaml"
        no_schedules.write_text("", encoding="utf-8")
        db_file = tmp / "govreports.db"
        Store(f"sqlite:///{db_file}").close()  # schema in place (the retry test adds a trigger to it)
        env = base | {
            "PREFECT_API_URL": api,
            "GOVREPORTS_DB": f"sqlite:///{db_file}",
            "GOVREPORTS_SOURCES": str(catalog),
            "GOVREPORTS_ARCHIVE": str(tmp / "raw"),
        }
        try:
            server = start([sys.executable, "-m", "flows.prefect_server", "--host", "127.0.0.1", "--port", str(port)],
                           tmp / "server.log", base)
            _wait_healthy(api, server, tmp / "server.log")
            serve_log = tmp / "serve.log"
            govreports = shutil.which("govreports", path=str(Path(sys.executable).parent)) or "govreports"
            serving = start([govreports, "serve", "--sources", str(catalog), "--deployments", str(no_schedules)], serve_log,
                  env | {"PREFECT_RUNNER_POLL_FREQUENCY": "1"})
            s = Served(sim, sim_port, api, db_file, env, serve_log, serving.pid)
            _wait_deployments(s, 6)  # 3 on-demand (crawl-all, rerun-failed, reparse) + 3 per source
            yield s
        finally:
            _stop(procs)


def _wait_healthy(api: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the Prefect server exited:\n{log.read_text(errors='replace')[-3000:]}"
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{api}/health", timeout=1, trust_env=False).status_code == 200:
                return
        time.sleep(0.3)
    raise TimeoutError(f"Prefect server at {api} not healthy after {timeout} s")


def _wait_deployments(s: Served, n: int, timeout: float = 90) -> None:
    """``serve`` registers its deployments, then polls; wait until they all exist."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        resp = httpx.post(f"{s.api}/deployments/filter", json={"limit": 50, "offset": 0}, timeout=10,
                          trust_env=False)
        if resp.status_code == 200 and len(resp.json()) >= n:
            time.sleep(1.5)  # the runner starts polling right after registering
            return
        time.sleep(0.5)
    raise AssertionError("govreports serve did not register its deployments:\n"
                         + s.serve_log.read_text(errors="replace")[-3000:])


def _requests(sim: Any, since: float, until: float = float("inf"), host: str | None = None) -> list[dict[str, Any]]:
    return [e for e in list(sim.log) if since <= e["time"] < until and (host is None or e["host"] == host)]


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


# ----------------------------------------------------------------------------- retry


def test_a_failed_run_retried_with_the_cli_finishes_without_refetching(served: Served) -> None:
    s = served
    sim, port = s.sim, s.sim_port
    truth = {t.page_url: t for t in sim.ground_truth(port)
             if t.site == RETRY_SOURCE and t.is_report and t.fault is None}
    assert len(truth) >= 4, "the simulated site needs a few reports for batches of 2"
    host = next(iter(truth)).split("//", 1)[1].split(":", 1)[0]

    # The fault: the database refuses a third report row (as a full disk or a failing
    # constraint would), so batch 1 of 2 reports is stored and batch 2's write fails after
    # batch 2 (and maybe 3) was fetched and its validators recorded.
    s.rows("CREATE TRIGGER refuse_third_report BEFORE INSERT ON reports "
           "WHEN (SELECT COUNT(*) FROM reports) >= 2 "
           "BEGIN SELECT RAISE(ABORT, 'database full (test fault)'); END")
    t0 = time.time()
    run_id = s.run_deployment(RETRY_SOURCE, politeness=False, batch_size=2)
    first = s.wait_final(run_id)
    assert first["state_type"] == "FAILED", first["state"]
    assert "database full" in (first["state"]["message"] or ""), first["state"]["message"]
    first_requests = _requests(sim, t0, host=host)
    stored_first = {u for (u,) in s.rows("SELECT url FROM reports WHERE source_key = ?", RETRY_SOURCE)}
    assert len(stored_first) == 2

    # remove the fault, retry the same flow run as a user would
    s.rows("DROP TRIGGER refuse_third_report")
    t1 = time.time()
    out = s.prefect("flow-run", "retry", run_id)
    assert run_id in out or "retry" in out.lower(), out
    again = s.wait_final(run_id)
    assert again["state_type"] == "COMPLETED", again["state"]
    retry_requests = _requests(sim, t1, host=host)

    # the stored reports are the simulator's, each once
    stored = s.rows("SELECT url, year FROM reports WHERE source_key = ?", RETRY_SOURCE)
    assert len(stored) == len({u for u, _ in stored}), "a report was stored twice"
    assert {u: y for u, y in stored} == {u: t.year for u, t in truth.items()}
    docs = s.rows("SELECT url, COUNT(*) FROM documents WHERE source_key = ? GROUP BY url HAVING COUNT(*) > 1",
                  RETRY_SOURCE)
    assert docs == [], docs
    assert s.rows("SELECT COUNT(*) FROM report_versions")[0][0] == 0
    stats_dupes = s.rows("SELECT report_id, key FROM report_stats GROUP BY report_id, key HAVING COUNT(*) > 1")
    assert stats_dupes == []
    # history: the failed attempt's row is kept beside the retry's
    assert s.rows("SELECT attempt, state FROM crawl_runs WHERE flow_run_id = ? ORDER BY attempt", run_id) == [
        (1, "FAILED"), (2, "COMPLETED")]

    # nothing the failed run downloaded is downloaded again (report pages and attachments;
    # list pages are walked again by every run, to discover)
    base = f"http://{host}:{port}"
    attachments = {t.attachment_url for t in truth.values() if t.attachment_url}
    bodies = set(truth) | attachments
    downloaded = {base + e["path"] for e in first_requests if e["status"] == 200} & bodies
    full_again = {base + e["path"] for e in retry_requests if e["status"] == 200} & bodies
    revalidated = {base + e["path"] for e in retry_requests if e["status"] == 304}
    fetched_attachments = downloaded & attachments
    assert fetched_attachments, "the failed run should have fetched some attachments"
    assert not (downloaded & full_again), f"downloaded twice: {sorted(downloaded & full_again)}"
    # pages whose report was stored moments ago: not asked about at all (the revisit
    # schedule: not due), nor their attachments
    asked = {base + e["path"] for e in retry_requests}
    stored_attachments = {truth[u].attachment_url for u in stored_first if truth[u].attachment_url}
    assert not (stored_first | stored_attachments) & asked
    # pages whose report was not stored: revalidated; the 304 page is read back from the
    # raw archive (a stub's body names its attachment), and its attachment answers 304
    assert downloaded - stored_first - stored_attachments <= revalidated
    print(f"failed run: {len(downloaded)} report bodies downloaded ({len(fetched_attachments)} attachments), "
          f"{len(stored_first)} reports stored; retry: {len(revalidated & bodies)} answered 304, "
          f"0 downloaded again, {len(full_again - downloaded)} bodies the failed run never reached")


# ----------------------------------------------------------------------------- politeness


def test_two_processes_share_one_request_budget_per_host(served: Served) -> None:
    s = served
    sim, port = s.sim, s.sim_port
    site1 = next(t for t in sim.ground_truth(port) if t.site == "site1")
    host = site1.page_url.split("//", 1)[1].split(":", 1)[0]
    t0 = time.time()
    ids = s.create_runs(POLITE_SOURCES)  # politeness on: the default
    # the runner starts each flow run in a process of its own: record them while they run
    run_processes: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(s.flow_run(i)["state_type"] in FINAL for i in ids):
        run_processes |= _children(s.serve_pid)
        time.sleep(0.2)
    runs = [s.wait_final(i) for i in ids]
    assert all(r["state_type"] == "COMPLETED" for r in runs), [r["state"] for r in runs]
    print("runs (start after request, seconds):",
          [(round(_ts(r["start_time"]) - t0, 1), round(_ts(r["end_time"]) - _ts(r["start_time"]), 1)) for r in runs])

    # the two runs overlapped in time, in two processes, through the host's Prefect rate limit
    start = max(_ts(r["start_time"]) for r in runs)
    end = min(_ts(r["end_time"]) for r in runs)
    shorter = min(_ts(r["end_time"]) - _ts(r["start_time"]) for r in runs)
    assert end - start > 0.5 * shorter, f"the two runs overlapped {end - start:.1f} s of {shorter:.1f} s"
    assert len(run_processes) >= 2, run_processes
    # the budget lived in the shared database: the host's lease, given back at the end
    assert s.rows("SELECT until FROM host_leases WHERE host = ?", host) == [(0.0,)]

    # every page of the host was requested by both sources: the work really was doubled
    want = {t.page_url for t in sim.ground_truth(port) if t.site == "site1" and t.is_report and t.fault is None}
    reqs = _requests(sim, t0, host=host)
    paths = [e["path"] for e in reqs]
    base = f"http://{host}:{port}"
    assert all(paths.count(u.removeprefix(base)) == 2 for u in want), paths

    # the host's combined rate: strict spacing allows floor(RATE * w) + 1 arrivals in any
    # window of w seconds; tolerance: one more (request latency jitter between the slot
    # grant and the arrival). Two independent budgets would allow about twice as many.
    times = sorted(e["time"] for e in reqs)
    window = 2.0
    allowed = int(RATE * window) + 2
    worst = max(sum(1 for t in times[i:] if t < ti + window) for i, ti in enumerate(times))
    mean_rate = (len(times) - 1) / (times[-1] - times[0])
    gap = min(b - a for a, b in itertools.pairwise(times))
    print(f"{len(times)} requests to {host} in {times[-1] - times[0]:.1f} s: mean {mean_rate:.2f}/s, "
          f"at most {worst} in any {window:g} s (limit {RATE:g}/s, allowed {allowed}), closest two {gap:.3f} s apart")
    assert worst <= allowed, (worst, allowed)
    assert mean_rate <= RATE * 1.05, mean_rate


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.add(int(stat.parent.name))
    return out


def test_retry_from_the_ui_redoes_only_the_failed_sources_of_a_cli_crawl(served: Served) -> None:
    """``govreports crawl`` of three sources, one of which the database refuses. The run is
    a run of the ``crawl-all/on-demand`` deployment, so the UI offers Retry; the button sets
    the run AwaitingRetry (what this test sends to the API), and ``govreports serve`` runs it
    again: only the failed source is crawled, no row is duplicated, the run ends Completed."""
    s = served
    sim, port = s.sim, s.sim_port
    env = s.env | {"COLUMNS": "200"}
    # a catalog of its own (keys no other test stored): site0 as ui0, site1 twice as ui1a, ui1b
    catalog = s.db_file.parent / "ui-sources.yaml"
    entries = []
    for src in _catalog(sim, port)["sources"]:
        key = {"site0": "ui0", "site1a": "ui1a", "site1b": "ui1b"}[src["key"]]
        entries.append({**src, "key": key})
    catalog.write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8")
    s.rows("CREATE TRIGGER refuse_ui0 BEFORE INSERT ON reports WHEN NEW.source_key = 'ui0' "
           "BEGIN SELECT RAISE(ABORT, 'database full (test fault)'); END")
    try:
        done = subprocess.run(
            [shutil.which("govreports", path=str(Path(sys.executable).parent)) or "govreports", "crawl",
             "--no-politeness", "--sources", str(catalog), "--db", s.db],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
        )
    finally:
        s.rows("DROP TRIGGER refuse_ui0")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "database full" in done.stdout, done.stdout[-3000:]
    (run,) = [r for r in httpx.post(f"{s.api}/flow_runs/filter", json={
        "flows": {"name": {"any_": ["crawl-all"]}}, "sort": "START_TIME_DESC", "limit": 1}, timeout=10,
        trust_env=False).json()]
    assert run["state_type"] == "FAILED" and run["deployment_id"], run["state"]
    dep = httpx.get(f"{s.api}/deployments/{run['deployment_id']}", timeout=10, trust_env=False).json()
    assert dep["name"] == "on-demand"
    first = dict(s.rows("SELECT source_key, state FROM crawl_runs WHERE flow_run_id = ?", run["id"]))
    assert first == {"ui0": "FAILED", "ui1a": "COMPLETED", "ui1b": "COMPLETED"}, first
    reports_before = dict(s.rows("SELECT source_key, COUNT(*) FROM reports GROUP BY source_key"))

    # the UI's Retry button (prefect-ui-library: retryFlowRun)
    t1 = time.time()
    resp = httpx.post(f"{s.api}/flow_runs/{run['id']}/set_state", json={
        "state": {"type": "SCHEDULED", "name": "AwaitingRetry", "message": "Retry from the UI"}, "force": False},
        timeout=10, trust_env=False)
    assert resp.status_code in (200, 201) and resp.json()["status"] == "ACCEPT", resp.text
    again = s.wait_final(run["id"], timeout=120)
    assert again["state_type"] == "COMPLETED", again["state"]
    assert again["run_count"] == 2

    # only ui0's host was asked anything; site1's host (ui1a, ui1b) was left alone
    site0_host = sim.base_url(0, port).split("//", 1)[1].split(":", 1)[0]
    site1_host = sim.base_url(1, port).split("//", 1)[1].split(":", 1)[0]
    assert _requests(sim, t1, host=site1_host) == []
    assert _requests(sim, t1, host=site0_host)
    want = {t.page_url for t in sim.ground_truth(port) if t.site == "site0" and t.is_report and t.fault is None}
    stored = s.rows("SELECT url FROM reports WHERE source_key = 'ui0'")
    assert {u for (u,) in stored} == want and len(stored) == len(want)
    after = dict(s.rows("SELECT source_key, COUNT(*) FROM reports GROUP BY source_key"))
    assert {k: v for k, v in after.items() if k != "ui0"} == {k: v for k, v in reports_before.items() if k != "ui0"}
    assert s.rows("SELECT report_id, key FROM report_stats GROUP BY report_id, key HAVING COUNT(*) > 1") == []
    # history kept: attempt 1's rows and attempt 2's row for site0
    hist = s.rows("SELECT source_key, attempt, state FROM crawl_runs WHERE flow_run_id = ? ORDER BY source_key, attempt",
                  run["id"])
    assert hist == [("ui0", 1, "FAILED"), ("ui0", 2, "COMPLETED"), ("ui1a", 1, "COMPLETED"),
                    ("ui1b", 1, "COMPLETED")], hist


def test_concurrent_writes_queue_on_the_lock_instead_of_answering_503(served: Served) -> None:
    """Prefect's stock SQLite server answers 503 when a write transaction that read first
    loses the race to another writer (``SQLITE_BUSY_SNAPSHOT``); its client then sleeps
    2, 4, 8 s. ``POST /task_runs/`` reads before it writes, and it is what every subflow
    start sends. Against the server we start, bursts of them interleaved with other writes
    all succeed on the first try (raw HTTP here: no client retries hide a 503)."""
    import asyncio

    async def storm() -> list[int]:
        async with httpx.AsyncClient(base_url=served.api, timeout=60, trust_env=False) as c:
            flow = (await c.post("/flows/", json={"name": "govreports-write-storm"})).json()
            statuses: list[int] = []
            for rnd in range(3):
                runs = await asyncio.gather(*(
                    c.post("/flow_runs/", json={"flow_id": flow["id"], "name": f"storm-{rnd}-{i}"}) for i in range(6)
                ))
                statuses += [r.status_code for r in runs]
                run_ids = [r.json()["id"] for r in runs if r.status_code < 300]
                writes = [
                    c.post("/task_runs/", json={"flow_run_id": rid, "task_key": f"storm-{rnd}", "dynamic_key": str(k),
                                                "name": f"storm-{rnd}-{k}"})
                    for rid in run_ids for k in range(5)
                ] + [
                    c.post(f"/flow_runs/{rid}/set_state", json={"state": {"type": "RUNNING"}, "force": True})
                    for rid in run_ids
                ]
                statuses += [r.status_code for r in await asyncio.gather(*writes)]
            return statuses

    statuses = asyncio.run(storm())
    assert all(200 <= s < 300 for s in statuses), sorted(set(statuses))
    assert len(statuses) == 3 * (6 + 6 * 5 + 6)
