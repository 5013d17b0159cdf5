"""Parsing jobs for the process pool: bytes (or an archive path) in, a record or a reason out.

Parsing is the CPU-bound stage, so the pipeline runs it in a ``ProcessPoolExecutor``
across both cores. Jobs carry the archive path rather than the body where they can:
the fetcher has already written the body to the content-addressed archive, and a path
pickles in bytes where a PDF would pickle in megabytes. ``parse_job`` is a top-level
function (picklable) and never raises: a bad document becomes ``error`` with the
reason, so one report cannot take down a batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from parsers.record import Record

__all__ = ["ParseJob", "ParseOutcome", "init_parse_worker", "parse_job"]

#: the parser's bounds in this process (set per worker by ``init_parse_worker``)
_LIMITS: object | None = None


def init_parse_worker(max_bytes: int, timeout: float, max_pdf_pages: int) -> None:
    """Runs once in each pool worker.

    The parser runs PDFs in its own bounded child pool (memory cap, timeout). A pool
    worker exits through multiprocessing's shutdown, which joins child processes but
    skips ``atexit``: without this finalizer the parser's idle PDF workers would be
    joined forever and the crawl would hang at the end.
    """
    global _LIMITS
    from multiprocessing.util import Finalize

    from parsers.limits import Limits, shutdown_pool

    _LIMITS = Limits(max_bytes=max_bytes, timeout=timeout, max_pdf_pages=max_pdf_pages)
    Finalize(None, shutdown_pool, exitpriority=100)


@dataclass(slots=True)
class ParseJob:
    source_key: str
    #: the report page URL (the report's natural key)
    url: str
    #: the URL of the bytes parsed (the attachment when the page is a stub)
    document_url: str
    sha256: str | None
    path: str | None = None
    body: bytes | None = None
    filename: str | None = None
    content_type: str | None = None
    charset: str | None = None


@dataclass(slots=True)
class ParseOutcome:
    job: ParseJob
    record: Record | None
    text: str
    error: str | None
    extract_s: float
    parse_s: float


def parse_job(job: ParseJob) -> ParseOutcome:
    """Extract and parse one document, timing the two stages separately (for the benchmark)."""
    from parsers import build_record, extract
    from parsers.errors import ParseError

    job_light = replace(job, body=None)  # the outcome travels back without the bytes
    t0 = time.perf_counter()
    try:
        data = job.body if job.body is not None else Path(job.path or "").read_bytes()
    except OSError as exc:
        return ParseOutcome(job_light, None, "", f"archive: cannot read {job.path}: {exc.strerror or exc}", 0.0, 0.0)
    try:
        doc = extract(
            data,
            filename=job.filename,
            content_type=job.content_type,
            charset=job.charset,
            url=job.document_url,
            limits=_LIMITS,  # type: ignore[arg-type]
        )
    except ParseError as exc:
        return ParseOutcome(job_light, None, "", f"extract: {exc}", time.perf_counter() - t0, 0.0)
    except Exception as exc:  # the parser promises ParseError only; a bug must not sink the batch
        return ParseOutcome(job_light, None, "", f"extract: bug: {exc!r}", time.perf_counter() - t0, 0.0)
    t1 = time.perf_counter()
    try:
        record = build_record(doc)
    except ParseError as exc:
        return ParseOutcome(job_light, None, doc.text, f"parse: {exc}", t1 - t0, time.perf_counter() - t1)
    except Exception as exc:  # as above
        return ParseOutcome(job_light, None, doc.text, f"parse: bug: {exc!r}", t1 - t0, time.perf_counter() - t1)
    return ParseOutcome(job_light, record, doc.text, None, t1 - t0, time.perf_counter() - t1)
