"""Fixtures for crawler tests; the helpers live in ``crawler_helpers``."""

from __future__ import annotations

from pathlib import Path

import pytest

from govreports.settings import Settings, get_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return get_settings(archive=str(tmp_path / "raw"), rate=0, obey_robots=False, max_bytes=1_000_000)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
