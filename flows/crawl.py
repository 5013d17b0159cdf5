"""Prefect flows: ``crawl_all`` (a catalog) and ``crawl_source`` (one source).

Thin by design: the work is ``flows.pipeline.run_sources``; this module decides what
Prefect sees. A crawl is ONE flow run, with no subflows and no tasks. Why: Prefect costs
~15 ms of CPU per task run and ~125 ms of wall per subflow here, so a subflow per source
made a 3,000-source catalog minutes of pure orchestration. What an operator needs from
the UI comes from the one run instead:

* per-source state with reasons: the run's table artifact (every source, its state
  ``completed`` / ``partial`` / ``failed`` and counts) and its markdown artifact (each
  failure with its URL and reason), also in ``crawl_runs``;
* the run's own state: Failed when any source failed or partly failed, with a message
  that counts them, so a scheduled run with failures is red in the UI;
* Retry in the UI (or ``prefect flow-run retry``): a retried run redoes only the sources
  whose latest attempt in this flow run did not complete (``Store.flow_run_sources``),
  adds new ``crawl_runs`` rows (history is kept) and ends Completed when they all do.
  The UI offers Retry only for runs of a deployment, so every crawl is one: the CLI
  registers ``<flow>/on-demand`` and runs the flow run in its own process
  (``run_deployed``), and ``govreports serve`` serves those deployments for the retries.
"""

from __future__ import annotations

import contextvars
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger
from prefect.states import Completed, Failed, State

import flows  # noqa: F401  (pins the no-phone-home Prefect settings before Prefect is imported)
from flows.pipeline import CrawlResources, ProgressFn, RunPlan, run_sources
from flows.results import CrawlSummary, SourceResult

if TYPE_CHECKING:
    from collections.abc import Mapping

    from govreports.settings import Settings
    from scrapers.catalog import Politeness, Source

__all__ = ["ON_DEMAND", "SourcesFailed", "crawl_all", "crawl_source", "crawl_summary_tables", "progress_hook", "run_data", "run_deployed"]

#: a progress callback installed by the CLI around a flow call
progress_hook: contextvars.ContextVar[ProgressFn | None] = contextvars.ContextVar("govreports_progress", default=None)
#: the deployment every flow started from the CLI belongs to (so the UI offers Retry)
ON_DEMAND = "on-demand"


class SourcesFailed(Exception):
    """A crawl some of whose sources failed or partly failed: the result of its Failed state
    (Prefect raises a failed run's result), carrying the same ``data`` a completed run returns."""

    def __init__(self, message: str, data: dict[str, Any]) -> None:
        super().__init__(message)
        self.data = data


def _settings(sources_file: str | None, db: str | None) -> Settings:
    from govreports.settings import get_settings

    return get_settings(db=db, sources=sources_file)


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
            "reason": s.error or "",
        }
        for s in summary.sources
    ]
    lines = [f"# Crawl failures\n\n{summary.message()}\n"]
    for s in summary.sources:
        if s.state == "failed" or s.failures:
            lines.append(f"\n## {s.source_key} ({s.state})\n")
            if s.state == "failed":
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


async def crawl_sources(
    chosen: list[Source], settings: Settings, *, politeness: bool, batch_size: int, revalidate: bool, key: str,
    hosts: Mapping[str, Politeness] | None = None,
) -> State[Any]:
    """The body of every crawl flow: run the pipeline once for ``chosen``, publish, decide the state.

    On a retry of the same flow run, sources that completed in an earlier attempt are kept
    as they were (shown in the summary, not crawled again).
    """
    import asyncio

    from prefect.runtime import flow_run

    logger = get_run_logger()
    started = time.perf_counter()
    plan = RunPlan(str(flow_run.id) if flow_run.id else None, max(1, int(flow_run.run_count or 1)))
    kept: list[SourceResult] = []
    with CrawlResources(settings, politeness=politeness, batch_size=batch_size, on_progress=progress_hook.get(),
                        revalidate=revalidate, hosts=dict(hosts or {})) as res:
        if plan.attempt > 1 and plan.flow_run_id:
            earlier = await asyncio.to_thread(res.store.flow_run_sources, plan.flow_run_id)
            done = {k for k, r in earlier.items() if r.state == "COMPLETED"}
            kept = [SourceResult.from_run(earlier[s.key]) for s in chosen if s.key in done]
            chosen = [s for s in chosen if s.key not in done]
            logger.info("retry %d: %d sources completed earlier, crawling the other %d again",
                        plan.attempt, len(kept), len(chosen))
        else:
            logger.info("crawling %d sources", len(chosen))
        results = await run_sources(chosen, res, plan=plan) if chosen else []
    summary = CrawlSummary(sources=kept + results, seconds=time.perf_counter() - started)
    for r in results:
        if r.state != "completed":
            logger.warning("%s %s: %s", r.source_key, r.state, r.error)
    await _publish(summary, key)
    msg = summary.message()
    logger.info(msg)
    data = {"sources": [s.to_dict() for s in results], "kept": [s.source_key for s in kept],
            "seconds": summary.seconds}
    if summary.failed_sources:
        return Failed(message=msg, data=SourcesFailed(msg, data))
    return Completed(message=msg, data=data)


@flow(name="crawl-all", retries=0, persist_result=False, log_prints=False)
async def crawl_all(
    sources: list[str] | None = None,
    tag: str | None = None,
    sources_file: str | None = None,
    db: str | None = None,
    politeness: bool = True,
    batch_size: int = 100,
    revalidate: bool = False,
) -> State[Any]:
    """Crawl the catalog's sources (all, these keys, or this tag) as one run.

    ``revalidate``: ask the portals about every stored report now, not only those the
    revisit schedule says are due (``scrapers.revisit``). Retried (from the UI), it redoes
    only the sources that did not complete.
    """
    from scrapers.catalog import load_catalog

    settings = _settings(sources_file, db)
    catalog = load_catalog(settings.sources)
    chosen = catalog.select(sources, tag)
    if not chosen:
        return Completed(message=f"no sources selected (sources={sources}, tag={tag})", data={"sources": []})
    return await crawl_sources(chosen, settings, politeness=politeness, batch_size=batch_size,
                               revalidate=revalidate, key="crawl-all", hosts=catalog.hosts)


@flow(name="crawl-source", retries=0, persist_result=False, log_prints=False)
async def crawl_source(
    source_key: str,
    sources_file: str | None = None,
    db: str | None = None,
    politeness: bool = True,
    batch_size: int = 100,
    revalidate: bool = False,
) -> State[Any]:
    """One source (the per-source deployments ``crawl-source/source-<key>``)."""
    from scrapers.catalog import load_catalog

    settings = _settings(sources_file, db)
    catalog = load_catalog(settings.sources)
    try:
        source = catalog.get(source_key)
    except KeyError:
        return Failed(message=f"{settings.sources}: no source with key {source_key!r}")
    return await crawl_sources([source], settings, politeness=politeness, batch_size=batch_size,
                               revalidate=revalidate, key=f"crawl-{source_key.replace('_', '-')}",
                               hosts=catalog.hosts)


def run_data(state: State[Any]) -> dict[str, Any]:
    """What a crawl run returned, completed or failed (a failed run's is in ``SourcesFailed``)."""
    got = state.result(raise_on_failure=False)
    data = got.data if isinstance(got, SourcesFailed) else got
    assert isinstance(data, dict), f"not a crawl run's result: {got!r}"
    return data


async def run_deployed(fl: Any, parameters: dict[str, Any]) -> State[Any]:
    """Run ``fl`` in this process as a run of its ``on-demand`` deployment.

    Why a deployment: the Prefect UI offers Retry only for runs of one, and a retry is then
    picked up by ``govreports serve`` (or a worker), which serves the same deployment. The
    run is created Pending, not Scheduled, so a serving process never races this one for it.
    """
    from prefect import get_client
    from prefect.flow_engine import run_flow_async
    from prefect.states import Pending

    deployment = await fl.ato_deployment(name=ON_DEMAND, description=on_demand_description(fl.name),
                                         tags=["on-demand"])
    deployment_id = await deployment.aapply()
    async with get_client() as client:
        run = await client.create_flow_run_from_deployment(deployment_id, parameters=parameters, state=Pending())
    state = await run_flow_async(fl, flow_run=run, parameters=parameters, return_type="state")
    assert isinstance(state, State)
    return state


def on_demand_description(flow_name: str) -> str:
    return (f"Runs of {flow_name} started from the govreports CLI; `govreports serve` serves this deployment so "
            "that Retry in the UI reruns what failed")


def absolute(path: str | Path) -> str:
    """Paths in flow parameters are absolute: a retry may run in another working directory."""
    return str(Path(path).resolve())
