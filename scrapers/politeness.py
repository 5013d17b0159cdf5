"""Per-host politeness: how often and how many at once, for the whole crawl.

A host's budget belongs to the host, not to a source: ``HostBook`` gives each host the
strictest policy among the catalog entries on it (or a per-host setting), widened by
robots.txt's Crawl-delay, and every source of a crawl reads it from there.

The limiter sits behind a two-method interface (``acquire`` / ``release``).
``TokenBucketLimiter`` keeps one process polite; ``LeasedLimiter`` wraps it so that
processes sharing a database (two ``govreports crawl`` at once, workers of a work pool)
share each host's budget: a process sends to a host only while it holds that host's
lease, a row it renews every few seconds (``HostLeases``, implemented by storage). One
database write per host per lease period, never one per request.
Spacing is strict (no bursts): requests to one host start at least ``1/rate`` seconds
apart; with one connection per host (the default) the next request also waits ``1/rate``
after the previous one finished, so arrivals at the server are spaced even when connecting
is slow.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

__all__ = [
    "HostBook",
    "HostLeases",
    "HostLimiter",
    "HostPolicy",
    "LeasedLimiter",
    "TokenBucketLimiter",
    "host_of",
    "host_slot",
]


def host_of(url: str) -> str:
    """The host a URL's requests are budgeted under (lower-case name, no port)."""
    return (urlsplit(url).hostname or "").lower()


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

    def stricter(self, other: HostPolicy) -> HostPolicy:
        return HostPolicy(max(self.min_interval, other.min_interval), min(self.concurrency, other.concurrency))


class HostBook:
    """Each host's policy for one crawl, decided in one place.

    Built from the catalog entries being crawled: a host shared by several entries gets the
    strictest of their policies (largest interval, fewest connections), whichever source
    asks first; ``hosts`` (the catalog's per-host settings) override that. A host no entry
    names (an attachment CDN) gets the default. ``widen`` applies robots.txt's Crawl-delay.
    With politeness off every host has interval 0 (benchmarks on loopback only).
    """

    def __init__(self, default: HostPolicy, policies: Mapping[str, HostPolicy] | None = None, *, enabled: bool = True):
        self.enabled = enabled
        self.default = default if enabled else HostPolicy(0.0, default.concurrency)
        self._policies: dict[str, HostPolicy] = {}
        for host, pol in (policies or {}).items():
            self._policies[host] = pol if enabled else HostPolicy(0.0, pol.concurrency)

    @classmethod
    def for_sources(
        cls,
        entries: Iterable[tuple[Iterable[str], float | None, int | None]],
        *,
        rate: float,
        concurrency: int,
        hosts: Mapping[str, tuple[float | None, int | None]] | None = None,
        enabled: bool = True,
    ) -> HostBook:
        """``entries``: (the entry's hosts, its rate or None, its concurrency or None) per
        catalog entry; ``hosts``: per-host (rate, concurrency) settings, which win."""
        default = HostPolicy.from_rate(rate, concurrency)
        found: dict[str, HostPolicy] = {}
        for names, r, c in entries:
            pol = HostPolicy.from_rate(rate if r is None else r, c or concurrency)
            for h in names:
                old = found.get(h.lower())
                found[h.lower()] = pol if old is None else old.stricter(pol)
        for h, (r, c) in (hosts or {}).items():
            found[h.lower()] = HostPolicy.from_rate(rate if r is None else r, c or concurrency)
        return cls(default, found, enabled=enabled)

    def policy(self, host: str) -> HostPolicy:
        return self._policies.get(host, self.default)

    def widen(self, host: str, crawl_delay: float) -> None:
        """robots.txt asked for more time between requests: never less than it says."""
        if not self.enabled or crawl_delay <= 0:
            return
        pol = self.policy(host)
        self._policies[host] = HostPolicy(max(pol.min_interval, float(crawl_delay)), pol.concurrency)


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

    def not_before(self, host: str, policy: HostPolicy, when: float) -> None:
        """No request to ``host`` starts before ``when`` (monotonic): another process's spacing."""
        h = self._host(host, policy)
        h.next_at = max(h.next_at, when)

    def next_start(self, host: str) -> float:
        """When (monotonic) the next request to ``host`` may start; 0 when unknown."""
        h = self._hosts.get(host)
        return h.next_at if h is not None else 0.0

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


class HostLeases(Protocol):
    """Where processes agree who may send to a host now (``storage.Store`` implements it).

    Times are epoch seconds. ``take`` holds ``host`` for ``holder`` until ``until`` when it is
    free or already the holder's, and returns ``(True, not_before)``: the previous holder's
    spacing, which the new one keeps. Otherwise ``(False, free_at)``: when to ask again.
    ``release`` frees the holder's hosts, recording when each may next be asked.
    """

    def take(self, host: str, holder: str, now: float, until: float) -> tuple[bool, float]: ...

    def release(self, holder: str, not_before: Mapping[str, float]) -> None: ...


class LeasedLimiter:
    """A ``TokenBucketLimiter`` that sends to a host only while this process holds its lease.

    Why leases and not a round trip per request: at 1 request/s on 200 hosts that is 200
    database writes a second; a lease of ``ttl`` seconds costs one write per host per
    ``ttl - margin`` seconds, and two processes on one host take turns, each at the full
    rate, so together they stay within it. Politeness off (interval 0) asks nobody.
    The leases calls are blocking (database I/O) and run in a thread.
    """

    def __init__(self, leases: HostLeases, *, ttl: float = 15.0, margin: float = 3.0, poll: float = 0.5) -> None:
        self.leases = leases
        self.poll = poll
        self.local = TokenBucketLimiter()
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.ttl = ttl
        self.margin = margin
        self._until: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def _hold(self, host: str, policy: HostPolicy) -> None:
        async with self._locks.setdefault(host, asyncio.Lock()):
            while True:
                now = time.time()
                if self._until.get(host, 0.0) - now > self.margin:
                    return
                until = now + self.ttl
                held, when = await asyncio.to_thread(self.leases.take, host, self.holder, now, until)
                if held:
                    self._until[host] = until
                    # keep the previous holder's spacing: its last request was at most one
                    # interval before ``when``
                    self.local.not_before(host, policy, time.monotonic() + max(0.0, when - time.time()))
                    return
                # the holder may give the host back early (``close``): look again soon
                await asyncio.sleep(min(self.poll, max(0.05, when - time.time())))

    async def acquire(self, host: str, policy: HostPolicy) -> None:
        if policy.min_interval > 0:
            await self._hold(host, policy)
        await self.local.acquire(host, policy)

    async def release(self, host: str) -> None:
        await self.local.release(host)

    async def close(self) -> None:
        """Give every held host back now, so another process need not wait out the lease."""
        held = list(self._until)  # also those whose lease ran out here: the row may still name us
        self._until.clear()
        if held:
            mono, wall = time.monotonic(), time.time()
            not_before = {h: wall + max(0.0, self.local.next_start(h) - mono) for h in held}
            # the database gone at the very end: the leases simply run out (ttl)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.leases.release, self.holder, not_before)
