"""The pure record ⇄ row helpers: ``record_dict`` is ``to_dict`` exactly; ``diff_summary`` names what changed."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from parsers.record import Check, ExtractedDoc, Record
from parsers.report import build_record
from storage.rows import diff_summary, record_dict

CORPUS_TEXT = Path(__file__).resolve().parents[2] / "corpus" / "text"


def _corpus_records() -> list[Record]:
    return [
        build_record(ExtractedDoc(kind="text", text=p.read_text(encoding="utf-8")))
        for p in sorted(CORPUS_TEXT.glob("*.txt"))
    ]


@pytest.fixture(scope="module")
def corpus_records() -> list[Record]:
    records = _corpus_records()
    assert len(records) >= 8
    return records


def test_record_dict_is_to_dict_for_every_corpus_report(corpus_records: list[Record]) -> None:
    for record in corpus_records:
        fast = record_dict(record)
        assert fast == record.to_dict()
        # same key order and number types, so the stored JSON is byte-identical
        assert json.dumps(fast, ensure_ascii=False) == json.dumps(record.to_dict(), ensure_ascii=False)


def test_record_dict_does_not_share_mutable_parts(corpus_records: list[Record]) -> None:
    record = copy.deepcopy(corpus_records[-1])
    out = record_dict(record)
    out["stats"]["proactive.total"] = -1
    out["warnings"].append("x")
    out["contact"]["phone"] = "x"
    assert record.stats.get("proactive.total") != -1
    assert "x" not in record.warnings
    assert record.contact.phone != "x"


def test_diff_summary_names_the_changed_parts(corpus_records: list[Record]) -> None:
    old = max(corpus_records, key=lambda r: len(r.stats))
    same = copy.deepcopy(old)
    assert diff_summary(old, same, "t", "t") == "changed: record"

    new = copy.deepcopy(old)
    keys = sorted(new.stats)
    for k in keys[:7]:
        new.stats[k] = new.stats[k] + 1
    new.checks.append(Check("extra", False, "added"))
    summary = diff_summary(old, new, "t", "t2")
    assert summary == f"changed: stats: {', '.join(keys[:5])} (+2 more); checks; text"

    retyped = copy.deepcopy(old)
    k = next(k for k, v in retyped.stats.items() if isinstance(v, int))
    retyped.stats[k] = float(retyped.stats[k])  # 3 -> 3.0: equal values, different record
    assert diff_summary(old, retyped, "t", "t") == "changed: stats: order/number type"

    reordered = copy.deepcopy(old)
    reordered.stats = dict(reversed(list(old.stats.items())))
    reordered.contact.phone = "010-00000000"
    assert diff_summary(old, reordered, "t", "t") == "changed: contact; stats: order/number type"
