"""The guarded client through httpx.MockTransport: retries, caps, bombs, redirects, SSRF, robots."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import re
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import brotli
import httpx
import pytest
from crawler_helpers import FAST_RETRY, ChunkStream, make_source, public_resolver, streamed

from scrapers import FetchError, open_client
from scrapers.http import RetryConfig

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

BASE = "http://www.example.gov.cn/xxgk/"


def _client(handler: Callable[[httpx.Request], httpx.Response], settings, **kw):  # type: ignore[no-untyped-def]
    source_kw = kw.pop("source", {})
    return open_client(make_source(BASE, **source_kw), settings, transport=httpx.MockTransport(handler),
                       resolver=kw.pop("resolver", public_resolver), retry=kw.pop("retry", FAST_RETRY), **kw)


async def test_5xx_then_success_is_retried_and_counted(settings) -> None:  # type: ignore[no-untyped-def]
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503) if len(calls) < 3 else httpx.Response(200, content=b"<html>ok</html>")

    async with _client(handler, settings) as c:
        r = await c.fetch(BASE + "a.html")
    assert r.status == 200 and r.retries == 2 and len(calls) == 3
    assert c.log[-1].retries == 2 and c.log[-1].error is None


async def test_5xx_storm_gives_up_after_max_attempts(settings) -> None:  # type: ignore[no-untyped-def]
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(502)

    async with _client(handler, settings) as c:
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "a.html")
    assert len(calls) == FAST_RETRY.max_attempts
    assert ei.value.kind == "http" and ei.value.status == 502 and ei.value.retries == 3
    assert c.log[-1].error is not None and "502" in c.log[-1].error and c.log[-1].retries == 3


async def test_404_is_not_retried(settings) -> None:  # type: ignore[no-untyped-def]
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(404)

    async with _client(handler, settings) as c:
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "gone.html")
    assert len(calls) == 1 and ei.value.status == 404 and ei.value.retries == 0


async def test_retry_after_is_honoured(settings) -> None:  # type: ignore[no-untyped-def]
    stamps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        if len(stamps) == 1:
            return httpx.Response(429, headers={"Retry-After": "1"})
        return httpx.Response(200, content=b"fine")

    retry = RetryConfig(max_attempts=3, backoff_initial=0.001, backoff_max=0.01, retry_after_max=5.0)
    async with _client(handler, settings, retry=retry) as c:
        r = await c.fetch(BASE + "a.html")
    assert r.body == b"fine" and r.retries == 1
    assert stamps[1] - stamps[0] >= 0.95


async def test_retry_after_is_bounded(settings) -> None:  # type: ignore[no-untyped-def]
    stamps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        return httpx.Response(429, headers={"Retry-After": "3600"}) if len(stamps) == 1 else httpx.Response(200)

    async with _client(handler, settings) as c:  # FAST_RETRY caps Retry-After at 0.05 s
        await c.fetch(BASE + "a.html")
    assert stamps[1] - stamps[0] < 1.0


async def test_connection_errors_and_truncated_bodies_are_retried(settings) -> None:  # type: ignore[no-untyped-def]
    calls = []

    class Truncated(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield b"<html>half"
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused")
        if len(calls) == 2:
            return httpx.Response(200, stream=Truncated())
        if len(calls) == 3:
            raise httpx.ReadTimeout("slow")
        return httpx.Response(200, content=b"<html>whole</html>")

    async with _client(handler, settings) as c:
        r = await c.fetch(BASE + "a.html")
    assert r.body == b"<html>whole</html>" and r.retries == 3


async def test_truncated_gzip_stream_is_retried(settings) -> None:  # type: ignore[no-untyped-def]
    whole = gzip.compress(b"x" * 50_000)
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        data = whole[: len(whole) // 2] if len(calls) == 1 else whole
        return streamed(200, data, {"Content-Encoding": "gzip"})

    async with _client(handler, settings) as c:
        r = await c.fetch(BASE + "a.html")
    assert r.body == b"x" * 50_000 and r.retries == 1


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "deflate-raw", "br"])
async def test_decompression_bombs_stop_within_ten_percent_of_cap(settings, encoding: str) -> None:  # type: ignore[no-untyped-def]
    cap = settings.max_bytes
    plain = b"\0" * (200 * cap)  # 200 MB of zeros
    if encoding == "gzip":
        bomb = gzip.compress(plain, 9)
    elif encoding == "deflate":
        bomb = zlib.compress(plain, 9)
    elif encoding == "deflate-raw":
        co = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        bomb = co.compress(plain) + co.flush()
    else:
        bomb = brotli.compress(plain, quality=5)
    del plain
    header = "deflate" if encoding.startswith("deflate") else encoding
    sent: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": header},
                              stream=ChunkStream(bomb, chunk=64 * 1024, on_chunk=sent.append))

    async with _client(handler, settings) as c:
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "bomb.html")
    assert ei.value.kind == "too_large"
    m = re.search(r"stopped at (\d+) decoded bytes", ei.value.reason)
    assert m, ei.value.reason
    assert cap < int(m.group(1)) <= cap * 1.1
    assert len(sent) <= 2  # the rest of the bomb was never even read


async def test_oversized_bodies_are_refused_at_the_cap(settings) -> None:  # type: ignore[no-untyped-def]
    cap = settings.max_bytes

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("declared.pdf"):
            return httpx.Response(200, headers={"Content-Length": str(cap * 3)}, stream=ChunkStream(b""))
        return streamed(200, b"a" * (cap + 1))

    async with _client(handler, settings) as c:
        for name in ("declared.pdf", "streamed.pdf"):
            with pytest.raises(FetchError) as ei:
                await c.fetch(BASE + name, role="attachment")
            assert ei.value.kind == "too_large", name
        ok = await c.fetch(BASE + "x", max_bytes=cap * 2)
    assert len(ok.body) == cap + 1


# -- redirects and SSRF ---------------------------------------------------------------------

class CountingResolver:
    def __init__(self, answers: dict[str, list[str]] | None = None):
        self.asked: list[str] = []
        self.answers = answers or {}

    async def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        return self.answers.get(host, ["93.184.216.34"])


@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://127.0.0.1:8080/admin",
    "http://[::1]/",
    "http://evil.example.com/x.pdf",
    "file:///etc/passwd",
    "ftp://www.example.gov.cn/x.pdf",
    "gopher://www.example.gov.cn/",
])
async def test_redirects_off_the_source_are_refused_before_any_lookup(settings, target: str) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    resolver = CountingResolver()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": target})

    async with _client(handler, settings, resolver=resolver) as c:
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "a.html")
    assert ei.value.kind == "refused" and ei.value.url == target
    assert seen == [BASE + "a.html"]  # nothing was sent to the target
    assert resolver.asked == ["www.example.gov.cn"]  # and it was never even resolved
    assert c.log[-1].error is not None and c.log[-1].error.startswith("refused")


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "127.0.0.1", "192.168.1.1", "::1", "240.0.0.1"])
async def test_allowed_host_resolving_to_a_private_address_is_refused(settings, address: str) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    resolver = CountingResolver({"cdn.example.gov.cn": [address]})

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://cdn.example.gov.cn/f.pdf"})

    async with _client(handler, settings, resolver=resolver, source={"allowed_hosts": ["cdn.example.gov.cn"]}) as c:
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "a.html")
    assert ei.value.kind == "refused" and "non-public" in ei.value.reason
    assert seen == [BASE + "a.html"]


async def test_redirects_within_the_source_are_followed_up_to_five(settings) -> None:  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("n", "0"))
        if n < int(request.url.params.get("stop", "0")):
            return httpx.Response(301, headers={"Location": f"?n={n + 1}&stop={request.url.params['stop']}"})
        return httpx.Response(200, content=b"end")

    async with _client(handler, settings) as c:
        r = await c.fetch(BASE + "r?n=0&stop=5")
        assert r.body == b"end" and len(r.redirects) == 5 and r.final_url.endswith("n=5&stop=5")
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "r?n=0&stop=6")
    assert ei.value.kind == "redirects"


async def test_redirect_loops_are_refused(settings) -> None:  # type: ignore[no-untyped-def]
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        other = "/xxgk/b.html" if request.url.path.endswith("a.html") else "/xxgk/a.html"
        return httpx.Response(302, headers={"Location": other})

    async with _client(handler, settings) as c:
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "a.html")
    assert ei.value.kind == "redirects" and "loop" in ei.value.reason and len(calls) == 2


async def test_real_connection_to_loopback_is_refused_at_connect_time(settings) -> None:  # type: ignore[no-untyped-def]
    """Even past the URL checks, the network backend refuses a non-public address."""
    from scrapers.http import make_http_client

    accepted = []

    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        writer.close()

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with make_http_client(settings, allow_private=False) as http:
            with pytest.raises(httpx.ConnectError, match="refused"):
                await http.get(f"http://127.0.0.1:{port}/")
        assert accepted == []
    finally:
        server.close()
        await server.wait_closed()


# -- robots, challenge, conditional requests --------------------------------------------------

async def test_robots_txt_is_obeyed_and_crawl_delay_spaces_requests(settings) -> None:  # type: ignore[no-untyped-def]
    stamps: list[tuple[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        stamps.append((request.url.path, time.monotonic()))
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /xxgk/private/\nCrawl-delay: 0.3\n")
        return httpx.Response(200, content=b"page")

    s = settings.model_copy(update={"obey_robots": True, "rate": 0})
    async with _client(handler, s) as c:
        for name in ("a.html", "b.html", "c.html"):
            await c.fetch(BASE + name)
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "private/x.html")
    assert ei.value.kind == "robots"
    paths = [p for p, _ in stamps]
    assert paths == ["/robots.txt", "/xxgk/a.html", "/xxgk/b.html", "/xxgk/c.html"]
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(stamps[1:])]
    assert all(g >= 0.28 for g in gaps), gaps


async def test_rate_limit_spaces_requests_to_one_host(settings) -> None:  # type: ignore[no-untyped-def]
    stamps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        return httpx.Response(200)

    async with _client(handler, settings, source={"politeness": {"rate": 5.0, "concurrency": 2}}) as c:
        await asyncio.gather(*(c.fetch(BASE + f"{i}.html") for i in range(5)))
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert all(g >= 0.18 for g in gaps), gaps


@pytest.mark.parametrize("status", [412, 202, 200])
async def test_challenge_pages_are_blocked_not_retried(settings, status: int) -> None:  # type: ignore[no-untyped-def]
    calls = []
    body = (b'<html><head><meta charset="utf-8"><script type="text/javascript">$_ts=window[\'$_ts\'];'
            b"if(!$_ts)$_ts={};$_ts.nsd=12345;$_ts.cd=\"qqqq\";</script>"
            b'<script type="text/javascript" src="/4QbVtADbnLVIc/c.FxJzG50F.js"></script></head><body></body></html>')

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, content=body, headers={"content-type": "text/html"})

    async with _client(handler, settings) as c:
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "a.html")
    assert ei.value.kind == "blocked" and len(calls) == 1
    assert c.log[-1].outcome == "blocked"


def test_big_pages_are_challenge_checked_only_when_they_carry_a_walls_marks(corpus_dir: Path) -> None:
    """A 255 kB report page is content without its text being read; a page past the size
    bound that carries a ``$_ts`` bootstrap (here padded with a comment) is still read and
    blocked."""
    from scrapers.challenge import challenge_why

    page = (corpus_dir / "html" / "pingtan_2022.html").read_bytes()
    assert challenge_why(200, page) is None and challenge_why(412, page) is None
    wall = (b"<html><head><script>$_ts=window['$_ts'];$_ts.nsd=1;</script></head><body>"
            + b"<!--" + b"x" * 61_000 + b"--></body></html>")
    assert len(wall) > 60_000
    assert challenge_why(200, wall) is not None


async def test_a_cookie_a_page_sets_is_sent_back_and_pages_without_one_leave_the_jar_alone(settings) -> None:  # type: ignore[no-untyped-def]
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        if request.url.path.endswith("a.htm"):
            return httpx.Response(200, content=b"<html>a</html>", headers={"Set-Cookie": "JSESSIONID=abc; Path=/"})
        return httpx.Response(200, content=b"<html>b</html>")

    async with _client(handler, settings) as c:
        await c.fetch(BASE + "a.htm")
        await c.fetch(BASE + "b.htm")
        await c.fetch(BASE + "c.htm")
    assert seen == [None, "JSESSIONID=abc", "JSESSIONID=abc"]
