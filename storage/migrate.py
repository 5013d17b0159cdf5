"""Alembic, configured in code so it works from an installed package.

The script location is the ``storage/migrations`` directory found next to this
module (not the working directory), and the connection is passed in, so
``govreports db upgrade`` and ``Store(url)`` work from any directory.

Several processes may open a fresh database at once (a crawl fanning out), so
the upgrade runs under a lock: SQLite's write lock (``BEGIN IMMEDIATE``, DDL is
transactional there) or a PostgreSQL transaction-level advisory lock.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: arbitrary constant: the advisory-lock id govreports migrations serialise on
_PG_LOCK_ID = 0x60F_2E90


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the database to ``revision``; return (before, after). A no-op when current."""
    head = head_revision() if revision == "head" else revision
    with engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE (see storage.engine)
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
        before = current_revision(conn)
        if before != head:
            command.upgrade(alembic_config(conn), revision)
        return before, head
