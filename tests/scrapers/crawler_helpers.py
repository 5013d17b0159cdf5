"""Helpers for crawler tests (imported by name: ``from crawler_helpers import …``): sources, a DNS-free resolver, streamed mock responses.

MockTransport tests never touch DNS or the network: ``public_resolver`` answers every
host with a public documentation address, so the address checks run without lookups.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx

from scrapers.catalog import Source
from scrapers.http import RetryConfig

#: TEST-NET-free public address (example.com's) used as every host's DNS answer
PUBLIC_IP = "93.184.216.34"


async def public_resolver(host: str) -> list[str]:
    return [PUBLIC_IP]


def make_source(start: str | Iterable[str], adapter: str = "trs", **kw: Any) -> Source:
    starts = [start] if isinstance(start, str) else list(start)
    data: dict[str, Any] = {"key": "t", "name": "测试", "start_urls": starts, "adapter": adapter}
    data.update(kw)
    return Source.model_validate(data)


class ChunkStream(httpx.AsyncByteStream):
    """A response body delivered in chunks, like the network does (so caps apply while streaming)."""

    def __init__(self, data: bytes, chunk: int = 16 * 1024, on_chunk: Callable[[int], None] | None = None):
        self.data = data
        self.chunk = chunk
        self.on_chunk = on_chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self.data), self.chunk):
            if self.on_chunk:
                self.on_chunk(i)
            yield self.data[i : i + self.chunk]


def streamed(status: int, data: bytes, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
    return httpx.Response(status, headers=headers or {}, stream=ChunkStream(data, **kw))


#: retries without waiting, so fault tests stay fast
FAST_RETRY = RetryConfig(max_attempts=4, backoff_initial=0.001, backoff_max=0.01, jitter=0.1, retry_after_max=0.05)
