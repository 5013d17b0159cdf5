"""``Store``: the one object the crawler, the flows and the CLI write through.

Every write method takes a batch and runs it in ONE transaction: a failure
anywhere in the batch rolls all of it back. Batches are de-duplicated (last
item wins) and sorted by natural key before any statement, so that concurrent
writers on PostgreSQL take row locks in the same order and cannot deadlock.
Writes are SQLAlchemy Core ``INSERT … ON CONFLICT`` built with the dialect's
own ``insert`` (SQLite or PostgreSQL), except on the report hot path: the
``reports`` rows go through pre-built multi-row statements (``report_sql``)
and the ~250 child rows per report through the driver (multi-row ``INSERT`` on
SQLite, ``COPY`` on PostgreSQL), all on the transaction's own connection.

Reports: a cheap read of (key, content hash) for the batch comes first; when
every item is unchanged the batch ends there, with no write and no write lock.
Otherwise, inside one write transaction (SQLite: BEGIN IMMEDIATE), reports not
seen before are inserted ``ON CONFLICT DO NOTHING``; the rest are locked
(PostgreSQL: ``SELECT … FOR UPDATE`` in key order) and compared: a changed
report gets its previous record copied to ``report_versions`` and its child
rows replaced. Inserting before locking is what keeps overlapping concurrent
batches free of deadlocks and duplicates (see ``_write_reports``).

Every report written gets its agency identity (``agency_id``: its source's catalog pin
or its record's agency, ``storage.agency``) and the cross-year checks of the (agency,
year) pairs it leaves and joins are rebuilt, in the same transaction (``storage.panel``).
This is the one place identity is assigned: crawls, reparses and ``govreports ingest``
all come through here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict
from datetime import datetime
from itertools import chain, islice
from typing import Any

from sqlalchemy import Engine, Table, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import ColumnElement

from . import migrate
from .api import (
    CatalogSourceLike,
    DocumentItem,
    DocumentRef,
    FetchEntry,
    ReportItem,
    RunSummary,
    StorageError,
    UpsertCounts,
    utcnow,
)
from .engine import READ, open_engine
from .ledger import RUNS, CrawlLedger, run_summary
from .load import CHILD_TABLES, chunks, load_reports
from .models import Agency, Document, FetchLog, Report, ReportVersion, Source
from .panel import (
    identity,
    reassign_reports,
    recompute_cross_year,
    resolve_agencies,
    shown_names,
    source_pins,
    touched_pairs,
)
from .report_sql import ReportWriter
from .rows import (
    CHILD_COLUMNS,
    PG_TRUTH,
    SQLITE_TRUTH,
    ChildRows,
    as_utc,
    content_hash,
    diff_summary,
    record_dict,
    report_columns,
    validate_item,
)

__all__ = ["FAILED_STATES", "Store"]

REPORTS: Table = Report.__table__  # type: ignore[attr-defined]
VERSIONS: Table = ReportVersion.__table__  # type: ignore[attr-defined]
DOCUMENTS: Table = Document.__table__  # type: ignore[attr-defined]
SOURCES: Table = Source.__table__  # type: ignore[attr-defined]
FETCH_LOG: Table = FetchLog.__table__  # type: ignore[attr-defined]
AGENCIES: Table = Agency.__table__  # type: ignore[attr-defined]

#: crawl_runs states that make a source eligible for ``rerun_failed``
#: run states a rerun picks up: PARTIAL (some pages failed), ABANDONED (the crawl was killed)
FAILED_STATES = frozenset({"FAILED", "PARTIAL", "ABANDONED", "CRASHED", "CANCELLED", "TIMEDOUT"})

Key = tuple[str, str]


class _Prepared:
    __slots__ = ("agency", "hash", "item", "key", "parsed_at")

    def __init__(self, item: ReportItem, now: datetime):
        validate_item(item)
        self.item = item
        self.key: Key = (item.source_key, item.url)
        try:
            self.hash = content_hash(item.record, item.text)
        except (TypeError, ValueError, OverflowError) as exc:  # a non-string field, an absurd year
            raise StorageError(f"{item.source_key} {item.url}: cannot store report: {exc}") from exc
        self.parsed_at = item.parsed_at or now
        #: (agency key, name shown): the catalog's pin or the record's agency; set by ``_set_agencies``
        self.agency: tuple[str, str] | None = None

    @property
    def agency_key(self) -> str | None:
        return self.agency[0] if self.agency else None


class Store(CrawlLedger):
    """A govreports database (SQLite file or PostgreSQL), upgraded to the current schema on open."""

    def __init__(self, url: str, *, upgrade: bool = True):
        self.url = url
        try:
            self.engine: Engine = open_engine(url, migrate.upgrade if upgrade else lambda _engine: None)
        except SQLAlchemyError as exc:
            raise StorageError(f"{_safe_url(url)}: cannot open database: {exc}") from exc
        self.dialect = self.engine.dialect.name
        self._insert: Callable[[Table], Any] = (
            postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        )
        self._reports = ReportWriter(self.engine.dialect)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({_safe_url(self.url)!r})"

    # ------------------------------------------------------------------ helpers

    def _read(self) -> Connection:
        return self.engine.connect().execution_options(**READ)

    def _key_filter(self, table: Table, keys: Sequence[Key]) -> ColumnElement[bool]:
        by_source: dict[str, list[str]] = {}
        for src, url in keys:
            by_source.setdefault(src, []).append(url)
        return or_(*(and_(table.c.source_key == s, table.c.url.in_(urls)) for s, urls in by_source.items()))

    def _existing_reports(self, conn: Connection, keys: Sequence[Key], *, lock: bool) -> dict[Key, Any]:
        cols = (
            REPORTS.c.id,
            REPORTS.c.source_key,
            REPORTS.c.url,
            REPORTS.c.content_hash,
            REPORTS.c.parser_version,
            REPORTS.c.document_sha256,
            REPORTS.c.document_url,
            REPORTS.c.agency_id,
            REPORTS.c.year,
            AGENCIES.c.key.label("agency_key"),
        )
        joined = REPORTS.outerjoin(AGENCIES, AGENCIES.c.id == REPORTS.c.agency_id)
        found: dict[Key, Any] = {}
        for part in chunks(keys):
            stmt = select(*cols).select_from(joined).where(self._key_filter(REPORTS, part))
            if lock and self.dialect == "postgresql":
                stmt = stmt.order_by(REPORTS.c.source_key, REPORTS.c.url).with_for_update(of=REPORTS)
            for row in conn.execute(stmt):
                found[(row.source_key, row.url)] = row
        return found

    # ------------------------------------------------------------------ reports

    def upsert_reports(self, items: Iterable[ReportItem]) -> UpsertCounts:
        """Store a batch of parsed reports in one transaction; see the module docstring.

        Raises ``StorageError`` naming the report for invalid input (before any
        write) and naming the batch for a database failure (after a rollback).
        """
        return self.record_batch(reports=items)

    def record_batch(
        self,
        *,
        documents: Iterable[DocumentItem] = (),
        reports: Iterable[ReportItem] = (),
        fetches: Iterable[FetchEntry] = (),
    ) -> UpsertCounts:
        """Fetch outcomes, parsed reports and fetch-log entries of one crawl batch, in ONE transaction.

        Either all of it is stored or (on any error) none of it. When every
        report is unchanged and there are no documents/fetches, nothing is written.
        """
        now = utcnow()
        batch = _prepare(reports, now)
        docs = _document_rows(documents)
        log_rows = _fetch_rows(fetches)
        first = batch[0].key if batch else (docs[0]["source_key"], docs[0]["url"]) if docs else ("", "")
        what = f"batch of {len(batch)} reports, {len(docs)} documents, {len(log_rows)} fetches ({first[0]} {first[1]} …)"
        try:
            reports_unchanged, known = self._read_existing(batch)
            if reports_unchanged and not docs and not log_rows:
                return UpsertCounts(unchanged=len(batch), outcomes=dict.fromkeys((p.key for p in batch), "unchanged"))
            with self.engine.begin() as conn:
                if docs:
                    self._upsert_documents(conn, docs)
                counts = (
                    UpsertCounts(unchanged=len(batch), outcomes=dict.fromkeys((p.key for p in batch), "unchanged"))
                    if reports_unchanged
                    else self._write_reports(conn, batch, now, known)
                )
                if log_rows:
                    self._log_fetches(conn, log_rows)
                return counts
        except SQLAlchemyError as exc:
            raise StorageError(f"storing {what} failed; nothing of it was written: {exc}") from exc

    def _read_existing(self, batch: list[_Prepared]) -> tuple[bool, set[Key]]:
        """The cheap read: (key, hash, …) of the batch, no lock, no write.

        Returns whether every report is unchanged, and the keys that exist.
        """
        if not batch:
            return True, set()
        with self._read() as conn:
            _set_agencies(batch, source_pins(conn, {p.key[0] for p in batch}))
            existing = self._existing_reports(conn, [p.key for p in batch], lock=False)
        return all(_is_unchanged(p, existing.get(p.key)) for p in batch), set(existing)

    def _write_reports(
        self, conn: Connection, batch: list[_Prepared], now: datetime, known: set[Key]
    ) -> UpsertCounts:
        """Write a batch inside ``conn``'s transaction. ``known``: keys already seen committed.

        Order matters on PostgreSQL. First the keys not known to exist are
        inserted ``ON CONFLICT DO NOTHING`` in key order (a key another writer is
        inserting makes us wait for its commit, then counts as existing); only
        then are the remaining rows, all committed by now, locked ``FOR UPDATE``
        in key order and compared. Locking before inserting could deadlock
        (tested with overlapping batches from several threads).
        """
        counts = UpsertCounts()
        children = ChildRows(PG_TRUTH if self.dialect == "postgresql" else SQLITE_TRUTH)
        agency_ids = resolve_agencies(conn, shown_names(p.agency for p in batch))
        touched: set[tuple[int, int]] = set()  # (agency, year) pairs whose cross-year checks may move
        inserted: set[Key] = set()
        candidates = [p for p in batch if p.key not in known]
        if candidates:
            rows = [self._report_row(p, agency_ids) for p in candidates]
            got = self._reports.insert_new(conn, rows)
            for p in candidates:
                if p.key in got:
                    children.add(got[p.key], p.item.record)
            inserted = set(got)
            counts.new += len(got)
            counts.outcomes.update(dict.fromkeys(got, "new"))
            for p in candidates:
                if p.key in got and p.agency:
                    touched.update(touched_pairs(agency_ids[p.agency[0]], p.item.record.year))
        rest = [p for p in batch if p.key not in inserted]
        existing = self._existing_reports(conn, [p.key for p in rest], lock=True)
        changed: list[tuple[_Prepared, Any]] = []
        refresh: list[tuple[_Prepared, Any]] = []
        for p in rest:
            old = existing.get(p.key)
            if old is None:  # reports are never deleted, so a key that conflicted exists
                raise StorageError(f"{p.key[0]} {p.key[1]}: report vanished during upsert")
            if old.content_hash != p.hash:
                changed.append((p, old))
            elif not _is_unchanged(p, old):
                refresh.append((p, old))
            else:
                counts.unchanged += 1
                counts.outcomes[p.key] = "unchanged"
                continue
            touched.update(touched_pairs(old.agency_id, old.year))
            touched.update(touched_pairs(agency_ids[p.agency[0]] if p.agency else None, p.item.record.year))
        if changed:
            self._keep_versions(conn, changed, now)
            ids = [old.id for _, old in changed]
            for table in CHILD_TABLES.values():
                for part in chunks(ids):
                    conn.execute(delete(table).where(table.c.report_id.in_(part)))
            self._upsert_report_rows(conn, [(p, True) for p, _ in changed], agency_ids)
            for p, old in changed:
                children.add(old.id, p.item.record)
            counts.changed += len(changed)
            counts.outcomes.update((p.key, "changed") for p, _ in changed)
        if refresh:
            self._upsert_report_rows(conn, [(p, False) for p, _ in refresh], agency_ids)
            counts.refreshed += len(refresh)
            counts.outcomes.update((p.key, "refreshed") for p, _ in refresh)
        self._insert_children(conn, children)
        if counts.new or counts.changed or counts.refreshed:
            recompute_cross_year(conn, touched)
        return counts

    @staticmethod
    def _report_row(p: _Prepared, agency_ids: dict[str, int]) -> dict[str, Any]:
        return {
            **report_columns(p.item, p.hash, p.parsed_at),
            "agency_id": agency_ids[p.agency[0]] if p.agency else None,
            "first_seen": _ts(p),
            "last_changed": _ts(p),
        }

    def _upsert_report_rows(
        self, conn: Connection, items: list[tuple[_Prepared, bool]], agency_ids: dict[str, int]
    ) -> None:
        """Rewrite existing (locked) report rows; ``last_changed`` moves only for changed content."""
        for flag in (True, False):
            rows = [self._report_row(p, agency_ids) for p, content_changed in items if content_changed is flag]
            if rows:
                self._reports.update_existing(conn, rows, content_changed=flag)

    def _keep_versions(self, conn: Connection, changed: list[tuple[_Prepared, Any]], now: datetime) -> None:
        loaded = load_reports(conn, [old.id for _, old in changed])
        rows = []
        for p, old in changed:
            prev = loaded[old.id]
            rows.append(
                {
                    "report_id": old.id,
                    "record": json.dumps(record_dict(prev.record), ensure_ascii=False),
                    "text": prev.row["text"],
                    "content_hash": prev.row["content_hash"],
                    "parser_version": prev.row["parser_version"],
                    "document_sha256": prev.row["document_sha256"],
                    "fetched_at": as_utc(prev.row["fetched_at"]),
                    "replaced_at": _ts(p),
                    "reason": diff_summary(prev.record, p.item.record, prev.row["text"], p.item.text),
                }
            )
        conn.execute(VERSIONS.insert(), rows)

    def _insert_children(self, conn: Connection, children: ChildRows) -> None:
        """Bulk-insert child rows: COPY on PostgreSQL, a raw executemany on SQLite.

        These are plain inserts (the parents are new or their old children were
        just deleted under lock), and the hot path of the benchmark: tens of
        thousands of stats rows per batch, where building SQLAlchemy parameter
        dicts cost as much as SQLite's own work. Rows are streamed from
        ``children`` to the driver, never held all at once (see ``ChildRows``).
        """
        if not children:
            return
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        for table, cols in CHILD_COLUMNS.items():
            rows = children.rows(table)
            first = next(rows, None)
            if first is None:
                continue
            rows = chain((first,), rows)
            if self.dialect == "postgresql":
                with dbapi.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                _sqlite_insert_many(dbapi, table, cols, rows)

    # ---------------------------------------------------------------- documents

    def upsert_documents(self, items: Iterable[DocumentItem]) -> int:
        """Record fetch outcomes (one row per source+URL) in one transaction; returns rows written.

        ``first_seen`` is kept; ``last_changed`` moves only when a new body hash
        arrives; a 304 (``sha256`` None) keeps the stored hash, archive path and
        validators. An item identical to what is stored writes nothing.
        """
        rows = _document_rows(items)
        if not rows:
            return 0
        try:
            with self.engine.begin() as conn:
                return self._upsert_documents(conn, rows)
        except SQLAlchemyError as exc:
            raise StorageError(
                f"upserting {len(rows)} documents ({rows[0]['source_key']} {rows[0]['url']} …) failed: {exc}"
            ) from exc

    def _upsert_documents(self, conn: Connection, rows: list[dict[str, Any]]) -> int:
        ins = self._insert(DOCUMENTS)
        ex, cur = ins.excluded, DOCUMENTS.c
        new_body = ex.sha256.is_not(None)
        set_: dict[str, Any] = {
            "final_url": func.coalesce(ex.final_url, cur.final_url),
            "kind": func.coalesce(ex.kind, cur.kind),
            "content_type": func.coalesce(ex.content_type, cur.content_type),
            "sha256": func.coalesce(ex.sha256, cur.sha256),
            "archive_path": func.coalesce(ex.archive_path, cur.archive_path),
            "etag": _case(new_body, ex.etag, func.coalesce(ex.etag, cur.etag)),
            "last_modified": _case(
                new_body, ex.last_modified, func.coalesce(ex.last_modified, cur.last_modified)
            ),
            "http_status": ex.http_status,
            "last_fetched": ex.last_fetched,
            "last_changed": _case(
                and_(new_body, ex.sha256.is_distinct_from(cur.sha256)), ex.last_fetched, cur.last_changed
            ),
            "last_error_kind": ex.last_error_kind,
            "last_error_reason": ex.last_error_reason,
        }
        differs = or_(*(cur[name].is_distinct_from(value) for name, value in set_.items()))
        stmt = ins.on_conflict_do_update(index_elements=["source_key", "url"], set_=set_, where=differs)
        # RETURNING counts what was written on both engines (psycopg's executemany rowcount is -1)
        stmt = stmt.returning(DOCUMENTS.c.id)
        return sum(len(conn.execute(stmt, list(part)).all()) for part in chunks(rows, 1000))

    def iter_documents_for_reparse(
        self, source: str | None = None, parser_version: str | None = None, *, page: int = 1000
    ) -> Iterator[DocumentRef]:
        """Stored raw documents (bytes in the archive under ``sha256``), list pages excluded.

        With ``parser_version``: only documents whose report was parsed by another
        version, or that have no report yet (a parse that failed). Pages by id,
        so no connection stays open while the caller reparses.
        """
        r, d = REPORTS, DOCUMENTS
        stmt = (
            select(d, r.c.url.label("report_url"), r.c.parser_version.label("report_parser_version"))
            .select_from(
                d.outerjoin(r, and_(r.c.source_key == d.c.source_key, r.c.document_sha256 == d.c.sha256))
            )
            .where(d.c.sha256.is_not(None), or_(d.c.kind.is_(None), d.c.kind != "list"))
        )
        if source is not None:
            stmt = stmt.where(d.c.source_key == source)
        if parser_version is not None:
            stmt = stmt.where(or_(r.c.id.is_(None), r.c.parser_version != parser_version))
        last = 0
        while True:
            with self._read() as conn:
                rows = conn.execute(stmt.where(d.c.id > last).order_by(d.c.id).limit(page)).mappings().all()
            if not rows:
                return
            for row in rows:
                yield DocumentRef(
                    source_key=row["source_key"],
                    url=row["url"],
                    final_url=row["final_url"],
                    sha256=row["sha256"],
                    archive_path=row["archive_path"],
                    content_type=row["content_type"],
                    kind=row["kind"],
                    fetched_at=as_utc(row["last_fetched"]) if row["last_fetched"] else None,
                    report_url=row["report_url"],
                    report_parser_version=row["report_parser_version"],
                )
            last = rows[-1]["id"]

    # ------------------------------------------------------------------ catalog

    def sync_sources(self, sources: Iterable[CatalogSourceLike], *, now: datetime | None = None) -> None:
        """Make ``sources`` the catalog as last loaded; entries no longer listed get ``in_catalog`` false.

        Rows are rewritten only when an entry's content changed (so ``updated_at``
        says when the entry last changed, and a reload of the same catalog writes nothing).
        """
        when = as_utc(now or utcnow())
        rows = []
        for s in sorted(sources, key=lambda s: s.key):
            dump = s.model_dump(mode="json") if hasattr(s, "model_dump") else asdict(s)  # type: ignore[call-overload]
            rows.append(
                {
                    "key": s.key,
                    "name": s.name,
                    "adapter": str(s.adapter),
                    "start_urls": json.dumps(list(s.start_urls), ensure_ascii=False),
                    "tags": json.dumps(list(s.tags), ensure_ascii=False),
                    "config": json.dumps(dump, ensure_ascii=False, sort_keys=True),
                    "in_catalog": True,
                    "updated_at": when,
                }
            )
        ins = self._insert(SOURCES)
        content = ("name", "adapter", "start_urls", "tags", "config", "in_catalog")
        set_ = {c: ins.excluded[c] for c in (*content, "updated_at")}
        differs = or_(*(SOURCES.c[c].is_distinct_from(ins.excluded[c]) for c in content))
        with self.engine.begin() as conn:
            keys = [str(r["key"]) for r in rows]
            pins_before = source_pins(conn, keys)
            if rows:
                conn.execute(
                    ins.on_conflict_do_update(index_elements=["key"], set_=set_, where=differs), rows
                )
            pins_after = source_pins(conn, keys)
            # a pin added, changed or removed moves that source's stored reports now, not at
            # their next change (an unchanged report is never rewritten)
            repinned = {k for k in pins_before.keys() | pins_after.keys() if pins_before.get(k) != pins_after.get(k)}
            reassign_reports(conn, repinned)
            gone = SOURCES.c.key.not_in([r["key"] for r in rows]) if rows else SOURCES.c.key.is_not(None)
            conn.execute(
                update(SOURCES)
                .where(gone, SOURCES.c.in_catalog.is_(True))
                .values(in_catalog=False, updated_at=when)
            )

    # -------------------------------------------------------------- run history

    def log_fetches(self, entries: Iterable[FetchEntry]) -> int:
        """Append request outcomes to ``fetch_log``; an entry already logged (run, URL, at) is skipped."""
        rows = _fetch_rows(entries)
        if not rows:
            return 0
        with self.engine.begin() as conn:
            return self._log_fetches(conn, rows)

    def _log_fetches(self, conn: Connection, rows: list[dict[str, Any]]) -> int:
        stmt = self._insert(FETCH_LOG).on_conflict_do_nothing(index_elements=["run_id", "url", "at"])
        stmt = stmt.returning(FETCH_LOG.c.id)
        return sum(len(conn.execute(stmt, list(part)).all()) for part in chunks(rows, 1000))

    def latest_runs(self, source_key: str | None = None) -> list[RunSummary]:
        """The most recent run of each source (or of one source), newest first."""
        rn = func.row_number().over(
            partition_by=RUNS.c.source_key, order_by=(RUNS.c.started_at.desc(), RUNS.c.id.desc())
        )
        inner = select(RUNS, rn.label("rn"))
        if source_key is not None:
            inner = inner.where(RUNS.c.source_key == source_key)
        sub = inner.subquery()
        stmt = select(sub).where(sub.c.rn == 1).order_by(sub.c.started_at.desc(), sub.c.source_key)
        with self._read() as conn:
            return [run_summary(r) for r in conn.execute(stmt).mappings()]

    def failed_sources(self, since: datetime) -> list[str]:
        """Sources whose latest run started at/after ``since`` failed (state) or had failed fetches."""
        cutoff = as_utc(since)
        return sorted(
            r.source_key
            for r in self.latest_runs()
            if r.started_at >= cutoff and (r.state in FAILED_STATES or r.counts.failed > 0)
        )


def _prepare(items: Iterable[ReportItem], now: datetime) -> list[_Prepared]:
    """Validate, hash, de-duplicate (last wins) and sort a batch by natural key."""
    latest: dict[Key, _Prepared] = {}
    for item in items:
        p = _Prepared(item, now)
        latest[p.key] = p
    return [latest[k] for k in sorted(latest)]


def _document_rows(items: Iterable[DocumentItem]) -> list[dict[str, Any]]:
    latest = {(d.source_key, d.url): d for d in items}
    return [
        {
            "source_key": d.source_key,
            "url": d.url,
            "final_url": d.final_url,
            "kind": d.kind,
            "content_type": d.content_type,
            "sha256": d.sha256,
            "archive_path": d.archive_path,
            "etag": d.etag,
            "last_modified": d.last_modified,
            "http_status": d.status,
            "first_seen": as_utc(d.fetched_at),
            "last_fetched": as_utc(d.fetched_at),
            "last_changed": as_utc(d.fetched_at) if d.sha256 else None,
            "last_error_kind": d.error_kind,
            "last_error_reason": d.error_reason,
        }
        for d in (latest[k] for k in sorted(latest))
    ]


def _fetch_rows(entries: Iterable[FetchEntry]) -> list[dict[str, Any]]:
    rows = [{**asdict(e), "at": as_utc(e.at)} for e in entries]
    rows.sort(key=lambda r: (r["run_id"], r["url"], r["at"]))
    return rows


#: rows per multi-row INSERT on SQLite: 50 rows × ≤5 columns stays far below the
#: parameter limit, and measured ~40% faster than one-row executemany
_SQLITE_ROWS_PER_INSERT = 50


def _sqlite_insert_many(
    dbapi: Any, table: str, cols: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
) -> None:
    """INSERT ``rows`` (consumed once) as multi-row statements, the last few one by one."""
    width, per = len(cols), _SQLITE_ROWS_PER_INSERT
    one = "(" + ", ".join("?" * width) + ")"
    head = f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
    tail: list[tuple[Any, ...]] = []

    def full_chunks() -> Iterator[tuple[Any, ...]]:
        # one flat parameter tuple per statement; the row tuples die right here
        while True:
            flat = tuple(chain.from_iterable(islice(rows, per)))
            if len(flat) < per * width:
                tail.extend(flat[i : i + width] for i in range(0, len(flat), width))
                return
            yield flat

    dbapi.executemany(head + ", ".join([one] * per), full_chunks())
    if tail:
        dbapi.executemany(head + one, tail)


def _set_agencies(batch: list[_Prepared], pins: dict[str, str]) -> None:
    """Each report's agency identity: its source's catalog pin, else the record's own agency."""
    for p in batch:
        p.agency = identity(pins.get(p.key[0]) or p.item.record.agency)


def _is_unchanged(p: _Prepared, old: Any) -> bool:
    return (
        old is not None
        and old.agency_key == p.agency_key
        and old.content_hash == p.hash
        and old.parser_version == p.item.parser_version
        and old.document_sha256 == p.item.document_sha256
        and old.document_url == p.item.document_url
    )


def _ts(p: _Prepared) -> datetime:
    return as_utc(p.item.fetched_at)


def _case(cond: ColumnElement[bool], then: Any, otherwise: Any) -> Any:
    from sqlalchemy import case

    return case((cond, then), else_=otherwise)


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"
