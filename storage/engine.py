"""Engines for SQLite and PostgreSQL, configured for many writers.

SQLite: WAL (readers never block the writer), a busy timeout, foreign keys on,
and write transactions opened with ``BEGIN IMMEDIATE``. The last one matters:
a deferred transaction that reads first and writes later cannot be retried by
the busy handler when another process committed in between (SQLite answers
"database is locked" at once), whereas IMMEDIATE takes the write lock up front
and simply waits its turn. Read-only work opts out with ``READ`` (plain BEGIN).
A file engine copies its WAL into the database on a thread of its own
(``storage.checkpoint``), so a committing writer does not wait for fsync.
"""

from __future__ import annotations

import sqlite3
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from .checkpoint import JOURNAL_SIZE_LIMIT, WRITER_CHECKPOINT_BYTES, WalCheckpointer

__all__ = [
    "BUSY_TIMEOUT_S",
    "PAGE_SIZE",
    "READ",
    "checkpointer_of",
    "is_sqlite",
    "make_engine",
    "make_readonly_engine",
    "open_engine",
    "sqlite_path",
]

#: seconds a SQLite writer waits for the lock before "database is locked"
BUSY_TIMEOUT_S = 60.0

#: bytes per page of a database this engine creates (SQLite's default: 4096)
PAGE_SIZE = 16384

#: page cache of a read-write SQLite connection (KiB): a whole write batch stays in memory
WRITE_CACHE_KIB = 64 * 1024

#: execution options for a connection that only reads (SQLite: deferred BEGIN)
READ: dict[str, Any] = {"govreports_read": True}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL (None for in-memory)."""
    db = make_url(url).database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, *, read_only: bool) -> None:
    cur = dbapi_conn.cursor()
    if not read_only:
        # Takes effect only on a new, empty database (it must precede WAL mode):
        # fewer, larger pages halve the per-page work of writing a batch of full
        # reports (~40 KB each) to the WAL and into the file: +8% new-report
        # upserts/s once checkpoints left the writer (4, 8, 16 KiB measured).
        cur.execute(f"PRAGMA page_size={PAGE_SIZE}")
        cur.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL: a commit appends to the WAL without fsync (checkpoints
        # still fsync). An application crash loses nothing committed; a power or
        # OS crash may lose the last commits but never leaves a half-written one,
        # and a rerun of the crawl re-stores them. FULL would fsync every batch.
        cur.execute("PRAGMA synchronous=NORMAL")
        # A multi-row INSERT keeps a statement journal (to undo that statement
        # alone on a constraint error); on disk, it wrote as many bytes as the
        # data itself. In memory it is a few MB at most, freed per statement.
        cur.execute("PRAGMA temp_store=MEMORY")
        # A batch of 200 full reports dirties ~6.5 MB of pages; the default 2 MB
        # cache spilled them to the WAL mid-transaction and wrote some twice.
        cur.execute(f"PRAGMA cache_size=-{WRITE_CACHE_KIB}")
        # Checkpoints run on a thread of their own (storage.checkpoint); a writer
        # checkpoints inline only if that thread falls far behind.
        page_size = cur.execute("PRAGMA page_size").fetchone()[0]
        cur.execute(f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_BYTES // page_size}")
        cur.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cur.execute("PRAGMA foreign_keys=ON")
    if read_only:
        cur.execute("PRAGMA query_only=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    """A read-write engine; creates a SQLite file's parent directory."""
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, future=True)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        poolclass=NullPool if path is None else None,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _rec: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        _sqlite_pragmas(dbapi_conn, read_only=False)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read = conn.get_execution_options().get("govreports_read", False)
        conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

    if path is not None:
        _checkpoint_in_background(engine, WalCheckpointer(path))
    return engine


def open_engine(url: str, prepare: Callable[[Engine], object]) -> Engine:
    """``make_engine(url)`` and ``prepare(engine)`` (the schema upgrade), retrying the "database
    is locked" that SQLite's busy handler does not cover.

    SQLite answers a connection that opens a WAL database at once, without waiting, while
    another connection recovers it or, as the last one to close, cleans up its WAL and
    shared memory under an exclusive lock (sqlite.org/wal.html, "Sometimes Queries Return
    SQLITE_BUSY In WAL Mode"). Two crawl processes on one file meet the second case when one
    finishes just as the other opens its store. The window is milliseconds; this retries
    for up to ``BUSY_TIMEOUT_S``, as the busy handler would.
    """
    delay, deadline = 0.01, time.monotonic() + BUSY_TIMEOUT_S
    while True:
        engine = make_engine(url)
        try:
            prepare(engine)
            return engine
        except OperationalError as exc:
            engine.dispose()
            locked = is_sqlite(url) and "database is locked" in str(exc.orig)
            if not locked or time.monotonic() + delay > deadline:
                raise
        except BaseException:
            engine.dispose()
            raise
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


_CHECKPOINTERS: weakref.WeakKeyDictionary[Engine, WalCheckpointer] = weakref.WeakKeyDictionary()


def checkpointer_of(engine: Engine) -> WalCheckpointer | None:
    """The background checkpointer of a SQLite file engine made by ``make_engine``."""
    return _CHECKPOINTERS.get(engine)


def _checkpoint_in_background(engine: Engine, checkpointer: WalCheckpointer) -> None:
    """Nudge ``checkpointer`` once a write transaction has committed and its connection is back in the pool.

    Not in the ``commit`` event itself: that fires before SQLite commits, and a
    checkpoint started then would miss the very frames it was woken for.
    """

    _CHECKPOINTERS[engine] = checkpointer

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Connection) -> None:
        if not conn.get_execution_options().get("govreports_read", False):
            conn.info["govreports_wrote"] = True

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        if record.info.pop("govreports_wrote", False):
            checkpointer.nudge()

    @event.listens_for(engine, "engine_disposed")
    def _on_dispose(_engine: Engine) -> None:
        checkpointer.close()

    # an engine dropped without dispose() (a one-off ``make_engine`` in a long-lived
    # process) must not leave its thread and connection behind
    weakref.finalize(engine, checkpointer.close)


_SQLITE_DENY = {
    sqlite3.SQLITE_ATTACH,
    sqlite3.SQLITE_DETACH,
    sqlite3.SQLITE_INSERT,
    sqlite3.SQLITE_UPDATE,
    sqlite3.SQLITE_DELETE,
    sqlite3.SQLITE_DROP_TABLE,
    sqlite3.SQLITE_DROP_VIEW,
    sqlite3.SQLITE_DROP_INDEX,
    sqlite3.SQLITE_DROP_TRIGGER,
    sqlite3.SQLITE_CREATE_TABLE,
    sqlite3.SQLITE_CREATE_VIEW,
    sqlite3.SQLITE_CREATE_INDEX,
    sqlite3.SQLITE_CREATE_TRIGGER,
    sqlite3.SQLITE_CREATE_TEMP_TABLE,
    sqlite3.SQLITE_CREATE_TEMP_VIEW,
    sqlite3.SQLITE_CREATE_TEMP_INDEX,
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER,
    sqlite3.SQLITE_ALTER_TABLE,
    sqlite3.SQLITE_CREATE_VTABLE,
    sqlite3.SQLITE_DROP_VTABLE,
}


#: pragmas whose argument names what to read (``PRAGMA table_info(reports)``), never a new value
_READING_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "foreign_key_check",
        "integrity_check",
        "quick_check",
    }
)


def _ro_authorizer(
    action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None
) -> int:
    """Deny at the engine level what a read-only connection must never do.

    ``mode=ro`` and ``query_only`` already refuse writes to the database file;
    this also refuses ATTACH (which could open or create another file), temp
    objects and any PRAGMA that sets a value (``PRAGMA query_only=OFF``…).
    Reading pragmas (``PRAGMA journal_mode``, ``PRAGMA table_info(x)``) stay allowed.
    """
    if action in _SQLITE_DENY:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and arg2 is not None and (arg1 or "").lower() not in _READING_PRAGMAS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def make_readonly_engine(url: str) -> Engine:
    """An engine whose connections the database itself keeps read-only.

    SQLite: the file is opened ``file:…?mode=ro`` (URI), ``PRAGMA query_only=ON``
    and an authorizer refusing writes, ATTACH and setting pragmas.
    PostgreSQL: ``default_transaction_read_only=on`` for the session, so every
    transaction (including one the user's SQL might start) is READ ONLY.
    """
    if not is_sqlite(url):
        parsed = make_url(url)
        given = parsed.query.get("options", "")
        options = " ".join(
            [*(given if isinstance(given, tuple) else [given]), "-c default_transaction_read_only=on"]
        )
        return create_engine(
            parsed.difference_update_query(["options"]),
            poolclass=NullPool,
            connect_args={"options": options.strip()},
        )
    path = sqlite_path(url)
    if path is None:
        raise ValueError(f"{url}: a read-only connection needs a SQLite file, not an in-memory database")
    if not path.exists():
        raise FileNotFoundError(f"{path}: database file does not exist")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"

    def _connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        conn.isolation_level = None
        _sqlite_pragmas(conn, read_only=True)
        conn.set_authorizer(_ro_authorizer)
        return conn

    return create_engine("sqlite://", creator=_connect, poolclass=NullPool)
