"""HTTP behaviour: conditional requests, gzip, robots, encodings, the index host."""

from __future__ import annotations

import gzip

import httpx
import yaml

from portalsim import Simulator
from scrapers.catalog import Catalog


def _report(sim: Simulator, index: int, body: str = "html"):  # type: ignore[no-untyped-def]
    return next(it for it in sim.site(index).items if it.is_report and it.body == body)


def test_etag_and_last_modified_give_304(sim: Simulator, client: httpx.Client) -> None:
    url = sim.base_url(1) + _report(sim, 1).path
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    entries = [e for e in sim.log if e["path"] == _report(sim, 1).path]
    assert [e["conditional"] for e in entries[-4:]] == [True, True, True, True]
    assert entries[-4]["status"] == 304


def test_gzip_only_when_accepted(sim: Simulator) -> None:
    url = sim.base_url(0) + "/zwgk/zfxxgk/zfxxgknb/index.html"
    raw = httpx.get(url, headers={"Accept-Encoding": "gzip"}, trust_env=False)
    assert raw.headers["content-encoding"] == "gzip"
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"}, trust_env=False)
    assert "content-encoding" not in plain.headers
    assert raw.content == plain.content  # httpx inflated the first one
    with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}, trust_env=False) as r:
        wire = b"".join(r.iter_raw())
    assert gzip.decompress(wire) == plain.content and len(wire) < len(plain.content)


def test_robots_disallows_internal_and_states_crawl_delay(sim: Simulator, client: httpx.Client) -> None:
    text = client.get(sim.base_url(0) + "/robots.txt").text
    assert "Disallow: /internal/" in text and "Crawl-delay:" in text
    trap = next(it for it in sim.site(0).items if it.trap == "robots")
    assert trap.path.startswith("/internal/")
    listing = client.get(sim.base_url(0) + "/zwgk/zfxxgk/zfxxgknb/index.html").content
    pages = [listing] + [client.get(sim.base_url(0) + f"/zwgk/zfxxgk/zfxxgknb/index_{p}.html").content for p in (1, 2)]
    assert any(trap.path.encode() in p for p in pages), "the disallowed page must be linked, or obeying is untested"


def test_gbk_sites_are_really_gbk(sim: Simulator, client: httpx.Client) -> None:
    for index, declared in ((0, True), (3, False)):
        item = _report(sim, index)
        r = client.get(sim.base_url(index) + item.path)
        assert r.headers["content-type"] == "text/html", "GBK sites send no charset in the header"
        assert (b"charset=gb2312" in r.content[:2000]) is declared
        text = r.content.decode("gbk")
        assert item.title in text
        try:
            r.content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise AssertionError("a GBK page must not also be valid UTF-8")
    r = client.get(sim.base_url(1) + _report(sim, 1).path)
    assert r.headers["content-type"] == "text/html; charset=utf-8"


def test_index_host_serves_truth_catalog_and_log(sim: Simulator, client: httpx.Client) -> None:
    idx = sim.index_url()
    assert "site3" in client.get(idx + "/").text
    truth = client.get(idx + "/_sim/truth.json").json()
    assert len(truth) == sum(len(s.items) for s in sim.sites())
    catalog = Catalog.model_validate(yaml.safe_load(client.get(idx + "/_sim/catalog.yaml").text))
    assert [s.adapter for s in catalog.sources] == ["trs", "hanweb", "jsonapi", "generic"]
    assert all(s.allow_private and s.start_urls[0].startswith("http://127.0.0.") for s in catalog.sources)
    assert client.get(sim.base_url(0) + "/robots.txt").status_code < 500  # site0 (127.0.0.2) has been asked something
    log = client.get(idx + "/_sim/log.json", params={"host": "127.0.0.2"}).json()
    assert log and {e["host"] for e in log} == {"127.0.0.2"}
    assert set(log[0]) >= {"time", "host", "method", "path", "status", "bytes", "conditional"}


def test_unknown_paths_are_404(sim: Simulator, client: httpx.Client) -> None:
    assert client.get(sim.base_url(0) + "/zwgk/zfxxgk/zfxxgknb/209901/t20990101_1.htm").status_code == 404
    assert client.get(sim.base_url(2) + "/gkmlpt/api/all/1?page=1").status_code == 404


def test_report_pages_carry_portal_chrome_and_word_markup_like_the_corpus(sim: Simulator, client: httpx.Client) -> None:
    """Real TRS report pages (corpus/html/pingtan_*.html) are mostly markup: a two-level menu,
    a footer of links to other government sites, inline scripts and Word-pasted paragraphs
    (one styled span per run). The simulator serves that weight, so a crawler or a reference
    pipeline benchmarked on it pays what a real portal costs, and the parser's container
    still keeps every bit of chrome out of the report text."""
    from parsers.decode import decode_bytes
    from parsers.html import extract_html

    item = _report(sim, 0)
    url = sim.base_url(0) + item.path
    page = client.get(url).content
    html = decode_bytes(page).text
    assert html.count("<a ") >= 60 and "out_links" in html and "MsoNormal" in html
    text = extract_html(html, url=url).text
    chrome = ("福州市政府网站", "网站地图", "走进本地", "热词", "windowRoot", "主办单位")
    assert not [c for c in chrome if c in text]
    assert len(page) > 2.5 * len(text.encode("utf-8")), (len(page), len(text))
