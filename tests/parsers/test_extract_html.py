"""HTML extraction on the real portal pages: fast-path container, DOM grids, metadata, attachments."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers import ParseError, extract
from parsers.html import extract_html, find_attachments


def _page(corpus_dir: Path, name: str) -> bytes:
    return (corpus_dir / "html" / name).read_bytes()


def test_2022_page_metadata_and_body(corpus_dir: Path) -> None:
    doc = extract(_page(corpus_dir, "pingtan_2022.html"), url="https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202302/t20230220_80629.htm")
    assert doc.kind == "html" and doc.encoding == "utf-8"
    assert doc.title == "平潭综合实验区2022年度政府信息公开工作年度报告"
    assert doc.published_at == "2023-02-20"
    assert doc.warnings == []  # the TRS_Editor fast path, not trafilatura
    lines = doc.text.splitlines()
    assert lines[0].startswith("本报告根据《中华人民共和国政府信息公开条例》")
    assert "一、总体情况" in lines and "六、其他需要报告的事项" in lines
    # site chrome stays out
    assert "省人大" not in doc.text and "网站地图" not in doc.text


def test_2022_tables_are_grids_not_flattened(corpus_dir: Path) -> None:
    doc = extract(_page(corpus_dir, "pingtan_2022.html"))
    # the flattened twin has "8855698"; the grid keeps 88 | 55 | 698 apart
    assert "行政规范性文件\t88\t55\t698" in doc.text.splitlines()
    assert "8855698" not in doc.text
    application = next(t for t in doc.tables if any("本年新收" in c for row in t for c in row))
    width = len(application[0])
    assert all(len(row) == width for row in application)  # rectangular
    new = next(row for row in application if row[0].startswith("一、本年新收"))
    assert new[-7:] == ["71", "3", "0", "0", "0", "0", "74"]
    # the rowspan label （三）不予公开 is repeated in each of its eight rows
    denied = [row for row in application if "（三）不予公开" in row]
    assert len(denied) == 8
    total = next(row for row in application if "（七）总计" in row)
    assert total[-7:] == ["72", "3", "0", "0", "0", "0", "75"]
    # each grid appears in the text in place, one tab-separated line per row
    for grid in doc.tables:
        for row in grid:
            assert "\t".join(row) in doc.text


def test_2013_county_page(corpus_dir: Path) -> None:
    doc = extract(_page(corpus_dir, "pingtan_2013_county.html"))
    assert doc.title == "平潭县人民政府2013年政府信息公开工作年度报告"
    assert doc.published_at == "2014-01-22"
    assert len(doc.tables) == 1
    assert "主动公开" in doc.text


def test_gbk_page_with_meta_only_charset() -> None:
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        "<title>某县2019年政府信息公开工作年度报告 - 某县人民政府</title></head><body>"
        '<div id="zoom"><p>一、总体情况</p><p>全年主动公开政府信息1234条，其中“镕”字为GBK扩展字。</p>'
        '<table><tr><td rowspan="2">行政复议</td><td>维持</td><td>总计</td></tr><tr><td>1</td><td>&nbsp;</td></tr></table>'
        "</div></body></html>"
    ).encode("gb18030")
    doc = extract(html)
    assert doc.encoding == "gb18030"
    assert doc.title == "某县2019年政府信息公开工作年度报告"
    assert "全年主动公开政府信息1234条" in doc.text
    assert doc.tables == [[["行政复议", "维持", "总计"], ["行政复议", "1", ""]]]


def test_fallback_to_trafilatura_without_container() -> None:
    body = "".join(f"<p>第{i}段：本机关依法主动公开政府信息，接受社会监督，推进政务公开工作。</p>" for i in range(12))
    html = f"<html><head><title>报告</title></head><body><nav><a href='/'>首页</a></nav><article>{body}</article><footer>版权所有</footer></body></html>"
    doc = extract_html(html)
    assert "第11段" in doc.text
    assert any("trafilatura" in w for w in doc.warnings)


def test_hostile_spans_and_nesting_are_bounded() -> None:
    deep = "<div>" * 5000 + "<p>正文内容足够长以便被识别为正文容器。" * 5 + "</div>" * 5000
    html = f'<div class="TRS_Editor">{deep}<table><tr><td colspan="100000">a</td><td rowspan="99999">b</td></tr></table></div>'
    doc = extract_html(html)
    assert "正文内容" in doc.text
    assert all(len(row) <= 64 for grid in doc.tables for row in grid)


def test_find_attachments_and_stub_page() -> None:
    html = """<html><body><div class="TRS_Editor"><p>附件：</p>
    <p><a href="./P020230220391842618532.pdf">2022年政府信息公开工作年度报告.pdf</a></p>
    <p><a href="/files/report.DOC?x=1">年报（Word）</a> <a href="index.html">返回</a></p>
    <iframe src="/generic2/web/viewer.html?file=/files/scan.pdf"></iframe></div></body></html>"""
    base = "https://www.example.gov.cn/zwgk/zfxxgknb/202302/t20230220_80629.htm"
    found = find_attachments(html, base)
    assert found == [
        ("https://www.example.gov.cn/zwgk/zfxxgknb/202302/P020230220391842618532.pdf", "2022年政府信息公开工作年度报告.pdf"),
        ("https://www.example.gov.cn/files/report.DOC?x=1", "年报（Word）"),
        ("https://www.example.gov.cn/files/scan.pdf", ""),
    ]
    doc = extract_html(html, url=base)
    assert any(w.startswith("attachment stub:") for w in doc.warnings)


def test_real_pages_have_no_stub_warning(corpus_dir: Path) -> None:
    for name in ("pingtan_2022.html", "pingtan_2013_county.html"):
        doc = extract(_page(corpus_dir, name))
        assert not any("stub" in w for w in doc.warnings)


def test_word_web_page_is_read_whole_without_trafilatura(corpus_dir: Path) -> None:
    """A .doc that is really Word's "save as web page" HTML: every layout section is kept
    (Word starts a new ``WordSectionN`` div at each page-orientation change) and the
    generic main-text heuristic is not used; it cost ~120 ms per such file and is for
    pages with site chrome, which a Word document has none of."""
    text = (corpus_dir / "text" / "chongqing_dadukou_2020.txt").read_text(encoding="utf-8")
    paragraphs = [line for line in text.splitlines() if line.strip()]
    half = len(paragraphs) // 2

    def section(n: int, lines: list[str]) -> str:
        return f"<div class=WordSection{n}>" + "".join(f"<p class=MsoNormal>{p}</p>" for p in lines) + "</div>"

    html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word">'
        '<head><meta http-equiv=Content-Type content="text/html; charset=gb2312">'
        '<meta name=Generator content="Microsoft Word 15"></head><body lang=ZH-CN>'
        + section(1, paragraphs[:half]) + section(2, paragraphs[half:]) + "</body></html>"
    )
    doc = extract(html.encode("gbk", errors="xmlcharrefreplace"), filename="2020年报.doc")
    assert doc.kind == "html"
    assert not any("trafilatura" in w for w in doc.warnings)
    assert paragraphs[0] in doc.text and paragraphs[-1] in doc.text  # both sections


def test_the_byte_prefilter_never_hides_a_linked_document(corpus_dir: Path) -> None:
    """``may_link_attachments`` lets the crawler skip decoding pages that link nothing; it
    must say yes for every page ``find_attachments`` finds a link on, in any encoding."""
    from parsers.html import may_link_attachments

    pages = [p.read_bytes() for p in sorted((corpus_dir / "html").glob("*.html"))]
    links = [
        '<a href="./P020230220604158215476.pdf">年报</a>',
        '<a href="/module/download/downfile.jsp?classid=0&filename=2017年报.PDF">下载</a>',
        '<a href="viewer.html?file=/u/2020.docx">查看</a>',
        '<iframe src="/files/report.WPS"></iframe>',
        '<a href="/u/统计表.xls">统计表</a>',
    ]
    for link in links:
        for enc in ("utf-8", "gbk", "utf-16"):
            pages.append(f"<html><body><p>附件：</p>{link}</body></html>".encode(enc))
    linked = 0
    for page in pages:
        for enc in ("utf-8", "gbk", "utf-16"):
            try:
                text = page.decode(enc)
            except UnicodeDecodeError:
                continue
            if find_attachments(text, "http://www.example.gov.cn/"):
                linked += 1
                assert may_link_attachments(page), page[:200]
            break
    assert linked >= len(links) * 3  # every generated page, in every encoding, was a real case
    assert not may_link_attachments("<html><body><p>本年度共收到申请89件。</p><a href='/xxgk/'>返回</a></body></html>".encode("gbk"))


def test_a_column_page_of_document_links_is_not_taken_for_a_stub() -> None:
    """A page with no content container that is a list of links to documents: stub
    detection says "not a stub" instead of raising the parser's not-a-report error (the
    crawler's batch must not fail on it; the parse stage records why it is no report)."""
    from parsers.html import scan_stub

    items = "".join(
        f'<p><a href="/xxgk/nb/P0{2015 + i}0301.pdf">某县{2015 + i}年政府信息公开工作年度报告</a></p>' for i in range(8)
    )
    page = f"<html><body><div class='list'>{items}</div></body></html>"
    with pytest.raises(ParseError, match="list of links"):
        extract_html(page, url="http://www.example.gov.cn/xxgk/nb/")
    scan = scan_stub(page, "http://www.example.gov.cn/xxgk/nb/")
    assert len(scan.attachments) == 8 and scan.body_chars is None
