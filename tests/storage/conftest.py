"""Storage fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL.

PostgreSQL isolation is one schema per test (``search_path`` set through the
libpq ``options`` parameter in the URL), dropped afterwards, so tests can run
in parallel (pytest-xdist) against the one server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from storage import Store


def _pg_schema_url(base: str) -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(base, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def store_url(db_url: str) -> Iterator[str]:
    """``db_url`` made private to this test (a fresh SQLite file or PostgreSQL schema)."""
    if db_url.startswith("sqlite"):
        yield db_url
    else:
        yield from _pg_schema_url(db_url)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    yield s
    s.close()
