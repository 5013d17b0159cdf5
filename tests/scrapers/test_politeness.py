"""A host's budget belongs to the host: the strictest catalog entry on it decides, robots.txt
is asked once per origin and kept, and two processes (two stores on one SQLite file) share
one budget through the host's lease."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import httpx
import pytest
from crawler_helpers import public_resolver

from scrapers.catalog import Source
from scrapers.http import Web
from scrapers.politeness import HostBook, HostPolicy, LeasedLimiter
from storage import Store


def _source(key: str, url: str, rate: float | None = None, concurrency: int | None = None) -> Source:
    return Source.model_validate({
        "key": key, "name": key, "adapter": "trs", "start_urls": [url],
        "politeness": {"rate": rate, "concurrency": concurrency},
    })


def test_a_shared_host_gets_the_strictest_entry_whichever_source_asks() -> None:
    entries = [
        (["a.gov.cn"], 2.0, 4),  # the district's own column: 2/s, 4 connections
        (["a.gov.cn"], 0.5, None),  # a department column on the same host: 1 request per 2 s
        (["b.gov.cn"], None, None),  # defaults
    ]
    book = HostBook.for_sources(entries, rate=1.0, concurrency=1)
    assert book.policy("a.gov.cn") == HostPolicy(min_interval=2.0, concurrency=1)
    assert book.policy("b.gov.cn") == HostPolicy(min_interval=1.0, concurrency=1)
    assert book.policy("cdn.example.cn") == HostPolicy(min_interval=1.0, concurrency=1)  # not in the catalog
    # a per-host setting wins over the entries; robots.txt's Crawl-delay only ever widens
    book = HostBook.for_sources(entries, rate=1.0, concurrency=1, hosts={"a.gov.cn": (4.0, 2)})
    assert book.policy("a.gov.cn") == HostPolicy(min_interval=0.25, concurrency=2)
    book.widen("a.gov.cn", 3.0)
    book.widen("a.gov.cn", 0.1)
    assert book.policy("a.gov.cn").min_interval == 3.0
    off = HostBook.for_sources(entries, rate=1.0, concurrency=1, enabled=False)
    off.widen("a.gov.cn", 3.0)
    assert off.policy("a.gov.cn").min_interval == 0.0


def test_two_processes_on_one_database_share_a_hosts_spacing(tmp_path: Path) -> None:
    """Two limiters with their own stores (as two crawl processes have): their requests to
    one host interleave at the host's interval, never closer, and the host is handed over
    as soon as the first is done, not when its lease would have run out."""
    url = f"sqlite:///{tmp_path / 'g.db'}"
    stores = [Store(url), Store(url)]
    limiters = [LeasedLimiter(s, ttl=2.0, margin=0.5, poll=0.05) for s in stores]
    policy = HostPolicy(min_interval=0.1, concurrency=1)
    starts: list[tuple[float, int]] = []

    async def crawl(i: int, n: int) -> None:
        for _ in range(n):
            await limiters[i].acquire("h.gov.cn", policy)
            starts.append((time.monotonic(), i))
            await limiters[i].release("h.gov.cn")
        await limiters[i].close()

    async def both() -> None:
        await asyncio.gather(crawl(0, 8), crawl(1, 8))

    t0 = time.monotonic()
    asyncio.run(both())
    wall = time.monotonic() - t0
    times = sorted(t for t, _ in starts)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.1 * 0.95, gaps
    assert {i for _, i in starts} == {0, 1}
    # 16 requests at 0.1 s: about 1.5 s; waiting out a 2 s lease would make it 3.5 s or more
    assert wall < 3.0, wall
    with stores[0].engine.connect() as c:
        assert c.exec_driver_sql("SELECT until FROM host_leases").all() == [(0.0,)]
    for s in stores:
        s.close()


def test_a_lease_held_by_another_process_waits_until_it_ends(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    now = time.time()
    assert store.take("h", "other", now, now + 0.6) == (True, 0.0)
    held, free_at = store.take("h", "me", now, now + 10)
    assert not held and free_at == pytest.approx(now + 0.6)
    store.release("other", {"h": now + 0.7})
    assert store.take("h", "me", now + 0.01, now + 10) == (True, pytest.approx(now + 0.7))
    store.close()


def test_robots_txt_is_fetched_once_per_origin_for_all_sources_and_kept(tmp_path: Path) -> None:
    """Ten department columns on one host: one robots.txt request. A second crawl on the
    same database asks none: the file is kept for its lifetime (max-age here)."""
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /internal/\n",
                                  headers={"Cache-Control": "max-age=3600"})
        return httpx.Response(200, text="<html><body>ok</body></html>", headers={"Content-Type": "text/html"})

    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    sources = [_source(f"bm{i}", f"http://www.a.gov.cn/bm{i}/", rate=0) for i in range(10)]

    async def crawl() -> list[bool]:
        web = Web.for_sources(sources, robots_store=store, transport=httpx.MockTransport(handler),
                              resolver=public_resolver)
        await asyncio.to_thread(web.robots.preload, ["http://www.a.gov.cn"])
        try:
            results = []
            for s in sources:
                client = web.client(s)
                await client.fetch(s.start_urls[0], role="list")
                results.append(await web.robots.allowed("http://www.a.gov.cn/internal/x", client._robots_fetch))
            return results
        finally:
            await web.aclose()

    assert asyncio.run(crawl()) == [False] * 10
    assert asked.count("/robots.txt") == 1
    asked.clear()
    asyncio.run(crawl())
    assert asked.count("/robots.txt") == 0 and len(asked) == 10
    (origin, expires), = store.load_robots(["http://www.a.gov.cn"], time.time()).items()
    assert origin == "http://www.a.gov.cn" and 3500 < expires[1] - time.time() <= 3600
    store.close()


def test_the_catalogs_host_setting_reaches_the_crawl(tmp_path: Path) -> None:
    from scrapers.catalog import load_catalog

    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - {key: a, name: A, adapter: trs, start_urls: ['http://www.a.gov.cn/bm1/'], politeness: {rate: 5}}\n"
        "  - {key: b, name: B, adapter: trs, start_urls: ['http://www.a.gov.cn/bm2/']}\n"
        "hosts:\n  www.a.gov.cn: {rate: 0.25, concurrency: 2}\n",
        encoding="utf-8",
    )
    catalog = load_catalog(path)
    web = Web.for_sources(catalog.sources, hosts=catalog.hosts)
    assert web.book.policy("www.a.gov.cn") == HostPolicy(min_interval=4.0, concurrency=2)
    plain = Web.for_sources(catalog.sources)  # no host setting: the stricter entry (b: the 1/s default)
    assert plain.book.policy("www.a.gov.cn") == HostPolicy(min_interval=1.0, concurrency=1)
