"""``govreports sql`` goes through a connection the database keeps read-only."""

from __future__ import annotations

import pytest
from storage_helpers import dump_tables, make_item

from storage import StorageError, Store
from storage.query import CANNED_QUERIES, readonly_sql

WRITES = [
    "INSERT INTO sources (key, name, adapter, start_urls, tags, config, in_catalog, updated_at) "
    "VALUES ('x', 'x', 'trs', '[]', '[]', '{}', TRUE, '2024-01-01')",
    "UPDATE reports SET year = 1999",
    "DELETE FROM report_stats",
    "DROP TABLE report_warnings",
    "CREATE TABLE evil (x INTEGER)",
]
SQLITE_ONLY = [
    "ATTACH DATABASE 'attached.db' AS other",
    "PRAGMA query_only=OFF",
    "PRAGMA journal_mode=DELETE",
]
PG_ONLY = [
    "SET TRANSACTION READ WRITE",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
]


@pytest.fixture
def filled(store_url: str) -> str:
    with Store(store_url) as store:
        store.upsert_reports([make_item(i) for i in range(4)])
    return store_url


def test_select_works_and_returns_columns(filled: str) -> None:
    result = readonly_sql(filled, "SELECT year, requests_received FROM report_headline ORDER BY year")
    assert result.columns == ["year", "requests_received"]
    assert [r[0] for r in result.rows] == [2015, 2016, 2017, 2018]


def test_every_write_is_refused_by_the_database(filled: str, tmp_path: object) -> None:
    before = dump_tables(filled)
    extra = SQLITE_ONLY if filled.startswith("sqlite") else PG_ONLY
    for sql in WRITES + extra:
        with pytest.raises(StorageError, match=r"refused|read-only|not authorized|cannot"):
            result = readonly_sql(filled, sql)
            # PG: set_config succeeds but must not make the *current* transaction writable
            if "set_config" in sql:
                readonly_sql(filled, WRITES[1])
            raise AssertionError(f"not refused: {sql} -> {result}")
    assert dump_tables(filled) == before


def test_reading_pragmas_allowed_on_sqlite(filled: str) -> None:
    if not filled.startswith("sqlite"):
        pytest.skip("SQLite pragmas")
    assert readonly_sql(filled, "PRAGMA journal_mode").rows == [("wal",)]
    cols = readonly_sql(filled, "PRAGMA table_info(reports)").rows
    assert "title" in {c[1] for c in cols}


def test_canned_queries_run(filled: str) -> None:
    """On both engines; the Datasette metadata's own run is in test_browse.py."""
    from storage.browse import RESEARCH_QUERIES

    for name, q in {**CANNED_QUERIES, **RESEARCH_QUERIES}.items():
        sql = q["sql"].replace(":key", "'requests.received'")
        result = readonly_sql(filled, sql)
        assert result.columns, name
    per_year = readonly_sql(filled, CANNED_QUERIES["reports_per_year"]["sql"])
    assert sum(r[2] for r in per_year.rows) == 4
    failed = readonly_sql(filled, CANNED_QUERIES["failed_checks"]["sql"])
    assert {r[4] for r in failed.rows} == {"row_total.granted"}


def test_missing_sqlite_file_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(StorageError, match=r"nope\.db: database file does not exist"):
        readonly_sql(f"sqlite:///{tmp_path}/nope.db", "SELECT 1")
