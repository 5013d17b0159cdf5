"""Maintenance flows: re-parse stored raw documents, and re-run sources whose last run failed.

``reparse`` never touches the network: every fetched body is in the content-addressed
raw archive, and the store knows which report each came from. After a parser fix,
``reparse(parser_version=PARSER_VERSION)`` re-parses only documents whose report an
older parser produced (or that never parsed), in batches through the same process pool
and upsert path as a crawl; an unchanged record writes nothing.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE as NO_CACHE
from prefect.states import Completed, State
from prefect.utilities.annotations import quote

import flows  # noqa: F401  (no-phone-home Prefect settings first)
from flows.crawl import _publish, crawl_sources
from flows.parsing import ParseJob, ParseOutcome
from flows.pipeline import CrawlResources, parse_jobs, write_reports
from flows.results import CrawlSummary, SourceResult

__all__ = ["reparse", "rerun_failed"]

_TASK = {"retries": 0, "cache_policy": NO_CACHE, "persist_result": False}


def _job(ref: Any, archive: Any) -> ParseJob:
    path = ref.archive_path or str(archive.path_for(ref.sha256))
    return ParseJob(
        source_key=ref.source_key,
        url=ref.report_url or ref.url,
        document_url=ref.final_url or ref.url,
        sha256=ref.sha256,
        path=path,
        content_type=ref.content_type,
        filename=(ref.final_url or ref.url).rsplit("/", 1)[-1] if ref.kind == "attachment" else None,
    )


@task(name="reparse-batch", **_TASK)  # type: ignore[call-overload]
async def reparse_batch(res: CrawlResources, jobs: list[ParseJob]) -> list[ParseOutcome]:
    return await parse_jobs(res, jobs)


@task(name="upsert-reparsed", **_TASK)  # type: ignore[call-overload]
async def upsert_reparsed(res: CrawlResources, outcomes: list[ParseOutcome]) -> dict[str, int]:
    async with res.db_lock:
        return await asyncio.to_thread(write_reports, res.store, outcomes)


def select_for_reparse(refs: list[Any], parser_version: str | None) -> list[Any]:
    """Documents to reparse: skip report pages whose report came from their attachment
    (reparsing the stub page would overwrite a good record) and, with ``parser_version``,
    documents whose report that version already produced."""
    from_attachment = {r.report_url for r in refs if r.kind == "attachment" and r.report_url}
    out = []
    for r in refs:
        if r.kind != "attachment" and r.url in from_attachment:
            continue
        if parser_version is not None and r.report_parser_version == parser_version:
            continue
        out.append(r)
    return out


@flow(name="reparse", retries=0, persist_result=False)
async def reparse(
    source: str | None = None,
    parser_version: str | None = None,
    db: str | None = None,
    batch_size: int = 200,
) -> State[Any]:
    """Re-parse stored raw documents with the current parser; no network.

    ``parser_version``: skip documents whose report that version already produced (pass
    the current ``PARSER_VERSION`` after a parser change to redo only older ones).
    ``source``: one source. Documents with no report (earlier parse failures) are tried
    again and counted as ``parse_failed`` when they still do not parse.
    """
    from govreports.settings import get_settings
    from scrapers.archive import RawArchive

    logger = get_run_logger()
    settings = get_settings(db=db)
    archive = RawArchive(settings.archive)
    started = time.perf_counter()
    results: dict[str, SourceResult] = {}

    def result(key: str) -> SourceResult:
        return results.setdefault(key, SourceResult(source_key=key))

    with CrawlResources(settings, batch_size=batch_size) as res:
        refs = await asyncio.to_thread(lambda: list(res.store.iter_documents_for_reparse(source)))
        todo = select_for_reparse(refs, parser_version)
        del refs
        jobs: list[ParseJob] = []
        for ref in todo:
            if not (ref.archive_path and os.path.exists(ref.archive_path)) and ref.sha256 not in archive:
                result(ref.source_key).parse_failed += 1
                result(ref.source_key).add_failure(ref.url, "archive", f"raw archive has no object {ref.sha256}")
                continue
            jobs.append(_job(ref, archive))
        for i in range(0, len(jobs), batch_size):
            outcomes = await reparse_batch(quote(res), quote(jobs[i : i + batch_size]))
            by_source: dict[str, list[ParseOutcome]] = {}
            for o in outcomes:
                r = result(o.job.source_key)
                r.from_archive += 1
                if o.record is None:
                    r.parse_failed += 1
                    r.add_failure(o.job.document_url, "parse", o.error or "unknown")
                else:
                    r.parsed += 1
                    r.checks_failed += any(not c.ok for c in o.record.checks)
                    by_source.setdefault(o.job.source_key, []).append(o)
            for key, group in by_source.items():
                counts = await upsert_reparsed(quote(res), quote(group))
                result(key).rows_written += counts["new"] + counts["changed"] + counts["refreshed"]
    summary = CrawlSummary(sources=sorted(results.values(), key=lambda r: r.source_key))
    summary.seconds = time.perf_counter() - started
    t = summary.totals()
    msg = (
        f"reparsed {t['from_archive']} stored documents: {t['parsed']} parsed, {t['parse_failed']} not parsed, "
        f"{t['rows_written']} report rows written"
    )
    logger.info(msg)
    await _publish(summary, "reparse")
    return Completed(message=msg, data={"sources": [s.to_dict() for s in summary.sources]})


@flow(name="rerun-failed", retries=0, persist_result=False)
async def rerun_failed(
    since: datetime | None = None,
    sources_file: str | None = None,
    db: str | None = None,
    politeness: bool = True,
) -> State[Any]:
    """Crawl again every source whose latest run (started at/after ``since``, default the
    last 7 days) failed or had failed fetches. Conditional requests and the raw archive
    make the rerun cheap for what the failed run already got."""
    from govreports.settings import get_settings
    from storage import Store

    logger = get_run_logger()
    settings = get_settings(db=db, sources=sources_file)
    cutoff = since or datetime.now(UTC) - timedelta(days=7)
    store = Store(settings.db)
    try:
        failed = await asyncio.to_thread(store.failed_sources, cutoff)
    finally:
        store.close()
    if not failed:
        logger.info("no source failed since %s", cutoff.isoformat())
        return Completed(message=f"no source failed since {cutoff.isoformat()}", data={"sources": []})
    from scrapers.catalog import load_catalog

    known = {s.key for s in load_catalog(settings.sources).sources}
    gone = [k for k in failed if k not in known]
    if gone:
        logger.warning("not in the catalog any more, skipped: %s", ", ".join(gone))
    keys = [k for k in failed if k in known]
    logger.info("re-running %d failed sources: %s", len(keys), ", ".join(keys))
    catalog = load_catalog(settings.sources)
    return await crawl_sources(catalog.select(keys), settings, politeness=politeness, batch_size=100,
                               revalidate=False, key="rerun-failed", hosts=catalog.hosts)
