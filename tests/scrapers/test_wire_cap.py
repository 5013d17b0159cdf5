"""The size cap counts bytes as they come off the socket (``scrapers.transport._CountingHandler``):
status line, headers, chunk framing and body. Real servers on 127.0.0.1, the real transport."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from aiohttp import web
from crawler_helpers import FAST_RETRY, make_source
from loopback import Route, serve

from govreports.settings import get_settings
from scrapers import FetchError, open_client
from scrapers.http import make_http_client, wire_cap
from scrapers.transport import WIRE_CAP, WireCapExceeded

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

MIB = 1024 * 1024


def chunked_with_extensions(chunks: int, extension: int = 60_000) -> Route:
    """One payload byte per chunk, each behind ``extension`` bytes of chunk extension."""

    async def route(w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
        ext = b";x=" + b"a" * extension
        for _ in range(chunks):
            w.write(b"1" + ext + b"\r\nA\r\n")
            await w.drain()
        w.write(b"0\r\n\r\n")
        await w.drain()

    return route


def endless_headers(count: int, size: int = 8000) -> Route:
    async def route(w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\n")
        for i in range(count):
            w.write(f"X-Pad-{i}: ".encode() + b"p" * size + b"\r\n")
            await w.drain()
        w.write(b"Content-Length: 2\r\n\r\nok")
        await w.drain()

    return route


@pytest.fixture
def capped(tmp_path):  # type: ignore[no-untyped-def]
    return get_settings(archive=str(tmp_path / "raw"), rate=0, obey_robots=False, max_bytes=MIB)


async def test_chunk_extensions_are_counted_and_stop_within_ten_percent_of_the_cap(capped) -> None:  # type: ignore[no-untyped-def]
    """140 chunks of one byte behind 60 kB extensions: 8.4 MB on the wire, 140 bytes of body."""
    async with serve({"/bomb": chunked_with_extensions(140)}) as srv, make_http_client(capped, allow_private=True) as http:
        request = http.build_request("GET", srv.base + "/bomb", extensions={WIRE_CAP: wire_cap(MIB)})
        with pytest.raises(WireCapExceeded) as ei:
            response = await http.send(request, stream=True)
            try:
                async for _ in response.aiter_raw():
                    pass
            finally:
                await response.aclose()
    assert ei.value.seen <= 1.1 * MIB  # read from the socket before stopping
    assert ei.value.seen == ei.value.cap + 1  # plain TCP: the last read is bounded to one byte past

    async with (serve({"/bomb": chunked_with_extensions(140)}) as srv,
                open_client(make_source(srv.base + "/", allow_private=True), capped, retry=FAST_RETRY) as c):
        with pytest.raises(FetchError) as fe:
            await c.fetch(srv.base + "/bomb")
    assert fe.value.kind == "too_large" and "on the wire" in fe.value.reason and fe.value.retries == 0
    assert c.log[-1].error is not None and c.log[-1].error.startswith("too_large")


async def test_headers_count_against_the_cap(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = get_settings(archive=str(tmp_path / "raw"), rate=0, obey_robots=False, max_bytes=64 * 1024)
    async with (serve({"/h": endless_headers(100)}) as srv,
                open_client(make_source(srv.base + "/", allow_private=True), settings, retry=FAST_RETRY) as c):
        with pytest.raises(FetchError) as ei:
            await c.fetch(srv.base + "/h")
    assert ei.value.kind == "too_large" and "on the wire" in ei.value.reason


async def test_bodies_under_the_cap_pass_and_each_response_on_a_connection_is_counted_alone(capped) -> None:  # type: ignore[no-untyped-def]
    """Two 700 kB chunked responses on one keep-alive connection: 1.4 MB on that connection,
    each well under the 1 MiB cap."""
    body = b"<html>" + b"x" * 700_000 + b"</html>"
    peers: list[Any] = []

    async def page(request: web.Request) -> web.StreamResponse:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for i in range(0, len(body), 65536):
            await resp.write(body[i:i + 65536])
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_get("/{name}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}/"
    try:
        async with open_client(make_source(base, allow_private=True), capped, retry=FAST_RETRY) as c:
            first = await c.fetch(base + "a.html")
            second = await c.fetch(base + "b.html")
    finally:
        await runner.cleanup()
    assert first.body == body and second.body == body
    assert len(peers) == 2 and peers[0] == peers[1]  # one connection, reused


async def test_mock_transports_still_get_the_decoded_cap(settings) -> None:  # type: ignore[no-untyped-def]
    """No socket, no wire count: the body cap alone applies (unit tests' MockTransport)."""

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.extensions[WIRE_CAP] == wire_cap(settings.max_bytes)
        return httpx.Response(200, content=b"x" * (settings.max_bytes + 1))

    async with open_client(make_source("http://www.example.gov.cn/"), settings, transport=httpx.MockTransport(handler),
                           retry=FAST_RETRY, resolver=_public) as c:
        with pytest.raises(FetchError) as ei:
            await c.fetch("http://www.example.gov.cn/a.html")
    assert ei.value.kind == "too_large"


async def _public(host: str) -> list[str]:
    return ["93.184.216.34"]
