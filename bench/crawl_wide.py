"""Catalog-scale crawl rows (issue 20): thousands of sources with a few reports each.

A real catalog is thousands of report columns with 1–15 reports each, many of them sharing
a host (``/bm1/`` … ``/bmC/`` on one district portal: ``Simulator(columns=C)``). Each row is
a ratio measured in one run against one simulator serving from its own process
(``bench.crawl.SimProcess``: TRS portals, pages and attachments rendered before serving):

* **orchestration** (250 hosts × 1 column × 4 reports, politeness off): ``govreports crawl``
  against the plain pipeline (``flows.pipeline.run_sources``, the ``bench.crawl --child plain``
  process), both timed as whole processes, start-up included; the plain pipeline's reports/s
  (its own wall, imports excluded, as the 1k rows); Prefect's CPU per source: the Prefect
  server's CPU over the ``govreports crawl`` run, plus that run's CPU over the plain run's
  (each process tree's user+system, parse workers included).
* **nothing-due recrawl** (300 hosts × 10 columns × 4 reports = 3,000 sources, politeness
  off): a first crawl by the plain pipeline (timed, reported), then the recrawl through
  ``govreports crawl``: wall, Prefect's share (against the plain pipeline's recrawl of the same
  database) and the peak RSS of its process tree.
* **polite** (the catalog's politeness: 1 request/s, 1 connection per host, robots obeyed):
  200 distinct hosts × 4 reports, and 50 hosts × 20 columns × 4 reports. Each crawler's wall
  as a ratio of its politeness limit: the busiest host's requests in the simulator's log
  (robots.txt included) ÷ its rate. Beside each, Scrapy + trafilatura + SQLite with
  ``DOWNLOAD_DELAY=1``, ``CONCURRENT_REQUESTS_PER_DOMAIN=1`` on the same simulator.

Runs of ``govreports crawl`` that today's code cannot finish in reasonable time are stopped
at ``GOVREPORTS_BENCH_WIDE_CAP`` seconds (default 300); their rows then say "stopped", give a
lower bound and how far the crawl got. A part that fails costs its own rows only. All of it
takes ~35 minutes on an idle 2-core machine; run it alone with
``uv run python -m bench crawl_wide`` (``--quick``: small shapes, ~2 minutes); a part alone
with ``uv run python -m bench.crawl_wide [orchestration|recrawl|polite] [--quick]``.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.crawl import ROOT, SimProcess, _bytecode_cache, _private_prefect, _proc_cpu, _row, _totals

#: (hosts, columns, reports per column)
SHAPES: dict[str, Any] = {
    "orchestration": (250, 1, 4),
    "recrawl": (300, 10, 4),
    "polite": [(200, 1, 4), (50, 20, 4)],
}
QUICK_SHAPES: dict[str, Any] = {
    "orchestration": (20, 1, 4),
    "recrawl": (10, 4, 2),
    "polite": [(6, 1, 2), (2, 3, 1)],
}
PARTS = ("orchestration", "polite", "recrawl")
CAP = float(os.environ.get("GOVREPORTS_BENCH_WIDE_CAP", "300"))
#: the politeness the polite rows' catalogs carry: the defaults a user gets
POLITE_RATE, POLITE_CONCURRENCY = 1.0, 1


def _shape(hosts: int, columns: int, reports: int) -> str:
    return f"{hosts}×{columns}×{reports}"


# ---------------------------------------------------------------------------- process trees
def _tree(root: int) -> list[int]:
    """``root`` and every live descendant (parse workers are the forkserver's children)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _sample(pid: int) -> tuple[float, float] | None:
    """(CPU seconds, RSS MB) of one live process, from ``/proc``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return cpu, int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _timed(cmd: list[str], env: dict[str, str] | None = None, cap: float | None = None) -> dict[str, Any]:
    """Run ``cmd`` in its own process group; its wall, the CPU of its process tree (each
    process's last sample, every 0.2 s), the peak of the tree's summed RSS; stopped (SIGTERM,
    then SIGKILL to its group) after ``cap`` seconds."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    cpu: dict[int, float] = {}
    peak = 0.0
    stopped = False
    out_lines: list[str] = []

    def drain(stream: Any, sink: list[str]) -> None:
        for line in stream:
            sink.append(line)

    err_lines: list[str] = []
    readers = [threading.Thread(target=drain, args=(proc.stdout, out_lines), daemon=True),
               threading.Thread(target=drain, args=(proc.stderr, err_lines), daemon=True)]
    for r in readers:
        r.start()
    while proc.poll() is None:
        rss = 0.0
        for pid in _tree(proc.pid):
            got = _sample(pid)
            if got is not None:
                cpu[pid] = got[0]
                rss += got[1]
        peak = max(peak, rss)
        if cap is not None and time.perf_counter() - t0 > cap and not stopped:
            stopped = True
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.2)
    proc.wait()
    wall = time.perf_counter() - t0
    for r in readers:
        r.join(5)
    return {"wall": wall, "cpu": sum(cpu.values()), "peak_rss_mb": peak, "stopped": stopped, "rc": proc.returncode,
            "stdout": "".join(out_lines), "stderr": "".join(err_lines)}


# ---------------------------------------------------------------------------- the two crawlers
def _plain(catalog: Path, db: str, archive: Path, cap: float | None = None, mode: str = "plain") -> dict[str, Any]:
    """The plain pipeline (``run_sources``) in its own process (``bench.crawl --child plain``);
    ``mode="prefect"``: the same crawl as a run of ``crawl-all/on-demand``, what ``govreports
    crawl`` runs, in a process of the same shape (imports excluded from the timing in both)."""
    run = _timed([sys.executable, "-m", "bench.crawl", "--child", mode, str(catalog), db, str(archive)],
                 {**os.environ, "GOVREPORTS_BENCH_REVALIDATE": "0"}, cap)
    if run["rc"] != 0:
        raise RuntimeError(f"{mode} crawl failed ({run['rc']}): {run['stderr'][-2000:]}")
    run["result"] = json.loads(run["stdout"].strip().splitlines()[-1])
    return run


def _cli(catalog: Path, db: str, archive: Path, *, polite: bool, cap: float | None,
         only: str | None = None) -> dict[str, Any]:
    """``govreports crawl`` as a user runs it (the CLI, its Prefect server from the environment)."""
    cmd = [sys.executable, "-c", "from govreports.cli import main; main()", "crawl", "--sources", str(catalog),
           "--db", db]
    if not polite:
        cmd.append("--no-politeness")
    if only:
        cmd += ["--source", only]
    run = _timed(cmd, {**os.environ, "GOVREPORTS_ARCHIVE": str(archive)}, cap)
    if not run["stopped"] and run["rc"] not in (0, 1):  # 1: some source did not complete, still a crawl
        raise RuntimeError(f"govreports crawl failed ({run['rc']}): {run['stderr'][-2000:]}")
    return run


def _stored(db: str) -> int:
    """Report rows in a SQLite database (what a crawl really stored)."""
    path = db.removeprefix("sqlite:///")
    if not Path(path).exists():
        return 0
    con = sqlite3.connect(path)
    try:
        return int(con.execute("SELECT COUNT(*) FROM reports").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        con.close()


def _limit(log: list[dict[str, Any]], rate: float) -> tuple[float, str, int, int]:
    """The politeness limit of a crawl by its requests: (seconds, busiest host, its requests,
    robots.txt requests in all)."""
    per_host = Counter(e["host"] for e in log)
    if not per_host:
        return float("nan"), "-", 0, 0
    host, n = per_host.most_common(1)[0]
    robots = sum(e["path"] == "/robots.txt" for e in log)
    return n / rate, host, n, robots


def _span(log: list[dict[str, Any]]) -> float:
    times = [e["time"] for e in log]
    return max(times) - min(times) if times else 0.0


# ---------------------------------------------------------------------------- rows
def _orchestration(shape: tuple[int, int, int], tmp: Path, api: Any, rows: list[dict[str, Any]]) -> None:
    hosts, columns, reports = shape
    name = f"wide {_shape(*shape)}"
    with SimProcess(hosts, reports, columns=columns) as sim:
        catalog = sim.write_catalog(tmp / "orchestration.yaml")
        sim.warm()
        # untimed: the Prefect server's first flow runs, the bytecode cache
        _cli(catalog, f"sqlite:///{tmp / 'orch-warm.db'}", tmp / "raw-orch-warm", polite=False, cap=None,
             only=sim.sim.site(0).key)
        plain = _plain(catalog, f"sqlite:///{tmp / 'orch-plain.db'}", tmp / "raw-orch-plain")
        before = _proc_cpu(api.pid)
        flow = _plain(catalog, f"sqlite:///{tmp / 'orch-flow.db'}", tmp / "raw-orch-flow", mode="prefect")
        after = _proc_cpu(api.pid)
        cli_db = f"sqlite:///{tmp / 'orch-cli.db'}"
        cli = _cli(catalog, cli_db, tmp / "raw-orch-cli", polite=False, cap=CAP)
    n_sources = hosts * columns
    t = _totals(plain["result"])
    inner, flow_inner = plain["result"]["wall"], flow["result"]["wall"]
    rows.append(_row(f"{name}: plain pipeline throughput", t["discovered"] / inner, "reports/s",
                     f"run_sources, politeness off, {t['discovered']:.0f} reports ({t['parsed']:.0f} parsed) in "
                     f"{inner:.1f} s (imports excluded); target >= 200"))
    rows.append(_row(f"{name}: crawl-all run / plain", flow_inner / inner, "ratio",
                     f"the crawl as a run of crawl-all/on-demand (deployment, flow run, artifacts: what govreports "
                     f"crawl runs) {flow_inner:.2f} s vs run_sources {inner:.2f} s, each timed inside its process "
                     "after imports; target <= 1.10"))
    stored = _stored(cli_db)
    stop = f"; STOPPED at {CAP:.0f} s, a lower bound" if cli["stopped"] else ""
    rows.append(_row(f"{name}: govreports crawl / plain, whole processes", cli["wall"] / plain["wall"], "ratio",
                     f"start-up (imports, the CLI, progress bars) included: govreports crawl {cli['wall']:.1f} s "
                     f"({stored} reports stored) vs plain {plain['wall']:.1f} s{stop}"))
    server = None if before is None or after is None else after - before
    client = flow["result"]["cpu"] - plain["result"]["cpu"]
    if server is None:
        rows.append(_row(f"{name}: Prefect CPU per source", 1000 * client / n_sources, "ms/source",
                         "crawl process (after imports) over plain only: the shared Prefect server's CPU is not ours"))
    else:
        rows.append(_row(f"{name}: Prefect CPU per source", 1000 * (server + client) / n_sources, "ms/source",
                         f"Prefect server {server:.2f} s + crawl-all run {flow['result']['cpu']:.2f} s - plain "
                         f"{plain['result']['cpu']:.2f} s (CPU after imports, parse workers included), over "
                         f"{n_sources} sources; target <= 10"))


def _recrawl(shape: tuple[int, int, int], tmp: Path, api: Any, rows: list[dict[str, Any]]) -> None:
    hosts, columns, reports = shape
    n_sources = hosts * columns
    name = f"wide {_shape(*shape)}"
    with SimProcess(hosts, reports, columns=columns) as sim:
        catalog = sim.write_catalog(tmp / "recrawl.yaml")
        p = sim.prerendered
        if p is not None:
            rows.append(_row(f"{name}: sim prerender", p.seconds, "s",
                             f"{n_sources} sources, {p.resources} URLs, {p.bytes / 1e6:.0f} MB, before timing"))
        db = f"sqlite:///{tmp / 'recrawl.db'}"
        first = _plain(catalog, db, tmp / "raw-recrawl")
        t = _totals(first["result"])
        rows.append(_row(f"{name}: first crawl (plain pipeline)", t["discovered"] / first["result"]["wall"], "reports/s",
                         f"{n_sources} sources, {t['discovered']:.0f} reports, {_stored(db)} stored, in "
                         f"{first['result']['wall']:.0f} s; politeness off; this fills the database"))
        plain = _plain(catalog, db, tmp / "raw-recrawl")
        flow = _plain(catalog, db, tmp / "raw-recrawl", mode="prefect")
        since = time.time()
        cli = _cli(catalog, db, tmp / "raw-recrawl", polite=False, cap=CAP)
        log = sim.log_since(since)
    starts = {s.start_path() for s in sim.sim.sites()}
    walked = len({(e["host"], e["path"]) for e in log if e["path"] in starts})
    t2 = _totals(plain["result"])
    if cli["stopped"]:
        note = (f"STOPPED at {CAP:.0f} s with {walked} of {n_sources} sources' lists asked for "
                f"({walked / cli['wall']:.1f} sources/s): a lower bound; target <= 10 s")
    else:
        note = f"{walked} of {n_sources} sources' lists asked for; target <= 10 s"
    rows.append(_row(f"{name}: nothing-due recrawl, govreports crawl", cli["wall"], "s", note))
    inner, flow_inner = plain["result"]["wall"], flow["result"]["wall"]
    rows.append(_row(f"{name}: nothing-due recrawl, Prefect share", 100 * (flow_inner - inner) / flow_inner,
                     "% of wall", f"the recrawl as a crawl-all run {flow_inner:.2f} s vs run_sources {inner:.2f} s "
                     f"({t2['not_due']:.0f} not due, {t2['rows_written']:.0f} rows written), each timed inside its "
                     "process after imports; target <= 10 %"))
    rows.append(_row(f"{name}: nothing-due recrawl, Prefect share, whole processes",
                     100 * (cli["wall"] - plain["wall"]) / cli["wall"], "% of wall",
                     f"start-up included: plain {plain['wall']:.1f} s vs govreports crawl {cli['wall']:.1f} s"
                     + ("; govreports crawl STOPPED" if cli["stopped"] else "")))
    rows.append(_row(f"{name}: nothing-due recrawl, peak RSS", cli["peak_rss_mb"], "MB",
                     "govreports crawl's process tree (parse workers included), summed, sampled every 0.2 s; "
                     "target <= 500" + (" (until stopped)" if cli["stopped"] else "")))


def _polite(shape: tuple[int, int, int], tmp: Path, rows: list[dict[str, Any]]) -> None:
    hosts, columns, reports = shape
    label = _shape(*shape)
    name = f"polite {label}"
    with SimProcess(hosts, reports, columns=columns) as sim:
        catalog = sim.write_catalog(tmp / f"polite-{label}.yaml", rate=POLITE_RATE, concurrency=POLITE_CONCURRENCY)
        # what the crawl has to fetch, unpaced (the plain pipeline, politeness off): the limit of a
        # run that gets stopped, and a warm simulator
        since = time.time()
        _plain(catalog, f"sqlite:///{tmp / f'polite-plain-{label}.db'}", tmp / f"raw-polite-plain-{label}")
        needed, needed_host, needed_n, _ = _limit(sim.log_since(since), POLITE_RATE)
        since = time.time()
        ref = _timed([sys.executable, "-m", "bench.crawl", "--scrapy", str(catalog),
                      str(tmp / f"scrapy-polite-{label}.db"), "polite"], None, CAP)
        ref_log = sim.log_since(since)
        since = time.time()
        cli_db = f"sqlite:///{tmp / f'polite-cli-{label}.db'}"
        cli = _cli(catalog, cli_db, tmp / f"raw-polite-cli-{label}", polite=True, cap=CAP)
        cli_log = sim.log_since(since)
    expected = hosts * columns * reports
    limit, host, n, robots = _limit(cli_log, POLITE_RATE)
    if cli["stopped"]:
        # its own log is cut short: its limit is at least what the unpaced crawl fetched, plus one robots.txt
        limit = (needed_n + 1) / POLITE_RATE
        rows.append(_row(f"{name}: govreports crawl / limit", cli["wall"] / limit, "ratio",
                         f"STOPPED at {CAP:.0f} s, a lower bound: {_stored(cli_db)} of {expected} reports stored; limit "
                         f">= {limit:.0f} s (busiest host {needed_host}: {needed_n} requests unpaced + robots.txt, at "
                         f"{POLITE_RATE:g}/s); {robots} robots.txt requests so far; target <= "
                         f"{'2' if columns == 1 else '1.2'}"))
    else:
        rows.append(_row(f"{name}: govreports crawl / limit", cli["wall"] / limit, "ratio",
                         f"govreports crawl {cli['wall']:.1f} s (process; first to last request {_span(cli_log):.1f} s), "
                         f"{_stored(cli_db)} of {expected} reports stored; limit {limit:.0f} s = busiest host {host}: "
                         f"{n} requests ({robots} robots.txt in all) at {POLITE_RATE:g}/s; target <= "
                         f"{'2' if columns == 1 else '1.2'}"))
    rlimit, rhost, rn, rrobots = _limit(ref_log, POLITE_RATE)
    if ref["stopped"]:
        # its own log is cut short: its limit by what it asks of a host: robots.txt, then per column
        # the list page and every listed item but the robots-disallowed one (reports and notices)
        pages = 1 + max(sum(len(s.items) for s in sim.sim.host_sites(h)) for h in range(hosts))
        rows.append(_row(f"{name}: scrapy+trafilatura / limit", ref["wall"] / (pages / POLITE_RATE), "ratio",
                         f"STOPPED at {CAP:.0f} s, a lower bound: {len(ref_log)} requests served, busiest host "
                         f"{rhost}: {rn}; its limit ~{pages / POLITE_RATE:.0f} s ({pages} requests per host)"))
    elif ref["rc"] == 0:
        out = json.loads(ref["stdout"].strip().splitlines()[-1])
        rows.append(_row(f"{name}: scrapy+trafilatura / limit", ref["wall"] / rlimit, "ratio",
                         f"Scrapy {ref['wall']:.1f} s (process; first to last request {_span(ref_log):.1f} s, CPU "
                         f"{ref['cpu']:.0f} s), {out['reports']} pages; its limit {rlimit:.0f} s = busiest host {rhost}: "
                         f"{rn} requests ({rrobots} robots.txt in all) at {POLITE_RATE:g}/s; no attachments"))
    else:
        rows.append(_row(f"{name}: scrapy+trafilatura / limit", float("nan"), "ratio", f"failed: {ref['stderr'][-300:]}"))
    rows.append(_row(f"{name}: unpaced limit", needed, "s",
                     f"busiest host {needed_host}: {needed_n} requests by the plain pipeline with politeness off "
                     f"(no robots.txt), at {POLITE_RATE:g}/s"))


def run(quick: bool = False, parts: tuple[str, ...] = PARTS) -> list[dict[str, Any]]:
    import flows  # noqa: F401  (Prefect settings: no phone-home, PREFECT_HOME under data/)

    _bytecode_cache()
    shapes = QUICK_SHAPES if quick else SHAPES
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="govreports-bench-prefect-") as home, \
            _private_prefect(Path(home)) as api, tempfile.TemporaryDirectory(prefix="govreports-bench-wide-") as d:
        tmp = Path(d)
        steps: list[tuple[str, Any]] = []
        if "orchestration" in parts:
            steps.append(("orchestration", lambda: _orchestration(shapes["orchestration"], tmp, api, rows)))
        if "polite" in parts:
            for shape in shapes["polite"]:
                steps.append((f"polite {_shape(*shape)}", lambda shape=shape: _polite(shape, tmp, rows)))
        if "recrawl" in parts:
            steps.append(("recrawl", lambda: _recrawl(shapes["recrawl"], tmp, api, rows)))
        for label, step in steps:
            try:
                step()
            except Exception as exc:  # a part that fails costs its own rows, not the others'
                rows.append(_row(f"wide {label}: failed", float("nan"), "", repr(exc)[-300:]))
    return rows


if __name__ == "__main__":
    for part in tuple(a for a in sys.argv[1:] if a in PARTS) or PARTS:  # each part's rows as soon as it ends
        for r in run(quick="--quick" in sys.argv, parts=(part,)):
            print(f"{r['name']:<58} {r['value']:>10} {r['unit']:<10} {r['note']}", flush=True)
