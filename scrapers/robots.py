"""robots.txt per origin, fetched once per crawl for every source on that host, and kept.

One ``RobotsCache`` serves a whole crawl: ten department columns on one district host
cost one robots.txt request, not ten. A fetched file is kept for its lifetime (RFC 9309
§2.4: the response's ``max-age`` if it gives one, else 24 hours, never more) in a
``RobotsStore`` (the database, through ``storage``), so the next crawl, or another
process crawling now, does not ask again.

Follows RFC 9309 where it matters: 4xx means "no rules" (allow all); 5xx or an
unreachable host means "assume disallow" for now, retried after ``retry_after`` seconds
rather than for the rest of the crawl, and never stored. Crawl-delay (and Request-rate)
widen the host's spacing in the crawl's ``HostBook``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from protego import Protego

from scrapers.errors import FetchError

if TYPE_CHECKING:
    from scrapers.http import HttpResult

__all__ = ["ROBOTS_AGENT", "ROBOTS_LIFETIME", "RobotsCache", "RobotsStore"]

#: the product token matched against User-agent lines
ROBOTS_AGENT = "govreports"
#: RFC 9309 §2.4: a crawler SHOULD NOT use a cached robots.txt for more than 24 hours
ROBOTS_LIFETIME = 24 * 3600.0
MAX_ROBOTS = 512 * 1024

#: ``fetch(url)``: the guarded GET of the client that first needs the origin's rules
RobotsFetch = Callable[[str], Awaitable["HttpResult"]]


class RobotsStore(Protocol):
    """Robots files kept across crawls and processes (``storage.Store`` implements it).

    A file is ``(text, expires_at)``: its text (``None``: the origin answered 4xx, no rules)
    and until when (epoch seconds) it may be used.
    """

    def load_robots(self, origins: Sequence[str], now: float) -> dict[str, tuple[str | None, float]]: ...

    def save_robots(self, origin: str, text: str | None, expires_at: float) -> None: ...


def lifetime(cache_control: str | None) -> float:
    """Seconds a fetched robots.txt may be used: its ``max-age``, at most 24 hours."""
    m = re.search(r"max-age\s*=\s*(\d+)", cache_control or "")
    return min(ROBOTS_LIFETIME, float(m.group(1))) if m else ROBOTS_LIFETIME


class RobotsCache:
    """Rules per origin for one crawl; ``on_delay(host, seconds)`` hears each Crawl-delay."""

    def __init__(
        self,
        *,
        store: RobotsStore | None = None,
        on_delay: Callable[[str, float], None] | None = None,
        retry_after: float = 30.0,
    ):
        self._store = store
        self._on_delay = on_delay
        self._rules: dict[str, Protego | None] = {}
        self._expires: dict[str, float] = {}
        self._failed_at: dict[str, float] = {}
        self._retry_after = retry_after
        self._locks: dict[str, asyncio.Lock] = {}
        #: why the last refusal happened, for the fetch log
        self.reason: dict[str, str] = {}

    def _apply(self, origin: str, text: str | None, expires_at: float) -> None:
        rules = None if text is None else Protego.parse(text)
        self._rules[origin] = rules
        self._expires[origin] = expires_at
        if rules is None or self._on_delay is None:
            return
        delay = rules.crawl_delay(ROBOTS_AGENT)
        rate = rules.request_rate(ROBOTS_AGENT)
        if rate is not None and rate.requests:
            delay = max(delay or 0.0, rate.seconds / rate.requests)
        if delay:
            self._on_delay(urlsplit(origin).hostname or "", float(delay))

    def preload(self, origins: list[str]) -> None:
        """Read the kept files of these origins in one query (blocking: call it in a thread
        before the crawl starts), so a recrawl asks no host for robots.txt it still has."""
        if self._store is None or not origins:
            return
        now = time.time()
        for origin, (text, expires_at) in self._store.load_robots(sorted(set(origins)), now).items():
            if expires_at > now:
                self._apply(origin, text, expires_at)

    async def _load(self, origin: str, fetch: RobotsFetch) -> None:
        """Fetch and keep ``origin``'s rules. Raises ``FetchError`` on server trouble."""
        from parsers.decode import decode_bytes

        try:
            result = await fetch(origin + "/robots.txt")
            text: str | None = decode_bytes(result.body, result.charset).text
            ttl = lifetime(result.headers.get("cache-control"))
        except FetchError as exc:
            if exc.status is None or not 400 <= exc.status < 500 or exc.status == 429:
                raise
            text, ttl = None, ROBOTS_LIFETIME
        expires_at = time.time() + ttl
        self._apply(origin, text, expires_at)
        if self._store is not None:
            await asyncio.to_thread(self._store.save_robots, origin, text, expires_at)

    async def allowed(self, url: str, fetch: RobotsFetch) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if self._expires.get(origin, 0.0) > time.time():  # no lock on the hot path
            return self._decide(url, origin)
        async with self._locks.setdefault(origin, asyncio.Lock()):
            if self._expires.get(origin, 0.0) > time.time():
                return self._decide(url, origin)
            failed = self._failed_at.get(origin)
            if failed is not None and time.monotonic() - failed < self._retry_after:
                return False
            try:
                await self._load(origin, fetch)
            except FetchError as exc:
                self._failed_at[origin] = time.monotonic()
                self.reason[origin] = f"robots.txt unavailable ({exc.label}); assuming disallow"
                return False
            self.reason.pop(origin, None)
            return self._decide(url, origin)

    def _decide(self, url: str, origin: str) -> bool:
        rules = self._rules[origin]
        return True if rules is None else bool(rules.can_fetch(url, ROBOTS_AGENT))

    def refusal(self, url: str) -> str:
        parts = urlsplit(url)
        return self.reason.get(f"{parts.scheme}://{parts.netloc}", "robots.txt disallows this URL")
