"""Statistics tables in PDFs laid out as real ones are, read by position (classes 1–3 of issue 21).

Each fixture is a real PDF (reportlab, ``docgen.pdf_report_2021``) carrying the 淮安市 2024
numbers: the merged cells 三、本年度办理结果 and （三）不予公开 … printed one character per
line (on the row labels' baselines, or between them), row labels wrapped with their
numbers on the first, middle or last line, with and without ruling lines, and with
blank cells in the application table and in the 15-cell review/litigation row.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from docgen import APP_ROWS_2021, REVIEW_KEYS, pdf_report_2021

from parsers import extract
from parsers.report import build_record

EXPECTED = json.loads(
    (Path(__file__).resolve().parents[2] / "corpus" / "expected" / "jiangsu_huaian_2024.pdf.json").read_text("utf-8"))
TABLE_KEYS = {k: v for k, v in EXPECTED["stats"].items() if k.startswith("requests.table.") or k in REVIEW_KEYS}
BLANKS = ("review.corrected", "litigation.direct.other", "litigation.after_review.pending",
          "requests.table.granted.research", "requests.table.total.social_welfare")


@pytest.mark.parametrize(("rules", "number_line", "vertical", "blanks"), list(itertools.product(
    (True, False), ("first", "middle", "last"), ("baseline", "spread"), (False, True))))
def test_table_cells_land_in_their_rows_and_columns(rules: bool, number_line: str, vertical: str, blanks: bool) -> None:
    stats = {k: v for k, v in TABLE_KEYS.items() if not (blanks and k in BLANKS)}
    pdf = pdf_report_2021(stats, rules=rules, number_line=number_line, vertical_step=vertical)
    rec = build_record(extract(pdf, filename="report.pdf"))
    assert rec.table_source == "pdf-layout"
    got = {k: v for k, v in rec.stats.items() if k in TABLE_KEYS}
    assert got == stats  # a blank cell is absent, never 0 and never a neighbour's number
    assert not [w for w in rec.warnings if w.startswith("page ")]
    assert len(APP_ROWS_2021) == 25  # the 2021 application table: 25 rows


def test_group_label_is_not_part_of_any_row_label() -> None:
    """The vertical 三、本年度办理结果 is written once on its own line, not glued to the rows it spans."""
    doc = extract(pdf_report_2021(TABLE_KEYS, rules=False), filename="report.pdf")
    rows = [line for line in doc.text.splitlines() if "\t" in line]
    assert "1.属于国家秘密\t2\t0\t0\t0\t0\t0\t2" in rows
    assert all(not line.startswith(("办", "理", "结", "果", "本", "年", "度")) for line in rows)
    assert "72\t64\t178\t37\t351\t13\t4\t8\t1\t26\t12\t1\t1\t6\t20" in rows
