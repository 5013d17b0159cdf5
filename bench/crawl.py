"""End-to-end crawl benchmark: the whole pipeline against the portal simulator, politeness off.

Measured (each crawl in its own process, the simulator in another, so RSS and CPU are
the crawl's own). The simulator renders every page and PDF/DOCX before it serves
(``Simulator.prerender``, both cores) and one untimed pass over every URL warms it and
measures its own req/s, so the figures are the crawler's, not the simulator's. The 1k
comparisons alternate plain and Prefect over three rounds (fresh database and archive per
run) and report medians; Prefect runs against a private fresh local server:
* reports/s and ms per report by stage (fetch, extract, parse, upsert) of the plain
  pipeline (``flows.pipeline.run_sources``), for 1,000 and 10,000 reports;
* the recrawl of the unchanged simulator as a ratio of the first crawl, and report rows written,
  for the plain pipeline and (1k) through ``crawl_all``, which is what ``govreports crawl`` runs:
  the default recrawl (minutes later no stored report is due a check, ``scrapers.revisit``:
  list pages only) and one with ``--revalidate`` (a conditional GET per stored report);
* Prefect's share: the same 1,000-report crawl through ``crawl_all`` (a local Prefect
  server, reused or started once) against the plain pipeline; the CPU behind it (the
  server's, and the crawl process's over plain), per source;
* peak RSS of the crawl process plus its parse workers;
* start-up of ``govreports crawl`` to its first HTTP request (as the simulator saw it);
* the reference a user would otherwise write: Scrapy + trafilatura + SQLite (text only)
  over the same simulated web, as a ratio of reports/s.

Stage figures are per report and summed over sources crawled concurrently, so they add up
to more than the wall time; fetch includes waiting on the simulator.

Run alone: ``uv run python -m bench.crawl [--quick]``.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"1k": (20, 50), "10k": (50, 200)}
QUICK_SIZES = {"200": (8, 25)}
#: reports per batch (fetch → parse → upsert); smaller batches overlap the stages within a source
BATCH = int(os.environ.get("GOVREPORTS_BENCH_BATCH", "100"))


def _row(name: str, value: float, unit: str, note: str = "") -> dict[str, Any]:
    return {"name": name, "value": round(float(value), 3), "unit": unit, "note": note}


def _sim_kwargs(sites: int, reports: int, columns: int = 1) -> dict[str, Any]:
    # TRS portals (what the Scrapy reference knows how to walk), mixed encodings, no faults
    return {"sites": sites, "reports_per_site": reports, "seed": 5, "families": ["trs"] * sites, "broken_rate": 0.0,
            "columns": columns}


def _serve(q: Any, kwargs: dict[str, Any], prerender: bool) -> None:
    from portalsim import Simulator

    sim = Simulator(**kwargs)
    stats = sim.prerender() if prerender else None
    sim.serve_forever(0, lambda port: q.put((port, stats)))


class SimProcess:
    """The simulator in its own process (its GIL is not the crawl's), with every page and
    attachment rendered before it serves (``prerender``, on every core), so a timed crawl
    costs the simulator a cache lookup per request and measures the crawler."""

    def __init__(self, sites: int, reports: int, prerender: bool = True, columns: int = 1):
        self.kwargs = _sim_kwargs(sites, reports, columns)
        ctx = mp.get_context("spawn")
        self.q = ctx.Queue()
        # not a daemon: it starts its own render pool; __exit__ always terminates it
        self.proc = ctx.Process(target=_serve, args=(self.q, self.kwargs, prerender), daemon=False)

    def __enter__(self) -> SimProcess:
        from portalsim import Simulator

        self.proc.start()
        try:
            port, self.prerendered = self.q.get(timeout=1800)  # prerender on a loaded machine
        except BaseException:
            self.__exit__()
            raise
        self.port = int(port)
        self.sim = Simulator(**self.kwargs)
        return self

    def urls(self) -> list[str]:
        """Every URL a crawl of this web requests besides paged lists: start pages, report
        pages, attachments."""
        out: list[str] = []
        for s in self.sim.sites():
            base = self.sim.base_url(s.index, self.port)
            out.append(base + s.start_path())
            for it in s.items:
                if it.trap is None:
                    out.append(base + it.path)
                    if it.attachment:
                        out.append(base + it.attachment)
        return out

    def warm(self) -> tuple[int, float]:
        """One untimed-for-the-crawl pass over every URL (64 connections, gzip), which also
        measures the simulator's own throughput on warmed content: (requests, seconds)."""
        import asyncio

        import aiohttp

        urls = self.urls()

        async def go() -> float:
            conn = aiohttp.TCPConnector(limit=64, limit_per_host=16)
            async with aiohttp.ClientSession(connector=conn, auto_decompress=False) as session:
                sem = asyncio.Semaphore(64)

                async def one(url: str) -> None:
                    async with sem, session.get(url, headers={"Accept-Encoding": "gzip"}) as r:
                        await r.read()

                t0 = time.perf_counter()
                await asyncio.gather(*(one(u) for u in urls))
                return time.perf_counter() - t0

        return len(urls), asyncio.run(go())

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.join(10)

    def write_catalog(self, path: Path, rate: float | None = None, concurrency: int = 4) -> Path:
        """The simulator's catalog; ``rate``/``concurrency`` are every source's politeness
        (default: the simulator's 50 requests/s and 4 connections per host)."""
        path.write_text(self.sim.catalog_yaml(self.port, rate=rate, concurrency=concurrency), encoding="utf-8")
        return path

    def log_since(self, since: float) -> list[dict[str, Any]]:
        """Every site request the simulator served since ``since`` (unix time)."""
        import httpx

        # the simulator's index host (127.0.0.1) serves the request log of every site
        url = f"http://127.0.0.1:{self.port}/_sim/log.json?since={since}"
        entries = httpx.get(url, timeout=60, trust_env=False).json()
        return [e for e in entries if e["host"] != "127.0.0.1"]

    def first_request_since(self, since: float) -> float | None:
        times = [e["time"] for e in self.log_since(since)]
        return min(times) if times else None


def _child(mode: str, catalog: str, db: str, archive: str) -> None:
    """Run one crawl in this process and print its figures as JSON (the parent parses it)."""
    import asyncio
    import resource

    os.environ["GOVREPORTS_ARCHIVE"] = archive
    from flows.pipeline import CrawlResources, run_sources
    from govreports.settings import get_settings
    from scrapers.catalog import load_catalog

    settings = get_settings(db=db, sources=catalog)
    sources = load_catalog(catalog).sources
    # Importing is start-up (``govreports crawl`` to its first request, measured on its own
    # below), not the crawl's wall: the storage layer (SQLAlchemy, SQLModel; ~0.3 s, a
    # quarter of a 1k recrawl) as the pipeline, and Prefect for the flow runs.
    import storage.store  # noqa: F401

    if mode != "plain":
        import flows

        flows.logs_to_api_only()  # as ``govreports crawl`` runs it: progress bars, no log lines
        from flows.crawl import crawl_all, run_data, run_deployed
    t0 = time.perf_counter()
    cpu0 = os.times()
    workers_mb: list[float] = []
    revalidate = os.environ.get("GOVREPORTS_BENCH_REVALIDATE") == "1"
    if mode == "plain":
        with CrawlResources(settings, politeness=False, batch_size=BATCH, revalidate=revalidate) as res:
            results = [r.to_dict() for r in asyncio.run(run_sources(sources, res))]
            workers_mb = _workers_peak_rss(res)
    else:

        async def go() -> Any:  # what ``govreports crawl`` runs: a run of crawl-all/on-demand
            return await run_deployed(crawl_all, {"sources_file": catalog, "db": db, "politeness": False,
                                                  "batch_size": BATCH, "revalidate": revalidate})

        state = asyncio.run(go())
        results = run_data(state)["sources"]
    wall = time.perf_counter() - t0
    cpu1 = os.times()
    # this process and its parse workers (reaped at pool shutdown), not the simulator
    cpu = sum(b - a for a, b in zip(cpu0[:4], cpu1[:4], strict=True))
    cpu_self = (cpu1[0] - cpu0[0]) + (cpu1[1] - cpu0[1])
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "cpu_self": cpu_self, "sources": results, "rss_mb": self_rss,
                      "workers_rss_mb": workers_mb}))


def _proc_cpu(pid: int | None) -> float | None:
    """User+system CPU seconds of a live process (the private Prefect server), from ``/proc``."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _workers_peak_rss(res: Any) -> list[float]:
    """Peak RSS (``VmHWM``, MB) of each live parse worker, read before the pool shuts down.

    The workers are children of the forkserver, not of this process, so
    ``RUSAGE_CHILDREN`` never sees them; ``/proc`` does (Linux, where the benchmark runs).
    """
    out: list[float] = []
    for pid in list(getattr(res._pool, "_processes", None) or {}):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out.append(int(line.split()[1]) / 1024)
    return out


def _rss_row(label: str, first: dict[str, Any]) -> dict[str, Any]:
    workers = first["workers_rss_mb"]
    each = " + ".join(f"{w:.0f}" for w in workers) or "none measured"
    return _row(f"crawl {label}: peak RSS", first["rss_mb"] + sum(workers), "MB",
                f"crawl process {first['rss_mb']:.0f} MB + parse workers {each} MB (each one's peak, summed: "
                "an upper bound, shared pages counted in each)")


def _run_child(mode: str, catalog: Path, db: str, archive: Path, env: dict[str, str] | None = None,
               *, revalidate: bool = False) -> dict[str, Any]:
    """One crawl in a fresh process; ``revalidate`` asks about every stored report (``--revalidate``)."""
    cmd = [sys.executable, "-m", "bench.crawl", "--child", mode, str(catalog), db, str(archive)]
    env = dict(env or os.environ)
    env["GOVREPORTS_BENCH_REVALIDATE"] = "1" if revalidate else "0"
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{mode} crawl failed ({out.returncode}): {out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _totals(res: dict[str, Any]) -> dict[str, float]:
    keys = ("discovered", "new", "changed", "unchanged", "not_due", "parsed", "rows_written", "failed", "parse_failed")
    t: dict[str, float] = {k: sum(s[k] for s in res["sources"]) for k in keys}
    for stage in ("fetch", "extract", "parse", "upsert"):
        t[stage] = sum(s["stage_seconds"].get(stage, 0.0) for s in res["sources"])
    return t


def _scrapy_child(catalog: str, db: str, polite: str = "") -> None:
    """The reference pipeline: Scrapy walks the TRS list pages, trafilatura extracts the text
    of each report page, rows go to SQLite. Text only: no structure, no attachments.

    ``polite``: 1 request/s and 1 connection per host (``DOWNLOAD_DELAY=1``,
    ``CONCURRENT_REQUESTS_PER_DOMAIN=1``), robots.txt obeyed, a global limit above the host
    count (256) and the downloader-aware queue, so only the per-host budget paces it."""
    import re
    import sqlite3

    import scrapy
    import trafilatura
    import yaml
    from scrapy.crawler import CrawlerProcess

    starts = [s["start_urls"][0] for s in yaml.safe_load(Path(catalog).read_text(encoding="utf-8"))["sources"]]
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, title TEXT, text TEXT)")
    count = {"n": 0}

    class Reports(scrapy.Spider):  # type: ignore[misc]
        name = "reports"
        start_urls = starts
        custom_settings: ClassVar[dict[str, Any]] = {
            "ROBOTSTXT_OBEY": False, "CONCURRENT_REQUESTS": 64, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "DOWNLOAD_DELAY": 0, "LOG_ENABLED": False, "TELNETCONSOLE_ENABLED": False,
            "COOKIES_ENABLED": False, "RETRY_TIMES": 2, "HTTPCACHE_ENABLED": False,
        }
        if polite:
            # the queue Scrapy's "broad crawls" guide names: it hands the downloader requests for
            # idle hosts first; the default (one LIFO queue) fills every slot with one host's links
            custom_settings = {**custom_settings, "ROBOTSTXT_OBEY": True, "DOWNLOAD_DELAY": 1,
                               "CONCURRENT_REQUESTS_PER_DOMAIN": 1, "CONCURRENT_REQUESTS": 256,
                               "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue"}

        def parse(self, response: Any) -> Any:
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href)
                if "/t20" in url or "/t19" in url:
                    yield scrapy.Request(url, callback=self.report)
            # TRS paging is announced by a script: createPageHTML(pages, current, "index", "html")
            m = re.search(r'createPageHTML\((\d+),\s*0,\s*"(\w+)",\s*"(\w+)"', response.text)
            if m:
                for i in range(1, int(m.group(1))):
                    yield scrapy.Request(response.urljoin(f"{m.group(2)}_{i}.{m.group(3)}"), callback=self.parse)

        def report(self, response: Any) -> None:
            text = trafilatura.extract(response.text) or ""
            title = response.css("title::text").get() or ""
            conn.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?)", (response.url, title, text))
            count["n"] += 1

    t0 = time.perf_counter()
    process = CrawlerProcess(settings={"LOG_ENABLED": False})
    process.crawl(Reports)
    process.start()
    conn.commit()
    print(json.dumps({"wall": time.perf_counter() - t0, "reports": count["n"]}))


def _reference_reports(sim: SimProcess, db: Path) -> tuple[int, int]:
    """What the reference delivered, by the simulator's ground truth: (report pages whose
    body is the report and whose text it stored, report pages it stored at all)."""
    import sqlite3

    truth = sim.sim.ground_truth(sim.port)
    reports = {t.page_url for t in truth if t.is_report}
    in_page = {t.page_url for t in truth if t.is_report and t.kind == "html"}
    con = sqlite3.connect(db)
    try:
        stored = {url for url, text in con.execute("SELECT url, text FROM pages") if (text or "").strip()}
    finally:
        con.close()
    return len(stored & in_page), len(stored & reports)


def _startup(sim: SimProcess, catalog: Path, tmp: Path) -> float | None:
    """Seconds from spawning ``govreports crawl`` to the simulator seeing its first request."""
    cmd = [sys.executable, "-c", "from govreports.cli import main; main()", "crawl", "--sources", str(catalog), "--source", "site0",
           "--no-politeness", "--db", f"sqlite:///{tmp / 'startup.db'}"]
    env = {**os.environ, "GOVREPORTS_ARCHIVE": str(tmp / "raw-startup")}
    subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=300, env=env)  # warm-up: server, imports
    since = time.time()
    subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=300, env=env)
    first = sim.first_request_since(since)
    return None if first is None else first - since


def _median(xs: list[float]) -> float:
    import statistics

    return float(statistics.median(xs))


def _scrapy(catalog: Path, db: Path, polite: bool = False) -> dict[str, Any] | str:
    cmd = [sys.executable, "-m", "bench.crawl", "--scrapy", str(catalog), str(db), *(["polite"] if polite else [])]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        return out.stderr[-300:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _compare_1k(label: str, sim: SimProcess, catalog: Path, tmp: Path, rounds: int, rows: list[dict[str, Any]],
                api: Any) -> None:
    """Plain vs Prefect vs Scrapy on one warmed simulator, each run with a fresh database and
    archive, the order alternated each round (plain first, then Prefect first, …), medians
    reported. Each first crawl is followed by its recrawl (same database and archive)."""
    walls: dict[str, list[float]] = {"plain": [], "prefect": [], "recrawl": [], "prefect recrawl": [],
                                     "revalidate": []}
    cpu_self: dict[str, list[float]] = {"plain": [], "prefect": []}
    server_cpu: list[float] = []
    rps: list[float] = []
    cpu_plain: list[float] = []
    written: list[float] = []
    first: dict[str, Any] | None = None
    ref: dict[str, Any] | str | None = None
    for r in range(rounds):
        order = ("plain", "prefect") if r % 2 == 0 else ("prefect", "plain")
        for mode in order:
            db = f"sqlite:///{tmp / f'{mode}-{label}-{r}.db'}"
            before = _proc_cpu(api.pid)
            out = _run_child(mode, catalog, db, tmp / f"raw-{mode}-{label}-{r}")
            after = _proc_cpu(api.pid)
            walls[mode].append(out["wall"])
            cpu_self[mode].append(out["cpu_self"])
            if mode == "prefect" and before is not None and after is not None:
                server_cpu.append(after - before)
            if mode == "plain":
                cpu_plain.append(out["cpu"])
                t = _totals(out)
                rps.append(t["discovered"] / out["wall"])
                first = first or out
            # each first crawl is followed by its recrawl (same database and archive): the
            # default (nothing is due a check minutes later: list pages only), then, plain,
            # one that asks about every stored report (``--revalidate``: 304s)
            again = _run_child(mode, catalog, db, tmp / f"raw-{mode}-{label}-{r}")
            walls["recrawl" if mode == "plain" else "prefect recrawl"].append(again["wall"])
            written.append(_totals(again)["rows_written"])
            if mode == "plain":
                forced = _run_child(mode, catalog, db, tmp / f"raw-{mode}-{label}-{r}", revalidate=True)
                walls["revalidate"].append(forced["wall"])
                written.append(_totals(forced)["rows_written"])
        if r == 0:  # the reference once, between the first and second rounds (it takes ~40 s)
            ref = _scrapy(catalog, tmp / f"scrapy-{label}.db")
    assert first is not None
    t = _totals(first)
    n = max(1.0, t["discovered"])
    plain, pref = _median(walls["plain"]), _median(walls["prefect"])
    runs = f"median of {rounds}: " + ", ".join(f"{w:.2f}" for w in walls["plain"]) + " s"
    rows.append(_row(f"crawl {label}: throughput", _median(rps), "reports/s",
                     f"{sim.kwargs['sites']} sites × {sim.kwargs['reports_per_site']}, plain pipeline, warmed simulator; {runs}"))
    for stage in ("fetch", "extract", "parse", "upsert"):
        rows.append(_row(f"crawl {label}: {stage}", 1000 * t[stage] / n, "ms/report", "first run; summed over concurrent sources"))
    cpus = cpu_plain
    rows.append(_row(f"crawl {label}: CPU", 1000 * _median(cpus) / n, "ms/report",
                     "crawl process only (user+sys; parse workers are forkserver children, not counted), median: the event loop's share"))
    rows.append(_rss_row(label, first))
    rec = _median(walls["recrawl"])
    rows.append(_row(f"recrawl {label}: speed-up", plain / rec, "ratio",
                     f"median first {plain:.2f} s / median recrawl {rec:.2f} s (each after its own warmed first crawl; "
                     f"no stored report due a check: list pages only); report rows written {max(written):.0f} at most"))
    fre = _median(walls["revalidate"])
    rows.append(_row(f"recrawl {label} --revalidate: speed-up", plain / fre, "ratio",
                     f"every stored report asked about (conditional GET, 304): median first {plain:.2f} s / "
                     f"median recrawl {fre:.2f} s"))
    prec = _median(walls["prefect recrawl"])
    rows.append(_row(f"recrawl {label} through crawl_all: speed-up", pref / prec, "ratio",
                     f"what govreports crawl does: median first {pref:.2f} s / median recrawl {prec:.2f} s; "
                     f"{len(walls['prefect recrawl'])} runs"))
    rows.append(_row(f"prefect overhead {label}", 100 * (pref - plain) / pref, "% of wall",
                     f"median crawl_all {pref:.2f} s vs plain {plain:.2f} s over {rounds} alternated rounds ({_prefect_label(api)})"))
    _prefect_cost_rows(label, sim, cpu_self, server_cpu, api, plain, rows)
    if isinstance(ref, dict):
        ref_rate = ref["reports"] / ref["wall"]
        rows.append(_row(f"scrapy+trafilatura {label}", ref_rate, "reports/s", f"{ref['reports']} pages, text only, same warmed simulator"))
        rows.append(_row(f"govreports vs scrapy {label}", _median(rps) / ref_rate, "ratio",
                         "every page the reference stored counted as a report"))
        with_text, report_pages = _reference_reports(sim, tmp / f"scrapy-{label}.db")
        rows.append(_row(f"scrapy+trafilatura {label}: reports with their text", with_text / ref["wall"], "reports/s",
                         f"of its {ref['reports']} pages {report_pages} are report pages, and {with_text} of those hold "
                         "the report; the others are stubs whose report is a PDF/DOCX/DOC it never opens"))
        rows.append(_row(f"govreports vs scrapy {label}: reports with their text", _median(rps) / (with_text / ref["wall"]),
                         "ratio", f"govreports: all {t['parsed']:.0f} reports parsed, attachments included"))
    else:
        rows.append(_row(f"scrapy+trafilatura {label}", float("nan"), "reports/s", f"failed: {ref}"))


def _prefect_cost_rows(label: str, sim: SimProcess, cpu_self: dict[str, list[float]], server_cpu: list[float],
                       api: Any, plain_wall: float, rows: list[dict[str, Any]]) -> None:
    """Where Prefect's share goes: its server's CPU and its engine's in the crawl process.

    The crawl keeps both cores busy, so every CPU second Prefect spends is about half a second
    of wall. A crawl is one flow run with no subflows or tasks (``flows.crawl``): what is left
    is that run's own cost (deployment, run creation, states, two artifacts).
    """
    sites = sim.kwargs["sites"]
    client = _median(cpu_self["prefect"]) - _median(cpu_self["plain"])
    if not server_cpu:  # a shared server: its CPU is not ours to read
        rows.append(_row(f"prefect overhead {label}: CPU", client, "s",
                         "crawl process over plain (medians); the server's CPU is not measured on a shared server"))
        return
    server = _median(server_cpu)
    rows.append(_row(f"prefect overhead {label}: CPU", client + server, "s",
                     f"server {server:.2f} s + crawl process {client:+.2f} s over plain (medians); "
                     f"on 2 busy cores ≈ {(client + server) / 2:.2f} s of wall"))
    rows.append(_row(f"prefect overhead {label}: CPU per source", 1000 * (client + server) / sites, "ms/source",
                     f"{sites} sources in one flow run"))


def _bytecode_cache() -> str:
    """Let the benchmark's processes cache bytecode like any installed program.

    A sandbox with ``PYTHONDONTWRITEBYTECODE=1`` (this one) recompiles every module in
    every process: +1–3 s per crawl process and per parse worker, which no user sees.
    The cache goes to ``data/pycache`` (``PYTHONPYCACHEPREFIX``), never into the tree.
    """
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is None:
        return "default"
    os.environ.setdefault("PYTHONPYCACHEPREFIX", str(ROOT / "data" / "pycache"))
    return f"cached in {os.environ['PYTHONPYCACHEPREFIX']}"


def _prefect_label(api: Any) -> str:
    if os.environ.get("GOVREPORTS_BENCH_PREFECT") == "shared":
        return f"Prefect server: {api.how}"
    return "private fresh local Prefect server"


@contextlib.contextmanager
def _private_prefect(home: Path) -> Iterator[Any]:
    """A fresh local Prefect server for this benchmark only (own PREFECT_HOME, tuned like
    the one ``govreports`` starts), so Prefect's share is not the load other users put on
    a shared server, nor a long history in its database. ``GOVREPORTS_BENCH_PREFECT=shared``
    measures against the server ``govreports`` would use instead."""
    from flows.prefect_server import resolve_api, start_local_server, stop_local_server

    if os.environ.get("GOVREPORTS_BENCH_PREFECT") == "shared":
        yield resolve_api()
        return
    saved = {k: os.environ.get(k) for k in ("PREFECT_HOME", "PREFECT_API_URL")}
    os.environ["PREFECT_HOME"] = str(home)
    os.environ.pop("PREFECT_API_URL", None)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    try:
        choice = start_local_server(port=port)
        os.environ["PREFECT_API_URL"] = choice.url
        yield choice
    finally:
        stop_local_server()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run(quick: bool = False) -> list[dict[str, Any]]:
    import flows  # noqa: F401  (Prefect settings: no phone-home, PREFECT_HOME under data/)

    _bytecode_cache()
    with tempfile.TemporaryDirectory(prefix="govreports-bench-prefect-") as home, _private_prefect(Path(home)) as api:
        return _run(quick, api)


def _run(quick: bool, api: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    sizes = QUICK_SIZES if quick else SIZES
    compared = False
    with tempfile.TemporaryDirectory(prefix="govreports-bench-") as tmpdir:
        tmp = Path(tmpdir)
        for label, (sites, per_site) in sizes.items():
            with SimProcess(sites, per_site) as sim:
                catalog = sim.write_catalog(tmp / f"sources-{label}.yaml")
                p = sim.prerendered
                if p is not None:
                    rows.append(_row(f"sim {label}: prerender", p.seconds, "s",
                                     f"{p.resources} URLs, {p.bytes / 1e6:.0f} MB, {p.workers} processes, before timing"))
                n_req, secs = sim.warm()
                rows.append(_row(f"sim {label}: warmed throughput", n_req / secs, "req/s",
                                 f"{n_req} pages+attachments, 64 connections, aiohttp client (a lower bound)"))
                if not compared:
                    compared = True
                    _compare_1k(label, sim, catalog, tmp, 1 if quick else 3, rows, api)
                    start = _startup(sim, catalog, tmp)
                    if start is not None:
                        rows.append(_row("govreports crawl start-up", start, "s", f"to first request; {_prefect_label(api)}, running"))
                    continue
                db = f"sqlite:///{tmp / f'plain-{label}.db'}"
                first = _run_child("plain", catalog, db, tmp / f"raw-{label}")
                t = _totals(first)
                n = max(1, t["discovered"])
                note = f"{sites} sites × {per_site}, plain pipeline, warmed simulator, {t['parsed']:.0f} parsed, {t['failed']:.0f} not fetched"
                rows.append(_row(f"crawl {label}: throughput", n / first["wall"], "reports/s", note))
                for stage in ("fetch", "extract", "parse", "upsert"):
                    rows.append(_row(f"crawl {label}: {stage}", 1000 * t[stage] / n, "ms/report", "summed over concurrent sources"))
                rows.append(_rss_row(label, first))
                again = _run_child("plain", catalog, db, tmp / f"raw-{label}")
                t2 = _totals(again)
                rows.append(_row(f"recrawl {label}: speed-up", first["wall"] / again["wall"], "ratio",
                                 f"first {first['wall']:.1f} s / recrawl {again['wall']:.2f} s; {t2['rows_written']:.0f} report rows written, "
                                 f"{t2['not_due']:.0f} not due a check"))
                forced = _run_child("plain", catalog, db, tmp / f"raw-{label}", revalidate=True)
                t3 = _totals(forced)
                rows.append(_row(f"recrawl {label} --revalidate: speed-up", first["wall"] / forced["wall"], "ratio",
                                 f"first {first['wall']:.1f} s / recrawl {forced['wall']:.2f} s; {t3['rows_written']:.0f} report rows written, "
                                 f"{t3['unchanged']:.0f} unchanged (304 or same bytes)"))
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:6])
    elif len(sys.argv) > 1 and sys.argv[1] == "--scrapy":
        _scrapy_child(*sys.argv[2:5])
    else:
        for r in run(quick="--quick" in sys.argv):
            print(r)
