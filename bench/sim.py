"""Simulator benchmark: requests/s the portal simulator serves on loopback.

The simulator must never be the bottleneck of a crawl benchmark (target ≥ 2,000
req/s on this 2-core machine). The server runs in its own process (as
``govreports sim serve`` does) so that the client's work does not share its GIL;
the client is aiohttp with 64 keep-alive connections spread over the site hosts.
Detail pages and list pages are measured after one warm-up pass (rendered pages
are cached, as in a real crawl where each URL is fetched once per host and
repeated for conditional requests); conditional requests measure the 304 path.
Also: start-up cost of a 50 × 200 simulator, ground truth cost per report, and
render cost per PDF/DOCX attachment (generated lazily on first request).

Run alone: ``uv run python -m bench.sim [--quick]``.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import sys
import time
from typing import Any

SITES = 8
REPORTS = 60


def _row(name: str, value: float, unit: str, note: str) -> dict[str, Any]:
    return {"name": name, "value": round(value, 3), "unit": unit, "note": note}


def _serve(q: Any, sites: int, reports: int) -> None:
    from portalsim import Simulator

    Simulator(sites=sites, reports_per_site=reports, seed=1).serve_forever(0, q.put)


async def _hammer(urls: list[str], seconds: float, headers: dict[str, str] | None = None) -> tuple[int, float, int]:
    import aiohttp

    done = 0
    bad = 0
    conn = aiohttp.TCPConnector(limit=64, limit_per_host=16)
    async with aiohttp.ClientSession(connector=conn, auto_decompress=False) as session:
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()

        async def worker(offset: int) -> None:
            nonlocal done, bad
            i = offset
            while time.perf_counter() < deadline:
                async with session.get(urls[i % len(urls)], headers=headers) as r:
                    await r.read()
                    if r.status not in (200, 304):
                        bad += 1
                done += 1
                i += 64

        await asyncio.gather(*(worker(k) for k in range(64)))
        return done, time.perf_counter() - start, bad


def _throughput(quick: bool) -> list[dict[str, Any]]:
    from portalsim import Simulator

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(q, SITES, REPORTS), daemon=True)
    proc.start()
    rows: list[dict[str, Any]] = []
    try:
        port = q.get(timeout=60)
        plan = Simulator(sites=SITES, reports_per_site=REPORTS, seed=1)  # same seed: same URLs
        details, lists = [], []
        for s in plan.sites():
            base = plan.base_url(s.index, port)
            details += [base + it.path for it in s.items if it.trap is None]
            lists.append(base + s.start_path())
        seconds = 2.0 if quick else 6.0
        # warm-up: the first request to a page renders it; a crawl measures steady serving
        asyncio.run(_hammer(details, max(1.0, seconds / 2)))
        for label, urls, headers in (
            ("detail_pages", details, {"Accept-Encoding": "gzip"}),
            ("list_pages", lists, {"Accept-Encoding": "gzip"}),
            ("conditional_304", details, {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}),
        ):
            n, dt, bad = asyncio.run(_hammer(urls, seconds, headers))
            rows.append(_row(f"sim.{label}", n / dt, "req/s",
                             f"{n} requests in {dt:.1f}s, 64 connections, {SITES} hosts, {bad} non-2xx/304; target >= 2000"))
    finally:
        proc.terminate()
        proc.join(10)
    return rows


def _costs(quick: bool) -> list[dict[str, Any]]:
    from portalsim import Simulator
    from portalsim.render_office import render_docx, render_pdf

    rows = []
    t0 = time.perf_counter()
    sim = Simulator(sites=50, reports_per_site=200, seed=3)
    sim.sites()
    rows.append(_row("sim.plan_50x200", (time.perf_counter() - t0) * 1000, "ms", "plan 50 sites x 200 reports (no rendering)"))
    n_sites = 5 if quick else 50
    t0 = time.perf_counter()
    truth = [t for t in sim.ground_truth(port=8900) if int(t.site[4:]) < n_sites] if not quick else None
    if quick:
        small = Simulator(sites=5, reports_per_site=200, seed=3)
        t0 = time.perf_counter()
        truth = small.ground_truth(port=8900)
    dt = time.perf_counter() - t0
    assert truth is not None
    reports = sum(t.is_report for t in truth)
    rows.append(_row("sim.ground_truth", dt * 1000 / max(1, reports), "ms/report", f"{reports} reports, numbers generated lazily"))
    site = sim.site(0)
    items = [it for it in site.items if it.is_report and it.format == "2021"][: 5 if quick else 20]
    docs = [sim.report_doc(site, it) for it in items]
    t0 = time.perf_counter()
    for d in docs:
        render_pdf(d)
    rows.append(_row("sim.render_pdf", (time.perf_counter() - t0) * 1000 / len(docs), "ms/report", "2021-format report, STSong-Light text layer"))
    t0 = time.perf_counter()
    for d in docs:
        render_docx(d)
    rows.append(_row("sim.render_docx", (time.perf_counter() - t0) * 1000 / len(docs), "ms/report", "2021-format report, merged-cell tables"))
    return rows


def run(quick: bool = False) -> list[dict[str, Any]]:
    return _throughput(quick) + _costs(quick)


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(f"{r['name']:<40} {r['value']:>12} {r['unit']:<10} {r['note']}")
