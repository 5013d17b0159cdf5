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


def _rezip(data: bytes, change: dict[str, bytes | None]) -> bytes:
    """The package ``data`` with parts replaced (bytes), removed (None) or added."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in change:
                dst.writestr(info, src.read(info))
        for name, part in change.items():
            if part is not None:
                dst.writestr(name, part)
    return out.getvalue()


def test_title_comes_from_the_core_properties() -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "2023年政府信息公开工作年度报告"
    document.add_paragraph("一、总体情况")
    buf = io.BytesIO()
    document.save(buf)
    doc = extract(buf.getvalue(), filename="r.docx")
    assert doc.title == "2023年政府信息公开工作年度报告"
    assert doc.text == "一、总体情况"


def test_the_main_part_is_found_through_the_package_relationships() -> None:
    """Word names it word/document.xml; other writers may not, and the package says where it is."""
    import zipfile

    data = docx_from_text("一、总体情况\n本机关全年主动公开政府信息12条。")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        main = zf.read("word/document.xml")
        rels = zf.read("_rels/.rels").replace(b"word/document.xml", b"word/body1.xml")
        types = zf.read("[Content_Types].xml").replace(b"/word/document.xml", b"/word/body1.xml")
        doc_rels = zf.read("word/_rels/document.xml.rels")
    moved = _rezip(data, {"word/document.xml": None, "word/body1.xml": main, "_rels/.rels": rels,
                          "[Content_Types].xml": types, "word/_rels/document.xml.rels": None,
                          "word/_rels/body1.xml.rels": doc_rels})
    assert extract(moved, filename="r.docx").text.splitlines() == ["一、总体情况", "本机关全年主动公开政府信息12条。"]


def test_a_package_without_its_main_part_is_corrupt_and_says_which() -> None:
    import pytest

    from parsers.errors import ParseError

    data = _rezip(docx_from_text("一、总体情况"), {"word/document.xml": None})
    with pytest.raises(ParseError) as err:
        extract(data, filename="r.docx")
    assert err.value.kind == "corrupt" and "word/document.xml" in err.value.reason
