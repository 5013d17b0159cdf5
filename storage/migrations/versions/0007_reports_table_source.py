"""reports.table_source: how a report's statistics tables were read

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-08

The record says whether its tables were read by position from a PDF
(``pdf-layout``), from HTML or Word table structure, from text lines or from OCR
(``spec/report-record.md``), so that a reader of the database can tell a reliable
row from a guessed one. Existing rows get NULL: they were parsed before the record
said so.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reports", sa.Column("table_source", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite >= 3.35): a batch copy of ``reports`` would break the views on it
    op.drop_column("reports", "table_source")
