"""OCR benchmark: seconds per scanned A4 page on one core, and what the record gets right.

Input: ``corpus/scan/jiangsu_huaian_2024_scan.pdf`` (the published 淮安市 2024 PDF
rasterised at 170 dpi, skewed 0.4°, with grain; 6 pages). Each page goes through
``parsers.ocr.ocr_pdf_page`` in this process (render, detect, recognise, re-read lone
cells, find missed digits), pinned to one core, the engine loaded once before timing.
Two clocks: wall seconds, and the process's CPU seconds (what the page costs however
busy the machine is). Then the whole PDF through ``extract`` + ``build_record`` is
graded against ``corpus/expected/jiangsu_huaian_2024.pdf.json``.
Run alone: ``uv run python -m bench ocr``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCAN = ROOT / "corpus" / "scan" / "jiangsu_huaian_2024_scan.pdf"
EXPECTED = ROOT / "corpus" / "expected" / "jiangsu_huaian_2024.pdf.json"


def run(quick: bool = False) -> list[dict]:
    from bench.parsers import _pin_single_core
    from parsers import build_record, extract
    from parsers.limits import Limits
    from parsers.ocr import _engine, ocr_pdf_page

    pinned = _pin_single_core()
    data = SCAN.read_bytes()
    pages = [4] if quick else [1, 2, 3, 4, 5, 6]
    _engine()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for page in pages:
        result = ocr_pdf_page(data, page)
        assert not isinstance(result, str), result
    wall = (time.perf_counter() - wall0) / len(pages)
    cpu = (time.process_time() - cpu0) / len(pages)
    what = f"淮安 scan, {'page 4 (the table page)' if quick else '6 pages'}, {pinned}"
    rows = [
        {"name": "ocr: seconds per A4 page (wall)", "value": round(wall, 2), "unit": "s/page", "note": what},
        {"name": "ocr: seconds per A4 page (CPU)", "value": round(cpu, 2), "unit": "s/page", "note": what},
    ]
    if not quick:
        exp = json.loads(EXPECTED.read_text(encoding="utf-8"))
        rec = build_record(extract(data, filename=SCAN.name, limits=Limits(isolate=False)))
        want = {k: v for k, v in exp["stats"].items() if k not in set(exp.get("not_graded", []))}
        right = sum(1 for k, v in want.items() if rec.stats.get(k) == v)
        wrong = sum(1 for k, v in rec.stats.items() if k in want and v != want[k])
        alarms = {c.rule for c in rec.checks if not c.ok} - set(exp["failing_checks"])
        rows += [
            {"name": "ocr: scan fixture items right", "value": round(right / len(want), 4), "unit": "ratio",
             "note": f"{right} of {len(want)}; {wrong} in a wrong cell; {len(alarms)} false arithmetic alarms"},
        ]
    return rows
