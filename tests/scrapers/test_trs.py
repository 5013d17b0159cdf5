"""TRS discovery against the real 平潭 list page (corpus), served through httpx.MockTransport."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from crawler_helpers import make_source, public_resolver

from scrapers import discover, open_client
from scrapers.adapters.trs import paging_urls

pytestmark = pytest.mark.anyio

COLUMN = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"


async def _discover(source, settings, handler):  # type: ignore[no-untyped-def]
    async with open_client(source, settings, transport=httpx.MockTransport(handler), resolver=public_resolver) as c:
        return [cand async for cand in discover(source, c)], c.log


@pytest.mark.timeout(30)
async def test_real_pingtan_list_page_yields_its_ten_reports(corpus_dir: Path, settings) -> None:  # type: ignore[no-untyped-def]
    page = (corpus_dir / "html" / "pingtan_list.html").read_bytes()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if str(request.url) == COLUMN:
            return httpx.Response(200, content=page, headers={"content-type": "text/html; charset=utf-8"})
        return httpx.Response(404)

    cands, log = await _discover(make_source(COLUMN), settings, handler)
    assert [c.year for c in cands] == list(range(2025, 2015, -1))
    assert all(c.title.endswith("政府信息公开工作年度报告") for c in cands)
    assert cands[3].url == COLUMN + "202302/t20230220_80629.htm"
    assert cands[3].published_at == "2023-02-20"
    assert all(c.list_url == COLUMN for c in cands)
    # Only the column page was requested: the dynamic list2.trsapi paging is not guessed at,
    # and navigation links like 「政府信息公开年报」 are not candidates.
    assert seen == [COLUMN]
    assert [e.status for e in log] == [200]


def test_create_page_html_both_conventions() -> None:
    html = '<script>createPageHTML(3, 0, "index", "html");</script>'
    assert paging_urls(html, COLUMN, max_pages=50) == [COLUMN + "index.html", COLUMN + "index_1.html",
                                                        COLUMN + "index_2.html"]
    html = "<script>createPageHTML('page_div', 4, 1, 'list', 'shtml', 57);</script>"
    assert paging_urls(html, COLUMN + "list.shtml", max_pages=3) == [
        COLUMN + "list.shtml", COLUMN + "list_1.shtml", COLUMN + "list_2.shtml"]


@pytest.mark.timeout(30)
async def test_trs_walks_index_n_pages_and_filters_titles(settings) -> None:  # type: ignore[no-untyped-def]
    base = "http://www.example.gov.cn/xxgk/nb/"

    def listing(n: int, items: list[tuple[str, str]]) -> bytes:
        rows = "".join(f'<li><a href="./{href}" title="{t}">{t}</a><span>2020-03-0{n + 1}</span></li>'
                       for href, t in items)
        return (f'<html><body><ul>{rows}</ul><a href="/xxgk/">政府信息公开年报</a>'
                f'<script>createPageHTML(3, {n}, "index", "html");</script></body></html>').encode()

    pages = {
        base: listing(0, [("202003/t1.html", "某区2019年度政府信息公开工作年度报告"),
                          ("202003/t2.html", "某区2020年政务公开工作要点")]),
        base + "index_1.html": listing(1, [("201903/t3.html", "某区2018年政府信息公开年报"),
                                           ("201903/t4.html", "关于报送2018年度政府信息公开工作年度报告的通知")]),
        base + "index_2.html": listing(2, [("201803/t5.html", "某区二〇一七年政府信息公开工作年度报告")]),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        body = pages.get(str(request.url))
        return httpx.Response(200, content=body) if body else httpx.Response(404)

    cands, _ = await _discover(make_source(base), settings, handler)
    assert [(c.year, c.url.rsplit("/", 1)[-1]) for c in cands] == [(2019, "t1.html"), (2018, "t3.html"),
                                                                   (2017, "t5.html")]
    assert cands[1].published_at == "2020-03-02"
