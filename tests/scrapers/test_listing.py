"""List pages → items: URLs resolved as ``urljoin`` would, dates read where they are used."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urldefrag, urljoin

from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.decode import decode_bytes
from scrapers.listing import _Resolver, extract_items, to_candidates
from scrapers.titles import is_annual_report_title, may_be_report_title

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "html"

_PIECES = [
    "/",
    "//",
    ".",
    "..",
    "./",
    "../",
    "a",
    "b.htm",
    "?",
    "?x=1",
    "&",
    "#",
    "#f",
    ";p",
    " ",
    "\t",
    "\\",
    "%20",
    "%zz",
    "年报",
    "http://",
    "https://",
    "HTTP://",
    "ftp://",
    "h.gov.cn",
    ":8080",
    "@",
    "=",
    "javascript:",
    "mailto:",
    "t20240101_1.html",
]
_BASES = [
    "http://127.0.0.1:8000/zwgk/zfxxgknb/index.html",
    "https://www.pingtan.gov.cn/zfxxgk/nb/index_2.htm",
    "http://h.gov.cn",
    "http://h.gov.cn/a/b/",
    "http://h.gov.cn/a?x=1#f",
    "https://[::1]:8443/x/y.shtml",
]


@settings(max_examples=3000, deadline=None)
@given(base=st.sampled_from(_BASES), pieces=st.lists(st.sampled_from(_PIECES), max_size=7))
def test_fast_url_resolution_agrees_with_urljoin(base: str, pieces: list[str]) -> None:
    href = "".join(pieces)
    assert _Resolver(base)(href) == urldefrag(urljoin(base, href)).url


def test_the_usual_shapes_take_the_fast_path() -> None:
    resolve = _Resolver("http://127.0.0.1:8000/zwgk/zfxxgknb/index.html")
    assert resolve.origin == "http://127.0.0.1:8000"
    assert (
        resolve("/zwgk/zfxxgknb/202402/t20240201_1.html")
        == "http://127.0.0.1:8000/zwgk/zfxxgknb/202402/t20240201_1.html"
    )
    assert resolve("https://other.gov.cn/a.htm") == "https://other.gov.cn/a.htm"
    # relative paths and dot segments go through urljoin
    assert resolve("./202402/t1.html") == "http://127.0.0.1:8000/zwgk/zfxxgknb/202402/t1.html"
    assert resolve("../x/../y.htm#top") == "http://127.0.0.1:8000/zwgk/y.htm"


def test_a_real_list_page_gives_report_candidates_with_their_dates() -> None:
    raw = (CORPUS / "pingtan_list.html").read_bytes()
    text = decode_bytes(raw).text
    base = "https://www.pingtan.gov.cn/zfxxgk/zfxxgknb/index.htm"
    items = extract_items(text, base)
    assert len(items) == len({it.url for it in items}) > 20
    cands = list(to_candidates(items, list_url=base, source_key="pingtan"))
    assert cands and all(c.published_at for c in cands)
    # every item that can be a report carries its row's date; the rest are not read at all
    reports = [it for it in items if is_annual_report_title(it.title)]
    assert {c.url for c in cands} == {it.url for it in reports}
    assert all(it.published_at is None for it in items if not may_be_report_title(it.title))


@given(st.text(alphabet="年度报告政府信息公开工作 \t2024", max_size=20))
def test_may_be_report_title_is_necessary_for_is_annual_report_title(title: str) -> None:
    if is_annual_report_title(title):
        assert may_be_report_title(" ".join(title.split()))


def test_anchors_keep_http_in_any_case_and_drop_other_schemes() -> None:
    html = (
        '<ul><li><a href="HTTP://h.gov.cn/a.htm">A</a></li><li><a href="ftp://h.gov.cn/b">B</a></li>'
        '<li><a href="/c.htm">C</a></li><li><a href="javascript:void(0)">D</a></li></ul>'
    )
    urls = [it.url for it in extract_items(html, "http://h.gov.cn/list/index.htm")]
    assert urls == ["http://h.gov.cn/a.htm", "http://h.gov.cn/c.htm"]
