"""Concurrent writers: threads on both engines, processes on SQLite; no deadlock, no duplicate, no "locked"."""

from __future__ import annotations

import multiprocessing as mp
import threading

import sqlalchemy as sa
from storage_helpers import make_item

from storage import Store


def _overlapping_batches(worker: int) -> list[list[object]]:
    # every worker writes keys 0..29 in shuffled, overlapping batches; worker 0 also revises some
    order = list(range(30))
    order = order[worker * 7 :] + order[: worker * 7]
    return [
        [make_item(i, seed=(1 if worker == 0 and i % 5 == 0 else 0)) for i in order[k : k + 10]]
        for k in (0, 10, 20, 5)
    ]


def _counts(url: str) -> tuple[int, int, int]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as c:
        reports = c.exec_driver_sql("SELECT COUNT(*), COUNT(DISTINCT url) FROM reports").one()
        stats = c.exec_driver_sql("SELECT COUNT(*) FROM report_stats").scalar_one()
    engine.dispose()
    return int(reports[0]), int(reports[1]), int(stats)


def test_threads_upserting_overlapping_batches(store_url: str) -> None:
    store = Store(store_url)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for batch in _overlapping_batches(worker):
                store.upsert_reports(batch)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, [str(e)[:400] for e in errors]
    n, distinct, stats = _counts(store_url)
    assert n == distinct == 30
    assert stats == 30 * 30  # every report has exactly its own 30 stats, none doubled
    store.close()


def _process_worker(url: str, worker: int, q: mp.Queue) -> None:  # type: ignore[type-arg]
    try:
        store = Store(url)
        for batch in _overlapping_batches(worker):
            store.upsert_reports(batch)  # type: ignore[arg-type]
        store.close()
        q.put(None)
    except BaseException as exc:
        q.put(repr(exc))


def test_processes_on_one_file_never_see_database_locked(store_url: str) -> None:
    """Fresh database, several processes open it (and migrate it) at once and write overlapping batches."""
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_process_worker, args=(store_url, w, q)) for w in range(3)]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert results == [None] * 3, results
    n, distinct, stats = _counts(store_url)
    assert n == distinct == 30 and stats == 900
