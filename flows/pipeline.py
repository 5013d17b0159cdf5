"""The crawl pipeline in plain Python: a wide catalog, scheduled by host.

Why plain: the same code runs with and without Prefect (the benchmark measures Prefect's
share), and a user can call it from a notebook. ``flows.crawl`` wraps a whole crawl in ONE
flow run; nothing here knows about Prefect.

Shape of a crawl (``run_sources``):
* one ``scrapers.http.Web`` for every source: each host's politeness is the strictest of
  the catalog entries on it, robots.txt is asked once per origin (and kept for its
  lifetime in the database), connections are pooled across sources;
* sources are scheduled by host, not by a fixed count: every host has a lane, lanes run
  side by side, and sources on one host queue in its lane, a few at once so the host is
  never idle while one of them parses. A slow host holds its own lane only; the crawl-wide
  bound is the connection budget (``Settings.max_connections``). With politeness on, a
  process sends to a host only while it holds that host's lease in the database
  (``scrapers.politeness.LeasedLimiter``), so crawls in several processes share each budget;
* each source: discover (list pages), then fetch its due reports in batches (conditional
  requests), parse them in a process pool on every core, and store them. Documents and
  the fetch log of a batch are stored right after fetching, so a run that dies later is
  finished by a retry from the archive without refetching;
* the database sees few, larger transactions: every source's state is read in three
  queries before the crawl, ``crawl_runs`` rows are opened in one transaction, and one
  writer (``Writer``) commits what every source hands it together;
* a stored report is fetched again (conditionally) only when the revisit schedule says
  it is due (``scrapers.revisit``); list pages are walked every time, so new reports are
  always found. ``revalidate`` asks about all.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flows.parsing import ParseJob, ParseOutcome, init_parse_worker, parse_job
from flows.results import SourceResult

if TYPE_CHECKING:
    from govreports.settings import Settings
    from scrapers.archive import RawArchive
    from scrapers.catalog import Politeness, Source
    from scrapers.http import SourceClient, Web
    from scrapers.model import Candidate, FetchedReport, FetchLogEntry, Validators
    from storage import DocumentItem, FetchEntry, ReportItem, Store, StoredSource, UpsertCounts

__all__ = ["OWNER", "CrawlResources", "ProgressFn", "RunPlan", "run_sources", "write_reports"]

#: fetched batches of one source allowed to wait for parsing (memory: PREFETCH × batch bodies)
PREFETCH = 2
#: this process, as ``crawl_runs.owner`` names it
OWNER = f"{socket.gethostname()}:{os.getpid()}"
#: a RUNNING row of another machine is taken for abandoned after this long
STALE_ELSEWHERE = timedelta(hours=24)

#: progress callback: (source_key, event, payload). Events: "discovered" (n), "done" (n reports
#: finished in a batch), "finished" (SourceResult), "failed" (reason).
ProgressFn = Callable[[str, str, Any], None]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CrawlResources:
    """What every source of one crawl shares in this process: the store and its writer,
    the raw archive, the parse pool."""

    settings: Settings
    politeness: bool = True
    batch_size: int = 100
    workers: int | None = None
    on_progress: ProgressFn | None = None
    #: ask about every stored report now, not only those the revisit schedule says are due
    revalidate: bool = False
    #: the catalog's per-host politeness settings (``Catalog.hosts``)
    hosts: Mapping[str, Politeness] = field(default_factory=dict)
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
        """The raw archive of every source, fsyncing in batches (a batch's files are synced
        before the store names them) instead of once per body on the event loop."""
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
        """Serialises this process's writes (SQLite has one writer)."""
        if self._db_lock is None:
            self._db_lock = asyncio.Lock()
        return self._db_lock

    def web(self, sources: Sequence[Source]) -> Web:
        """The crawl's ``Web``: host policies from these sources' catalog entries, robots.txt
        kept in the store and, with politeness on, host budgets shared through the store's
        leases with every other crawl process."""
        from scrapers.http import Web
        from scrapers.politeness import LeasedLimiter

        return Web.for_sources(
            sources, self.settings, politeness=self.politeness, archive=self.archive, hosts=self.hosts,
            robots_store=self.store, limiter=LeasedLimiter(self.store) if self.politeness else None,
        )

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
            self._store.close()
            self._store = None

    def __enter__(self) -> CrawlResources:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- the writer


class Writer:
    """The crawl's one writer: what every source hands it goes to the database together.

    A wide crawl has thousands of small batches (a source holds a few reports). One
    transaction each would serialise on SQLite's single writer; instead, requests that
    arrive while a transaction runs are merged into the next one (group commit). A merged
    transaction that fails is retried request by request, so one source's bad batch fails
    that source only.
    """

    def __init__(self, res: CrawlResources) -> None:
        self.res = res
        self._pending: list[tuple[tuple[list[DocumentItem], list[ReportItem], list[FetchEntry]], asyncio.Future[UpsertCounts]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def write(
        self, *, documents: Sequence[DocumentItem] = (), reports: Sequence[ReportItem] = (),
        fetches: Sequence[FetchEntry] = (),
    ) -> UpsertCounts:
        """Store these in the next transaction; raises ``StorageError`` if it was refused."""
        fut: asyncio.Future[UpsertCounts] = asyncio.get_running_loop().create_future()
        self._pending.append(((list(documents), list(reports), list(fetches)), fut))
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        return await fut

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            todo, self._pending = self._pending, []
            if not todo:
                continue
            try:
                async with self.res.db_lock:
                    await asyncio.to_thread(self._commit, todo)
            except Exception as exc:  # the store itself is gone: every waiting source hears why
                for _, fut in todo:
                    _settle(fut, None, exc)

    def _commit(self, todo: list[Any]) -> None:
        """Runs in a thread; settles every future it was given, whatever happens."""
        store = self.res.store
        try:
            counts = store.record_batch(
                documents=[d for (docs, _, _), _ in todo for d in docs],
                reports=[r for (_, reps, _), _ in todo for r in reps],
                fetches=[f for (_, _, fs), _ in todo for f in fs],
            )
        except Exception as exc:
            if len(todo) == 1:
                _settle_soon(todo[0][1], None, exc)
                return
        else:
            for _, fut in todo:
                _settle_soon(fut, counts, None)
            return
        for (docs, reps, fs), fut in todo:  # one by one: only the bad request fails
            try:
                got = store.record_batch(documents=docs, reports=reps, fetches=fs)
            except Exception as exc:
                _settle_soon(fut, None, exc)
            else:
                _settle_soon(fut, got, None)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None


def _settle_soon(fut: asyncio.Future[Any], value: Any, exc: BaseException | None) -> None:
    fut.get_loop().call_soon_threadsafe(_settle, fut, value, exc)


def _settle(fut: asyncio.Future[Any], value: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(value)


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
    res: CrawlResources, writer: Writer, client: SourceClient, batch: Sequence[Candidate],
    state: StoredSource, validators: Mapping[str, Validators], run_id: str,
) -> list[FetchedReport]:
    """Fetch one batch concurrently with conditional requests (the client keeps per-host
    politeness), then store what was fetched: documents (validators, errors) and the log.

    Storing right after fetching (before parsing) is what lets a run that dies later be
    finished without refetching: the retry gets 304s and parses those bytes from the
    archive (``reread``: the pages whose report is not stored yet).
    """
    from scrapers import fetch_report

    reread = frozenset(c.url for c in batch if c.url not in state.done)
    fetched = list(
        await asyncio.gather(*(fetch_report(client, c, validators, reread=reread) for c in batch))
    )
    log = client.log[:]
    client.log.clear()
    await asyncio.to_thread(client.archive.sync)  # the bodies are on disk before the store names them
    docs, entries = fetch_rows(client.source.key, run_id, fetched, log)
    await writer.write(documents=docs, fetches=entries)
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
    res: CrawlResources, source_key: str, fetched: Sequence[FetchedReport], done: Collection[str]
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




def report_items(parsed: Sequence[ParseOutcome]) -> list[ReportItem]:
    """Parsed outcomes → the store's report items (failed parses are skipped); the key
    comes from each job, so a batch may span sources (``reparse``)."""
    from storage import ReportItem

    now = _now()
    return [
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


def write_reports(store: Store, parsed: Sequence[ParseOutcome]) -> dict[str, int]:
    """Upsert parsed outcomes in one transaction (``reparse``; a crawl goes through ``Writer``)."""
    items = report_items(parsed)
    if not items:
        return {"new": 0, "changed": 0, "unchanged": 0, "refreshed": 0}
    c = store.upsert_reports(items)
    return {"new": c.new, "changed": c.changed, "unchanged": c.unchanged, "refreshed": c.refreshed}


def fetch_rows(
    source_key: str, run_id: str, fetched: Sequence[FetchedReport], fetch_log: Sequence[FetchLogEntry]
) -> tuple[list[DocumentItem], list[FetchEntry]]:
    """Documents (validators, errors) and fetch-log entries of one batch, for the store."""
    from storage import DocumentItem, FetchEntry

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
    entries = [
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
    ]
    return docs, entries


# --------------------------------------------------------------------------- one source


async def crawl_one(
    source: Source, res: CrawlResources, web: Web, writer: Writer, state: StoredSource, run_id: str
) -> SourceResult:
    """Crawl one source end to end; never raises for a source-level failure.

    A failure of the whole source (its list pages unreachable, the database refusing its
    rows) is ``state="failed"`` with ``error``; a source some of whose reports could not be
    fetched or parsed is ``partial``, with each failure and its reason.
    """
    result = SourceResult(source_key=source.key, run_id=run_id)
    started = time.perf_counter()
    client = web.client(source)
    try:
        t0 = time.perf_counter()
        candidates = await discover_source(source, client)
        result.stage_seconds["discover"] += time.perf_counter() - t0
        result.discovered = len(candidates)
        res.progress(source.key, "discovered", len(candidates))
        if not res.revalidate:
            from scrapers.revisit import is_due

            now = _now()
            # counted and shown, never fetched: the schedule, not the portal, vouches for them
            todo = [
                c for c in candidates
                if c.url not in state.done or c.url not in state.checks
                or is_due(now, state.checks[c.url].last_fetched, state.checks[c.url].last_changed)
            ]
            result.not_due = len(candidates) - len(todo)
            if result.not_due:
                res.progress(source.key, "done", result.not_due)
            candidates = todo
        await _run_batches(res, writer, client, candidates, state, result)
    except Exception as exc:  # a source-level failure fails this source only
        result.state = "failed"
        result.error = _reason(exc)
        res.progress(source.key, "failed", result.error)
    try:
        if client.log:  # list pages of a source that failed or found nothing
            _, entries = fetch_rows(source.key, run_id, [], client.log)
            client.log.clear()
            await writer.write(fetches=entries)
    except Exception as exc:
        note = f"recording its fetch log failed: {_reason(exc)}"
        result.state = "failed"
        result.error = f"{result.error}; {note}" if result.error else note
    if result.state == "completed" and (result.failed or result.blocked or result.parse_failed):
        result.state = "partial"
        counts = [f"{n} {what}" for n, what in ((result.failed + result.blocked, "not fetched"),
                                                 (result.parse_failed, "not parsed")) if n]
        first = result.failures[0] if result.failures else None
        result.error = f"{result.discovered} reports, {' and '.join(counts)}" + (
            f", e.g. {first.reason}" if first else "")
    result.seconds = time.perf_counter() - started
    res.progress(source.key, "finished", result)
    return result


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 500 else text[:497] + "..."


async def _run_batches(
    res: CrawlResources, writer: Writer, client: SourceClient, candidates: list[Candidate],
    state: StoredSource, result: SourceResult,
) -> None:
    """Fetch batch n+1 while batch n is parsed and stored (at most ``PREFETCH`` waiting)."""
    from scrapers import Validators

    queue: asyncio.Queue[list[FetchedReport] | None] = asyncio.Queue(maxsize=PREFETCH)
    size = max(1, res.batch_size)
    # once per source, not per batch: storage and the crawler each own a Validators type
    # (neither imports the other)
    validators = {u: Validators(v.etag, v.last_modified, v.sha256) for u, v in state.validators.items()}

    async def producer() -> None:
        try:
            for i in range(0, len(candidates), size):
                t0 = time.perf_counter()
                fetched = await fetch_batch(res, writer, client, candidates[i : i + size], state, validators,
                                            result.run_id)
                result.stage_seconds["fetch"] += time.perf_counter() - t0
                await queue.put(fetched)
        finally:
            await queue.put(None)

    prod = asyncio.create_task(producer())
    try:
        while (fetched := await queue.get()) is not None:
            await _parse_and_store(res, writer, client.source.key, fetched, state, result)
    finally:
        if not prod.done():
            prod.cancel()
        await asyncio.gather(prod, return_exceptions=True)
    exc = prod.exception() if prod.done() and not prod.cancelled() else None
    if exc is not None:
        raise exc


async def _parse_and_store(
    res: CrawlResources, writer: Writer, source_key: str, fetched: list[FetchedReport], state: StoredSource,
    result: SourceResult,
) -> None:
    """Parse what needs it and store the records; count what the store says it stored."""
    jobs = plan_parse(res, source_key, fetched, state.done)
    parsed = await parse_jobs(res, jobs)
    job_urls = {j.url for j in jobs}
    for fr in fetched:
        if fr.outcome == "blocked":
            result.blocked += 1
            result.add_failure(fr.candidate.url, "fetch", fr.error or "blocked")
        elif fr.outcome == "failed":
            result.failed += 1
            result.add_failure(fr.candidate.url, "fetch", fr.error or "failed")
        elif fr.candidate.url not in job_urls:
            result.unchanged += 1  # unchanged bytes whose report is stored: nothing to do
        elif fr.outcome == "unchanged":
            result.from_archive += 1
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
    if ok:
        t0 = time.perf_counter()
        counts = await writer.write(reports=report_items(ok))
        result.stage_seconds["upsert"] += time.perf_counter() - t0
        for p in ok:  # what the store did, not what the fetch saw
            outcome = counts.outcomes.get((p.job.source_key, p.job.url), "unchanged")
            if outcome == "new":
                result.new += 1
            elif outcome == "changed":
                result.changed += 1
            else:
                result.unchanged += 1
            if outcome != "unchanged":
                result.rows_written += 1
    res.progress(source_key, "done", len(fetched))


# --------------------------------------------------------------------------- many sources


@dataclass(frozen=True, slots=True)
class RunPlan:
    """Which crawl this is, for its ``crawl_runs`` rows: the Prefect flow run (if any) and
    which attempt of it. Each attempt gets fresh ``run_id``s, so a retry adds history."""

    flow_run_id: str | None = None
    attempt: int = 1


def _gone(owner: str | None, started_at: datetime) -> bool:
    """Is the crawl that opened a RUNNING row dead? Ours: its process is gone. Another
    machine's: it has been running for a day."""
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return _now() - started_at > STALE_ELSEWHERE
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lanes(sources: Sequence[Source]) -> dict[str, list[Source]]:
    """Sources by the host their list pages are on, in catalog order."""
    from scrapers.http import source_hosts

    out: dict[str, list[Source]] = {}
    for src in sources:
        hosts = source_hosts(src)
        out.setdefault(hosts[0] if hosts else "", []).append(src)
    return out


async def run_sources(
    sources: Sequence[Source], res: CrawlResources, *, plan: RunPlan | None = None
) -> list[SourceResult]:
    """Crawl these sources as one crawl, scheduled by host (see the module docstring).

    Results come back in the order of ``sources``. Also marks the rows of crawls that were
    killed as ABANDONED, and closes every ``crawl_runs`` row it opened.
    """
    from parsers.record import PARSER_VERSION
    from storage import RunCounts, RunSummary

    plan = plan or RunPlan()
    store = res.store
    keys = [s.key for s in sources]
    now = _now()
    await asyncio.to_thread(store.abandon_runs, _gone, now)
    states = await asyncio.to_thread(store.stored_sources, keys, PARSER_VERSION)
    runs = {
        s.key: RunSummary(run_id=str(uuid.uuid4()), source_key=s.key, started_at=now, finished_at=None,
                          state="RUNNING", flow_run_id=plan.flow_run_id, attempt=plan.attempt, owner=OWNER)
        for s in sources
    }
    await asyncio.to_thread(store.start_runs, list(runs.values()))
    web = res.web(sources)
    writer = Writer(res)
    if res.politeness:
        origins = sorted({u.split("/", 3)[0] + "//" + u.split("/", 3)[2] for s in sources for u in s.start_urls})
        await asyncio.to_thread(web.robots.preload, origins)
    results: dict[str, SourceResult] = {}

    async def lane(host: str, members: list[Source]) -> None:
        # a few sources of one host at once: the host stays busy while one of them parses,
        # and its limiter, not this window, spaces their requests
        window = asyncio.Semaphore(web.book.policy(host).concurrency + 1)

        async def one(src: Source) -> None:
            async with window:
                results[src.key] = await crawl_one(src, res, web, writer, states[src.key], runs[src.key].run_id)

        await asyncio.gather(*(one(s) for s in members))

    try:
        await asyncio.gather(*(lane(h, m) for h, m in lanes(sources).items()))
    finally:
        await web.aclose()
        await writer.close()
        ended = _now()
        closing = []
        for key, run in runs.items():
            r = results.get(key) or SourceResult(source_key=key, run_id=run.run_id, state="failed",
                                                 error="the crawl stopped before this source finished")
            results[key] = r
            closing.append(replace(
                run, finished_at=ended, state=r.state.upper(), error=r.error,
                counts=RunCounts(discovered=r.discovered, fetched=r.new + r.changed + r.unchanged, new=r.new,
                                 changed=r.changed, unchanged=r.unchanged, not_due=r.not_due,
                                 failed=r.failed + r.parse_failed, blocked=r.blocked),
            ))
        try:
            await asyncio.to_thread(store.finish_runs, closing)
        except Exception as exc:  # the database went away at the very end: say so, per source
            note = f"recording the run failed: {_reason(exc)}"
            for r in results.values():
                r.state = "failed"
                r.error = f"{r.error}; {note}" if r.error else note
    return [results[k] for k in keys]
