"""Format detection from content, and the walls (challenge/login pages) the crawler must not store."""

from __future__ import annotations

from pathlib import Path

import pytest
from docgen import docx_from_text, pdf_from_text

from parsers.sniff import challenge_reason, is_challenge, sniff

#: the shape of a 瑞数 (Riversecurity) 412 page: a meta blob, an inline $_ts bootstrap, one external script
RUISHU_412 = """<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta id="9DhefwqGPrzGxEp9hPaoag" content="GtOJkKq1Ewf1jNnO3i5N9aQw0D3wY0GlQ4hQ" r='m'>
<script type="text/javascript" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=45318;$_ts.cd="qsxjrrAlDqEGrcAmoqqcrr";</script>
<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/d.FxJzG50F.dfe1675.js" r='m'></script>
</head><body></body></html>"""

JSL_PAGE = "<html><body><script>document.cookie='__jsl_clearance=1589;max-age=3600';location.reload();</script></body></html>"

LOGIN_PAGE = """<html><head><title>用户登录</title></head><body><form action="/login" method="post">
<label>用户名</label><input type="text" name="u"><label>密码</label><input type="password" name="p">
<button>登 录</button></form></body></html>"""


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
