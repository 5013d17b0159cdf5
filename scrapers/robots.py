"""robots.txt per host, fetched once per client through the same guarded client.

Follows RFC 9309 where it matters: 4xx means "no rules" (allow all); 5xx or an
unreachable host means "assume disallow" for now, retried after ``retry_after`` seconds
rather than for the rest of the crawl. Crawl-delay widens the host's spacing (the larger
of the source's rate and the delay wins).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from protego import Protego

from scrapers.errors import FetchError

if TYPE_CHECKING:
    from scrapers.http import SourceClient

__all__ = ["ROBOTS_AGENT", "RobotsCache"]

#: the product token matched against User-agent lines
ROBOTS_AGENT = "govreports"
_MAX_ROBOTS = 512 * 1024


class RobotsCache:
    def __init__(self, client: SourceClient, *, retry_after: float = 30.0):
        self._client = client
        self._rules: dict[str, Protego | None] = {}
        self._failed_at: dict[str, float] = {}
        self._retry_after = retry_after
        self._locks: dict[str, asyncio.Lock] = {}
        #: why the last refusal happened, for the fetch log
        self.reason: dict[str, str] = {}

    async def _load(self, origin: str, host: str) -> Protego | None:
        """Rules for ``origin``; None means allow everything. Raises on server trouble."""
        url = origin + "/robots.txt"
        try:
            result = await self._client.fetch(url, role="robots", max_bytes=_MAX_ROBOTS, check_robots=False)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                return None
            raise
        from parsers.decode import decode_bytes

        rules = Protego.parse(decode_bytes(result.body, result.charset).text)
        delay = rules.crawl_delay(ROBOTS_AGENT)
        rate = rules.request_rate(ROBOTS_AGENT)
        if rate is not None and rate.requests:
            delay = max(delay or 0.0, rate.seconds / rate.requests)
        if delay:
            self._client.set_crawl_delay(host, float(delay))
        return rules

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        host = parts.hostname or ""
        async with self._locks.setdefault(origin, asyncio.Lock()):
            return self._decide(url, origin) if origin in self._rules else await self._fetch_and_decide(
                url, origin, host
            )

    def _decide(self, url: str, origin: str) -> bool:
        rules = self._rules[origin]
        return True if rules is None else bool(rules.can_fetch(url, ROBOTS_AGENT))

    async def _fetch_and_decide(self, url: str, origin: str, host: str) -> bool:
        failed = self._failed_at.get(origin)
        if failed is not None and time.monotonic() - failed < self._retry_after:
            return False
        try:
            self._rules[origin] = await self._load(origin, host)
        except FetchError as exc:
            self._failed_at[origin] = time.monotonic()
            self.reason[origin] = f"robots.txt unavailable ({exc.label}); assuming disallow"
            return False
        self.reason.pop(origin, None)
        return self._decide(url, origin)

    def refusal(self, url: str) -> str:
        parts = urlsplit(url)
        return self.reason.get(f"{parts.scheme}://{parts.netloc}", "robots.txt disallows this URL")
