"""Report-parser benchmark: build_record cost per report, and agreement with the expected records.

Only the text → Record step (``parsers.report.build_record``), on the corpus
texts, per format; extraction costs are in ``bench.parsers``. Agreement is the
share of graded expected stats keys whose value the parser reproduces exactly,
and of the graded fields (title, year, agency, format, period, contact,
section headings, failing checks).
Run alone: ``uv run python -m bench.records``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench import per_item_ms

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def _ms_per_report(docs: list, rounds: int) -> float:
    from parsers.report import build_record

    return per_item_ms(docs, build_record, rounds)


def run(quick: bool = False) -> list[dict]:
    from parsers.record import ExtractedDoc
    from parsers.report import build_record

    rounds = 5 if quick else 30
    by_format: dict[str, list[ExtractedDoc]] = {}
    stats_ok = stats_total = fields_ok = fields_total = 0
    for exp_path in sorted((CORPUS / "expected").glob("*.json")):
        exp = json.loads(exp_path.read_text(encoding="utf-8"))
        doc = ExtractedDoc(kind="text", text=(CORPUS / "text" / f"{exp_path.stem}.txt").read_text(encoding="utf-8"))
        by_format.setdefault(exp["format"], []).append(doc)
        rec = build_record(doc)
        skip = set(exp.get("not_graded", []))
        for key, value in exp["stats"].items():
            if key not in skip:
                stats_total += 1
                stats_ok += rec.stats.get(key) == value
        checks = [
            exp["title"] is None or re.sub(r"\s+", "", rec.title) == re.sub(r"\s+", "", exp["title"]),
            rec.year == exp["year"], rec.agency == exp["agency"], rec.format == exp["format"],
            (rec.period_start, rec.period_end) == (exp["period_start"], exp["period_end"]),
            [s.heading for s in rec.sections] == exp["section_headings"],
            {c.rule for c in rec.checks if not c.ok} == set(exp["failing_checks"]),
            *(getattr(rec.contact, k) == v for k, v in exp["contact"].items()),
        ]
        fields_total += len(checks)
        fields_ok += sum(checks)
    rows = []
    all_docs = [d for docs in by_format.values() for d in docs]
    rows.append({"name": "build_record.text", "value": round(_ms_per_report(all_docs, rounds), 3),
                 "unit": "ms/report", "note": f"{len(all_docs)} corpus texts, text → Record only; target < 5"})
    for fmt, docs in sorted(by_format.items()):
        rows.append({"name": f"build_record.{fmt}", "value": round(_ms_per_report(docs, rounds), 3),
                     "unit": "ms/report", "note": f"{len(docs)} corpus texts in the {fmt} format"})
    rows.append({"name": "records.stats_agreement", "value": round(stats_ok / stats_total, 4), "unit": "ratio",
                 "note": f"{stats_ok}/{stats_total} graded expected stats keys reproduced exactly"})
    rows.append({"name": "records.field_agreement", "value": round(fields_ok / fields_total, 4), "unit": "ratio",
                 "note": f"{fields_ok}/{fields_total} graded fields (title…contact, headings, failing checks)"})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:28s} {row['value']:>10} {row['unit']:10s} {row['note']}")
