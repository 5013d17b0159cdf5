"""agencies, reports.agency_id, cross_year_checks, the panel and panel_gaps views

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08

A report used to be an island: nothing said that 淮安市洪泽区人民政府 2023 and
洪泽区人民政府 2024 are one agency. ``agencies`` gives each agency a stable id,
``reports.agency_id`` points at it, ``cross_year_checks`` keeps the failed checks
between consecutive years, and two views serve researchers: ``panel`` (agency,
year, stats key, value, report) and ``panel_gaps`` (years missing between an
agency's first and last report).

Existing reports get their agency from the store's own rules (``storage.agency``,
a catalog pin in ``sources.config``) and their checks computed here, through the
same functions every later write uses, so an upgraded database and a fresh one
agree.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# frozen copies of storage.models.panel_view_sql() / gaps_view_sql() at this revision
PANEL_VIEW_SQL = """CREATE VIEW panel AS
SELECT r.agency_id, a.name AS agency, r.year, s.key, s.value, r.id AS report_id, r.format,
  (SELECT COUNT(*) FROM reports o WHERE o.agency_id = r.agency_id AND o.year = r.year) AS reports_in_year
FROM reports r CROSS JOIN report_stats s JOIN agencies a ON a.id = r.agency_id
WHERE s.report_id = r.id"""

GAPS_VIEW_SQL = """CREATE VIEW panel_gaps AS
WITH RECURSIVE span AS (
  SELECT agency_id, MIN(year) AS year, MAX(year) AS last FROM reports
  WHERE agency_id IS NOT NULL GROUP BY agency_id
  UNION ALL SELECT agency_id, year + 1, last FROM span WHERE year < last
)
SELECT s.agency_id, a.name AS agency, s.year FROM span s JOIN agencies a ON a.id = s.agency_id
WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.agency_id = s.agency_id AND r.year = s.year)"""


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.Text(), nullable=False, unique=True),
        sa.Column("name", sa.Text(), nullable=False),
    )
    # no foreign key: SQLite could then drop the column only by copying reports, whose
    # DROP cascades to report_versions; agencies are never deleted
    op.add_column("reports", sa.Column("agency_id", sa.Integer(), nullable=True))
    op.create_index("ix_reports_agency_year", "reports", ["agency_id", "year"])
    op.create_table(
        "cross_year_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "prev_report_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False
        ),
    )
    op.create_index("ix_cross_year_checks_agency", "cross_year_checks", ["agency_id", "year"])
    op.execute(PANEL_VIEW_SQL)
    op.execute(GAPS_VIEW_SQL)
    _backfill(op.get_bind())


def _backfill(conn: sa.engine.Connection) -> None:
    from storage.panel import reassign_reports

    reassign_reports(conn)


def downgrade() -> None:
    op.execute("DROP VIEW panel_gaps")
    op.execute("DROP VIEW panel")
    op.drop_index("ix_cross_year_checks_agency", "cross_year_checks")
    op.drop_table("cross_year_checks")
    op.drop_index("ix_reports_agency_year", "reports")
    op.drop_column("reports", "agency_id")  # SQLite ≥ 3.35: in place
    op.drop_table("agencies")
