"""The one HTTP client: every request the crawler makes goes through ``SourceClient.fetch``.

Why one place: politeness, robots.txt, retries, caps, redirect and address checks are
only guarantees if nothing can go around them. ``open_client(source, ...)`` builds the
client for one source, ``Web(...).client(source)`` one source's client within a crawl;
adapters and ``fetch_report`` only ever call its methods.

Per request (``SourceClient.fetch``):
1. URL checks (``scrapers.guard``): the URL parsed once (``parse_url``: a malformed one is
   a ``refused`` FetchError, never an httpx exception), host allow-list (before any DNS),
   no special-use addresses unless ``allow_private``; repeated at connect time by the
   transport (``scrapers.transport``).
2. robots.txt of the origin (``scrapers.robots``: once per crawl and kept for its
   lifetime; Crawl-delay widens the host's spacing).
3. Per-host slot from the crawl's ``HostLimiter`` under the host's policy (``HostBook``:
   the strictest of the catalog entries on that host), held for the request.
4. GET, streamed; the body is decoded by ``scrapers.decompress`` in bounded steps and
   refused past ``max_bytes`` (raw and decoded); the transport counts the bytes read from
   the socket (headers and chunk framing too) against ``wire_cap(max_bytes)``. Each attempt
   has ``request_timeout``, each page ``page_timeout`` across its attempts, and a body must
   keep up ``min_transfer_rate`` after its first bytes.
5. Retries (tenacity, the only retry layer): connection errors, timeouts, truncated
   bodies, 429 and 5xx; Retry-After honoured up to ``retry_after_max``; otherwise
   exponential backoff with jitter; at most ``max_attempts`` attempts per hop.
6. Redirects followed by hand, at most ``max_redirects``, each hop re-checked from 1.
7. Challenge pages (412/202 ``$_ts`` scripts, tiny JS-only bodies) raise ``blocked``.
Every call emits one ``FetchLogEntry`` (success or failure) to the client's callbacks.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import random
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from govreports.settings import Settings, get_settings
from scrapers.archive import RawArchive
from scrapers.catalog import Politeness, Source
from scrapers.challenge import challenge_why
from scrapers.decompress import DecodeFailure, make_decoder
from scrapers.errors import FetchError, FetchErrorKind
from scrapers.guard import Resolver, UrlPolicy, resolve_link
from scrapers.model import FetchLogEntry, Validators
from scrapers.politeness import HostBook, HostLimiter, HostPolicy, TokenBucketLimiter, host_of, host_slot
from scrapers.robots import MAX_ROBOTS, RobotsCache, RobotsStore
from scrapers.transport import WIRE_CAP, AiohttpTransport, CertificateRefused, ConnectRefused, WireCapExceeded

__all__ = [
    "HttpResult",
    "RetryConfig",
    "SourceClient",
    "Web",
    "make_http_client",
    "open_client",
    "source_hosts",
    "wire_cap",
]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: retry jitter draws from its own generator: a crawl must not move the global ``random``
#: state that a caller (or Hypothesis, which warns about it) may have seeded
_JITTER = random.Random()
FetchCallback = Callable[[FetchLogEntry], None]


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """Retry timing. Defaults suit real portals; tests shrink them to stay fast."""

    max_attempts: int = 4
    backoff_initial: float = 0.5
    backoff_max: float = 10.0
    jitter: float = 0.5
    #: a server asking for longer than this is waited on only this long
    retry_after_max: float = 30.0


@dataclass(slots=True)
class HttpResult:
    """A finished GET: final status and headers, the decoded body, and what it cost."""

    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    body: bytes
    duration_ms: float
    retries: int
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str | None:
        ct = self.headers.get("content-type")
        return ct.split(";", 1)[0].strip().lower() if ct else None

    @property
    def charset(self) -> str | None:
        ct = self.headers.get("content-type") or ""
        for part in ct.split(";")[1:]:
            k, _, v = part.partition("=")
            if k.strip().lower() == "charset" and v.strip():
                return v.strip().strip("\"'")
        return None


class _PageClock:
    """The time one page has used: wall time since it started, less its waits for a host slot.

    ``page_timeout`` bounds a page across its redirects, retries and back-off; the wait for
    its host's turn is politeness queueing, not the server's doing, so it is not counted.
    """

    __slots__ = ("limit", "queued", "started")

    def __init__(self, limit: float):
        self.limit = limit
        self.started = time.monotonic()
        self.queued = 0.0

    def left(self) -> float:
        return self.limit - (time.monotonic() - self.started - self.queued)


class _RateWatch:
    """The minimum transfer rate: from the first bytes, every ``window`` seconds
    ``rate * window`` more bytes must come; each time they have, the deadline moves on a
    window. A trickle (one byte every few seconds, each within ``read_timeout``) is cut
    ``window`` seconds after it fell behind instead of holding its slot to the request's end."""

    __slots__ = ("deadline", "loop", "mark", "quota", "rate", "window")

    def __init__(self, rate: int, window: float):
        self.rate, self.window = rate, window
        self.loop = asyncio.get_running_loop()
        self.quota = rate * window
        self.mark = 0
        self.deadline = asyncio.timeout_at(self.loop.time() + window if rate else None)

    def got(self, total: int) -> None:
        if self.rate and total - self.mark >= self.quota:
            self.mark = total
            self.deadline.reschedule(self.loop.time() + self.window)


class _Transient(Exception):
    """An attempt worth repeating: network trouble, 429, 5xx, a truncated body."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client of the process.

    Loading the CA bundle costs ~25–45 ms; a client per source (and httpx building a
    second context inside its transport) made it a visible share of a crawl's CPU.
    An ``SSLContext`` is safe to share between connections and clients.
    """
    return httpx.create_ssl_context(trust_env=False)


class _Jar(httpx.Cookies):
    """httpx's cookie jar, minus its work on responses that set no cookie.

    ``httpx.Cookies.extract_cookies`` wraps every response and its request in ``urllib``
    objects before the jar looks for ``Set-Cookie``: ~6% of the CPU of an unchanged recrawl,
    whose 304s never set one.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


class _CrawlClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` whose jar is a ``_Jar`` (httpx reaches it through ``cookies``)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._jar = _Jar(kwargs.get("cookies"))

    @property  # type: ignore[override]
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._jar = _Jar(cookies)

    def _build_redirect_request(self, request: httpx.Request, response: httpx.Response) -> httpx.Request:
        """Nothing: redirects are followed by hand (``guard.resolve_link`` then ``parse_url``).

        httpx builds ``response.next_request`` even with ``follow_redirects=False``, parsing
        ``Location`` itself, and a ``Location: data:…`` or ``http:\\\\host`` raised
        ``httpx.InvalidURL`` out of ``send`` before the crawler saw the response.
        """
        return request


def make_http_client(
    settings: Settings | None = None,
    *,
    allow_private: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
    max_connections: int = 64,
) -> httpx.AsyncClient:
    """The httpx client the crawler uses: timeouts, honest UA, no auto-redirects, no proxies.

    ``trust_env=False`` because a proxy from the environment would send traffic somewhere
    we did not check. ``transport`` is for tests (``httpx.MockTransport``); the default is
    ``scrapers.transport.AiohttpTransport``, which checks addresses where it connects.
    """
    s = settings or get_settings()
    if transport is None:
        transport = AiohttpTransport(
            allow_private=allow_private,
            resolver=resolver,
            ssl_context=_ssl_context(),
            max_connections=max_connections,
            keepalive_expiry=5.0,
        )
    return _CrawlClient(
        transport=transport,
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(
            connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=s.read_timeout * 4
        ),
        headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate, br"},
    )


def wire_cap(body_cap: int) -> int:
    """Bytes one response may take from the socket for a body cap of ``body_cap``.

    Status line, headers and chunk framing come on top of the body; a normal response
    spends a few hundred bytes on them, so 1/16 of the cap plus 16 KiB (a large header
    block) is room enough, and a response is stopped within 8 % of a 1 MiB cap (0.1 % of
    the 50 MiB default) however its bytes are spent.
    """
    return body_cap + body_cap // 16 + 16 * 1024


def _retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class Web:
    """What every source of one crawl shares: connection pools, each host's politeness, the
    robots.txt of every origin, the raw archive.

    Why one per crawl: ten department columns on one district host are one host to the
    portal. Sharing the ``HostBook`` and ``limiter`` keeps them within that host's budget
    together; sharing ``robots`` asks for its robots.txt once; sharing the pools reuses
    connections across sources. Two pools at most: one that may reach private addresses
    (catalog entries with ``allow_private``, loopback test sites) and one that may not.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        book: HostBook | None = None,
        limiter: HostLimiter | None = None,
        robots_store: RobotsStore | None = None,
        archive: RawArchive | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        politeness: bool = True,
    ) -> None:
        self.settings = s = settings or get_settings()
        self.politeness = politeness
        self.book = book or HostBook(HostPolicy.from_rate(s.rate, s.concurrency), enabled=politeness)
        self.limiter: HostLimiter = limiter or TokenBucketLimiter()
        self.robots = RobotsCache(store=robots_store, on_delay=self.book.widen)
        self.archive = archive or RawArchive(s.archive)
        self.resolver = resolver
        self._transport = transport
        self._pools: dict[bool, httpx.AsyncClient] = {}

    @classmethod
    def for_sources(cls, sources: Sequence[Source], settings: Settings | None = None, *,
                    politeness: bool = True, hosts: Mapping[str, Politeness] | None = None,
                    **kwargs: Any) -> Web:
        """A crawl of ``sources``: each host's policy is the strictest of the entries on it."""
        s = settings or get_settings()
        book = HostBook.for_sources(
            ((source_hosts(src), src.politeness.rate, src.politeness.concurrency) for src in sources),
            rate=s.rate, concurrency=s.concurrency, enabled=politeness,
            hosts={h: (p.rate, p.concurrency) for h, p in (hosts or {}).items()},
        )
        return cls(s, book=book, politeness=politeness, **kwargs)

    def pool(self, allow_private: bool) -> httpx.AsyncClient:
        http = self._pools.get(allow_private)
        if http is None:
            http = self._pools[allow_private] = make_http_client(
                self.settings, allow_private=allow_private, transport=self._transport, resolver=self.resolver,
                max_connections=self.settings.max_connections,
            )
        return http

    def client(self, source: Source, *, on_fetch: FetchCallback | None = None,
               retry: RetryConfig | None = None) -> SourceClient:
        return SourceClient(source, self, on_fetch=on_fetch, retry=retry)

    async def aclose(self) -> None:
        for http in self._pools.values():
            await http.aclose()
        self._pools.clear()
        close = getattr(self.limiter, "close", None)
        if close is not None:
            await close()


def source_hosts(source: Source) -> list[str]:
    """The hosts a catalog entry crawls on: its start URLs' (its list columns live there)."""
    return sorted({host_of(u) for u in source.start_urls} - {""})


class SourceClient:
    """One source's view of the crawl's ``Web``: its hosts, its options, its fetch log."""

    def __init__(
        self,
        source: Source,
        web: Web,
        *,
        on_fetch: FetchCallback | None = None,
        retry: RetryConfig | None = None,
    ):
        self.source = source
        self.web = web
        self.settings = s = web.settings
        self.http = web.pool(source.allow_private)
        self.limiter = web.limiter
        self.archive = web.archive
        self.log: list[FetchLogEntry] = []
        self._callbacks: list[FetchCallback] = [self.log.append]
        if on_fetch is not None:
            self._callbacks.append(on_fetch)
        self.urls = UrlPolicy.for_source(
            source.start_urls, source.allowed_hosts, allow_private=source.allow_private, resolver=web.resolver
        )
        self.retry = retry or RetryConfig(max_attempts=s.max_attempts)
        p = source.politeness
        self.obey_robots = (p.obey_robots if p.obey_robots is not None else s.obey_robots) and web.politeness
        self.max_bytes = s.max_bytes
        self.max_redirects = s.max_redirects
        self.request_timeout = source.request_timeout or s.request_timeout
        self.page_timeout = s.page_timeout
        self.min_rate = s.min_transfer_rate
        self.min_rate_window = s.min_rate_window
        self.robots = web.robots

    def host_policy(self, host: str) -> HostPolicy:
        """The spacing and concurrency for ``host``: the crawl's, Crawl-delay included once known."""
        return self.web.book.policy(host)

    async def _robots_fetch(self, url: str) -> HttpResult:
        return await self.fetch(url, role="robots", max_bytes=MAX_ROBOTS, check_robots=False)

    # -- fetching -------------------------------------------------------------------

    def _emit(self, entry: FetchLogEntry) -> None:
        for cb in self._callbacks:
            cb(entry)

    async def fetch(
        self,
        url: str,
        *,
        role: str = "page",
        validators: Validators | None = None,
        max_bytes: int | None = None,
        check_robots: bool = True,
    ) -> HttpResult:
        """GET ``url`` with every safeguard; raise ``FetchError`` naming the URL and the reason.

        Returns 2xx and 304 results; anything else is an error. Emits one fetch-log entry.
        """
        started = time.monotonic()
        retries = 0
        current = url
        status: int | None = None
        try:
            result = await self._fetch_chain(url, role, validators, max_bytes, check_robots)
        except FetchError as exc:
            retries = exc.retries
            status = exc.status
            self._emit(
                FetchLogEntry(
                    source_key=self.source.key,
                    url=url,
                    status=status,
                    bytes=0,
                    duration_ms=(time.monotonic() - started) * 1000,
                    retries=retries,
                    error=exc.label,
                    role=role,
                    final_url=exc.url if exc.url != url else None,
                    outcome="blocked" if exc.kind in ("blocked", "robots") else "failed",
                )
            )
            raise
        current = result.final_url
        self._emit(
            FetchLogEntry(
                source_key=self.source.key,
                url=url,
                status=result.status,
                bytes=len(result.body),
                duration_ms=result.duration_ms,
                retries=result.retries,
                error=None,
                role=role,
                final_url=current if current != url else None,
                outcome="unchanged" if result.not_modified else None,
            )
        )
        return result

    async def _fetch_chain(
        self, url: str, role: str, validators: Validators | None, max_bytes: int | None, check_robots: bool
    ) -> HttpResult:
        started = time.monotonic()
        cap = max_bytes or self.max_bytes
        headers: dict[str, str] = {}
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        clock = _PageClock(self.page_timeout)
        current = url
        hops: list[str] = []
        asked: set[str] = set()
        retries = 0
        status: int | None = None
        for _hop in range(self.max_redirects + 1):
            checked = await self.urls.check(current)
            if checked.url in asked:
                raise FetchError("redirects", f"redirect loop back to {current}", url=hops[-1],
                                 status=status, retries=retries)
            asked.add(checked.url)
            if check_robots and self.obey_robots and not await self.robots.allowed(checked.url, self._robots_fetch):
                raise FetchError("robots", self.robots.refusal(checked.url), url=current, retries=retries)
            try:
                status, resp_headers, body, attempt_retries = await self._attempts(checked.url, headers, cap, clock)
            except FetchError as exc:
                exc.retries += retries
                if exc.url == checked.url:
                    exc.url = current  # the URL as the page or the redirect gave it
                raise
            retries += attempt_retries
            if status in _REDIRECTS and resp_headers.get("location"):
                hops.append(current)
                try:
                    current = resolve_link(checked.url, resp_headers["location"])
                except FetchError as exc:
                    exc.status, exc.retries = status, retries
                    raise
                continue
            result = HttpResult(
                url=url,
                final_url=current,
                status=status,
                headers=resp_headers,
                body=body,
                duration_ms=(time.monotonic() - started) * 1000,
                retries=retries,
                redirects=hops,
            )
            self._check_status(result)
            return result
        raise FetchError("redirects", f"more than {self.max_redirects} redirects", url=current, retries=retries)

    def _check_status(self, r: HttpResult) -> None:
        ctype = r.content_type or ""
        htmlish = not ctype or "html" in ctype or "javascript" in ctype or ctype == "text/plain"
        if r.status in (200, 202, 412) and htmlish and r.body:
            why = challenge_why(r.status, r.body)
            if why:
                raise FetchError("blocked", f"{why.removeprefix('blocked: ')} (HTTP {r.status})",
                                 url=r.final_url, status=r.status, retries=r.retries)
        if 200 <= r.status < 300 or r.status == 304:
            return
        raise FetchError("http", f"HTTP {r.status}", url=r.final_url, status=r.status, retries=r.retries)

    def _delay(self, failed_attempt: int, exc: BaseException | None) -> float:
        """Seconds to wait after attempt number ``failed_attempt`` (1-based) failed with ``exc``."""
        cfg = self.retry
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(exc.retry_after, cfg.retry_after_max)
        base = min(cfg.backoff_max, cfg.backoff_initial * (2 ** max(0, failed_attempt - 1)))
        return base + _JITTER.uniform(0, cfg.jitter * base)

    async def _attempts(self, url: str, headers: Mapping[str, str], cap: int,
                        clock: _PageClock) -> tuple[int, httpx.Headers, bytes, int]:
        """The attempts of one hop: the first one directly, the retries under tenacity.

        Almost every request succeeds at once, and building tenacity's retry state for each
        of them was ~15 % of the event loop's time per request in a recrawl. A back-off never
        sleeps past the page's deadline (``clock``): the attempt after it gives up instead.
        """
        try:
            status, h, body = await self._attempt(url, headers, cap, clock)
            return status, h, body, 0
        except _Transient as exc:
            if self.retry.max_attempts <= 1:
                raise self._gave_up(url, exc, 1) from None
            await asyncio.sleep(min(self._delay(1, exc), max(0.0, clock.left())))
        attempts = 1

        def wait(state: RetryCallState) -> float:
            delay = self._delay(attempts, state.outcome.exception() if state.outcome else None)
            return min(delay, max(0.0, clock.left()))

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.max_attempts - 1),
            wait=wait,
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    status, h, body = await self._attempt(url, headers, cap, clock)
                    return status, h, body, attempts - 1
        except _Transient as exc:
            raise self._gave_up(url, exc, attempts) from None
        except FetchError as exc:
            exc.retries = attempts - 1
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _gave_up(url: str, exc: _Transient, attempts: int) -> FetchError:
        kind: FetchErrorKind = "http" if exc.status is not None else "network"
        return FetchError(
            kind, f"{exc.reason} (after {attempts} attempts)", url=url, status=exc.status, retries=attempts - 1
        )

    async def _attempt(self, url: str, headers: Mapping[str, str], cap: int,
                       clock: _PageClock) -> tuple[int, httpx.Headers, bytes]:
        """One request, within ``request_timeout`` and what is left of the page's ``page_timeout``."""
        host = urlsplit(url).hostname or ""
        if clock.left() <= 0:
            raise self._out_of_time(url)
        asked_at = time.monotonic()
        async with host_slot(self.limiter, host, self.host_policy(host)):
            clock.queued += time.monotonic() - asked_at
            left = clock.left()
            if left <= 0:
                raise self._out_of_time(url)
            budget = min(self.request_timeout, left)
            try:
                async with asyncio.timeout(budget):
                    return await self._send(url, headers, cap)
            except TimeoutError:
                if budget < self.request_timeout:
                    raise self._out_of_time(url) from None
                raise _Transient(f"no complete answer within {self.request_timeout:g} s (request_timeout)") from None

    def _out_of_time(self, url: str) -> FetchError:
        return FetchError("network", f"no answer within the page's {self.page_timeout:g} s across its attempts "
                          "(page_timeout)", url=url)

    async def _send(self, url: str, headers: Mapping[str, str], cap: int) -> tuple[int, httpx.Headers, bytes]:
        try:
            request = self.http.build_request("GET", url, headers=headers, extensions={WIRE_CAP: wire_cap(cap)})
        except httpx.InvalidURL as exc:  # parse_url passed it, so this is a gap in parse_url
            raise FetchError("refused", f"malformed URL ({exc})", url=url) from None
        try:
            response = await self.http.send(request, stream=True)
        except WireCapExceeded as exc:
            raise FetchError("too_large", str(exc), url=url) from None
        except ConnectRefused as exc:
            raise FetchError("refused", str(exc).removeprefix("refused: "), url=url) from None
        except CertificateRefused as exc:
            raise FetchError("tls", f"TLS certificate not accepted: {exc}", url=url) from None
        except httpx.ConnectError as exc:
            raise _Transient(f"connection failed: {exc or type(exc).__name__}") from None
        except httpx.TimeoutException as exc:
            raise _Transient(f"timeout: {type(exc).__name__}") from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Transient(f"connection error: {exc or type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            raise FetchError("network", f"{type(exc).__name__}: {exc}", url=url) from None
        try:
            status = response.status_code
            if status == 429 or 500 <= status < 600:
                raise _Transient(
                    f"HTTP {status}", status=status, retry_after=_retry_after(response.headers.get("retry-after"))
                )
            if status in _REDIRECTS or status == 304 or status == 204:
                return status, response.headers, b""
            body = await self._read_capped(response, url, cap)
            return status, response.headers, body
        finally:
            await response.aclose()

    async def _read_capped(self, response: httpx.Response, url: str, cap: int) -> bytes:
        """The decoded body, refused past ``cap`` bytes raw or decoded."""
        encoding = response.headers.get("content-encoding")
        declared = response.headers.get("content-length")
        if declared and declared.strip().isdigit() and int(declared) > cap:
            raise FetchError("too_large", f"Content-Length {int(declared)} is over the {cap}-byte cap", url=url,
                             status=response.status_code)
        if response.is_stream_consumed:
            # Only responses built in memory (httpx.MockTransport with ``content=``) arrive
            # already read and decoded; the cap still applies, after the fact.
            data = response.content
            if len(data) > cap:
                raise FetchError("too_large", f"body over the {cap}-byte cap", url=url, status=response.status_code)
            return data
        step = max(1024, min(64 * 1024, cap // 16))
        try:
            decoder = make_decoder(encoding, step=step)
        except DecodeFailure as exc:
            raise FetchError("decode", str(exc), url=url, status=response.status_code) from None
        out = bytearray()
        raw = 0
        watch = _RateWatch(self.min_rate, self.min_rate_window)
        try:
            async with watch.deadline:
                async for chunk in response.aiter_raw():
                    raw += len(chunk)
                    watch.got(raw)
                    if raw > cap:
                        raise FetchError("too_large", f"body over the {cap}-byte cap (raw)", url=url,
                                         status=response.status_code)
                    for piece in decoder.feed(chunk):
                        out += piece
                        if len(out) > cap:
                            raise self._bomb(url, response, cap, len(out), raw)
                for piece in decoder.flush():
                    out += piece
                    if len(out) > cap:
                        raise self._bomb(url, response, cap, len(out), raw)
                decoder.finish()
        except TimeoutError:
            if not watch.deadline.expired():
                raise
            raise FetchError("network", f"slower than {watch.rate} bytes/s over {watch.window:g} s after the first bytes "
                             f"({raw} bytes received; min_transfer_rate)", url=url,
                             status=response.status_code) from None
        except DecodeFailure as exc:
            if exc.truncated:
                raise _Transient(f"truncated body: {exc}") from None
            raise FetchError("decode", f"{encoding}: {exc}", url=url, status=response.status_code) from None
        except WireCapExceeded as exc:
            raise FetchError("too_large", str(exc), url=url, status=response.status_code) from None
        except httpx.TimeoutException as exc:
            raise _Transient(f"timeout while reading body: {type(exc).__name__}") from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Transient(f"body cut off: {exc or type(exc).__name__}") from None
        return bytes(out)

    @staticmethod
    def _bomb(url: str, response: httpx.Response, cap: int, decoded: int, raw: int) -> FetchError:
        return FetchError(
            "too_large",
            f"body over the {cap}-byte cap after decompression (stopped at {decoded} decoded bytes "
            f"from {raw} received)",
            url=url,
            status=response.status_code,
        )

    # -- conveniences for adapters ----------------------------------------------------

    async def get_text(self, url: str, *, role: str = "list") -> tuple[str, HttpResult]:
        """Fetch and decode a page (``parsers.decode.decode_bytes``): for list pages and APIs."""
        from parsers.decode import decode_bytes

        result = await self.fetch(url, role=role)
        return decode_bytes(result.body, result.charset).text, result


@asynccontextmanager
async def open_client(
    source: Source,
    settings: Settings | None = None,
    *,
    limiter: HostLimiter | None = None,
    archive: RawArchive | None = None,
    on_fetch: FetchCallback | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
    retry: RetryConfig | None = None,
    politeness: bool = True,
) -> AsyncIterator[SourceClient]:
    """A client for one source on a ``Web`` of its own: ``async with open_client(source) as c``.

    A crawl of many sources makes one ``Web`` and asks it for each source's client.
    ``politeness=False`` turns rate limits and robots.txt off (benchmarks against the local
    simulator only).
    """
    web = Web.for_sources([source], settings, politeness=politeness, limiter=limiter, archive=archive,
                          transport=transport, resolver=resolver)
    try:
        yield web.client(source, on_fetch=on_fetch, retry=retry)
    finally:
        await web.aclose()
