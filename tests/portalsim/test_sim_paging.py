"""Every item a site lists is reachable through that family's own paging scheme."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import httpx

from parsers.decode import decode_bytes
from portalsim import Simulator


def _listed(sim: Simulator, index: int) -> set[str]:
    base = sim.base_url(index)
    return {base + it.path for it in sim.site(index).items}


def test_trs_index_pages_announced_by_createPageHTML(sim: Simulator, client: httpx.Client) -> None:
    root = sim.base_url(0) + "/zwgk/zfxxgk/zfxxgknb/"
    first = client.get(root + "index.html")
    assert first.status_code == 200
    text = decode_bytes(first.content, first.charset_encoding).text
    m = re.search(r'createPageHTML\((\d+), (\d+), "index", "html"\)', text)
    assert m, "page 1 must announce paging the TRS way"
    pages = int(m.group(1))
    assert pages == -(-len(sim.site(0).items) // sim.page_size) and m.group(2) == "0"
    found: set[str] = set()
    for p in range(pages):
        url = root + ("index.html" if p == 0 else f"index_{p}.html")
        page = client.get(url)
        assert page.status_code == 200, url
        body = decode_bytes(page.content).text
        assert f"createPageHTML({pages}, {p}, " in body
        found |= {urljoin(url, h) for h in re.findall(r'<dd[^>]*>\s*<a href="([^"]+)"', body)}
    assert client.get(root + f"index_{pages}.html").status_code == 404
    assert found == _listed(sim, 0)


def test_trs_detail_page_has_trs_metadata_and_editor_body(sim: Simulator, client: httpx.Client) -> None:
    site = sim.site(0)
    item = next(it for it in site.items if it.is_report and it.body == "html")
    assert re.fullmatch(r"/zwgk/zfxxgk/zfxxgknb/\d{6}/t\d{8}_\d+\.htm", item.path)
    r = client.get(sim.base_url(0) + item.path)
    html = decode_bytes(r.content).text
    assert f'<meta name="ArticleTitle" content="{item.title}"/>' in html
    assert f'<meta name="PubDate" content="{item.published:%Y-%m-%d %H:%M}"/>' in html
    assert '<meta name="ColumnName"' in html and "<div class=TRS_Editor>" in html
    if item.format != "legacy":
        assert 'class="MsoNormalTable"' in html and "rowspan=" in html and "&nbsp;" in html


def test_hanweb_first_page_inline_then_dataproxy(sim: Simulator, client: httpx.Client) -> None:
    site = sim.site(1)
    base = sim.base_url(1)
    first = client.get(base + f"/col/col{site.column}/index.html")
    assert first.status_code == 200
    inline = re.findall(r"<record><!\[CDATA\[\s*<li><a href=\"([^\"]+)\"", first.text)
    assert len(inline) == 15 and f'"columnid":"{site.column}"' in first.text
    found = {base + h for h in inline}
    total = None
    start = 16
    while total is None or start <= total:
        params = {"startrecord": start, "endrecord": start + 44, "perpage": 15}
        form = {"columnid": site.column, "unitid": site.column + 7, "webid": site.webid}
        r = client.post(base + "/module/web/jpage/dataproxy.jsp", params=params, data=form)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
        total = int(re.search(r"<totalrecord>(\d+)</totalrecord>", r.text).group(1))  # type: ignore[union-attr]
        found |= {base + h for h in re.findall(r'<li><a href="([^"]+)" target="_blank" title=', r.text)}
        start += 45
    assert total == len(site.items)
    assert found == _listed(sim, 1)
    # GET works too, and a wrong column answers an empty datastore
    r = client.get(base + "/module/web/jpage/dataproxy.jsp",
                   params={"startrecord": 1, "endrecord": 3, "perpage": 15, "columnid": site.column})
    assert r.text.count("<record>") == 3
    r = client.get(base + "/module/web/jpage/dataproxy.jsp", params={"startrecord": 1, "endrecord": 3, "columnid": 1})
    assert "<totalrecord>0</totalrecord>" in r.text
    item = next(it for it in site.items if it.is_report)
    assert re.fullmatch(rf"/art/\d{{4}}/\d{{1,2}}/\d{{1,2}}/art_{site.column}_\d+\.html", item.path)


def test_jsonapi_pages_until_empty(sim: Simulator, client: httpx.Client) -> None:
    site = sim.site(2)
    opts = sim.catalog()["sources"][2]["options"]
    found: set[str] = set()
    page = 1
    while True:
        r = client.get(opts["api_url"].format(page=page))
        assert r.status_code == 200
        data = r.json()
        assert data["total"] == len(site.items)
        if not data["articles"]:
            break
        for a in data["articles"]:
            assert set(a) >= {"title", "url", "first_publish_time"}
            found.add(a["url"])
        page += 1
    assert page - 1 == -(-len(site.items) // sim.page_size)
    assert found == _listed(sim, 2)
    assert client.get(sim.base_url(2) + "/gkmlpt/annualreport").status_code == 200


def test_generic_next_links_and_sitemap(sim: Simulator, client: httpx.Client) -> None:
    base = sim.base_url(3)
    url: str | None = base + "/xxgk/xxgknb/index.shtml"
    found: set[str] = set()
    seen_pages = 0
    while url:
        r = client.get(url)
        assert r.status_code == 200, url
        text = decode_bytes(r.content).text
        found |= {urljoin(url, h) for h in re.findall(r'<li><a href="([^"]+)" title=', text)}
        nxt = re.search(r'<a href="([^"]+)">下一页</a>', text)
        url = urljoin(url, nxt.group(1)) if nxt else None
        seen_pages += 1
    assert found == _listed(sim, 3) and seen_pages > 1
    sm = client.get(base + "/sitemap.xml")
    locs = set(re.findall(r"<loc>([^<]+)</loc>", sm.text))
    reports = {base + it.path for it in sim.site(3).items if it.is_report}
    assert reports <= locs
    assert not any("/internal/" in u for u in locs), "the sitemap must not list robots-disallowed pages"
    assert f"Sitemap: {base}/sitemap.xml" in client.get(base + "/robots.txt").text
