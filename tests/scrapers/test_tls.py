"""HTTPS through the real client stack (httpx → aiohttp → TLS) against a loopback server.

Real portals are HTTPS; these run the TLS path the crawler uses on them: a certificate the
client trusts is fetched, and one it does not trust is a clear, unretried failure that names
the URL. The server's certificate comes from a throwaway CA (``trustme``) for ``127.0.0.1``.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
import trustme
from crawler_helpers import FAST_RETRY, make_source

from scrapers import FetchError, open_client
from scrapers.transport import AiohttpTransport

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

PAGE = "<html><body><h1>2023年政府信息公开工作年度报告</h1></body></html>".encode()


class _Handler(BaseHTTPRequestHandler):
    paths: ClassVar[list[str]] = []  # the path of every request that got through the handshake

    def do_GET(self) -> None:
        self.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def https_base(ca: trustme.CA) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    # a handshake that fails must not leave the server's thread stuck on the socket
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/xxgk/"
    finally:
        server.shutdown()
        server.server_close()


def _client(base: str, settings: Any, ssl_context: ssl.SSLContext | None = None) -> Any:
    transport = None
    if ssl_context is not None:
        transport = AiohttpTransport(allow_private=True, ssl_context=ssl_context)
    return open_client(make_source(base, allow_private=True), settings, transport=transport, retry=FAST_RETRY,
                       politeness=False)


async def test_a_page_behind_a_trusted_certificate_is_fetched(https_base: str, ca: trustme.CA, settings: Any) -> None:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    async with _client(https_base, settings, ctx) as c:
        r = await c.fetch(https_base + "a.html")
    assert r.status == 200 and r.body == PAGE and r.final_url == https_base + "a.html"
    assert c.log[-1].error is None


async def test_an_untrusted_certificate_fails_once_with_the_reason(https_base: str, settings: Any) -> None:
    """The default client verifies against its CA bundle: a certificate from an unknown CA is
    refused, named as a certificate problem, and not retried (a retry cannot fix it)."""
    before = len(_Handler.paths)
    async with _client(https_base, settings) as c:
        with pytest.raises(FetchError) as ei:
            await c.fetch(https_base + "a.html")
    err = ei.value
    assert err.url == https_base + "a.html"
    assert "certificate" in err.reason.lower(), err.reason
    assert err.retries == 0, err.reason
    assert len(_Handler.paths) == before  # no request was ever sent
    assert c.log[-1].error is not None and "certificate" in c.log[-1].error.lower()
