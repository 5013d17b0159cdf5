"""Shared fixtures: the corpus, the schema, a real PostgreSQL when configured.

PostgreSQL tests need ``GOVREPORTS_TEST_PG_URL`` (``make pg`` starts a local
server and prints it). Without it they skip and say how to enable them; CI sets
``GOVREPORTS_REQUIRE_PG=1`` so that a missing server fails instead of skipping.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SCHEMA_PATH = ROOT / "spec" / "report.schema.json"

PG_HINT = (
    "PostgreSQL tests skipped: set GOVREPORTS_TEST_PG_URL "
    "(run `make pg` to start a local server and print the URL)"
)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def report_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("GOVREPORTS_TEST_PG_URL")
    if not url:
        if os.environ.get("GOVREPORTS_REQUIRE_PG"):
            pytest.fail("GOVREPORTS_REQUIRE_PG is set but GOVREPORTS_TEST_PG_URL is not")
        pytest.skip(PG_HINT)
    return url


@pytest.fixture
def tmp_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'govreports.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each storage test runs against a real SQLite file and a real PostgreSQL.

    The Postgres variant gets its own schema-free database state: the storage
    layer's ``reset_for_tests`` (when present) or a fresh database per test is
    the storage package's business; here we only hand out the URL.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'govreports.db'}"
    else:
        yield request.getfixturevalue("pg_url")
