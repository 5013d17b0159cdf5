"""Render every document of a simulated web up front, in a process pool.

Why: the simulator renders a report's PDF/DOCX (30–80 ms each) on its first request, in
the one process that also serves every site. A benchmark that crawls a cold simulator
measures the simulator's rendering, not the crawler; and if the simulator runs in the
crawler's process it also steals the crawler's GIL. ``prerender`` fills the simulator's
resource cache before serving, so a timed crawl costs the simulator a dictionary lookup
(and a cached gzip) per request.

Rendering is deterministic per (seed, site, item, revision), so worker processes build
their own ``Simulator`` from the same constructor arguments, render a share of the URLs
and send the finished ``Resource`` objects (bytes, validators, gzip variant) back.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portalsim.resources import Resource
    from portalsim.simulator import Simulator

__all__ = ["PrerenderStats", "prerender", "render_targets", "simulator_spec"]

#: (site index, path, query) of one cacheable URL
Target = tuple[int, str, str]

#: URLs per pool task: big enough to amortise pickling, small enough to balance two cores
_CHUNK = 64


@dataclass(frozen=True, slots=True)
class PrerenderStats:
    """What ``prerender`` did: URLs rendered, their total size, and how long it took."""

    resources: int
    bytes: int
    seconds: float
    workers: int


def simulator_spec(sim: Simulator) -> dict[str, Any]:
    """The constructor arguments that rebuild ``sim``'s web exactly (in another process)."""
    return {
        "sites": sim.n_sites,
        "columns": sim.n_columns,
        "reports_per_site": sim.reports_per_site,
        "seed": sim.seed,
        "faults": dict(sim.faults),
        "families": sim.families,
        "encodings": sim.encodings,
        "page_size": sim.page_size,
        "crawl_delay": sim.crawl_delay,
        "broken_rate": sim.broken_rate,
        "catalog_rate": sim.catalog_rate,
    }


def render_targets(sim: Simulator) -> list[Target]:
    """Every URL worth rendering ahead: each item's page and attachment.

    Trap items (redirects, bombs, oversized streams) are skipped: they are cheap, some
    depend on the serving port, and streamed ones are never cached. List pages are cheap
    string templates and are rendered on first request.
    """
    out: list[Target] = []
    for site in sim.sites():
        for item in site.items:
            if item.trap is not None:
                continue
            out.append((site.index, item.path, ""))
            if item.attachment:
                path, _, query = item.attachment.partition("?")
                out.append((site.index, path, query))
    return out


_worker_sim: Simulator | None = None


def _init_worker(spec: dict[str, Any], revisions: dict[tuple[int, int], tuple[int, float]]) -> None:
    global _worker_sim
    from portalsim.simulator import Simulator

    sim = Simulator(**spec)
    sim._revisions.update(revisions)
    _worker_sim = sim


def _render_lists(sim: Simulator) -> tuple[int, int]:
    """Render the paged list pages whose URLs do not depend on the port (TRS, generic,
    the Hanweb column page) in this process: they are cheap templates. Returns (pages, bytes)."""
    pages = size = 0
    for site in sim.sites():
        if site.family == "trs":
            names = ["index.html", *(f"index_{n}.html" for n in range(1, 10_000))]
            root = site.trs_root
        elif site.family == "generic":
            names = ["index.shtml", *(f"index_{n}.shtml" for n in range(2, 10_000))]
            root = site.generic_root
        elif site.family == "hanweb":
            names, root = [site.start_path().rsplit("/", 1)[-1]], site.start_path().rsplit("/", 1)[0] + "/"
        else:
            continue
        for name in names:
            res = sim.resolve(site, "GET", root + name, "", {})
            if res.status != 200:
                break
            if res.compressible and len(res.body) > 256:
                res.gzipped()
            pages += 1
            size += len(res.body)
    return pages, size


def _render(sim: Simulator, targets: list[Target]) -> list[tuple[Target, Resource]]:
    out: list[tuple[Target, Resource]] = []
    for index, path, query in targets:
        res = sim.resolve(sim.site(index), "GET", path, query, {})
        if res.compressible and len(res.body) > 256:
            res.gzipped()  # computed once here, sent along, never on the serving path
        out.append(((index, path, query), res))
    return out


def _render_chunk(targets: list[Target]) -> list[tuple[Target, Resource]]:
    assert _worker_sim is not None, "prerender worker used before its initializer ran"
    return _render(_worker_sim, targets)


def prerender(sim: Simulator, workers: int | None = None) -> PrerenderStats:
    """Render every page and attachment of ``sim`` into its cache; returns what it did.

    ``workers``: render processes (default: every core); 0 or 1 renders in this process.
    The cache is grown to hold everything, so nothing rendered here is evicted later.
    """
    started = time.perf_counter()
    targets = render_targets(sim)
    sim.reserve_cache(len(targets) + sum(len(s.items) for s in sim.sites()))
    # by default a small web renders here: a pool's start-up would cost more than it saves
    n = ((os.cpu_count() or 1) if len(targets) > _CHUNK else 1) if workers is None else workers
    lists, total = _render_lists(sim)
    if n <= 1:
        for _target, res in _render(sim, targets):
            total += len(res.body)
        return PrerenderStats(len(targets) + lists, total, time.perf_counter() - started, 1)
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    size = max(1, min(_CHUNK, len(targets) // (4 * n)))
    chunks = [targets[i : i + size] for i in range(0, len(targets), size)]
    with ProcessPoolExecutor(
        max_workers=n, mp_context=ctx, initializer=_init_worker, initargs=(simulator_spec(sim), dict(sim._revisions))
    ) as pool:
        for fut in as_completed([pool.submit(_render_chunk, c) for c in chunks]):
            for (index, path, query), res in fut.result():
                sim.cache_resource(index, path, query, res)
                total += len(res.body)
    return PrerenderStats(len(targets) + lists, total, time.perf_counter() - started, n)
