"""httpx's transport on aiohttp's connection pool: the crawler's requests, cheaper.

Why: the crawl's event loop is its bottleneck. Fetching 800 simulator pages (up to 210 kB,
32 connections) cost 4.0–4.7 ms of CPU per request with httpx's default transport (httpcore
on anyio) and 0.4–0.5 ms with aiohttp's client; in the crawler itself (which decodes bodies
on its own) the loop's CPU per report went from 7.9–8.5 to 6.4–7.5 ms in an A/B of the
two transports on one warmed simulator (1,000 reports, 2 rounds). The crawler keeps httpx as
its client API (requests, headers, cookies, ``MockTransport`` in tests); only the bytes
move through aiohttp. This is the pattern of the ``httpx-aiohttp`` package; it is written
out here because a crawler reports *why* a request failed, so aiohttp's errors must map
onto httpx's precisely (a refused connection is not a timeout; a cut-off body is not a
connect error), and because the address check must run where the connection is made.

What the transport does not do: redirects, decompression and retries. It returns the
raw (still compressed) body stream; ``scrapers.http.SourceClient`` follows redirects by
hand, decodes in bounded steps and retries, as it did on the default transport.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.client_proto import ResponseHandler
from multidict import CIMultiDict
from yarl import URL

from scrapers.guard import Resolver, address_refusal, system_resolver

__all__ = ["WIRE_CAP", "AiohttpTransport", "CertificateRefused", "ConnectRefused", "WireCapExceeded"]

#: request extension: the most bytes one response may take from the socket (status line,
#: headers, chunk framing and body, as read); absent = no cap
WIRE_CAP = "govreports.wire_cap"


class ConnectRefused(httpx.ConnectError):
    """The address check at connect time refused the host (DNS rebinding, a private address)."""


class CertificateRefused(httpx.ConnectError):
    """The server's TLS certificate failed verification: expired, self-signed, an unknown CA,
    or issued for another name. Asking again gets the same certificate."""


class WireCapExceeded(httpx.TransportError):
    """A response took more bytes from the socket than its wire cap allows."""

    def __init__(self, cap: int, seen: int):
        super().__init__(f"more than {cap} bytes on the wire (headers, chunk framing and body; "
                         f"stopped at {seen} read)")
        self.cap = cap
        self.seen = seen


#: the cap of the request being sent, read by its connection when the response starts
_wire_cap: ContextVar[int | None] = ContextVar("govreports_wire_cap", default=None)


class _CountingHandler(ResponseHandler):
    """aiohttp's protocol for one connection, counting every byte it is handed by the socket.

    Why here: above this point aiohttp has parsed the bytes, and what it hands on is only
    the payload. A chunked body whose chunks carry one byte each behind 60 kB of chunk
    extensions, or headers without end, passed an 1 MiB body cap after 8 MiB. This counts
    before parsing, per response (``set_response_params`` starts each response on a pooled
    connection, in the task of its request, which is how the request's cap reaches it), and
    a read that would go past the cap is dropped unparsed and the connection aborted.
    """

    _wire_limit: int | None = None
    _wire_seen = 0
    _overflow: WireCapExceeded | None = None

    def set_response_params(self, **kwargs: Any) -> None:
        self._wire_limit = _wire_cap.get()
        self._wire_seen = 0
        if self.transport is not None:
            # a previous response's last-read bound (transports without the knob have no such value)
            getattr(self.transport, "__dict__", {}).pop("max_size", None)
        super().set_response_params(**kwargs)

    def data_received(self, data: bytes) -> None:
        limit = self._wire_limit
        if limit is not None and data:
            self._wire_seen += len(data)
            if self._wire_seen > limit:
                self._stop(WireCapExceeded(limit, self._wire_seen))
                return
            self._bound_next_read(limit - self._wire_seen)
        super().data_received(data)

    def _bound_next_read(self, room: int) -> None:
        """Near the cap, ask the socket for at most one byte more than the room left.

        asyncio's plain socket transport reads up to ``max_size`` (256 KiB) at a time, a
        quarter of a 1 MiB cap; an instance value bounds the next ``recv``, so a response
        is stopped one byte past its wire cap. TLS transports read whole records into their
        own buffer and have no such knob: there the last read may overshoot by one buffer.
        """
        transport = self.transport
        if transport is not None and room < getattr(transport, "max_size", 0):
            transport.max_size = room + 1  # type: ignore[attr-defined]

    def _stop(self, exc: WireCapExceeded) -> None:
        if self._overflow is not None:
            return
        self._overflow = exc
        payload = self._payload
        # no parser: connection_lost would otherwise feed it EOF and put "payload not
        # completed" in place of the reason on the body stream
        self._parser = None
        self.set_exception(exc)
        if payload is not None:
            payload.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    def set_exception(self, exc: BaseException, *args: Any) -> None:
        # after an overflow, the connection's loss is reported as the overflow it was
        super().set_exception(self._overflow or exc, *args)


class _CountingConnector(aiohttp.TCPConnector):
    """``TCPConnector`` whose connections are ``_CountingHandler`` protocols."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._factory = functools.partial(_CountingHandler, loop=self._loop)  # type: ignore[assignment]


class _GuardedResolver(AbstractResolver):
    """aiohttp's resolver hook: our resolver, and the public-address check on its answer.

    ``UrlPolicy`` already checked the host before the request; this closes the gap between
    that lookup and the connection (DNS rebinding): aiohttp connects to exactly the
    addresses returned here. IP literals never reach a resolver in aiohttp; the transport
    checks those itself.
    """

    def __init__(self, *, allow_private: bool, resolver: Resolver):
        self._allow_private = allow_private
        self._resolver = resolver

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        addresses = await self._resolver(host)
        if not self._allow_private:
            refusals = [address_refusal(a) for a in addresses]
            if not addresses or any(refusals):
                raise ConnectRefused(f"refused: {host} resolves to a non-public address ({refusals})")
        return [
            ResolveResult(
                hostname=host,
                host=a,
                port=port,
                family=socket.AF_INET6 if ":" in a else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for a in addresses
        ]

    async def close(self) -> None:
        return None


class _Body(httpx.AsyncByteStream):
    """The raw body as it arrives; errors while reading become httpx's read errors."""

    def __init__(self, response: aiohttp.ClientResponse):
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except Exception as exc:
            raise _mapped(exc) from exc

    async def aclose(self) -> None:
        # back to the pool when the body was read to the end, closed otherwise
        self._response.release()


def _mapped(exc: BaseException) -> Exception:
    """aiohttp's exception as the httpx one that says the same thing."""
    if isinstance(exc, httpx.HTTPError):
        return exc
    text = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(text)
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        return httpx.ReadTimeout(text)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return CertificateRefused(str(exc.certificate_error))
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectRefused):
            return exc.os_error
        return httpx.ConnectError(text)
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError)):
        return httpx.RemoteProtocolError(text)
    if isinstance(exc, OSError):  # aiohttp.ClientOSError included
        return httpx.ReadError(text)
    if isinstance(exc, aiohttp.ClientError):
        return httpx.NetworkError(text)
    return httpx.TransportError(f"{type(exc).__name__}: {text}")


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp session (its connection pool) behind one ``httpx.AsyncClient``."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 64,
        keepalive_expiry: float = 5.0,
    ):
        self._allow_private = allow_private
        self._resolver = resolver or system_resolver
        self._ssl = ssl_context
        self._max_connections = max_connections
        self._keepalive = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        # created on first use: an aiohttp session belongs to the running event loop
        if self._session is None:
            connector = _CountingConnector(
                limit=self._max_connections,
                keepalive_timeout=self._keepalive,
                ssl=self._ssl if self._ssl is not None else True,
                resolver=_GuardedResolver(allow_private=self._allow_private, resolver=self._resolver),
                # our resolver decides each time (its answers are checked, not cached past it)
                use_dns_cache=False,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # cookies are httpx's (the client's jar)
                auto_decompress=False,  # SourceClient decodes, with its caps
                trust_env=False,  # never a proxy from the environment
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self._allow_private:
            self._check_literal(request.url.host)
        session = self._get_session()
        timeout: dict[str, Any] = request.extensions.get("timeout", {})
        body = await request.aread()
        token = _wire_cap.set(request.extensions.get(WIRE_CAP))
        try:
            response = await session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=CIMultiDict(request.headers.multi_items()),
                data=body or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeout.get("pool"),
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                ),
            )
        except Exception as exc:
            raise _mapped(exc) from exc
        finally:
            _wire_cap.reset(token)
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("latin-1", "replace")
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_Body(response),
            request=request,
            extensions=extensions,
        )

    @staticmethod
    def _check_literal(host: str) -> None:
        """aiohttp connects to an IP-literal host without asking a resolver, so the address
        check for literals is made here."""
        try:
            ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        except ValueError:
            return  # a name: checked by the resolver when it is looked up
        why = address_refusal(host.strip("[]"))
        if why:
            raise ConnectRefused(f"refused: {host}: {why}")

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
