"""End to end against portalsim: each CMS family, faults, politeness, conditional recrawls.

Real loopback HTTP (aiohttp server in a thread); the crawler gets the simulator's own
catalog entries, as a new user would, and no code knows which site is which.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govreports.settings import get_settings
from portalsim import Simulator
from scrapers import Catalog, FetchedReport, Source, Validators, discover, fetch_report, open_client

pytestmark = [pytest.mark.timeout(120)]

FAMILIES = ["trs", "hanweb", "jsonapi", "generic"]


async def _crawl(source: Source, archive: Path, validators: dict[str, Validators] | None = None,
                 politeness: bool = False) -> tuple[list[FetchedReport], list[Any]]:
    s = get_settings(archive=str(archive))
    async with open_client(source, s, politeness=politeness) as c:
        cands = [x async for x in discover(source, c)]
        reps = list(await asyncio.gather(*(fetch_report(c, x, validators) for x in cands)))
    return reps, c.log


@pytest.fixture(scope="module")
def web() -> Iterator[tuple[Simulator, int]]:
    sim = Simulator(sites=4, reports_per_site=6, seed=7, families=FAMILIES, page_size=4,
                    encodings=["gbk-meta", "utf-8", "utf-8", "gbk-none"])
    with sim.running_in_thread(port=0) as port:
        yield sim, port


@pytest.mark.parametrize("index", range(4), ids=FAMILIES)
def test_each_family_is_crawled_completely_from_its_catalog_entry(web, index: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim, port = web
    source = Catalog.model_validate(sim.catalog(port)).sources[index]
    assert source.adapter == FAMILIES[index]
    truth = [t for t in sim.ground_truth(port) if t.site == source.key]
    reps, log = asyncio.run(_crawl(source, tmp_path))
    assert {r.candidate.url for r in reps} == {t.page_url for t in truth if t.is_report}
    by_url = {t.page_url: t for t in truth}
    for r in reps:
        t = by_url[r.candidate.url]
        assert r.outcome == "new", (r.candidate.url, r.error)
        assert r.candidate.year == t.year
        if t.kind in ("pdf", "docx", "doc"):
            assert r.attachment is not None and r.attachment.url == t.attachment_url
        else:
            assert r.attachment is None
        assert r.document.sha256 and Path(r.document.archive_path or "").exists()
    assert all(e.error is None for e in log if e.role != "robots")


def test_recrawl_with_stored_validators_makes_only_conditional_requests(web, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim, port = web
    source = Catalog.model_validate(sim.catalog(port)).sources[0]
    first, _ = asyncio.run(_crawl(source, tmp_path))
    stored = {}
    for r in first:
        for d in (r.page, r.attachment):
            if d is not None:
                stored[d.url] = Validators(etag=d.etag, last_modified=d.last_modified, sha256=d.sha256)
    host = source.start_urls[0].split("/")[2].split(":")[0]
    mark = len(sim.log)
    again, _ = asyncio.run(_crawl(source, tmp_path, stored))
    assert {r.outcome for r in again} == {"unchanged"}
    detail = [e for e in sim.log[mark:] if e["host"] == host and e["path"] in
              {d.split(str(port), 1)[1] for d in stored}]
    assert detail and all(e["conditional"] and e["status"] == 304 for e in detail)


def test_faults_are_survived_and_traps_recorded(tmp_path: Path) -> None:
    sim = Simulator(sites=2, reports_per_site=5, seed=3, families=["trs", "generic"], page_size=4, faults={
        "site0": "http503:0.3,http429:0.2,retry_after:1,reset:0.2,truncate:0.2",
        "site1": "redirect_loop,redirect_offsite,redirect_private,gzip_bomb:120,oversized:60",
    })
    with sim.running_in_thread(port=0) as port:
        cat = Catalog.model_validate(sim.catalog(port))
        truth = sim.ground_truth(port)
        flaky, _ = asyncio.run(_crawl(cat.sources[0], tmp_path))
        traps, _ = asyncio.run(_crawl(cat.sources[1], tmp_path))
    want0 = {t.page_url for t in truth if t.site == "site0" and t.is_report}
    assert {r.candidate.url for r in flaky if r.outcome == "new"} == want0
    trap_truth = {t.page_url: t.fault for t in truth if t.site == "site1" and t.fault in (
        "redirect_loop", "redirect_offsite", "redirect_private", "gzip_bomb", "oversized")}
    got = {r.candidate.url: (r.outcome, r.error or "") for r in traps}
    expected_kind = {"redirect_loop": "redirects", "redirect_offsite": "refused", "redirect_private": "refused",
                     "gzip_bomb": "too_large", "oversized": "too_large"}
    for url, fault in trap_truth.items():
        if url in got:  # traps whose titles are not report titles are never candidates
            outcome, error = got[url]
            assert outcome == "failed" and error.startswith(expected_kind[str(fault)]), (fault, error)
    good = {t.page_url for t in truth if t.site == "site1" and t.is_report and not t.fault}
    assert good <= {u for u, (o, _) in got.items() if o == "new"}


def test_antibot_site_is_blocked_not_parsed(tmp_path: Path) -> None:
    sim = Simulator(sites=1, reports_per_site=3, seed=5, families=["trs"], faults={"site0": "antibot"})
    with sim.running_in_thread(port=0) as port:
        source = Catalog.model_validate(sim.catalog(port)).sources[0]
        with pytest.raises(Exception) as ei:
            asyncio.run(_crawl(source, tmp_path))
    assert getattr(ei.value, "kind", None) == "blocked"


def test_politeness_no_host_exceeds_its_rate(tmp_path: Path) -> None:
    sim = Simulator(sites=2, reports_per_site=4, seed=9, families=["trs", "jsonapi"], page_size=4)
    with sim.running_in_thread(port=0) as port:
        cat = Catalog.model_validate(sim.catalog(port))
        rate = 8.0
        # one connection per host (the default): arrivals are spaced; four: starts are spaced
        sources = [s.model_copy(update={"politeness": s.politeness.model_copy(
            update={"rate": rate, "concurrency": 1 if i == 0 else 4})}) for i, s in enumerate(cat.sources)]

        async def both() -> None:
            await asyncio.gather(*(_crawl(s, tmp_path, politeness=True) for s in sources))

        asyncio.run(both())
        log = list(sim.log)
    hosts = {e["host"] for e in log if e["host"] != "127.0.0.1"}
    assert len(hosts) == 2
    for host in hosts:
        times = sorted(e["time"] for e in log if e["host"] == host)
        assert len(times) >= 5
        if host == "127.0.0.2":
            gaps = [b - a for a, b in itertools.pairwise(times)]
            assert min(gaps) >= (1 / rate) * 0.9, (host, min(gaps))
        window = [sum(1 for t in times if start <= t < start + 1.0) for start in times]
        assert max(window) <= rate + 1
