"""Every URL, from the catalog, a page or a redirect, is parsed and checked once (``scrapers.guard``):
a malformed one is a ``refused`` FetchError recorded in the fetch log, never an exception from
httpx, and the pages after it are fetched as usual."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from crawler_helpers import FAST_RETRY, make_source, public_resolver
from loopback import response, serve

from scrapers import FetchError, open_client
from scrapers.catalog import CatalogError, load_catalog
from scrapers.fetch import fetch_document
from scrapers.guard import UrlPolicy, normalise_host, parse_url, resolve_link

pytestmark = [pytest.mark.timeout(60)]

BASE = "http://www.example.gov.cn/xxgk/"

# -- the parser ----------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "why"), [
    ("http://www.example.gov.cn/a\tb.html", "control character"),
    ("http://www.example.gov.cn/a\r\nX-Injected: 1", "control character"),
    ("http://www.example.gov.cn/a\x00.pdf", "control character"),
    ("http://www.exa\nmple.gov.cn/", "control character"),
    ("data:text/html,<script>alert(1)</script>", "scheme 'data'"),
    ("javascript:alert(document.cookie)", "scheme 'javascript'"),
    ("JavaScript:void(0)", "scheme 'javascript'"),
    ("mailto:xxgk@example.gov.cn", "scheme 'mailto'"),
    ("http:canary", "no '//host'"),
    ("http:\\\\evil.example.com\\x", "backslash"),
    ("http://evil.example.com\\@www.example.gov.cn/", "backslash"),
    ("http://www.example.gov.cn :8080/a.html", "whitespace"),
    ("http://www.example.gov.cn\u3000/a.html", "whitespace"),
    ("http://www.example.gov.cn%20/a.html", "not a valid host name"),
    ("http://www.exa mple.gov.cn/", "whitespace"),
    ("http://www_example.gov.cn/", "not a valid host name"),
    ("http://-www.example.gov.cn/", "not a valid host name"),
    ("http://www..example.gov.cn/", "not a valid host name"),
    ("http://" + "a" * 64 + ".gov.cn/", "not a valid host name"),
    ("http://0x7f.0.0.1/", "dotted-quad"),
    ("http://127.1/", "dotted-quad"),
    ("http://2130706433/", "dotted-quad"),
    ("http://１２７.0.0.1/", "dotted-quad"),  # full-width digits: 127.0.0.1 after UTS #46
    ("http://[::1/", "IPv6"),
    ("http://[fe80::1%25eth0]/", "zone"),
    ("http://www.example.gov.cn:0/", "port"),
    ("http://www.example.gov.cn:65536/", "port"),
    ("http://www.example.gov.cn:8o/", "port"),
    ("http://user:pw@www.example.gov.cn/", "credentials"),
    ("//www.example.gov.cn/a.html", "no scheme"),
    ("/xxgk/a.html", "no scheme"),
    ("", "no scheme"),
    ("http://www.example.gov.cn/" + "a" * 9000, "longer than"),
])
def test_malformed_urls_are_refused_with_the_reason(url: str, why: str) -> None:
    with pytest.raises(FetchError) as ei:
        parse_url(url)
    assert ei.value.kind == "refused" and why in ei.value.reason
    assert ei.value.url.startswith(url[:200])


@pytest.mark.parametrize(("url", "host", "port", "sent"), [
    ("HTTP://WWW.Example.GOV.cn./xxgk/", "www.example.gov.cn", 80, "http://www.example.gov.cn/xxgk/"),
    ("https://www.example.gov.cn:443/a", "www.example.gov.cn", 443, "https://www.example.gov.cn/a"),
    ("http://www.example.gov.cn:/a", "www.example.gov.cn", 80, "http://www.example.gov.cn/a"),
    ("http://www.example.gov.cn:8080?q=1", "www.example.gov.cn", 8080, "http://www.example.gov.cn:8080/?q=1"),
    ("http://政府.中国/年报.pdf", "xn--mxtq1m.xn--fiqs8s", 80,
     "http://xn--mxtq1m.xn--fiqs8s/%E5%B9%B4%E6%8A%A5.pdf"),
    ("http://ＷＷＷ．example．gov．cn/", "www.example.gov.cn", 80, "http://www.example.gov.cn/"),
    ("http://www.example.gov.cn/upload\\2023\\r.pdf#p2", "www.example.gov.cn", 80,
     "http://www.example.gov.cn/upload/2023/r.pdf"),
    ("http://www.example.gov.cn/a b.html", "www.example.gov.cn", 80, "http://www.example.gov.cn/a%20b.html"),
    ("  http://www.example.gov.cn/a.html ", "www.example.gov.cn", 80, "http://www.example.gov.cn/a.html"),
    ("http://[2001:DB8::1]:8080/", "2001:db8::1", 8080, "http://[2001:db8::1]:8080/"),
    ("http://93.184.216.34/", "93.184.216.34", 80, "http://93.184.216.34/"),
])
def test_good_urls_are_normalised_once(url: str, host: str, port: int, sent: str) -> None:
    checked = parse_url(url)
    assert (checked.host, checked.port, checked.url) == (host, port, sent)
    assert parse_url(checked.url) == checked  # normalising twice changes nothing
    assert httpx.URL(checked.url).raw_host.decode("ascii") == host  # and httpx reads the same host


def test_the_allow_list_compares_normalised_hosts() -> None:
    policy = UrlPolicy(["WWW.Example.gov.cn.", "政府.中国", "bad host.cn"], allow_private=False)
    assert policy.check_static("http://www.example.gov.cn/").host == "www.example.gov.cn"
    assert policy.check_static("http://xn--mxtq1m.xn--fiqs8s/").host == "xn--mxtq1m.xn--fiqs8s"
    with pytest.raises(FetchError, match="whitespace"):
        policy.check_static("http://bad host.cn/")
    with pytest.raises(FetchError, match="not one of the source's hosts"):
        policy.check_static("http://www.example.gov.cn.evil.com/")
    assert normalise_host("[::FFFF:7f00:1]") == "::ffff:7f00:1"


@pytest.mark.parametrize(("link", "result"), [
    ("b.html", BASE + "b.html"),
    ("/x/y.pdf#page=2", "http://www.example.gov.cn/x/y.pdf"),
    ("https://cdn.example.gov.cn/r.pdf", "https://cdn.example.gov.cn/r.pdf"),
    ("http:canary", "http:canary"),  # absolute: parse_url refuses it, urljoin would not
])
def test_links_resolve_strictly(link: str, result: str) -> None:
    assert resolve_link(BASE + "a.html", link) == result


@pytest.mark.parametrize("link", ["/a\tb.html", "b\r\n.html", "\\\\evil.example.com\\x", "/\\evil.example.com"])
def test_links_with_controls_or_leading_backslashes_are_refused(link: str) -> None:
    with pytest.raises(FetchError) as ei:
        resolve_link(BASE + "a.html", link)
    assert ei.value.kind == "refused"


def test_a_catalog_start_url_the_crawler_would_refuse_is_a_catalog_error(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - {key: a, name: A, adapter: trs, start_urls: ['http://www.example.gov.cn :80/xxgk/']}\n"
        "  - {key: b, name: B, adapter: trs, start_urls: ['http://www.b.gov.cn/'], allowed_hosts: ['cdn b.gov.cn']}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as ei:
        load_catalog(path)
    problems = " | ".join(ei.value.problems)
    assert "sources[0].start_urls" in problems and "whitespace in the host part" in problems
    assert "sources[1].allowed_hosts" in problems and "'cdn b.gov.cn'" in problems


# -- through the client ----------------------------------------------------------------------

BAD_LINKS = [
    "http://www.example.gov.cn/xxgk/a\tb.html",
    "http://www.example.gov.cn/xxgk/a\r\n.html",
    "http://www.example.gov.cn/xxgk/a\x00.pdf",
    "http://www.example.gov.cn :8080/xxgk/a.html",
    "javascript:void(0)",
    "http:\\\\www.example.gov.cn\\xxgk\\a.html",
]


@pytest.mark.anyio
@pytest.mark.parametrize("link", BAD_LINKS)
async def test_a_bad_link_is_a_logged_refusal_and_nothing_is_sent(settings, link: str) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=b"ok")

    async with open_client(make_source(BASE), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver, retry=FAST_RETRY) as c:
        with pytest.raises(FetchError) as ei:
            await c.fetch(link)
        ok = await c.fetch(BASE + "b.html")
    assert ei.value.kind == "refused" and ei.value.url == link
    assert seen == [BASE + "b.html"] and ok.body == b"ok"
    assert c.log[0].url == link and c.log[0].error is not None and c.log[0].error.startswith("refused: ")


@pytest.mark.anyio
@pytest.mark.parametrize(("location", "why"), [
    ("data:text/html,hi", "scheme 'data'"),
    ("javascript:alert(1)", "scheme 'javascript'"),
    ("mailto:a@example.gov.cn", "scheme 'mailto'"),
    ("http:canary", "no '//host'"),
    ("http:\\\\www.example.gov.cn\\x", "backslash"),
    ("\\\\evil.example.com\\x", "backslash"),
    ("/xxgk/a\tb.html", "control character"),
    ("http://www.example.gov.cn :8080/", "whitespace"),
])
async def test_a_redirect_to_a_bad_url_is_refused_without_a_request(settings, location: str, why: str) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": location})

    async with open_client(make_source(BASE), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver, retry=FAST_RETRY) as c:
        with pytest.raises(FetchError) as ei:
            await c.fetch(BASE + "a.html")
    assert ei.value.kind == "refused" and why in ei.value.reason and ei.value.url == location
    assert seen == [BASE + "a.html"]
    assert c.log[-1].error is not None and c.log[-1].error.startswith("refused: ")


@pytest.mark.anyio
async def test_end_to_end_bad_links_and_redirects_fail_alone_on_a_real_server(settings) -> None:  # type: ignore[no-untyped-def]
    """The real transport on 127.0.0.1: every bad URL is a failed document with its reason,
    the server is never asked for it, and the good pages around it are fetched."""
    page = b"<html><body>2023\xe5\xb9\xb4\xe6\x8a\xa5</body></html>"
    routes = {
        "/good1.html": response(200, page, {"Content-Type": "text/html"}),
        "/good2.html": response(200, page, {"Content-Type": "text/html"}),
        "/to-js": response(302, headers={"Location": "javascript:alert(1)"}),
        "/to-canary": response(302, headers={"Location": "http:canary"}),
        "/to-backslash": response(302, headers={"Location": "http:\\\\127.0.0.1\\good1.html"}),
        "/to-tab": response(302, headers={"Location": "/good\t1.html"}),
    }
    async with serve(routes) as srv:
        routes["/to-space"] = response(302, headers={"Location": f"http://127.0.0.1 :{srv.port}/good1.html"})
        urls = [srv.base + "/good1.html", srv.base + "/to-js", srv.base + "/to-canary", srv.base + "/to-backslash",
                srv.base + "/to-tab", srv.base + "/to-space", srv.base + "/x\tgood1.html",
                f"http://127.0.0.1 :{srv.port}/good1.html", srv.base + "/good2.html"]
        async with open_client(make_source(srv.base + "/", allow_private=True), settings, retry=FAST_RETRY) as c:
            docs = [await fetch_document(c, u, "page") for u in urls]
    outcomes = [d.outcome for d in docs]
    assert outcomes == ["new", *["failed"] * 7, "new"]
    assert all(d.error and d.error.startswith("refused: ") for d in docs[1:-1])
    assert [e.error is None for e in c.log] == [True, *[False] * 7, True]
    assert srv.asked == ["/good1.html", "/to-js", "/to-canary", "/to-backslash", "/to-tab", "/to-space",
                         "/good2.html"]


@pytest.mark.anyio
@pytest.mark.parametrize("href", ["http://www.example.gov.cn :8080/P020210301.pdf", "http://evil.example.com/P020210301.pdf"])
async def test_a_stub_s_refused_attachment_is_in_the_fetch_log_and_the_page_is_kept(settings, href: str) -> None:  # type: ignore[no-untyped-def]
    from scrapers import Candidate, fetch_report

    stub = ('<html><head><meta charset="utf-8"><title>某区2020年度政府信息公开工作年度报告</title></head><body>'
            f'<div class="TRS_Editor"><p>附件：<a href="{href}">某区2020年度政府信息公开工作年度报告.pdf</a></p>'
            '</div></body></html>').encode()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=stub, headers={"content-type": "text/html; charset=utf-8"})

    cand = Candidate(url=BASE + "t1.html", title="某区2020年度政府信息公开工作年度报告", year=2020,
                     published_at=None, list_url=BASE, source_key="t")
    async with open_client(make_source(BASE), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver, retry=FAST_RETRY) as c:
        rep = await fetch_report(c, cand)
    assert rep.page.outcome == "new" and rep.attachment is not None and rep.attachment.outcome == "failed"
    assert rep.attachment.error is not None and rep.attachment.error.startswith("refused: ")
    assert [(e.role, (e.error or "").split(":")[0]) for e in c.log] == [("page", ""), ("attachment", "refused")]
    assert seen == [BASE + "t1.html"]
