"""PDF extraction: layout text from pdfium character boxes, OCR flags, the bounded worker."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docgen import allocate, pdf_from_text, pdf_image_only, sleep_then_return

from parsers import ParseError, extract
from parsers.limits import Limits, run_isolated


def test_corpus_text_roundtrips_through_pdf(corpus_dir: Path) -> None:
    source = (corpus_dir / "text" / "chongqing_dadukou_2020.txt").read_text(encoding="utf-8")
    doc = extract(pdf_from_text(source), filename="report.pdf")
    assert doc.kind == "pdf"
    assert "一、总体情况" in doc.text and "五、存在的主要问题及改进情况" in doc.text
    # the 第二十条 tables are read by position: one tab-separated line per row, one cell per column
    row = next(line for line in doc.text.splitlines() if line.lstrip().startswith("行政许可"))
    assert row.split("\t") == ["行政许可", "696", "-32", "15718"]
    assert doc.table_source == "pdf-layout"
    # this generator prints long labels over the number columns, which no table can be read from by
    # position: that table is laid out as text, its cells apart by runs of spaces, and a warning says so
    assert any("printed over the table's cells; table read from its text lines" in w for w in doc.warnings)
    row = next(line for line in doc.text.splitlines() if line.startswith("一、本年新收"))
    assert re.split(r" {2,}", row.strip())[1:] == ["21", "0", "0", "0", "1", "0", "22"]


def test_the_per_character_path_reads_what_the_one_call_path_reads(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page whose text cannot be aligned with its character indices in one call (a
    character outside the BMP, one without Unicode) is read character by character; both
    paths must give the same page."""
    import parsers.pdf as pdf

    data = pdf_from_text((corpus_dir / "text" / "jiangsu_huaian_2024.pdf.txt").read_text(encoding="utf-8"))
    fast = pdf.pdf_pages(data, 100)
    calls: list[int] = []
    # records the call and answers None: "cannot align", so every character is asked for
    monkeypatch.setattr(pdf, "_page_unicode", lambda textpage, n, c: calls.append(n))
    slow = pdf.pdf_pages(data, 100)
    assert calls and fast[0] == "ok" and slow == fast
    assert "政府信息公开" in "".join(fast[1])


def test_image_only_pdf_without_text_is_refused_after_ocr() -> None:
    """Pictures of bars, no writing: OCR runs on every page, finds no text, the refusal stands."""
    with pytest.raises(ParseError) as info:
        extract(pdf_image_only(), filename="scan.pdf")
    assert info.value.kind == "no_text_layer"
    assert info.value.reason == "no text layer, and OCR found no text on its pages"
    assert str(info.value) == "scan.pdf: no text layer, and OCR found no text on its pages"


def test_page_cap() -> None:
    data = pdf_from_text("\n".join(f"第{i}页" + "\n" * 60 for i in range(4)))
    with pytest.raises(ParseError) as info:
        extract(data, limits=Limits(max_pdf_pages=2))
    assert info.value.kind == "too_large" and "pages" in info.value.reason


@pytest.mark.timeout(60)
def test_worker_timeout_kills_and_recovers() -> None:
    limits = Limits(timeout=0.5)
    with pytest.raises(ParseError) as info:
        run_isolated(sleep_then_return, 30.0, limits=limits, what="PDF")
    assert info.value.kind == "timeout"
    # the pool was replaced: the next document is parsed normally
    assert run_isolated(sleep_then_return, 0.0, limits=Limits(timeout=30), what="PDF") == "done"


@pytest.mark.timeout(60)
def test_worker_memory_cap() -> None:
    limits = Limits(memory_bytes=512 * 1024 * 1024, timeout=30)
    with pytest.raises(ParseError) as info:
        run_isolated(allocate, 1024, limits=limits, what="PDF")
    assert info.value.kind == "too_large"
    assert run_isolated(allocate, 16, limits=limits, what="PDF") == 16 * 1024 * 1024
