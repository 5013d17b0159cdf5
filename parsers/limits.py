"""Bounds on what one document may cost: bytes, pages, seconds, memory.

A crawler runs for hours over documents nobody has vetted, so every format
reader must finish or fail within known bounds. Byte caps are checked before
any library sees the data. PDF parsing (pdfium is C++: it can loop or allocate
without Python noticing) runs in a worker process with ``RLIMIT_AS`` and a
wall-clock timeout; the worker pool is reused so that the per-document cost is
one pickle round-trip (~1 ms), not a process start (~300 ms). External tools
(antiword, LibreOffice) run with a timeout and are killed when they exceed it.

``parsers`` never reads settings itself (it imports nothing of ours): callers
build a :class:`Limits` from ``govreports.settings`` and pass it in.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from parsers.errors import ParseError

__all__ = ["Limits", "check_size", "exit_with", "page_deadline", "run_command", "run_isolated", "shutdown_pool"]

T = TypeVar("T")

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-document bounds. Defaults match ``govreports.settings.Settings``."""

    #: input size cap (bytes), checked before anything else
    max_bytes: int = 50 * MB
    #: seconds one document may take (PDF worker, antiword/soffice)
    timeout: float = 60.0
    #: PDFs with more pages are refused (an annual report has 5–40)
    max_pdf_pages: int = 300
    #: address-space cap for the PDF worker process; OCR of a page needs ~1.2 GB of address
    #: space (OpenCV and onnxruntime map 0.6 GB on import), so 1.5 GB no longer sufficed
    memory_bytes: int = 3072 * MB
    #: DOCX: total uncompressed size of all zip members
    max_unzipped_bytes: int = 200 * MB
    #: DOCX: uncompressed/compressed ratio, whole archive and per member
    max_zip_ratio: float = 200.0
    #: run PDF parsing in the bounded worker (False: in-process, for benchmarks)
    isolate: bool = True
    #: seconds one page of OCR may take (a scanned A4 page takes ~5 s of one core; the
    #: cap stops a pathological page, with room for a machine shared by other work)
    ocr_page_timeout: float = 60.0
    #: documents with more pages to OCR are refused (a scan of 300 pages would hold a
    #: worker for half an hour)
    max_ocr_pages: int = 40

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """Limits from a ``govreports.settings.Settings`` (duck-typed: no import of ours)."""
        return cls(
            max_bytes=int(settings.max_bytes),
            timeout=float(settings.parse_timeout),
            max_pdf_pages=int(settings.max_pdf_pages),
        )


DEFAULT_LIMITS = Limits()


def check_size(size: int, limits: Limits) -> None:
    """Refuse input over the byte cap, and empty input, before any parsing."""
    if size == 0:
        raise ParseError("empty", "empty document")
    if size > limits.max_bytes:
        raise ParseError(
            "too_large", f"too large: {size} bytes, over the cap of {limits.max_bytes} bytes"
        )


# --- the worker pool -------------------------------------------------------

_POOL: ProcessPoolExecutor | None = None
_POOL_MEMORY: int | None = None
_POOL_LOCK = threading.Lock()
_WORKERS = max(1, min(2, os.cpu_count() or 1))


def _identity(pid: int) -> tuple[str, ...] | None:
    """(pid, start time) of a live process, None if it is gone or a zombie; a reused pid
    has another start time. ("?",) where there is no /proc (then only existence counts)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except FileNotFoundError:
        return None
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return ("?",)
    return None if fields[0] in (b"Z", b"X") else (str(pid), fields[19].decode())


def exit_with(pid: int, interval: float = 1.0) -> None:
    """End this pool worker soon after process ``pid`` (the one that feeds it) is gone.

    A ``ProcessPoolExecutor`` worker waits on its call queue, and the queue's pipe is open
    in the worker itself, so it never reads EOF: when the feeding process dies without
    shutting the pool down (SIGKILL, the OOM killer, a container stopped, a Prefect run
    cancelled hard) the worker waits forever. Every killed crawl left its parse workers
    (35–90 MB each) and the forkserver behind. A daemon thread looks once a second.
    Call it before capping the address space: the thread's stack is mapped when it starts.
    """
    watched = _identity(pid)
    if watched is None:
        os._exit(0)

    def watch() -> None:
        while True:
            time.sleep(interval)
            if _identity(pid) != watched:
                os._exit(0)

    threading.Thread(target=watch, name=f"exit-with-{pid}", daemon=True).start()


def _init_worker(memory_bytes: int, parent: int | None = None) -> None:
    """Runs once in each worker: cap its address space so a hostile file fails, not the host,
    and leave when the process that started the pool is gone (``exit_with``)."""
    import resource

    if parent is not None:
        exit_with(parent)

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _get_pool(memory_bytes: int) -> ProcessPoolExecutor:
    global _POOL, _POOL_MEMORY
    with _POOL_LOCK:
        if _POOL is None or memory_bytes != _POOL_MEMORY:
            if _POOL is not None:
                _kill(_POOL)
            # spawn, not fork: the parent may run threads (Prefect, asyncio) and
            # forking a threaded process can deadlock the child.
            ctx = multiprocessing.get_context("spawn")
            _POOL = ProcessPoolExecutor(
                max_workers=_WORKERS, mp_context=ctx, initializer=_init_worker, initargs=(memory_bytes, os.getpid())
            )
            _POOL_MEMORY = memory_bytes
        return _POOL


def _kill(pool: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor has no public kill before 3.14; a timed-out worker
    # must die, or the pool would wait for it forever.
    procs = list(getattr(pool, "_processes", {}).values())
    for proc in procs:
        if proc.is_alive():
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.join(timeout=5)


def _discard(pool: ProcessPoolExecutor) -> None:
    global _POOL
    with _POOL_LOCK:
        if _POOL is pool:
            _POOL = None
    _kill(pool)


def shutdown_pool() -> None:
    """Stop the worker processes (tests, interpreter exit)."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        _kill(pool)


atexit.register(shutdown_pool)


def run_isolated(func: Callable[..., T], *args: Any, limits: Limits, what: str = "document") -> T:
    """``func(*args)`` in a memory-capped worker, within ``limits.timeout`` seconds.

    ``func`` must be a module-level function returning picklable data. A worker
    that dies (out of memory inside C code, a crash) is replaced; the call is
    retried once, because a pool broken by *another* document's timeout takes
    innocent calls down with it. A second failure is this document's fault.
    """
    if not limits.isolate:
        return func(*args)
    for attempt in (1, 2):
        pool = _get_pool(limits.memory_bytes)
        try:
            future = pool.submit(func, *args)
        except (BrokenProcessPool, RuntimeError):
            _discard(pool)
            continue
        try:
            return future.result(timeout=limits.timeout)
        except FutureTimeout:
            _discard(pool)
            raise ParseError(
                "timeout", f"timeout: {what} took longer than {limits.timeout:g} s"
            ) from None
        except BrokenProcessPool:
            _discard(pool)
            if attempt == 2:
                raise ParseError(
                    "corrupt", f"corrupt: the {what} parser crashed (out of memory or a damaged file)"
                ) from None
        except MemoryError:
            raise ParseError(
                "too_large", f"too large: {what} needs more than {limits.memory_bytes // MB} MB"
            ) from None
    raise ParseError("corrupt", f"corrupt: the {what} parser could not start")


def run_command(argv: Sequence[str], *, timeout: float, what: str) -> str:
    """Run an external converter, return its stdout (UTF-8); bounded in time.

    Raises ParseError("timeout") when it runs too long (the process is killed)
    and ParseError("corrupt") with the tool's own message when it fails.
    """
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise ParseError("timeout", f"timeout: {what} took longer than {timeout:g} s") from None
    except OSError as exc:
        raise ParseError("unsupported", f"unsupported: cannot run {argv[0]}: {exc}") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = message[-1] if message else f"exit code {proc.returncode}"
        raise ParseError("corrupt", f"corrupt: {what} failed: {detail}")
    return proc.stdout.decode("utf-8", "replace")


@contextmanager
def page_deadline(seconds: float) -> Iterator[None]:
    """Give one page of OCR its own ``seconds``, pausing the document's clock meanwhile.

    Inside a parse worker a document runs under SIGALRM (``flows.parsing``); OCR of a
    scan takes seconds a page, so the document's cap would be spent on its first pages.
    Each page gets the per-page cap instead, and the document's remaining time resumes
    after it. Without a running alarm (``run_isolated`` bounds its worker from outside,
    or no bound at all) this does nothing.
    """
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    remaining, _interval = signal.getitimer(signal.ITIMER_REAL)
    if remaining <= 0:
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, remaining)
