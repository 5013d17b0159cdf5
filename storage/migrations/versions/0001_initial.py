"""initial schema: catalog, documents, reports and children, versions, run history

Revision ID: 0001
Revises: 
Create Date: 2026-11-23

The whole schema of issue 6 (see storage/models.py for what each table holds),
plus the report_headline view: one row per report, headline stats as columns.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# frozen copy of storage.models.headline_view_sql() at this revision
HEADLINE_VIEW_SQL = """
CREATE VIEW report_headline AS
SELECT r.id AS report_id, r.source_key, r.url, r.title, r.year, r.agency, r.format, r.published_at, r.n_failed_checks,
  MAX(CASE WHEN s.key = 'proactive.total' THEN s.value END) AS proactive_total,
  MAX(CASE WHEN s.key = 'requests.received' THEN s.value END) AS requests_received,
  MAX(CASE WHEN s.key = 'requests.carried_over' THEN s.value END) AS requests_carried_over,
  MAX(CASE WHEN s.key = 'requests.granted' THEN s.value END) AS requests_granted,
  MAX(CASE WHEN s.key = 'requests.partially_granted' THEN s.value END) AS requests_partially_granted,
  MAX(CASE WHEN s.key = 'requests.denied' THEN s.value END) AS requests_denied,
  MAX(CASE WHEN s.key = 'requests.carried_forward' THEN s.value END) AS requests_carried_forward,
  MAX(CASE WHEN s.key = 'fees.total_yuan' THEN s.value END) AS fees_total_yuan,
  MAX(CASE WHEN s.key = 'review.total' THEN s.value END) AS review_total,
  MAX(CASE WHEN s.key = 'review.upheld' THEN s.value END) AS review_upheld,
  MAX(CASE WHEN s.key = 'review.corrected' THEN s.value END) AS review_corrected,
  MAX(CASE WHEN s.key = 'review.other' THEN s.value END) AS review_other,
  MAX(CASE WHEN s.key = 'review.pending' THEN s.value END) AS review_pending,
  MAX(CASE WHEN s.key = 'litigation.total' THEN s.value END) AS litigation_total,
  MAX(CASE WHEN s.key = 'staff.total' THEN s.value END) AS staff_total,
  MAX(CASE WHEN s.key = 'staff.full_time' THEN s.value END) AS staff_full_time,
  MAX(CASE WHEN s.key = 'staff.part_time' THEN s.value END) AS staff_part_time,
  MAX(CASE WHEN s.key = 'spending_wan' THEN s.value END) AS spending_wan
FROM reports r LEFT JOIN report_stats s ON s.report_id = r.id AND s.key IN ('proactive.total', 'requests.received', 'requests.carried_over', 'requests.granted', 'requests.partially_granted', 'requests.denied', 'requests.carried_forward', 'fees.total_yuan', 'review.total', 'review.upheld', 'review.corrected', 'review.other', 'review.pending', 'litigation.total', 'staff.total', 'staff.full_time', 'staff.part_time', 'spending_wan')
GROUP BY r.id, r.source_key, r.url, r.title, r.year, r.agency, r.format, r.published_at, r.n_failed_checks
"""


def upgrade() -> None:
    op.create_table('crawl_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(), nullable=False),
    sa.Column('source_key', sa.String(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(), nullable=False),
    sa.Column('discovered', sa.Integer(), nullable=False),
    sa.Column('fetched', sa.Integer(), nullable=False),
    sa.Column('new', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('blocked', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'source_key', name='uq_crawl_runs_run_source')
    )
    op.create_index('ix_crawl_runs_source_started', 'crawl_runs', ['source_key', 'started_at'])
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('final_url', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(), nullable=True),
    sa.Column('content_type', sa.String(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('archive_path', sa.Text(), nullable=True),
    sa.Column('etag', sa.String(), nullable=True),
    sa.Column('last_modified', sa.String(), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_fetched', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_changed', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error_kind', sa.String(), nullable=True),
    sa.Column('last_error_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_key', 'url', name='uq_documents_source_url')
    )
    op.create_index('ix_documents_sha256', 'documents', ['sha256'])
    op.create_table('fetch_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(), nullable=False),
    sa.Column('source_key', sa.String(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('bytes', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Float(), nullable=True),
    sa.Column('retries', sa.Integer(), nullable=False),
    sa.Column('error_kind', sa.String(), nullable=True),
    sa.Column('error_reason', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'url', 'at', name='uq_fetch_log_run_url_at')
    )
    op.create_index('ix_fetch_log_source_at', 'fetch_log', ['source_key', 'at'])
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('document_url', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(), nullable=True),
    sa.Column('format', sa.String(), nullable=False),
    sa.Column('published_at', sa.String(length=10), nullable=True),
    sa.Column('period_start', sa.String(length=10), nullable=True),
    sa.Column('period_end', sa.String(length=10), nullable=True),
    sa.Column('contact_address', sa.Text(), nullable=True),
    sa.Column('contact_postcode', sa.String(), nullable=True),
    sa.Column('contact_phone', sa.String(), nullable=True),
    sa.Column('contact_fax', sa.String(), nullable=True),
    sa.Column('contact_email', sa.String(), nullable=True),
    sa.Column('contact_website', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('n_stats', sa.Integer(), nullable=False),
    sa.Column('n_failed_checks', sa.Integer(), nullable=False),
    sa.Column('parser_version', sa.String(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('parsed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_changed', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_key', 'url', name='uq_reports_source_url')
    )
    op.create_index('ix_reports_document_sha256', 'reports', ['document_sha256'])
    op.create_index('ix_reports_year', 'reports', ['year'])
    op.create_table('sources',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('adapter', sa.String(), nullable=False),
    sa.Column('start_urls', sa.Text(), nullable=False),
    sa.Column('tags', sa.Text(), nullable=False),
    sa.Column('config', sa.Text(), nullable=False),
    sa.Column('in_catalog', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('report_checks',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('pos', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'pos'),
    sqlite_with_rowid=False
    )
    op.create_table('report_sections',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('pos', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(), nullable=False),
    sa.Column('heading', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'pos'),
    sqlite_with_rowid=False
    )
    op.create_table('report_stats',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('is_int', sa.Boolean(), nullable=False),
    sa.Column('pos', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'key'),
    sqlite_with_rowid=False
    )
    op.create_table('report_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('record', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('parser_version', sa.String(), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_report_versions_report', 'report_versions', ['report_id'])
    op.create_table('report_warnings',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('pos', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'pos'),
    sqlite_with_rowid=False
    )
    op.execute(HEADLINE_VIEW_SQL)


def downgrade() -> None:
    op.execute("DROP VIEW report_headline")
    op.drop_table('report_warnings')
    op.drop_index('ix_report_versions_report', table_name='report_versions')
    op.drop_table('report_versions')
    op.drop_table('report_stats')
    op.drop_table('report_sections')
    op.drop_table('report_checks')
    op.drop_table('sources')
    op.drop_index('ix_reports_year', table_name='reports')
    op.drop_index('ix_reports_document_sha256', table_name='reports')
    op.drop_table('reports')
    op.drop_index('ix_fetch_log_source_at', table_name='fetch_log')
    op.drop_table('fetch_log')
    op.drop_index('ix_documents_sha256', table_name='documents')
    op.drop_table('documents')
    op.drop_index('ix_crawl_runs_source_started', table_name='crawl_runs')
    op.drop_table('crawl_runs')
