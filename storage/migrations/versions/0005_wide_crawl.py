"""crawl_runs history per attempt; robots.txt kept per origin; host leases

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08

A retried flow run (the UI's Retry) used to overwrite the failed attempt's rows, which
were keyed by the flow run id: now each attempt has its own ``run_id`` and the row
names its ``flow_run_id`` and ``attempt``. ``owner`` lets the next crawl mark rows of a
killed crawl ABANDONED; ``error`` keeps the reason. ``robots_txt`` keeps each origin's
robots.txt for its lifetime so that a crawl asks once per host, not once per source and
run. ``host_leases`` is the one per-host budget shared by every crawl process.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("flow_run_id", sa.String(), nullable=True))
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("owner", sa.String(), nullable=True))
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
    op.create_index("ix_crawl_runs_flow_run_id", "crawl_runs", ["flow_run_id"])
    # rows written before this revision were keyed by the flow run id
    op.execute("UPDATE crawl_runs SET flow_run_id = run_id")
    op.create_table(
        "robots_txt",
        sa.Column("origin", sa.String(), primary_key=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "host_leases",
        sa.Column("host", sa.String(), primary_key=True),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("until", sa.Float(), nullable=False),
        sa.Column("not_before", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("host_leases")
    op.drop_table("robots_txt")
    op.drop_index("ix_crawl_runs_flow_run_id", table_name="crawl_runs")
    with op.batch_alter_table("crawl_runs") as batch:
        for col in ("error", "owner", "attempt", "flow_run_id"):
            batch.drop_column(col)
