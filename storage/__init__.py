"""Storage: every table and SQL statement of govreports (SQLite or PostgreSQL).

The public API is ``Store`` and the dataclasses it takes and returns; see the
"Storage" section of ARCHITECTURE.md. Only ``parsers.record`` is imported from
the rest of the project.
"""

from .api import (
    CatalogSourceLike,
    CheckTimes,
    DocumentItem,
    DocumentRef,
    FetchEntry,
    ReportItem,
    RunCounts,
    RunSummary,
    StorageError,
    StoredSource,
    UpsertCounts,
    Validators,
)
from .store import FAILED_STATES, Store

__all__ = [
    "FAILED_STATES",
    "CatalogSourceLike",
    "CheckTimes",
    "DocumentItem",
    "DocumentRef",
    "FetchEntry",
    "ReportItem",
    "RunCounts",
    "RunSummary",
    "StorageError",
    "Store",
    "StoredSource",
    "UpsertCounts",
    "Validators",
]
