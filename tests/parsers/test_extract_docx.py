"""DOCX extraction: paragraphs and tables in order, merged cells repeated, guards before parsing."""

from __future__ import annotations

import io
from pathlib import Path

from docgen import docx_from_text

from parsers import extract


def test_corpus_report_as_docx(corpus_dir: Path) -> None:
    source = (corpus_dir / "text" / "chongqing_dadukou_2020.txt").read_text(encoding="utf-8")
    doc = extract(docx_from_text(source, merge_labels=False), filename="report.docx")
    assert doc.kind == "docx"
    lines = doc.text.splitlines()
    assert lines.index("一、总体情况") < lines.index("二、主动公开政府信息情况")
    assert "行政许可\t696\t-32\t15718" in lines
    assert any(row[:4] == ["行政许可", "696", "-32", "15718"] for t in doc.tables for row in t)
    # tables sit in the text where they are in the document
    assert lines.index("行政许可\t696\t-32\t15718") < lines.index("三、收到和处理政府信息公开申请情况")


def test_merged_cells_are_repeated() -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("四、行政复议、行政诉讼情况")
    table = document.add_table(rows=3, cols=4)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "行政复议"
    table.cell(0, 2).merge(table.cell(0, 3)).text = "行政诉讼"
    table.cell(1, 0).text, table.cell(1, 1).text = "维持", "总计"
    table.cell(1, 2).merge(table.cell(2, 2)).text = "直接起诉"
    table.cell(1, 3).text = "总计"
    table.cell(2, 0).text, table.cell(2, 1).text, table.cell(2, 3).text = "1", "1", "2"
    buf = io.BytesIO()
    document.save(buf)
    doc = extract(buf.getvalue())
    assert doc.tables == [[
        ["行政复议", "行政复议", "行政诉讼", "行政诉讼"],
        ["维持", "总计", "直接起诉", "总计"],
        ["1", "1", "直接起诉", "2"],
    ]]
    assert doc.text.splitlines()[0] == "四、行政复议、行政诉讼情况"
