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
