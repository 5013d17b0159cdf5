"""Migrations: the migrated schema is the models' schema, upgrades are idempotent, Alembic needs no cwd."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from storage_helpers import make_item

from storage import Store
from storage.engine import make_engine
from storage.migrate import HEAD, current_revision, head_revision, upgrade
from storage.models import HEADLINE_KEYS, metadata


def test_migrated_schema_matches_models(store_url: str) -> None:
    engine = make_engine(store_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert diff == [], diff
        assert current_revision(conn) == head_revision()
        cols = {c["name"] for c in sa.inspect(conn).get_columns("report_headline")}
    assert {k.replace(".", "_") for k in HEADLINE_KEYS} <= cols
    engine.dispose()


def test_upgrade_twice_is_a_noop(store_url: str) -> None:
    engine = make_engine(store_url)
    before, after = upgrade(engine)
    assert before is None and after == head_revision()
    assert upgrade(engine) == (after, after)
    engine.dispose()


def test_the_recorded_head_is_alembics_head_and_an_open_at_head_needs_no_alembic(store_url: str) -> None:
    """``HEAD`` is what lets an up-to-date database open without importing Alembic; a new
    migration must move it (this test fails until it does)."""
    import subprocess
    import sys

    assert head_revision() == HEAD
    engine = make_engine(store_url)
    upgrade(engine)
    engine.dispose()
    code = (
        "import sys; from storage import Store; Store(sys.argv[1]).close(); "
        "print(sorted(m for m in sys.modules if m == 'alembic' or m.startswith('alembic.')))"
    )
    out = subprocess.run([sys.executable, "-c", code, store_url], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_store_works_from_another_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "deep" / "dir" / "g.db"
    with Store(f"sqlite:///{db}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    assert db.exists()
    assert not (Path(os.getcwd()) / "alembic.ini").exists()


def test_large_text_columns_use_lz4_on_postgresql(store_url: str) -> None:
    """Migration 0003: PostgreSQL compresses report text and kept versions with lz4 (cheaper than pglz)."""
    if store_url.startswith("sqlite"):
        pytest.skip("TOAST compression is PostgreSQL's")
    engine = make_engine(store_url)
    upgrade(engine)
    with engine.connect() as conn:
        if not conn.exec_driver_sql(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        ).scalar():
            pytest.skip("this PostgreSQL server was built without lz4")
        rows = conn.exec_driver_sql(
            "SELECT c.relname, a.attname, a.attcompression FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relnamespace = to_regnamespace(current_schema()) "
            "AND (c.relname, a.attname) IN (('reports', 'text'), ('report_sections', 'text'), "
            "('report_versions', 'record'), ('report_versions', 'text'))"
        ).all()
    engine.dispose()
    assert sorted((r[0], r[1], r[2]) for r in rows) == [
        ("report_sections", "text", "l"),
        ("report_versions", "record", "l"),
        ("report_versions", "text", "l"),
        ("reports", "text", "l"),
    ]


def test_opening_retries_the_locked_answers_the_busy_handler_does_not_cover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store opened while another process's last connection cleans up the WAL gets
    "database is locked" at once; opening retries instead of failing the crawl."""
    from sqlalchemy.exc import OperationalError

    from storage import StorageError, migrate

    real_upgrade = migrate.upgrade
    calls: list[int] = []

    def cleaning_up_elsewhere(engine: sa.Engine) -> object:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("PRAGMA page_size", {}, Exception("database is locked"))
        return real_upgrade(engine)

    monkeypatch.setattr(migrate, "upgrade", cleaning_up_elsewhere)
    with Store(f"sqlite:///{tmp_path / 'g.db'}") as store:
        assert store.upsert_reports([make_item(1)]).new == 1
    assert len(calls) == 3

    def broken(engine: sa.Engine) -> object:
        calls.append(1)
        raise OperationalError("SELECT 1", {}, Exception("disk I/O error"))

    calls.clear()
    monkeypatch.setattr(migrate, "upgrade", broken)
    with pytest.raises(StorageError, match="disk I/O error"):
        Store(f"sqlite:///{tmp_path / 'g.db'}")
    assert len(calls) == 1  # only the locked answer is retried
