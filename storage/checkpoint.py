"""Copying SQLite's write-ahead log into the database file off the writer's path.

By default the connection that commits past 1,000 WAL pages runs the
checkpoint itself, inside its ``commit()``: it reads the new WAL frames back,
writes them into the database file and fsyncs both. A batch of 200 full
reports is ~8 MB of pages, so every batch commit paid a checkpoint: ~12% of
the wall time of a new-report upsert, most of it waiting on fsync.

Here write connections raise that threshold to ``WRITER_CHECKPOINT_BYTES`` (a
safety net, should this thread fall behind or die) and a thread of the
engine's own, on a connection of its own, runs a ``PASSIVE`` checkpoint after
each write commit. ``sqlite3`` releases the GIL while SQLite works, so the
copy and the fsyncs overlap the next batch. A passive checkpoint never blocks
a writer or a reader; it copies what it can.

What the thread must also do: the log only restarts from its beginning when a
writer begins after a *complete* checkpoint, which a busy writer rarely does
(its next batch starts while the copy still runs), so the WAL file would grow
for as long as writes keep coming. Past ``RESTART_BYTES`` the thread asks for
a ``RESTART`` checkpoint, which waits (at most ``RESTART_WAIT_MS``) for the
current writer and for readers of the log, and lets the next writer start the
log afresh; ``journal_size_limit`` then truncates the file.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

__all__ = ["JOURNAL_SIZE_LIMIT", "RESTART_BYTES", "WRITER_CHECKPOINT_BYTES", "WalCheckpointer"]

log = logging.getLogger(__name__)

#: a write connection checkpoints by itself only past a WAL this long (SQLite's default: 1,000 pages)
WRITER_CHECKPOINT_BYTES = 160 * 1024 * 1024
#: the thread restarts the log once it is this long
RESTART_BYTES = 64 * 1024 * 1024
#: how long a RESTART checkpoint may hold back new writers while readers finish
RESTART_WAIT_MS = 1_000
#: bytes a restarted WAL file is truncated to
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024


class WalCheckpointer:
    """One database file's checkpoint thread, started by the first ``nudge`` (and again after ``close``)."""

    def __init__(self, path: Path):
        self.path = path
        #: outcomes of the last checkpoint: (busy, wal pages, pages copied), for tests and debugging
        self.last: tuple[int, int, int] | None = None
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._closing = False
        self._pid = os.getpid()

    def nudge(self) -> None:
        """A write transaction committed: checkpoint soon."""
        if self._pid != os.getpid():  # a forked child: the thread and its lock stayed in the parent
            self._reset()
        thread = self._thread
        if thread is None or not thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._closing = False
                    self._thread = threading.Thread(
                        target=self._run, name=f"wal-checkpoint {self.path.name}", daemon=True
                    )
                    self._thread.start()
        self._wake.set()

    def close(self) -> None:
        """Stop the thread; its connection, closed last, lets SQLite checkpoint and remove the WAL."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._closing = True
            self._wake.set()
        if (
            thread is not None
            and thread.is_alive()
            and self._pid == os.getpid()
            and thread is not threading.current_thread()  # close() from a finalizer run on the thread
        ):
            thread.join()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            log.warning(
                "%s: no background WAL checkpoints (%s); writers checkpoint themselves", self.path, exc
            )
            return
        try:
            conn.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
            restart_pages = RESTART_BYTES // conn.execute("PRAGMA page_size").fetchone()[0]
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._closing:
                    return
                self._checkpoint(conn, restart_pages)
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection, restart_pages: int) -> None:
        try:
            busy, pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if pages >= restart_pages:
                busy, pages, copied = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            self.last = (busy, pages, copied)
        except sqlite3.Error as exc:  # e.g. the file went away; the writers' own checkpoints remain
            log.warning("%s: background WAL checkpoint failed: %s", self.path, exc)
