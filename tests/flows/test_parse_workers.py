"""Parse workers extract in-process, bounded per worker: RLIMIT_AS on the worker and a
per-document SIGALRM deadline replace the parser's own (nested) PDF process pool."""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from flows.parsing import ParseJob, init_parse_worker, parse_job
from portalsim import Simulator
from portalsim.render_office import render_pdf

MB = 1024 * 1024


@pytest.fixture(scope="module")
def pdf_job() -> ParseJob:
    sim = Simulator(sites=1, reports_per_site=12, seed=17, families=["trs"])
    site = sim.site(0)
    item = next(it for it in site.items if it.is_report and it.body == "pdf")
    data = render_pdf(sim.report_doc(site, item))
    return ParseJob(source_key="s", url="http://127.0.0.2/r.htm", document_url="http://127.0.0.2/r.pdf",
                    sha256=None, body=data, filename="r.pdf", content_type="application/pdf")


def _pool(timeout: float) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("forkserver"),
        initializer=init_parse_worker, initargs=(50 * MB, timeout, 300, 1536 * MB),
    )


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    with _pool(30.0) as p:
        yield p


def test_worker_parses_pdfs_in_process_under_an_address_space_cap(pool: ProcessPoolExecutor, pdf_job: ParseJob) -> None:
    out = pool.submit(parse_job, pdf_job).result(timeout=120)
    assert out.error is None and out.record is not None and out.record.year is not None
    assert out.job.body is None  # the bytes do not travel back
    soft, _hard = pool.submit(resource.getrlimit, resource.RLIMIT_AS).result(timeout=30)
    assert soft == 1536 * MB


def test_a_document_over_its_deadline_fails_with_the_reason_and_the_worker_survives(pdf_job: ParseJob) -> None:
    with _pool(0.001) as slow:
        out = slow.submit(parse_job, pdf_job).result(timeout=120)
        assert out.record is None and out.error is not None
        assert out.error.startswith("extract: timeout: took longer than 0.001 s"), out.error
        again = slow.submit(parse_job, pdf_job).result(timeout=120)  # same worker, next document
        assert again.error is not None and "timeout" in again.error


_HOLDER = """
import os, sys, time
from flows.pipeline import CrawlResources
from govreports.settings import get_settings
from parsers.limits import Limits, run_isolated

if __name__ == "__main__":
    res = CrawlResources(get_settings(db=sys.argv[1]), workers=2)
    crawl_pool = {res.pool.submit(os.getpid).result() for _ in range(4)}
    pdf_pool = {run_isolated(os.getpid, limits=Limits())}
    print(" ".join(map(str, sorted(crawl_pool | pdf_pool))), flush=True)
    time.sleep(300)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except FileNotFoundError:
        return True


def test_workers_leave_when_the_crawl_process_is_killed(tmp_path: Path) -> None:
    """SIGKILL (the OOM killer, a container stop, a hard-cancelled run) gives the crawl no
    chance to shut its pools down; their workers used to wait on their queues forever."""
    script = tmp_path / "holder.py"
    script.write_text(_HOLDER, encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    holder = subprocess.Popen([sys.executable, str(script), f"sqlite:///{tmp_path / 'x.db'}"], cwd=root,
                              env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        workers = [int(p) for p in holder.stdout.readline().split()]
        assert len(workers) >= 2 and holder.pid not in workers
        assert not any(_gone(p) for p in workers)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not all(_gone(p) for p in workers):
        time.sleep(0.2)
    left = [p for p in workers if not _gone(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)  # do not leak them into the rest of the suite
    assert left == [], f"workers still running after their crawl was killed: {left}"
