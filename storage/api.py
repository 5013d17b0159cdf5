"""What goes into and comes out of ``storage.Store``: plain dataclasses.

The crawler and the flows talk to storage only through these types, so that
``storage`` never imports crawler types and the crawler never sees a table.
Timestamps are passed in by the caller (never taken from the database clock)
so that replaying the same inputs leaves the database byte-for-byte identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from parsers.record import PARSER_VERSION, Record

__all__ = [
    "CatalogSourceLike",
    "CheckTimes",
    "DocumentItem",
    "DocumentRef",
    "FetchEntry",
    "ReportItem",
    "RunCounts",
    "RunSummary",
    "StorageError",
    "StoredSource",
    "UpsertCounts",
    "Validators",
    "utcnow",
]


def utcnow() -> datetime:
    """Timezone-aware now; every timestamp storage writes is UTC."""
    return datetime.now(UTC)


class StorageError(Exception):
    """Bad input or a database failure, with the item (URL/source) it concerns."""


@dataclass(slots=True)
class ReportItem:
    """One parsed report to store. Natural key: (``source_key``, ``url``).

    ``url`` is the report page; ``document_url`` the file the record was parsed
    from when that differs (a PDF/DOCX attachment). ``fetched_at`` is when the
    bytes behind this record were fetched; ``parsed_at`` defaults to now.
    """

    source_key: str
    url: str
    record: Record
    text: str
    document_sha256: str | None
    fetched_at: datetime
    document_url: str | None = None
    parser_version: str = PARSER_VERSION
    parsed_at: datetime | None = None


@dataclass(slots=True)
class UpsertCounts:
    """Outcome of one ``upsert_reports`` batch.

    ``refreshed``: record content identical but parser version or source
    document changed, so only the report row's metadata was rewritten.
    """

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    refreshed: int = 0
    #: what happened to each report, by (source_key, url): "new" | "changed" | "unchanged" |
    #: "refreshed". A crawl writes many sources' reports in one transaction and counts per source.
    outcomes: dict[tuple[str, str], str] = field(default_factory=dict, compare=False, repr=False)

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.refreshed += other.refreshed
        self.outcomes.update(other.outcomes)
        return self


@dataclass(slots=True)
class DocumentItem:
    """One fetch outcome for a URL. Natural key: (``source_key``, ``url``).

    For a 304 leave ``sha256``/``archive_path``/validators ``None``: the stored
    ones are kept. ``error_kind``/``error_reason`` ``None`` clears a previous error.
    ``kind`` is free text for the crawler ("list", "report", "attachment").
    """

    source_key: str
    url: str
    fetched_at: datetime
    status: int | None = None
    final_url: str | None = None
    content_type: str | None = None
    sha256: str | None = None
    archive_path: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    kind: str | None = None
    error_kind: str | None = None
    error_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Validators:
    """What a conditional request needs: ``If-None-Match``/``If-Modified-Since``, and the body hash."""

    etag: str | None
    last_modified: str | None
    sha256: str | None


@dataclass(frozen=True, slots=True)
class CheckTimes:
    """When a stored report's page was last fetched without error, and when the report's
    content last changed: what the crawler's revisit schedule (``scrapers.revisit``) needs."""

    last_fetched: datetime
    last_changed: datetime


@dataclass(slots=True)
class RunCounts:
    discovered: int = 0
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    blocked: int = 0
    #: stored reports the revisit schedule left unfetched this run
    not_due: int = 0


@dataclass(slots=True)
class RunSummary:
    """One ``crawl_runs`` row: one source in one attempt of a crawl."""

    run_id: str
    source_key: str
    started_at: datetime
    finished_at: datetime | None
    state: str
    counts: RunCounts = field(default_factory=RunCounts)
    flow_run_id: str | None = None
    attempt: int = 1
    owner: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StoredSource:
    """What the store knows of a source before its crawl, read for many sources at once."""

    #: per URL (pages and attachments), for conditional requests
    validators: dict[str, Validators]
    #: report URLs parsed by the given parser version from bytes the store still names
    done: frozenset[str]
    #: stored report pages whose last fetch succeeded: the revisit schedule's input
    checks: dict[str, CheckTimes]


@dataclass(slots=True)
class FetchEntry:
    """One request outcome (``fetch_log``). Replaying the same entry is a no-op:
    (``run_id``, ``url``, ``at``) is unique."""

    run_id: str
    source_key: str
    url: str
    at: datetime
    status: int | None = None
    bytes: int | None = None
    duration_ms: float | None = None
    retries: int = 0
    error_kind: str | None = None
    error_reason: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """A stored raw document to reparse; the bytes are in the raw archive under ``sha256``."""

    source_key: str
    url: str
    final_url: str | None
    sha256: str
    archive_path: str | None
    content_type: str | None
    kind: str | None
    fetched_at: datetime | None
    report_url: str | None
    report_parser_version: str | None


class CatalogSourceLike(Protocol):
    """What ``sync_sources`` reads from a catalog entry (``scrapers.catalog.Source`` fits)."""

    key: str
    name: str
    adapter: Any
    start_urls: list[str]
    tags: list[str]
