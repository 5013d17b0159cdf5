"""Fixtures for the orchestration tests: ONE Prefect test server for the session, a
simulated web, and a catalog + settings pointing a crawl at it.

Prefect's test harness starts a temporary API server on loopback with its own SQLite
database (10-20 s here, so once per session and only for tests that ask for it).
PREFECT_HOME goes to a temporary directory before any ``flows`` import, so tests never
touch the user's ``data/prefect``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="govreports-prefect-home-"))
os.environ.pop("PREFECT_API_URL", None)

import flows  # noqa: F401  (pins the no-phone-home settings)


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """A session-wide Prefect API (``prefect_test_harness``) for tests that run flows."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="module")
def sim_web() -> Iterator[tuple[Any, int]]:
    """Four simulated portals, one per CMS family, GBK and UTF-8, a flaky one and a blocked one."""
    from portalsim import Simulator

    sim = Simulator(
        sites=4,
        reports_per_site=12,
        seed=11,
        families=["trs", "hanweb", "jsonapi", "generic"],
        encodings=["gbk-meta", "utf-8", "utf-8", "gbk-none"],
        faults={"site1": "http503:0.2", "site3": "antibot"},
    )
    with sim.running_in_thread(port=0) as port:
        yield sim, port


def write_catalog(sim: Any, port: int, path: Path) -> Path:
    path.write_text(sim.catalog_yaml(port), encoding="utf-8")
    return path


@pytest.fixture
def crawl_env(sim_web: tuple[Any, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A catalog of the simulated web, a fresh SQLite database and raw archive, via GOVREPORTS_* env."""
    sim, port = sim_web
    catalog = write_catalog(sim, port, tmp_path / "sources.yaml")
    db = f"sqlite:///{tmp_path / 'govreports.db'}"
    monkeypatch.setenv("GOVREPORTS_ARCHIVE", str(tmp_path / "raw"))
    monkeypatch.setenv("GOVREPORTS_SOURCES", str(catalog))
    monkeypatch.setenv("GOVREPORTS_DB", db)
    return {"sim": sim, "port": port, "catalog": catalog, "db": db, "tmp": tmp_path}
