"""Format detection from content, and the walls (challenge/login pages) the crawler must not store."""

from __future__ import annotations

from pathlib import Path

import pytest
from docgen import JSL_PAGE, LOGIN_PAGE, RUISHU_412, docx_from_text, pdf_from_text

from parsers.sniff import challenge_reason, is_challenge, sniff


def test_magic_bytes_win_over_names(corpus_dir: Path) -> None:
    html = (corpus_dir / "html" / "pingtan_2022.html").read_bytes()
    assert sniff(html, filename="report.pdf") == "html"
    pdf = pdf_from_text("一、总体情况\n测试")
    assert sniff(pdf, filename="t20230220_80629.htm", content_type="text/html") == "pdf"
    assert sniff(docx_from_text("一、总体情况"), filename="x.doc") == "docx"
    assert sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, filename="a.doc") == "doc"
    assert sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, filename="a.wps") == "wps"


def test_text_and_binary(corpus_dir: Path) -> None:
    for path in (corpus_dir / "text").glob("*.txt"):
        assert sniff(path.read_bytes(), filename=path.name) == "text", path.name
    assert sniff(path.read_text(encoding="utf-8").encode("gb18030")) == "text"
    assert sniff(bytes(range(256)) * 4) == "binary"
    assert sniff(b"{\\rtf1\\ansi hello}") == "rtf"


def test_gbk_html_without_doctype() -> None:
    page = "<meta charset=gbk><div class=TRS_Editor><p>政府信息公开工作年度报告</p></div>".encode("gb18030")
    assert sniff(page) == "html"


@pytest.mark.parametrize("page", [RUISHU_412, JSL_PAGE, LOGIN_PAGE])
def test_walls_are_recognised(page: str) -> None:
    assert is_challenge(page)
    reason = challenge_reason(page)
    assert reason is not None and reason.startswith("blocked:")


def test_real_report_pages_are_not_walls(corpus_dir: Path) -> None:
    # the real pages carry a 登录/注册 header and many scripts: still content
    for name in ("pingtan_2022.html", "pingtan_2013_county.html", "pingtan_list.html"):
        text = (corpus_dir / "html" / name).read_text(encoding="utf-8")
        assert not is_challenge(text), name
