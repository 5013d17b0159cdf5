"""Plain data the crawler hands to its callers: candidates, fetched documents, fetch-log rows.

Dataclasses without storage imports so the pipeline (``flows/``) can map them onto
whatever tables it likes, and tests can compare them directly.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Candidate",
    "FetchLogEntry",
    "FetchedDoc",
    "FetchedReport",
    "Outcome",
    "Validators",
]

#: What happened to one document or report:
#: ``new`` never seen before; ``changed`` seen with other content; ``unchanged`` a 304 or
#: the same sha256 (skip parsing and writing); ``failed`` could not be fetched (see
#: ``error``); ``blocked`` an anti-bot challenge or robots.txt said no.
Outcome = Literal["new", "changed", "unchanged", "failed", "blocked"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A report page found on a list page, before it is fetched."""

    url: str
    title: str
    #: report year from the title (not from the URL or the publication date)
    year: int | None
    #: ``YYYY-MM-DD`` when the list shows it
    published_at: str | None
    #: the list page this candidate was found on
    list_url: str
    source_key: str = ""


@dataclass(frozen=True, slots=True)
class Validators:
    """What the store knows about a URL from the last fetch: enables conditional requests."""

    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None


@dataclass(slots=True)
class FetchedDoc:
    """One document (a report page or its attachment) after fetching."""

    url: str
    #: ``page`` (the detail page) or ``attachment`` (the file the page links)
    role: Literal["page", "attachment", "list", "robots"]
    outcome: Outcome
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    #: charset from the Content-Type header, if any (decoding also looks at <meta>/BOM)
    charset: str | None = None
    sha256: str | None = None
    archive_path: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    #: decoded body size in bytes
    bytes: int = 0
    duration_ms: float = 0.0
    retries: int = 0
    #: sanitised file name (attachments: from Content-Disposition or the URL)
    filename: str | None = None
    #: ``kind: reason`` when outcome is failed/blocked
    error: str | None = None
    #: the body itself (None when unchanged or failed); also in the archive under sha256
    body: builtins.bytes | None = field(default=None, repr=False)


@dataclass(slots=True)
class FetchedReport:
    """A candidate after fetching: its page and, for stub pages, the attachment."""

    candidate: Candidate
    page: FetchedDoc
    attachment: FetchedDoc | None = None

    @property
    def document(self) -> FetchedDoc:
        """The document that holds the report text: the attachment when the page is a stub."""
        return self.attachment if self.attachment is not None else self.page

    @property
    def outcome(self) -> Outcome:
        """The report's outcome: the body document's, except a failed page fails the report."""
        if self.page.outcome in ("failed", "blocked"):
            return self.page.outcome
        return self.document.outcome

    @property
    def error(self) -> str | None:
        return self.page.error or (self.attachment.error if self.attachment else None)


@dataclass(frozen=True, slots=True)
class FetchLogEntry:
    """One HTTP request outcome for run history (one row per URL fetched, retries folded in)."""

    source_key: str
    url: str
    status: int | None
    bytes: int
    duration_ms: float
    retries: int
    #: ``kind: reason`` or None on success (2xx/304)
    error: str | None
    role: str = "page"
    final_url: str | None = None
    outcome: str | None = None
