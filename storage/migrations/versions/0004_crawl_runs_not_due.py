"""crawl_runs.not_due: stored reports the revisit schedule left unfetched

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

A crawl no longer sends a conditional GET for every stored report: a report checked
recently and stable is left alone until the revisit schedule says it is due
(``scrapers.revisit``). Without a count of those, a run's row would show 50
discovered and nothing fetched, unchanged or failed. Existing rows get 0: before
this revision every stored report was fetched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("crawl_runs", sa.Column("not_due", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("not_due")
