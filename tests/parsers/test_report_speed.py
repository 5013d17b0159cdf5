"""build_record stays fast on real reports (target: well under 5 ms each on one core).

The bound asserted here is looser than the target because CI machines are
shared; the measured numbers are printed with ``-s`` and reported by the bench.
"""

from __future__ import annotations

import time
from pathlib import Path

from parsers.record import ExtractedDoc
from parsers.report import build_record

TEXTS = sorted((Path(__file__).resolve().parents[2] / "corpus" / "text").glob("*.txt"))


def test_corpus_reports_parse_in_a_few_milliseconds() -> None:
    docs = [ExtractedDoc(kind="text", text=p.read_text(encoding="utf-8")) for p in TEXTS]
    for doc in docs:  # warm up regex caches
        build_record(doc)
    rounds = 10
    best = float("inf")
    for _ in range(3):  # best of three: other processes share the machine
        start = time.perf_counter()
        for _ in range(rounds):
            for doc in docs:
                build_record(doc)
        best = min(best, (time.perf_counter() - start) / (rounds * len(docs)))
    print(f"build_record: {best * 1000:.2f} ms per report (mean over {len(docs)} corpus texts)")
    assert best < 0.015
