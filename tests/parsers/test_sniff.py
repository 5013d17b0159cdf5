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


#: walls that count on a 200, some with their phrase broken across lines as pages do
_SURE_ON_200 = [
    RUISHU_412,
    JSL_PAGE,
    "<html><body><p>安全验证</p><p>请完成下方验证后继续访问</p></body></html>",
    "<html><body><h1>Access\n  Denied</h1></body></html>",
    "<html><body><noscript>Please enable\nJavaScript to view this page</noscript></body></html>",
    "<html><body><script>var _0xab12=['x'];</script></body></html>",
    "<html><body><script>document.cookie = 'acw_sc__v2=1'; location.reload();</script></body></html>",
]


@pytest.mark.parametrize("page", _SURE_ON_200)
def test_a_wall_that_counts_on_a_200_always_carries_one_of_the_marks(page: str) -> None:
    """``may_be_sure_wall`` lets the crawler skip the visible-text test on a 200: it may
    only say False for pages whose reason, if any, would not count there."""
    from parsers.sniff import may_be_sure_wall

    reason = challenge_reason(page)
    assert reason is not None and any(k in reason for k in ("$_ts", "cookie check", "verification")), reason
    assert may_be_sure_wall(page.encode())


def test_report_pages_carry_none_of_the_marks(corpus_dir: Path) -> None:
    from parsers.sniff import may_be_sure_wall

    for name in ("pingtan_2022.html", "pingtan_2013_county.html", "pingtan_list.html"):
        assert not may_be_sure_wall((corpus_dir / "html" / name).read_bytes()), name
