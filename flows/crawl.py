"""Prefect flows: ``crawl_source`` (one source) and ``crawl_all`` (many, concurrently).

Thin by design: the work is ``flows.pipeline``; this module only decides what Prefect
sees. Task granularity follows Prefect's costs (~15 ms and a state round trip per task
run here): one task per stage per batch (discover; fetch / parse / upsert of each batch),
never one per URL. Task retries are 0 — retries live in the HTTP client, and a second
retry layer would multiply requests to a struggling portal.

Failure isolation: each source is its own ``crawl_source`` subflow run. A source that
fails raises inside its own run (so that run is Failed in the UI and can be retried from
there); ``crawl_all`` calls its subflows with ``return_state=True``, so the parent never
fails because a child did: it completes with a summary whose message says how many
sources failed, a table artifact and a markdown artifact of failures with reasons.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE as NO_CACHE
from prefect.states import Completed, Failed, State
from prefect.utilities.annotations import quote

import flows  # noqa: F401  (pins the no-phone-home Prefect settings before Prefect is imported)
from flows.pipeline import (
    CrawlResources,
    ProgressFn,
    discover_source,
    fetch_batch,
    parse_jobs,
    run_source,
    store_batch,
)
from flows.results import CrawlSummary, SourceResult

if TYPE_CHECKING:
    from flows.parsing import ParseJob, ParseOutcome
    from scrapers.catalog import Source
    from scrapers.http import SourceClient
    from scrapers.model import Candidate, FetchedReport, Validators

__all__ = ["SourceCrawlFailed", "TaskStages", "crawl_all", "crawl_source", "crawl_summary_tables", "progress_hook"]

#: the resources of the enclosing ``crawl_all`` (shared store, parse pool, host limiter)
_resources: contextvars.ContextVar[CrawlResources | None] = contextvars.ContextVar("govreports_res", default=None)
#: a progress callback installed by the CLI around a flow call
progress_hook: contextvars.ContextVar[ProgressFn | None] = contextvars.ContextVar("govreports_progress", default=None)
#: the sources ``crawl_all`` chose, by key: its subflows need not re-read the catalog
#: (a YAML parse per subflow was ~40 ms of the event loop each)
_sources: contextvars.ContextVar[dict[str, Source] | None] = contextvars.ContextVar("govreports_sources", default=None)
#: results of subflows, by source key (the parent reads them even when a child failed)
_results: contextvars.ContextVar[dict[str, SourceResult] | None] = contextvars.ContextVar(
    "govreports_results", default=None
)

_TASK = {"retries": 0, "cache_policy": NO_CACHE, "persist_result": False, "log_prints": False}


class SourceCrawlFailed(RuntimeError):
    """A whole source failed (list pages unreachable, database error): fails its own run only."""


# ------------------------------------------------------------------------------- tasks


@task(name="discover", **_TASK)  # type: ignore[call-overload]
async def discover_task(source: Source, client: SourceClient) -> list[Candidate]:
    return await discover_source(source, client)


@task(name="fetch-batch", **_TASK)  # type: ignore[call-overload]
async def fetch_task(
    res: CrawlResources,
    source: Source,
    client: SourceClient,
    batch: Sequence[Candidate],
    validators: Mapping[str, Validators],
    run_id: str,
    reread: Collection[str] = (),
) -> list[FetchedReport]:
    return await fetch_batch(res, source, client, batch, validators, run_id, reread)


@task(name="parse-batch", **_TASK)  # type: ignore[call-overload]
async def parse_task(res: CrawlResources, jobs: Sequence[ParseJob]) -> list[ParseOutcome]:
    return await parse_jobs(res, jobs)


@task(name="upsert-batch", **_TASK)  # type: ignore[call-overload]
async def upsert_task(res: CrawlResources, source_key: str, parsed: Sequence[ParseOutcome]) -> dict[str, int]:
    return await store_batch(res, source_key, parsed)


class TaskStages:
    """The pipeline's stages as Prefect tasks. Arguments are ``quote``d: they are live
    objects (clients, pools) and batches, which Prefect must neither walk nor copy."""

    async def discover(self, source: Source, client: SourceClient) -> list[Candidate]:
        return await discover_task(quote(source), quote(client))  # type: ignore[no-any-return]

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
        return await fetch_task(  # type: ignore[no-any-return]
            quote(res), quote(source), quote(client), quote(batch), quote(validators), run_id, quote(reread)
        )

    async def parse(self, res: CrawlResources, jobs: Sequence[ParseJob]) -> list[ParseOutcome]:
        return await parse_task(quote(res), quote(jobs))  # type: ignore[no-any-return]

    async def upsert(self, res: CrawlResources, source_key: str, parsed: Sequence[ParseOutcome]) -> dict[str, int]:
        return await upsert_task(quote(res), source_key, quote(parsed))  # type: ignore[no-any-return]


TASKS = TaskStages()


# ------------------------------------------------------------------------------- helpers


def _settings(sources_file: str | None, db: str | None) -> Any:
    from govreports.settings import get_settings

    return get_settings(db=db, sources=sources_file)


def _shared_limiter(politeness: bool) -> Any:
    """Runs from a deployment (workers, ``serve``) may share hosts with other processes: hold
    politeness in Prefect global rate limits. In-process runs keep the local token bucket."""
    from prefect.runtime import deployment

    if politeness and deployment.id:
        from flows.politeness import PrefectHostLimiter

        return PrefectHostLimiter()
    return None


def _current_run_id() -> str:
    from prefect.runtime import flow_run

    rid = flow_run.id
    return str(rid) if rid else str(uuid.uuid4())


def crawl_summary_tables(summary: CrawlSummary) -> tuple[list[dict[str, Any]], str]:
    """The per-source table (artifact and CLI) and the markdown list of failures with reasons."""
    rows = [
        {
            "source": s.source_key,
            "state": s.state,
            "discovered": s.discovered,
            "new": s.new,
            "changed": s.changed,
            "unchanged": s.unchanged,
            "not_due": s.not_due,
            "failed": s.failed,
            "blocked": s.blocked,
            "parsed": s.parsed,
            "parse_failed": s.parse_failed,
            "checks_failed": s.checks_failed,
            "seconds": round(s.seconds, 2),
        }
        for s in summary.sources
    ]
    lines = [f"# Crawl failures\n\n{summary.message()}\n"]
    for s in summary.sources:
        if s.error or s.failures:
            lines.append(f"\n## {s.source_key} ({s.state})\n")
            if s.error:
                lines.append(f"- **source failed**: {s.error}\n")
            for f in s.failures[:50]:
                lines.append(f"- `{f.stage}` {f.url}: {f.reason}\n")
            more = s.failed + s.blocked + s.parse_failed - len(s.failures[:50])
            if more > 0:
                lines.append(f"- … and {more} more (see the fetch_log table)\n")
    if len(lines) == 1:
        lines.append("\nNo failures.\n")
    return rows, "".join(lines)


async def _publish(summary: CrawlSummary, key: str) -> None:
    from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

    rows, markdown = crawl_summary_tables(summary)
    await acreate_table_artifact(table=rows, key=f"{key}-summary", description=summary.message())
    await acreate_markdown_artifact(markdown=markdown, key=f"{key}-failures", description="failures with reasons")


# ------------------------------------------------------------------------------- flows


@flow(name="crawl-source", retries=0, persist_result=False, log_prints=False)
async def crawl_source(
    source_key: str,
    sources_file: str | None = None,
    db: str | None = None,
    politeness: bool = True,
    batch_size: int = 100,
    revalidate: bool = False,
) -> dict[str, Any]:
    """Discover → fetch → parse → upsert for one source; a failed source fails this run only.

    Standalone (a deployment, a retry from the UI) it opens its own store and parse pool;
    inside ``crawl_all`` it shares the parent's. ``revalidate`` asks the portal about every
    stored report, not only those the revisit schedule says are due (``scrapers.revisit``).
    """
    from scrapers.catalog import load_catalog

    logger = get_run_logger()
    shared = _resources.get()
    res = shared
    if res is None:
        res = CrawlResources(
            _settings(sources_file, db), politeness=politeness, batch_size=batch_size,
            limiter=_shared_limiter(politeness), on_progress=progress_hook.get(), revalidate=revalidate,
        )
    try:
        source = (_sources.get() or {}).get(source_key) or load_catalog(res.settings.sources).get(source_key)
    except KeyError:
        raise SourceCrawlFailed(f"{res.settings.sources}: no source with key {source_key!r}") from None
    try:
        result = await run_source(source, res, run_id=_current_run_id(), stages=TASKS)
    finally:
        if shared is None:
            res.close()
    results = _results.get()
    if results is not None:
        results[source_key] = result
    logger.info(
        "%s: %d found, %d new, %d changed, %d unchanged, %d not due, %d failed, %d blocked, %d not parsed (%.1f s)",
        source_key, result.discovered, result.new, result.changed, result.unchanged, result.not_due, result.failed,
        result.blocked, result.parse_failed, result.seconds,
    )
    for f in result.failures[:20]:
        logger.warning("%s %s: %s: %s", source_key, f.stage, f.url, f.reason)
    if shared is None:
        await _publish(CrawlSummary([result], result.seconds), f"crawl-{source_key.replace('_', '-')}")
    if result.state != "completed":
        raise SourceCrawlFailed(f"{source_key}: {result.error}")
    return result.to_dict()


@flow(name="crawl-all", retries=0, persist_result=False, log_prints=False)
async def crawl_all(
    sources: list[str] | None = None,
    tag: str | None = None,
    sources_file: str | None = None,
    db: str | None = None,
    politeness: bool = True,
    concurrency: int | None = None,
    batch_size: int = 100,
    revalidate: bool = False,
) -> State[Any]:
    """One ``crawl_source`` run per selected source, at most ``concurrency`` at once.

    ``revalidate``: ask about every stored report now (see ``crawl_source``).

    Completes with a message saying how many sources failed (Failed only when all did),
    and publishes a table artifact and a markdown artifact of failures.
    """
    from scrapers.catalog import load_catalog

    logger = get_run_logger()
    settings = _settings(sources_file, db)
    catalog = load_catalog(settings.sources)
    chosen = catalog.select(sources, tag)
    if not chosen:
        return Completed(message=f"no sources selected (sources={sources}, tag={tag})", data={"sources": []})
    res = CrawlResources(
        settings, politeness=politeness, batch_size=batch_size,
        limiter=_shared_limiter(politeness), on_progress=progress_hook.get(), revalidate=revalidate,
    )
    results: dict[str, SourceResult] = {}
    tok_res, tok_out = _resources.set(res), _results.set(results)
    tok_src = _sources.set({s.key: s for s in chosen})
    started = time.perf_counter()
    sem = asyncio.Semaphore(max(1, concurrency or settings.source_concurrency))
    logger.info("crawling %d sources (%d at once)", len(chosen), sem._value)

    async def one(src: Source) -> State[Any]:
        async with sem:
            state: State[Any] = await crawl_source(  # type: ignore[call-overload]
                src.key, sources_file=str(settings.sources), db=settings.db, politeness=politeness,
                batch_size=batch_size, revalidate=revalidate, return_state=True,
            )
            return state

    try:
        states = await asyncio.gather(*(one(s) for s in chosen))
    finally:
        _resources.reset(tok_res)
        _results.reset(tok_out)
        _sources.reset(tok_src)
        await asyncio.to_thread(res.close)
    summary = CrawlSummary(seconds=time.perf_counter() - started)
    for src, st in zip(chosen, states, strict=True):
        r = results.get(src.key)
        if r is None:  # the subflow died before the pipeline returned (crash, cancellation)
            r = SourceResult(source_key=src.key, state="failed", error=st.message or st.type.value)
        summary.sources.append(r)
    await _publish(summary, "crawl-all")
    msg = summary.message()
    logger.info(msg)
    data = {"sources": [s.to_dict() for s in summary.sources], "seconds": summary.seconds}
    if summary.failed_sources and len(summary.failed_sources) == len(summary.sources):
        return Failed(message=msg, data=data)
    return Completed(message=msg, data=data)
