"""A small simulated web shared by the portalsim tests (one server thread per module)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from portalsim import Simulator


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """Four sites (one per family), GBK with and without <meta>, a few faults."""
    s = Simulator(
        sites=4,
        reports_per_site=24,
        seed=7,
        families=["trs", "hanweb", "jsonapi", "generic"],
        encodings=["gbk-meta", "utf-8", "utf-8", "gbk-none"],
    )
    with s.running_in_thread(port=0):
        yield s


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, trust_env=False) as c:
        yield c
