"""Alembic, configured in code so it works from an installed package.

The script location is the ``storage/migrations`` directory found next to this
module (not the working directory), and the connection is passed in, so
``govreports db upgrade`` and ``Store(url)`` work from any directory.

Several processes may open a fresh database at once (a crawl fanning out), so
the upgrade runs under a lock: SQLite's write lock (``BEGIN IMMEDIATE``, DDL is
transactional there) or a PostgreSQL transaction-level advisory lock.

Opening a database that is already at ``HEAD`` reads ``alembic_version`` with plain SQL
and imports nothing from Alembic: that import was ~0.2 s of every crawl's start-up and a
seventh of a 1,000-report recrawl.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["HEAD", "alembic_config", "current_revision", "head_revision", "upgrade"]

#: the newest revision in ``migrations/versions`` (a test checks it against Alembic's view)
HEAD = "0007"

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: arbitrary constant: the advisory-lock id govreports migrations serialise on
_PG_LOCK_ID = 0x60F_2E90


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision recorded in ``alembic_version``; None for a database without one."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:  # branches: not ours, but let Alembic say what it means
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()
    return str(rows[0]) if rows else None


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the database to ``revision``; return (before, after). A no-op when current."""
    with engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE (see storage.engine)
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
        before = current_revision(conn)
        if revision == "head" and before == HEAD:
            return before, HEAD
        head = head_revision() if revision == "head" else revision
        if before != head:
            from alembic import command

            command.upgrade(alembic_config(conn), revision)
        return before, head
