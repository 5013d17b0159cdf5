"""scrapers: all HTTP — catalog, the guarded client, politeness, adapters, raw archive.

Public API (see ARCHITECTURE.md, "Crawling")::

    async with open_client(source, settings, limiter=..., on_fetch=...) as client:
        async for cand in discover(source, client):
            report = await fetch_report(client, cand, validators)
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator

from scrapers.archive import RawArchive, safe_filename
from scrapers.catalog import Catalog, CatalogError, Source, load_catalog
from scrapers.errors import FetchError
from scrapers.fetch import fetch_report
from scrapers.http import RetryConfig, SourceClient, make_http_client, open_client
from scrapers.model import Candidate, FetchedDoc, FetchedReport, FetchLogEntry, Outcome, Validators
from scrapers.politeness import HostLimiter, HostPolicy, TokenBucketLimiter

__all__ = [
    "Candidate",
    "Catalog",
    "CatalogError",
    "FetchError",
    "FetchLogEntry",
    "FetchedDoc",
    "FetchedReport",
    "HostLimiter",
    "HostPolicy",
    "Outcome",
    "RawArchive",
    "RetryConfig",
    "Source",
    "SourceClient",
    "TokenBucketLimiter",
    "Validators",
    "discover",
    "fetch_report",
    "load_catalog",
    "make_http_client",
    "open_client",
    "safe_filename",
]


async def discover(source: Source, client: SourceClient) -> AsyncIterator[Candidate]:
    """Candidates from the source's adapter (``scrapers.adapters.<source.adapter>``).

    Raises ``FetchError`` when the first list page cannot be fetched (the source is
    unreachable); later list pages that fail are logged and skipped.
    """
    module = importlib.import_module(f"scrapers.adapters.{source.adapter}")
    async for cand in module.discover(source, client):
        yield cand
