"""Deadlines: a total per request (setting and catalog), a minimum transfer rate after the
first bytes, and a bound on one page across all its attempts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from crawler_helpers import FAST_RETRY, make_source, public_resolver
from loopback import Route, serve

from govreports.settings import Settings, get_settings
from scrapers import FetchError, open_client
from scrapers.catalog import CatalogError, load_catalog

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

BASE = "http://www.example.gov.cn/xxgk/"


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return get_settings(archive=str(tmp_path / "raw"), rate=0, obey_robots=False, max_bytes=1_000_000, **kw)


class Trickle(httpx.AsyncByteStream):
    """``size`` bytes every ``every`` seconds, ``count`` times."""

    def __init__(self, size: int, every: float, count: int):
        self.size, self.every, self.count = size, every, count

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            await asyncio.sleep(self.every)
            yield b"x" * self.size


async def test_a_trickle_is_cut_one_window_after_the_first_bytes_and_not_retried(tmp_path: Path) -> None:
    settings = _settings(tmp_path, min_transfer_rate=1000, min_rate_window=0.4)
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, stream=Trickle(10, 0.05, 200))  # 200 B/s for 10 s

    async with open_client(make_source(BASE), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver, retry=FAST_RETRY) as c:
        started = time.monotonic()
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "slow.pdf")
        took = time.monotonic() - started
    assert ei.value.kind == "network" and "slower than 1000 bytes/s over 0.4 s" in ei.value.reason
    assert ei.value.retries == 0 and len(calls) == 1
    assert 0.35 < took < 2.0
    assert c.log[-1].error is not None and "min_transfer_rate" in c.log[-1].error


async def test_a_steady_transfer_over_many_windows_is_not_cut(tmp_path: Path) -> None:
    settings = _settings(tmp_path, min_transfer_rate=1000, min_rate_window=0.2)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Trickle(200, 0.05, 30))  # 4 kB/s for 1.5 s: 7 windows

    async with open_client(make_source(BASE), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver, retry=FAST_RETRY) as c:
        r = await c.fetch(BASE + "steady.pdf")
    assert len(r.body) == 6000


async def test_a_minimum_rate_of_zero_turns_the_check_off(tmp_path: Path) -> None:
    settings = _settings(tmp_path, min_transfer_rate=0, min_rate_window=0.1)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Trickle(1, 0.05, 8))

    async with open_client(make_source(BASE), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver, retry=FAST_RETRY) as c:
        assert (await c.fetch(BASE + "a.pdf")).body == b"x" * 8


async def test_the_page_bound_holds_across_retries(tmp_path: Path) -> None:
    """Each attempt times out at request_timeout (0.3 s) and would be retried 4 times; the page
    stops at page_timeout (0.8 s) with the reason, without a fourth attempt."""
    settings = _settings(tmp_path, request_timeout=0.3, page_timeout=0.8)
    calls: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        await asyncio.sleep(30)
        return httpx.Response(200)

    async with open_client(make_source(BASE), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver, retry=FAST_RETRY) as c:
        started = time.monotonic()
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "hang.html")
        took = time.monotonic() - started
    assert ei.value.kind == "network" and "page_timeout" in ei.value.reason
    assert len(calls) == 3 and ei.value.retries == 2
    assert 0.75 < took < 1.5


async def test_a_source_s_request_timeout_wins_over_the_setting(tmp_path: Path) -> None:
    settings = _settings(tmp_path, request_timeout=100.0)

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    retry = FAST_RETRY.__class__(max_attempts=1)
    async with open_client(make_source(BASE, request_timeout=0.2), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver, retry=retry) as c:
        started = time.monotonic()
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "hang.html")
    assert time.monotonic() - started < 2.0
    assert "no complete answer within 0.2 s (request_timeout)" in ei.value.reason


def test_the_catalog_field_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - {key: a, name: A, adapter: trs, start_urls: ['http://www.a.gov.cn/'], "
                    "request_timeout: -1}\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"sources\[0\]\.request_timeout"):
        load_catalog(path)
    path.write_text("sources:\n  - {key: a, name: A, adapter: trs, start_urls: ['http://www.a.gov.cn/'], "
                    "request_timeout: 600}\n", encoding="utf-8")
    assert load_catalog(path).sources[0].request_timeout == 600


def test_the_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVREPORTS_REQUEST_TIMEOUT", "45")
    monkeypatch.setenv("GOVREPORTS_PAGE_TIMEOUT", "90")
    monkeypatch.setenv("GOVREPORTS_MIN_TRANSFER_RATE", "2048")
    s = get_settings()
    assert (s.request_timeout, s.page_timeout, s.min_transfer_rate, s.min_rate_window) == (45, 90, 2048, 30)


def trickling(total: int, every: float) -> Route:
    """Headers at once, then the body one byte every ``every`` seconds."""

    async def route(w: asyncio.StreamWriter) -> None:
        w.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: {total}\r\n\r\n".encode())
        await w.drain()
        for _ in range(total):
            w.write(b"%")
            await w.drain()
            await asyncio.sleep(every)

    return route


async def test_end_to_end_a_trickling_server_is_cut_and_frees_its_slot(tmp_path: Path) -> None:
    """A real server on 127.0.0.1 sending one byte every 50 ms (each within read_timeout):
    cut after the 1 s window instead of taking 100 s, and the next page is fetched."""
    settings = _settings(tmp_path, min_transfer_rate=1024, min_rate_window=1.0)
    routes = {"/slow.pdf": trickling(2000, 0.05), "/ok.html": trickling(1, 0)}
    async with (serve(routes) as srv,
                open_client(make_source(srv.base + "/", allow_private=True), settings, retry=FAST_RETRY) as c):
        started = time.monotonic()
        with pytest.raises(FetchError) as ei:
            await c.fetch(srv.base + "/slow.pdf")
        took = time.monotonic() - started
        ok = await c.fetch(srv.base + "/ok.html")
    assert ei.value.kind == "network" and "min_transfer_rate" in ei.value.reason
    assert 0.9 < took < 4.0 and ok.body == b"%"
    assert srv.asked == ["/slow.pdf", "/ok.html"]
