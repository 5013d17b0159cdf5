"""Parsing jobs for the process pool: bytes (or an archive path) in, a record or a reason out.

Parsing is the CPU-bound stage, so the pipeline runs it in a ``ProcessPoolExecutor``
across both cores. Jobs carry the archive path rather than the body where they can:
the fetcher has already written the body to the content-addressed archive, and a path
pickles in bytes where a PDF would pickle in megabytes. ``parse_job`` is a top-level
function (picklable) and never raises: a bad document becomes ``error`` with the
reason, so one report cannot take down a batch.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from parsers.record import Record

__all__ = ["DocumentTimeout", "ParseJob", "ParseOutcome", "init_parse_worker", "parse_job"]

#: the parser's bounds in this process (set per worker by ``init_parse_worker``)
_LIMITS: object | None = None
#: seconds one document may take in this worker (0: no alarm, e.g. parsing inline)
_TIMEOUT: float = 0.0
#: scheduling priority of the parse workers relative to the crawl process (see init_parse_worker)
PARSE_NICE = 10


class DocumentTimeout(BaseException):  # a signal, like KeyboardInterrupt
    """Raised inside a parse worker by SIGALRM when one document overruns its time.

    A ``BaseException`` so that the format readers' ``except Exception`` (which turn
    library errors into ``ParseError("corrupt")``) do not swallow it."""


def _alarm(signum: int, frame: object) -> None:
    raise DocumentTimeout


def init_parse_worker(
    max_bytes: int, timeout: float, max_pdf_pages: int, memory_bytes: int | None = None, parent: int | None = None
) -> None:
    """Runs once in each pool worker: the worker itself becomes the bounded sandbox.

    The parser's own isolation (a second pool of PDF processes, one pickle round trip of
    the whole file per PDF) is redundant here: this worker is already a separate process.
    So extraction runs in-process (``Limits.isolate=False``) with the same bounds applied
    to the worker: ``RLIMIT_AS`` caps its address space (a hostile file fails with
    MemoryError, not the host) and SIGALRM bounds each document's time (``parse_job``).
    A document stuck inside C code that never returns to Python is caught by the
    pipeline's own deadline, which kills the worker (``flows.pipeline.parse_jobs``).
    ``parent``: the crawl process; the worker leaves when it is gone (``exit_with``).
    """
    global _LIMITS, _TIMEOUT
    import resource
    import signal

    from parsers.limits import Limits, exit_with

    if parent is not None:
        exit_with(parent)

    limits = Limits(max_bytes=max_bytes, timeout=timeout, max_pdf_pages=max_pdf_pages, isolate=False)
    if memory_bytes is None:
        memory_bytes = limits.memory_bytes
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    signal.signal(signal.SIGALRM, _alarm)
    # Below the crawl's event loop in the scheduler: the loop feeds every stage (fetches,
    # archive, store), and with workers on every core it lost the CPU to them and starved
    # them of work a moment later. Niced, they still take all the CPU the loop leaves
    # (1k-report crawl, 3 rounds each: median 115 reports/s at nice 0, 130 at nice 10).
    os.nice(PARSE_NICE)
    from flows.memory import return_large_buffers_to_os

    return_large_buffers_to_os()  # PDFs and their page images: megabytes, short-lived
    _LIMITS, _TIMEOUT = limits, timeout


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


@contextmanager
def _deadline() -> Iterator[None]:
    """SIGALRM after ``_TIMEOUT`` seconds (pool workers only: their main thread runs the job)."""
    if _TIMEOUT <= 0:
        yield
        return
    import signal

    signal.setitimer(signal.ITIMER_REAL, _TIMEOUT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


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
        with _deadline():
            doc = extract(
                data,
                filename=job.filename,
                content_type=job.content_type,
                charset=job.charset,
                url=job.document_url,
                limits=_LIMITS,  # type: ignore[arg-type]
            )
    except DocumentTimeout:
        return ParseOutcome(job_light, None, "", f"extract: timeout: took longer than {_TIMEOUT:g} s",
                            time.perf_counter() - t0, 0.0)
    except MemoryError:
        return ParseOutcome(job_light, None, "", "extract: too_large: needs more memory than a parse worker may use",
                            time.perf_counter() - t0, 0.0)
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
