"""PostgreSQL: large text columns compressed with lz4 instead of pglz

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Every report stores its extracted text (~18 KB for a full report) and every
kept version its record JSON and text; PostgreSQL compresses values that large
when it writes them (TOAST), by default with pglz. Measured on the test server,
pglz took ~0.25 ms per 18 KB value and lz4 ~0.09 ms, a server-side cost paid
on every new or changed report. lz4 compresses a little less. Only values
written from now on change; nothing is rewritten (the ALTER is catalog-only).

A no-op on SQLite, and on a PostgreSQL server built without lz4 (PostgreSQL 14+
lists it in ``default_toast_compression``'s allowed values when it has it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    ("reports", "text"),
    ("report_sections", "text"),
    ("report_versions", "record"),
    ("report_versions", "text"),
)


def _has_lz4() -> bool:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(
        sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
    ).scalar()
    return bool(found)


def upgrade() -> None:
    if _has_lz4():
        for table, column in COLUMNS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    if _has_lz4():
        for table, column in COLUMNS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION DEFAULT")
