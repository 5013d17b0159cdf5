"""Hanweb, jsonapi and generic discovery through httpx.MockTransport (the real paging shapes)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import httpx
import pytest
from crawler_helpers import make_source, public_resolver

from scrapers import discover, open_client

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

HOST = "http://www.example.gov.cn"
TITLES = [f"某局{y}年度政府信息公开工作年度报告" for y in range(2024, 2004, -1)] + [
    "某局2021年政务公开工作要点", "关于做好2020年度政府信息公开工作年度报告编制工作的通知"]


def _li(i: int, title: str) -> str:
    return (f'<li><a href="/art/2021/3/{i}/art_{i}.html" title="{title}">{title}</a>'
            f"<span>2021-03-{(i % 28) + 1:02d}</span></li>")


async def _run(source, settings, handler):  # type: ignore[no-untyped-def]
    async with open_client(source, settings, transport=httpx.MockTransport(handler), resolver=public_resolver) as c:
        return [x async for x in discover(source, c)], c.log


async def test_hanweb_inline_records_then_dataproxy_pages(settings) -> None:  # type: ignore[no-untyped-def]
    perpage = 5
    asked: list[dict[str, list[str]]] = []

    def records(lo: int, hi: int) -> str:
        return "".join(f"<record><![CDATA[{_li(i, TITLES[i])}]]></record>" for i in range(lo, min(hi, len(TITLES))))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/col/col1234/index.html":
            html = (f'<html><body><div id="1234"><script type="text/xml"><datastore><recordset>{records(0, perpage)}'
                    '</recordset></datastore></script></div><script>var pageConfig = {"columnid":"1234",'
                    f'"unitid":"5678","webid":"9","perpage":{perpage},"totalRecord":{len(TITLES)},'
                    '"proxyUrl":"/module/web/jpage/dataproxy.jsp"};</script></body></html>')
            return httpx.Response(200, text=html)
        if request.url.path == "/module/web/jpage/dataproxy.jsp":
            q = parse_qs(request.url.query.decode())
            asked.append(q)
            lo, hi = int(q["startrecord"][0]) - 1, int(q["endrecord"][0])
            xml = f"<datastore><totalrecord>{len(TITLES)}</totalrecord><recordset>{records(lo, hi)}</recordset></datastore>"
            return httpx.Response(200, text=xml, headers={"content-type": "text/xml"})
        return httpx.Response(404)

    cands, _ = await _run(make_source(HOST + "/col/col1234/index.html", "hanweb"), settings, handler)
    assert sorted(c.year for c in cands) == list(range(2005, 2025))
    assert asked[0]["columnid"] == ["1234"] and asked[0]["unitid"] == ["5678"] and asked[0]["webid"] == ["9"]
    assert [q["startrecord"][0] for q in asked] == ["1", "16"]  # three pages per request, 22 records
    assert all(c.url.startswith(HOST + "/art/") for c in cands)


async def test_jsonapi_gkmlpt_pages_until_total(settings) -> None:  # type: ignore[no-untyped-def]
    pages_asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/gkmlpt/annualreport":
            return httpx.Response(200, text='<script>window.GKMLPT_CONFIG = {"sid": "755", "column": 42, '
                                            '"api": "/gkmlpt/api/all/42"};</script>')
        if request.url.path == "/gkmlpt/api/all/42":
            page = int(request.url.params["page"])
            assert request.url.params["sid"] == "755"
            pages_asked.append(str(page))
            rows = [{"title": t, "url": f"{HOST}/gkmlpt/content/{i}.html", "first_publish_time": 1614556800}
                    for i, t in enumerate(TITLES)][(page - 1) * 10: page * 10]
            return httpx.Response(200, text=json.dumps({"total": len(TITLES), "page": page, "articles": rows}))
        return httpx.Response(404)

    cands, _ = await _run(make_source(HOST + "/gkmlpt/annualreport", "jsonapi"), settings, handler)
    assert pages_asked == ["1", "2", "3"]
    assert len(cands) == 20 and {c.published_at for c in cands} == {"2021-03-01"}


async def test_generic_sitemap_then_links_within_prefix_and_depth(settings) -> None:  # type: ignore[no-untyped-def]
    fetched: list[str] = []
    lists = {
        "/xxgk/nb/index.shtml": [(0, 6), "/xxgk/nb/index_2.shtml"],
        "/xxgk/nb/index_2.shtml": [(6, 12), "/xxgk/nb/index_3.shtml"],
        "/xxgk/nb/index_3.shtml": [(12, len(TITLES)), None],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        fetched.append(path)
        if path == "/sitemap.xml":
            return httpx.Response(200, text='<?xml version="1.0"?><urlset><url><loc>'
                                  f"{HOST}/xxgk/nb/index_3.shtml</loc></url><url><loc>{HOST}/xxgk/nb/extra.html"
                                  f"</loc></url><url><loc>{HOST}/other/x.html</loc></url></urlset>")
        if path == "/xxgk/nb/extra.html":
            return httpx.Response(200, text='<html><head><meta name="ArticleTitle" content="某局2004年度政府信息'
                                  '公开工作年度报告"><title>x</title></head></html>')
        if path in lists:
            (lo, hi), nxt = lists[path]
            items = "".join(f'<li><a href="/xxgk/nb/{i}.html" title="{TITLES[i]}">{TITLES[i]}</a></li>'
                            for i in range(lo, hi))
            nav = f'<a href="{nxt}">下一页</a>' if nxt else ""
            return httpx.Response(200, text=f'<html><body><a href="/other/">其他</a><ul>{items}</ul>{nav}</body></html>')
        return httpx.Response(404)

    cands, _ = await _run(make_source(HOST + "/xxgk/nb/index.shtml", "generic", max_depth=3), settings, handler)
    assert sorted(c.year for c in cands) == list(range(2004, 2025))
    assert "/other/" not in fetched and "/other/x.html" not in fetched  # outside the start path
    assert not any(p.endswith(tuple(f"/{i}.html" for i in range(30))) for p in fetched)  # no article walking
    shallow, _ = await _run(make_source(HOST + "/xxgk/nb/index.shtml", "generic", max_depth=0), settings, handler)
    # depth 0: only the start page and the sitemap's list page; the probe finds the unlinked report
    assert {c.year for c in shallow} >= set(range(2019, 2025))
