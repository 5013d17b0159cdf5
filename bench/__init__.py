"""Benchmarks: ``python -m bench`` runs every ``bench/<name>.py`` that exposes
``run(quick: bool = False) -> list[dict]`` (rows ``{"name", "value", "unit", "note"}``)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def per_item_ms(items: Sequence[T], fn: Callable[[T], object], rounds: int) -> float:
    """Median over rounds of the mean ms per item (one untimed warm-up round first)."""
    for item in items:
        fn(item)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for item in items:
            fn(item)
        samples.append((time.perf_counter() - start) * 1000 / len(items))
    return statistics.median(samples)
