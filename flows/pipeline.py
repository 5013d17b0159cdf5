"""The crawl pipeline for one source, in plain Python: discover → fetch → parse → upsert.

Why plain: the same code must run with and without Prefect (the benchmark measures
Prefect's share), and a user can call it from a notebook. ``flows.crawl`` wraps each
stage of each batch in a Prefect task by handing ``run_source`` a different ``Stages``.

Shape of a run:
* discovery walks the list pages once and yields candidates (small: URL + title);
* candidates are cut into batches; each batch is fetched concurrently (many hosts at
  once; the client's per-host limiter keeps politeness), parsed in a process pool on
  every core, and upserted in one transaction. The next batch is fetched while the
  previous one is parsed and stored, and at most ``PREFETCH`` fetched batches wait, so
  memory holds a few batches of bodies, never the crawl.
* a document that comes back unchanged (304 or same sha256) is not parsed again unless
  the store has no report from those bytes yet. That is what makes a retried run
  (Prefect UI, ``prefect flow-run retry``) finish the work of a run that died between
  fetch and upsert without refetching and without duplicate rows.
* a stored report is fetched again (conditionally) only when the revisit schedule says
  it is due (``scrapers.revisit``: backoff for pages that stay unchanged); list pages
  are walked every time, so new reports are always found. ``revalidate`` asks about all.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from flows.parsing import ParseJob, ParseOutcome, init_parse_worker, parse_job
from flows.results import SourceResult

if TYPE_CHECKING:
    from govreports.settings import Settings
    from scrapers.archive import RawArchive
    from scrapers.catalog import Source
    from scrapers.http import SourceClient
    from scrapers.model import Candidate, FetchedReport, FetchLogEntry, Validators
    from scrapers.politeness import HostLimiter
    from storage import Store

__all__ = [
    "PLAIN",
    "CrawlResources",
    "PlainStages",
    "ProgressFn",
    "Stages",
    "run_source",
    "run_sources",
]

#: fetched batches allowed to wait for parsing (memory bound: PREFETCH × batch bodies)
PREFETCH = 2

#: progress callback: (source_key, event, payload). Events: "discovered" (n), "done" (n reports
#: finished in a batch), "finished" (SourceResult), "failed" (reason).
ProgressFn = Callable[[str, str, Any], None]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CrawlResources:
    """What every source of one crawl shares in this process.

    One store (its engine pools connections), one archive, one host limiter (two sources
    on one host share its budget), one process pool for parsing. Writes to the store are
    serialised by ``db_lock``: SQLite has one writer, and batches are one transaction each.
    """

    settings: Settings
    politeness: bool = True
    batch_size: int = 100
    workers: int | None = None
    limiter: HostLimiter | None = None
    on_progress: ProgressFn | None = None
    #: ask about every stored report now, not only those the revisit schedule says are due
    revalidate: bool = False
    _store: Store | None = field(default=None, init=False)
    _archive: RawArchive | None = field(default=None, init=False)
    _pool: ProcessPoolExecutor | None = field(default=None, init=False)
    _db_lock: asyncio.Lock | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        from flows.memory import return_large_buffers_to_os

        return_large_buffers_to_os()  # bodies in flight: freed ones leave the process

    @property
    def store(self) -> Store:
        if self._store is None:
            from storage import Store

            self._store = Store(self.settings.db)
        return self._store

    @property
    def archive(self) -> RawArchive:
        """The raw archive of every source, fsyncing in batches (``fetch_batch`` syncs a
        batch's files before the store records their hashes) instead of once per body
        on the event loop."""
        if self._archive is None:
            from scrapers.archive import RawArchive

            self._archive = RawArchive(self.settings.archive, defer_sync=True)
        return self._archive

    @property
    def pool(self) -> ProcessPoolExecutor | None:
        """The parse pool; ``None`` (parse inline) when only one worker is wanted."""
        n = self.workers if self.workers is not None else (os.cpu_count() or 1)
        if n <= 1:
            return None
        if self._pool is None:
            import multiprocessing

            # forkserver: workers start from a clean interpreter, not a copy of a process
            # holding an event loop, Prefect's threads and open sockets.
            ctx = multiprocessing.get_context("forkserver")
            s = self.settings
            self._pool = ProcessPoolExecutor(
                max_workers=n,
                mp_context=ctx,
                initializer=init_parse_worker,
                initargs=(s.max_bytes, s.parse_timeout, s.max_pdf_pages, None, os.getpid()),
            )
        return self._pool

    @property
    def db_lock(self) -> asyncio.Lock:
        if self._db_lock is None:
            self._db_lock = asyncio.Lock()
        return self._db_lock

    def get_limiter(self) -> HostLimiter:
        if self.limiter is None:
            from scrapers.politeness import TokenBucketLimiter

            self.limiter = TokenBucketLimiter()
        return self.limiter

    def progress(self, source_key: str, event: str, payload: Any) -> None:
        if self.on_progress is not None:
            self.on_progress(source_key, event, payload)

    def kill_pool(self) -> None:
        """Kill the parse workers now (a hung or crashed worker); the next batch starts a new pool."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for proc in list(getattr(pool, "_processes", {}).values()):  # no public kill before 3.14
            if proc.is_alive():
                proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._archive is not None:
            self._archive.sync()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._store is not None:
            close = getattr(self._store, "close", None)
            if close is not None:
                close()
            self._store = None

    def __enter__(self) -> CrawlResources:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- stages


async def discover_source(source: Source, client: SourceClient) -> list[Candidate]:
    """Walk the source's list pages; candidates are small, so one list per source is fine."""
    from scrapers import discover

    seen: set[str] = set()
    out: list[Candidate] = []
    async for cand in discover(source, client):
        if cand.url not in seen:
            seen.add(cand.url)
            out.append(cand)
    return out


async def fetch_batch(
    res: CrawlResources,
    source: Source,
    client: SourceClient,
    candidates: Sequence[Candidate],
    validators: Mapping[str, Validators],
    run_id: str,
    reread: Collection[str] = (),
) -> list[FetchedReport]:
    """Fetch one batch concurrently with conditional requests (the client keeps per-host
    politeness), then record what was fetched: validators and the fetch log.

    Recording right after fetching (before parsing) is what lets a run that dies later be
    finished without refetching: the retry gets 304s and parses those bytes from the
    archive (``reread``: the pages whose report is not stored yet).
    """
    from scrapers import fetch_report

    fetched = list(
        await asyncio.gather(*(fetch_report(client, c, validators, reread=reread) for c in candidates))
    )
    log = client.log[:]
    client.log.clear()
    # the bodies must be on disk for good before the store names them
    await asyncio.to_thread(client.archive.sync)
    async with res.db_lock:
        await asyncio.to_thread(record_fetches, res.store, source.key, run_id, fetched, log)
    _release_bodies(fetched)
    return fetched


def _release_bodies(fetched: Sequence[FetchedReport]) -> None:
    """Drop the bodies the archive holds: the parse jobs read them from there.

    A fetched batch waits in the queue and then through parsing and upserting; without its
    bodies (report pages 30–230 kB, PDFs megabytes) it is metadata only. Measured at 10,000
    reports the peak fell by ~10 MB: most bodies are freed by then anyway, and what held the
    process's memory was glibc's heap (``flows.memory``).
    """
    for fr in fetched:
        for doc in (fr.page, fr.attachment):
            if doc is not None and doc.archive_path is not None:
                doc.body = None


def plan_parse(
    res: CrawlResources, source_key: str, fetched: Sequence[FetchedReport], done: set[str]
) -> list[ParseJob]:
    """Which fetched reports need parsing: new or changed bytes, and unchanged bytes whose
    report is not in the store from the current parser (``done``) — a run that died after
    fetching, a parse that failed before, a parser upgrade. Those parse from the archive."""
    jobs: list[ParseJob] = []
    for fr in fetched:
        if fr.outcome in ("failed", "blocked"):
            continue
        doc = fr.document
        if fr.outcome == "unchanged" and fr.candidate.url in done:
            continue
        if doc.sha256 is None and doc.body is None:
            continue  # a 304 for bytes we never stored: nothing to parse from
        jobs.append(_job(res, source_key, fr))
    return jobs


@dataclass(slots=True)
class SourceState:
    """What the store knows of a source before its crawl."""

    #: per URL (pages and attachments), for conditional requests
    validators: dict[str, Validators]
    #: report URLs parsed by the current parser from bytes the store still names
    done: set[str]
    #: of those, the ones the revisit schedule leaves alone this time (``scrapers.revisit``)
    not_due: set[str]


def source_state(res: CrawlResources, source_key: str) -> SourceState:
    """Read a source's state; a report is left alone only when it is stored from the current
    parser, its last fetch succeeded, and the revisit schedule says it is not due."""
    from parsers.record import PARSER_VERSION
    from scrapers.model import Validators as V
    from scrapers.revisit import is_due

    store = res.store
    # storage and the crawler each own a Validators type (neither imports the other)
    validators = {u: V(v.etag, v.last_modified, v.sha256) for u, v in store.get_validators(source_key).items()}
    done = store.report_urls_from_stored_bytes(source_key, PARSER_VERSION)
    not_due: set[str] = set()
    if not res.revalidate and done:
        now = _now()
        not_due = {
            url
            for url, t in store.check_times(source_key).items()
            if url in done and not is_due(now, t.last_fetched, t.last_changed)
        }
    return SourceState(validators, done, not_due)


def _job(res: CrawlResources, source_key: str, fr: FetchedReport) -> ParseJob:
    doc = fr.document
    path = doc.archive_path
    if path is None and doc.sha256:
        from scrapers.archive import RawArchive

        path = str(RawArchive(res.settings.archive).path_for(doc.sha256))
    return ParseJob(
        source_key=source_key,
        url=fr.candidate.url,
        document_url=doc.final_url or doc.url,
        sha256=doc.sha256,
        path=path,
        body=doc.body if path is None else None,
        filename=doc.filename,
        content_type=doc.content_type,
        charset=doc.charset,
    )


async def parse_jobs(res: CrawlResources, jobs: Sequence[ParseJob]) -> list[ParseOutcome]:
    """Parse a batch on every core (or inline with one worker).

    Workers bound each document themselves (``flows.parsing.init_parse_worker``); this is
    the backstop for a document stuck in C code where no signal reaches Python: past the
    batch deadline the pool is killed, the documents still running fail as timeouts and
    the next batch gets a fresh pool. A worker that dies (a crash) fails only the jobs it
    took down, with the reason.
    """
    if not jobs:
        return []
    pool = res.pool
    if pool is None:
        return [parse_job(j) for j in jobs]
    loop = asyncio.get_running_loop()
    futures = [loop.run_in_executor(pool, parse_job, j) for j in jobs]
    per_worker = -(-len(jobs) // max(1, res.workers or os.cpu_count() or 1))
    deadline = res.settings.parse_timeout * 2 + 10 + per_worker  # generous: only a hung worker hits it
    done, pending = await asyncio.wait(futures, timeout=deadline)
    if pending:
        res.kill_pool()
        await asyncio.wait(pending, timeout=10)
    out: list[ParseOutcome] = []
    for job, fut in zip(jobs, futures, strict=True):
        if fut in done and fut.exception() is None:
            out.append(fut.result())
            continue
        if fut in done:
            reason = f"extract: corrupt: the parse worker died ({type(fut.exception()).__name__})"
            res.kill_pool()
        else:
            reason = f"extract: timeout: the parse worker was stopped after {deadline:g} s"
        out.append(ParseOutcome(replace(job, body=None), None, "", reason, 0.0, 0.0))
    return out


async def store_batch(res: CrawlResources, source_key: str, parsed: Sequence[ParseOutcome]) -> dict[str, int]:
    """Upsert one batch of parsed reports in one transaction; an unchanged report writes nothing.

    ``source_key`` names the batch's source in the task's parameters (logs, the UI); each
    job carries its own key, which is what is stored.
    """
    async with res.db_lock:
        return await asyncio.to_thread(write_reports, res.store, parsed)


def write_reports(store: Store, parsed: Sequence[ParseOutcome]) -> dict[str, int]:
    """Parsed outcomes → report rows (failed parses are skipped), upserted in one transaction.

    Shared by the crawl and by ``reparse``, whose batches span sources: the key comes from
    each job.
    """
    from storage.api import ReportItem

    now = _now()
    items = [
        ReportItem(
            source_key=p.job.source_key,
            url=p.job.url,
            record=p.record,
            text=p.text,
            document_sha256=p.job.sha256,
            fetched_at=now,
            document_url=p.job.document_url if p.job.document_url != p.job.url else None,
        )
        for p in parsed
        if p.record is not None
    ]
    if not items:
        return {"new": 0, "changed": 0, "unchanged": 0, "refreshed": 0}
    c = store.upsert_reports(items)
    return {"new": c.new, "changed": c.changed, "unchanged": c.unchanged, "refreshed": c.refreshed}


def record_fetches(
    store: Store,
    source_key: str,
    run_id: str,
    fetched: Sequence[FetchedReport],
    fetch_log: Sequence[FetchLogEntry],
) -> None:
    """Documents (validators, errors) and the fetch log of one batch."""
    from storage.api import DocumentItem, FetchEntry

    now = _now()
    docs: list[DocumentItem] = []
    for fr in fetched:
        for d in (fr.page, fr.attachment):
            if d is None:
                continue
            kind, _, reason = (d.error or "").partition(": ")
            docs.append(
                DocumentItem(
                    source_key=source_key,
                    url=d.url,
                    fetched_at=now,
                    status=d.status,
                    final_url=d.final_url,
                    content_type=d.content_type,
                    sha256=d.sha256 if d.outcome != "unchanged" else None,
                    archive_path=d.archive_path if d.outcome != "unchanged" else None,
                    etag=d.etag,
                    last_modified=d.last_modified,
                    kind="report" if d.role == "page" else d.role,
                    error_kind=kind or None,
                    error_reason=reason or None,
                )
            )
    store.upsert_documents(docs)
    store.log_fetches(
        FetchEntry(
            run_id=run_id,
            source_key=source_key,
            url=e.url,
            at=now,
            status=e.status,
            bytes=e.bytes,
            duration_ms=e.duration_ms,
            retries=e.retries,
            error_kind=(e.error or "").partition(": ")[0] or None,
            error_reason=(e.error or "").partition(": ")[2] or None,
        )
        for e in fetch_log
    )


# --------------------------------------------------------------------------- stage runners


class Stages(Protocol):
    """How each stage of a batch is run: directly, or as a Prefect task (``flows.crawl``)."""

    async def discover(self, source: Source, client: SourceClient) -> list[Candidate]: ...

    async def fetch(
        self,
        res: CrawlResources,
        source: Source,
        client: SourceClient,
        batch: Sequence[Candidate],
        validators: Mapping[str, Validators],
        run_id: str,
        reread: Collection[str] = (),
    ) -> list[FetchedReport]: ...

    async def parse(self, res: CrawlResources, jobs: Sequence[ParseJob]) -> list[ParseOutcome]: ...

    async def upsert(self, res: CrawlResources, source_key: str, parsed: Sequence[ParseOutcome]) -> dict[str, int]: ...


class PlainStages:
    """Each stage called directly: the pipeline without any orchestrator."""

    async def discover(self, source: Source, client: SourceClient) -> list[Candidate]:
        return await discover_source(source, client)

    async def fetch(
        self,
        res: CrawlResources,
        source: Source,
        client: SourceClient,
        batch: Sequence[Candidate],
        validators: Mapping[str, Validators],
        run_id: str,
        reread: Collection[str] = (),
    ) -> list[FetchedReport]:
        return await fetch_batch(res, source, client, batch, validators, run_id, reread)

    async def parse(self, res: CrawlResources, jobs: Sequence[ParseJob]) -> list[ParseOutcome]:
        return await parse_jobs(res, jobs)

    async def upsert(self, res: CrawlResources, source_key: str, parsed: Sequence[ParseOutcome]) -> dict[str, int]:
        return await store_batch(res, source_key, parsed)


PLAIN = PlainStages()


# --------------------------------------------------------------------------- one source


async def run_source(
    source: Source, res: CrawlResources, *, run_id: str, stages: Stages = PLAIN
) -> SourceResult:
    """Crawl one source end to end; never raises for a source-level failure.

    A failure of the whole source (its list pages unreachable, the database gone) is
    returned as ``state="failed"`` with ``error``; per-report failures are counted and
    listed with reasons. ``crawl_runs`` gets one row keyed by ``run_id``.
    """
    from scrapers.http import open_client

    result = SourceResult(source_key=source.key, run_id=run_id)
    started = time.perf_counter()
    leftover: list[FetchLogEntry] = []
    try:
        store = res.store
        await asyncio.to_thread(lambda: store.start_run(source_key=source.key, run_id=run_id, started_at=_now()))
        async with open_client(
            source,
            res.settings,
            limiter=res.get_limiter(),
            archive=res.archive,
            politeness=res.politeness,
        ) as client:
            # ``client.log`` collects one entry per request; each fetched batch drains it into
            # the store, so it never accumulates. What is left at the end is written by _close_run.
            leftover = client.log
            t0 = time.perf_counter()
            candidates = await stages.discover(source, client)
            result.stage_seconds["discover"] += time.perf_counter() - t0
            result.discovered = len(candidates)
            res.progress(source.key, "discovered", len(candidates))
            state = await asyncio.to_thread(source_state, res, source.key)
            if state.not_due:
                # counted and shown, never fetched: the schedule, not the portal, vouches for them
                todo = [c for c in candidates if c.url not in state.not_due]
                result.not_due = len(candidates) - len(todo)
                res.progress(source.key, "done", result.not_due)
                candidates = todo
            await _run_batches(source, res, stages, client, candidates, result, run_id, state.validators, state.done)
    except Exception as exc:  # a source-level failure fails this source only
        result.state = "failed"
        result.error = _reason(exc)
        res.progress(source.key, "failed", result.error)
    result.seconds = time.perf_counter() - started
    await _close_run(res, source.key, run_id, result, leftover)
    res.progress(source.key, "finished", result)
    return result


async def _close_run(
    res: CrawlResources, source_key: str, run_id: str, result: SourceResult, leftover: list[FetchLogEntry]
) -> None:
    """Write the requests no batch carried (list pages of a source that failed or found
    nothing) and close the ``crawl_runs`` row. A database that is down here fails this
    source with the reason; it never escapes into the other sources' results."""
    try:
        if leftover:
            async with res.db_lock:
                await asyncio.to_thread(record_fetches, res.store, source_key, run_id, [], list(leftover))
            leftover.clear()
        # keywords: the store's positional order is not part of its contract
        await asyncio.to_thread(
            lambda: res.store.finish_run(
                source_key=source_key,
                run_id=run_id,
                state=result.state.upper(),
                counts=run_counts(result),
                finished_at=_now(),
            )
        )
    except Exception as exc:
        note = f"recording the run failed: {_reason(exc)}"
        result.state = "failed"
        result.error = f"{result.error}; {note}" if result.error else note


def run_counts(result: SourceResult) -> Any:
    """``crawl_runs`` counts from a result."""
    from storage.api import RunCounts

    return RunCounts(
        discovered=result.discovered,
        fetched=result.new + result.changed + result.unchanged,
        new=result.new,
        changed=result.changed,
        unchanged=result.unchanged,
        not_due=result.not_due,
        failed=result.failed + result.parse_failed,
        blocked=result.blocked,
    )


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 500 else text[:497] + "..."


async def _run_batches(
    source: Source,
    res: CrawlResources,
    stages: Stages,
    client: SourceClient,
    candidates: list[Candidate],
    result: SourceResult,
    run_id: str,
    validators: Mapping[str, Validators],
    done: set[str],
) -> None:
    queue: asyncio.Queue[list[FetchedReport] | None] = asyncio.Queue(maxsize=PREFETCH)
    size = max(1, res.batch_size)

    async def producer() -> None:
        try:
            for i in range(0, len(candidates), size):
                t0 = time.perf_counter()
                batch = candidates[i : i + size]
                # pages whose report is not stored yet: a 304 for them reads the archived body
                reread = frozenset(c.url for c in batch if c.url not in done)
                fetched = await stages.fetch(res, source, client, batch, validators, run_id, reread)
                result.stage_seconds["fetch"] += time.perf_counter() - t0
                await queue.put(fetched)
        finally:
            await queue.put(None)

    prod = asyncio.create_task(producer())
    try:
        while (fetched := await queue.get()) is not None:
            _count_fetch(result, fetched)
            jobs = plan_parse(res, source.key, fetched, done)
            # a stage with nothing to do is not run: under Prefect each call is a task run
            # (events, state round trips, a log line), and an unchanged recrawl has only
            # empty parse and upsert batches
            parsed = await stages.parse(res, jobs) if jobs else []
            ok: list[ParseOutcome] = []
            for p in parsed:
                result.stage_seconds["extract"] += p.extract_s
                result.stage_seconds["parse"] += p.parse_s
                if p.record is None:
                    result.parse_failed += 1
                    result.add_failure(p.job.document_url, "parse", p.error or "unknown")
                else:
                    ok.append(p)
                    result.parsed += 1
                    if any(not c.ok for c in p.record.checks):
                        result.checks_failed += 1
            job_urls = {j.url for j in jobs}
            result.from_archive += sum(1 for fr in fetched if fr.outcome == "unchanged" and fr.candidate.url in job_urls)
            counts: dict[str, int] = {}
            if ok:
                t0 = time.perf_counter()
                counts = await stages.upsert(res, source.key, ok)
                result.stage_seconds["upsert"] += time.perf_counter() - t0
            result.rows_written += counts.get("new", 0) + counts.get("changed", 0) + counts.get("refreshed", 0)
            res.progress(source.key, "done", len(fetched))
    finally:
        if not prod.done():
            prod.cancel()
        await asyncio.gather(prod, return_exceptions=True)
    exc = prod.exception() if prod.done() and not prod.cancelled() else None
    if exc is not None:
        raise exc


def _count_fetch(result: SourceResult, fetched: Sequence[FetchedReport]) -> None:
    for fr in fetched:
        outcome = fr.outcome
        if outcome == "new":
            result.new += 1
        elif outcome == "changed":
            result.changed += 1
        elif outcome == "unchanged":
            result.unchanged += 1
        elif outcome == "blocked":
            result.blocked += 1
            result.add_failure(fr.candidate.url, "fetch", fr.error or "blocked")
        else:
            result.failed += 1
            result.add_failure(fr.candidate.url, "fetch", fr.error or "failed")


# --------------------------------------------------------------------------- many sources


async def run_sources(
    sources: Sequence[Source],
    res: CrawlResources,
    *,
    concurrency: int | None = None,
    run_id_for: Callable[[Source], str] | None = None,
) -> list[SourceResult]:
    """Crawl several sources concurrently (bounded), plain Python: the benchmark's baseline."""
    import uuid

    sem = asyncio.Semaphore(max(1, concurrency or res.settings.source_concurrency))

    async def one(src: Source) -> SourceResult:
        async with sem:
            rid = run_id_for(src) if run_id_for else str(uuid.uuid4())
            return await run_source(src, res, run_id=rid)

    return list(await asyncio.gather(*(one(s) for s in sources)))
