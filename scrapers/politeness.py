"""Per-host politeness: how often and how many at once, and what robots.txt allows.

The limiter sits behind a two-method interface (``acquire`` / ``release``) so the
orchestration can swap the in-process token bucket for something that holds across
processes (a Prefect global concurrency limit, a database lease) without touching the
client. Spacing is strict (no bursts): requests to one host start at least
``1/rate`` seconds apart, the larger of the source's rate and robots.txt's Crawl-delay;
with one connection per host (the default) the next request also waits ``1/rate`` after
the previous one finished, so arrivals at the server are spaced even when connecting is slow.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

__all__ = ["HostLimiter", "HostPolicy", "TokenBucketLimiter", "host_slot"]


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """How one host must be treated. ``min_interval`` 0 means politeness off (benchmarks)."""

    min_interval: float = 1.0
    concurrency: int = 1

    @classmethod
    def from_rate(cls, rate: float | None, concurrency: int | None, crawl_delay: float | None = None) -> HostPolicy:
        interval = 0.0 if not rate else 1.0 / rate
        if crawl_delay:
            interval = max(interval, float(crawl_delay))
        return cls(min_interval=interval, concurrency=max(1, concurrency or 1))


class HostLimiter(Protocol):
    """What the HTTP client needs from a per-host limiter."""

    async def acquire(self, host: str, policy: HostPolicy) -> None:
        """Wait until a request to ``host`` may start under ``policy``; hold a connection slot."""
        ...

    async def release(self, host: str) -> None:
        """Give back the slot taken by ``acquire`` (always called, also after errors)."""
        ...


class _Host:
    __slots__ = ("concurrency", "interval", "lock", "next_at", "sem")

    def __init__(self, concurrency: int):
        self.sem = asyncio.Semaphore(concurrency)
        self.concurrency = concurrency
        self.lock = asyncio.Lock()
        self.next_at = 0.0
        self.interval = 0.0


class TokenBucketLimiter:
    """In-process limiter: a semaphore per host plus strict start-time spacing.

    One instance should be shared by every client in a process so two sources on the
    same host share its budget. Not safe across event loops: make one per loop.
    """

    def __init__(self) -> None:
        self._hosts: dict[str, _Host] = {}

    def _host(self, host: str, policy: HostPolicy) -> _Host:
        h = self._hosts.get(host)
        if h is None:
            h = self._hosts[host] = _Host(policy.concurrency)
        return h

    async def acquire(self, host: str, policy: HostPolicy) -> None:
        h = self._host(host, policy)
        await h.sem.acquire()
        try:
            if policy.min_interval > 0:
                async with h.lock:
                    now = time.monotonic()
                    start = max(now, h.next_at)
                    h.next_at = start + policy.min_interval
                    h.interval = policy.min_interval
                if start > now:
                    await asyncio.sleep(start - now)
        except BaseException:
            h.sem.release()
            raise

    async def release(self, host: str) -> None:
        h = self._hosts.get(host)
        if h is not None:
            if h.concurrency == 1 and h.interval > 0:
                # One connection: space from the end of the request too, so a slow connect
                # cannot make two requests *arrive* closer than the interval.
                h.next_at = max(h.next_at, time.monotonic() + h.interval)
            h.sem.release()


@asynccontextmanager
async def host_slot(limiter: HostLimiter, host: str, policy: HostPolicy) -> AsyncIterator[None]:
    """``async with host_slot(...)``: acquire, run the request, always release."""
    await limiter.acquire(host, policy)
    try:
        yield
    finally:
        await limiter.release(host)
