"""The tables, as SQLModel models, and the headline view.

The Alembic migrations under ``storage/migrations/versions`` create exactly
these (a test compares the migrated schema with this metadata), so the models
are the readable description of the schema and the migrations its history.

Record dates (``published_at``…) stay ``YYYY-MM-DD`` strings: the record is the
contract and must round-trip exactly. Child rows carry ``pos`` so that a record
rebuilt from the tables has its lists and its ``stats`` in the original order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, MetaData, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "HEADLINE_KEYS",
    "HEADLINE_VIEW",
    "CrawlRun",
    "Document",
    "FetchLog",
    "Report",
    "ReportCheck",
    "ReportSection",
    "ReportStat",
    "ReportVersion",
    "ReportWarning",
    "Source",
    "headline_view_sql",
    "metadata",
]

#: our own MetaData so other SQLModel users in the process never mix in
metadata = MetaData()


class _Base(SQLModel):
    metadata = metadata


def _ts(nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable)


def _fk_report() -> Column:  # type: ignore[type-arg]
    return Column(Integer, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)


#: child tables are clustered on their primary key (report_id, …) in SQLite: no
#: separate rowid b-tree, and no secondary index either: every row written costs
#: one b-tree insert, which is what makes ~2,000 full reports/s reachable. Reads
#: go by report_id (the key prefix); ad-hoc queries by stats key scan, or use
#: the ``report_headline`` view for the headline keys.
_CHILD_ARGS = {"sqlite_with_rowid": False}


class Source(_Base, table=True):
    """The catalog as last loaded; ``in_catalog`` false once an entry is removed."""

    __tablename__ = "sources"
    key: str = Field(primary_key=True, max_length=200)
    name: str
    adapter: str
    start_urls: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    tags: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    config: str = Field(sa_column=Column(Text, nullable=False))  # the full entry as JSON
    in_catalog: bool = True
    updated_at: datetime = Field(sa_column=_ts(False))


class Document(_Base, table=True):
    """One row per fetched URL: the latest fetch outcome and the validators."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("source_key", "url", name="uq_documents_source_url"),
        Index("ix_documents_sha256", "sha256"),
    )
    id: int | None = Field(default=None, primary_key=True)
    source_key: str
    url: str = Field(sa_column=Column(Text, nullable=False))
    final_url: str | None = Field(default=None, sa_column=Column(Text))
    kind: str | None = None
    content_type: str | None = None
    sha256: str | None = Field(default=None, max_length=64)
    archive_path: str | None = Field(default=None, sa_column=Column(Text))
    etag: str | None = None
    last_modified: str | None = None
    http_status: int | None = None
    first_seen: datetime = Field(sa_column=_ts(False))
    last_fetched: datetime = Field(sa_column=_ts(False))
    last_changed: datetime | None = Field(default=None, sa_column=_ts())
    last_error_kind: str | None = None
    last_error_reason: str | None = Field(default=None, sa_column=Column(Text))


class Report(_Base, table=True):
    """One row per report (source + report-page URL): every top-level record field."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("source_key", "url", name="uq_reports_source_url"),
        Index("ix_reports_year", "year"),
        Index("ix_reports_document_sha256", "document_sha256"),
    )
    id: int | None = Field(default=None, primary_key=True)
    source_key: str
    url: str = Field(sa_column=Column(Text, nullable=False))
    document_url: str | None = Field(default=None, sa_column=Column(Text))
    title: str = Field(sa_column=Column(Text, nullable=False))
    year: int
    agency: str | None = None
    format: str
    published_at: str | None = Field(default=None, max_length=10)
    period_start: str | None = Field(default=None, max_length=10)
    period_end: str | None = Field(default=None, max_length=10)
    contact_address: str | None = Field(default=None, sa_column=Column(Text))
    contact_postcode: str | None = None
    contact_phone: str | None = None
    contact_fax: str | None = None
    contact_email: str | None = None
    contact_website: str | None = Field(default=None, sa_column=Column(Text))
    text: str = Field(sa_column=Column(Text, nullable=False))
    n_stats: int
    n_failed_checks: int
    #: how the statistics tables were read (record field ``table_source``), migration 0007
    table_source: str | None = Field(default=None, max_length=16)
    parser_version: str
    content_hash: str = Field(max_length=64)
    document_sha256: str | None = Field(default=None, max_length=64)
    fetched_at: datetime = Field(sa_column=_ts(False))
    parsed_at: datetime = Field(sa_column=_ts(False))
    first_seen: datetime = Field(sa_column=_ts(False))
    last_changed: datetime = Field(sa_column=_ts(False))


class ReportStat(_Base, table=True):
    """``stats`` in long form; ``is_int`` keeps 3 and 3.0 apart for an exact round trip."""

    __tablename__ = "report_stats"
    __table_args__ = _CHILD_ARGS
    report_id: int = Field(sa_column=_fk_report())
    key: str = Field(primary_key=True, max_length=200)
    value: float
    is_int: bool
    pos: int


class ReportSection(_Base, table=True):
    __tablename__ = "report_sections"
    __table_args__ = _CHILD_ARGS
    report_id: int = Field(sa_column=_fk_report())
    pos: int = Field(primary_key=True)
    number: str
    heading: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))


class ReportCheck(_Base, table=True):
    __tablename__ = "report_checks"
    __table_args__ = _CHILD_ARGS
    report_id: int = Field(sa_column=_fk_report())
    pos: int = Field(primary_key=True)
    rule: str
    ok: bool
    detail: str = Field(sa_column=Column(Text, nullable=False))


class ReportWarning(_Base, table=True):
    __tablename__ = "report_warnings"
    __table_args__ = _CHILD_ARGS
    report_id: int = Field(sa_column=_fk_report())
    pos: int = Field(primary_key=True)
    message: str = Field(sa_column=Column(Text, nullable=False))


class ReportVersion(_Base, table=True):
    """A previous state of a report, kept when its content changed (a revised report)."""

    __tablename__ = "report_versions"
    __table_args__ = (Index("ix_report_versions_report", "report_id"),)
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False)
    )
    record: str = Field(sa_column=Column(Text, nullable=False))  # Record.to_dict() as JSON
    text: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    parser_version: str
    document_sha256: str | None = Field(default=None, max_length=64)
    fetched_at: datetime = Field(sa_column=_ts(False))
    replaced_at: datetime = Field(sa_column=_ts(False))
    reason: str = Field(sa_column=Column(Text, nullable=False))


class CrawlRun(_Base, table=True):
    """One row per (Prefect flow run, source)."""

    __tablename__ = "crawl_runs"
    __table_args__ = (
        UniqueConstraint("run_id", "source_key", name="uq_crawl_runs_run_source"),
        Index("ix_crawl_runs_source_started", "source_key", "started_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    run_id: str
    source_key: str
    started_at: datetime = Field(sa_column=_ts(False))
    finished_at: datetime | None = Field(default=None, sa_column=_ts())
    state: str
    discovered: int = 0
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    blocked: int = 0
    #: stored reports the revisit schedule left unfetched (migration 0004)
    not_due: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))


class FetchLog(_Base, table=True):
    """One row per request outcome."""

    __tablename__ = "fetch_log"
    __table_args__ = (
        UniqueConstraint("run_id", "url", "at", name="uq_fetch_log_run_url_at"),
        Index("ix_fetch_log_source_at", "source_key", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    run_id: str
    source_key: str
    url: str = Field(sa_column=Column(Text, nullable=False))
    status: int | None = None
    bytes: int | None = None
    duration_ms: float | None = None
    retries: int = 0
    error_kind: str | None = None
    error_reason: str | None = Field(default=None, sa_column=Column(Text))
    at: datetime = Field(sa_column=_ts(False))


#: the headline stats keys (spec/report-record.md), one column each in the view
HEADLINE_KEYS: tuple[str, ...] = (
    "proactive.total",
    "requests.received",
    "requests.carried_over",
    "requests.granted",
    "requests.partially_granted",
    "requests.denied",
    "requests.carried_forward",
    "fees.total_yuan",
    "review.total",
    "review.upheld",
    "review.corrected",
    "review.other",
    "review.pending",
    "litigation.total",
    "staff.total",
    "staff.full_time",
    "staff.part_time",
    "spending_wan",
)

HEADLINE_VIEW = "report_headline"


def headline_view_sql() -> str:
    """``CREATE VIEW report_headline``: one row per report, headline keys as columns.

    Plain ``MAX(CASE …)`` pivoting so the same SQL runs on SQLite and PostgreSQL.
    Column names are the keys with dots replaced by underscores.
    """
    cols = ",\n  ".join(
        f"MAX(CASE WHEN s.key = '{k}' THEN s.value END) AS {k.replace('.', '_')}" for k in HEADLINE_KEYS
    )
    keys = ", ".join(f"'{k}'" for k in HEADLINE_KEYS)
    return (
        f"CREATE VIEW {HEADLINE_VIEW} AS\nSELECT r.id AS report_id, r.source_key, r.url, r.title, r.year, "
        "r.agency, r.format, r.published_at, r.n_failed_checks,\n  "
        f"{cols}\nFROM reports r LEFT JOIN report_stats s ON s.report_id = r.id AND s.key IN ({keys})\n"
        "GROUP BY r.id, r.source_key, r.url, r.title, r.year, r.agency, r.format, r.published_at, r.n_failed_checks"
    )
