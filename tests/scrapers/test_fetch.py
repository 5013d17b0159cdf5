"""fetch_report: stub pages follow their attachment, conditional requests, outcomes, archive."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from crawler_helpers import FAST_RETRY, make_source, public_resolver

from scrapers import Candidate, RawArchive, Validators, fetch_report, open_client

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

BASE = "http://www.example.gov.cn/xxgk/nb/"
PDF = b"%PDF-1.4\n" + b"1 0 obj <<>> endobj\n" * 50 + b"%%EOF\n"
STUB = (
    '<html><head><meta charset="utf-8"><title>某区2020年度政府信息公开工作年度报告</title></head><body>'
    '<div class="TRS_Editor"><p>附件：<a href="./P020210301.pdf">某区2020年度政府信息公开工作年度报告.pdf</a></p>'
    '<p><a href="./table.xls">统计表.xls</a></p></div></body></html>'
).encode()


def _cand(url: str) -> Candidate:
    return Candidate(url=url, title="某区2020年度政府信息公开工作年度报告", year=2020, published_at=None,
                     list_url=BASE, source_key="t")


async def test_stub_page_fetches_its_attachment(settings) -> None:  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(".pdf"):
            return httpx.Response(200, content=PDF, headers={
                "content-type": "application/pdf",
                "content-disposition": 'attachment; filename="../../etc/passwd\\x00.pdf"',
                "etag": '"pdf-1"'})
        return httpx.Response(200, content=STUB, headers={"content-type": "text/html; charset=utf-8"})

    async with open_client(make_source(BASE), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver, retry=FAST_RETRY) as c:
        rep = await fetch_report(c, _cand(BASE + "202103/t1.html"))
    assert rep.outcome == "new" and rep.attachment is not None
    doc = rep.document
    assert doc is rep.attachment and doc.url == BASE + "202103/P020210301.pdf"
    assert doc.body == PDF and doc.etag == '"pdf-1"' and doc.content_type == "application/pdf"
    assert doc.filename is not None and "/" not in doc.filename and ".." not in doc.filename
    assert RawArchive(settings.archive).get(doc.sha256) == PDF
    assert Path(doc.archive_path).is_relative_to(Path(settings.archive).resolve()) or \
        Path(doc.archive_path).is_relative_to(Path(settings.archive))
    assert rep.page.outcome == "new" and rep.page.role == "page"
    assert [e.role for e in c.log] == ["page", "attachment"]


async def test_full_page_is_the_report_itself(settings, corpus_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page = (corpus_dir / "html" / "pingtan_2022.html").read_bytes()  # has a PDF viewer tab but a full body

    def handler(request: httpx.Request) -> httpx.Response:
        assert not request.url.path.endswith(".pdf"), "full pages must not fetch their attachment"
        return httpx.Response(200, content=page, headers={"content-type": "text/html"})

    async with open_client(make_source(BASE), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver) as c:
        rep = await fetch_report(c, _cand(BASE + "t.htm"))
    assert rep.attachment is None and rep.document.body == page and rep.outcome == "new"


async def test_recrawl_sends_validators_and_reports_unchanged(settings) -> None:  # type: ignore[no-untyped-def]
    body = b"<html><body><div class='TRS_Editor'>" + "正文".encode() * 500 + b"</div></body></html>"
    seen_headers: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen_headers.append(request.headers)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"etag": '"v1"'})
        return httpx.Response(200, content=body, headers={"etag": '"v1"', "last-modified":
                                                          "Wed, 01 Jan 2025 00:00:00 GMT"})

    url = BASE + "t.html"
    async with open_client(make_source(BASE), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver) as c:
        first = await fetch_report(c, _cand(url))
        v = Validators(etag=first.page.etag, last_modified=first.page.last_modified, sha256=first.page.sha256)
        second = await fetch_report(c, _cand(url), {url: v})
        # No ETag support on the server's side: the same bytes still count as unchanged.
        third = await fetch_report(c, _cand(url), {url: Validators(sha256=first.page.sha256)})
        changed = await fetch_report(c, _cand(url), {url: Validators(sha256="0" * 64)})
    assert first.outcome == "new"
    assert seen_headers[1]["if-none-match"] == '"v1"'
    assert seen_headers[1]["if-modified-since"] == "Wed, 01 Jan 2025 00:00:00 GMT"
    assert second.outcome == "unchanged" and second.page.status == 304 and second.page.body is None
    assert second.page.sha256 == first.page.sha256
    assert third.outcome == "unchanged" and changed.outcome == "changed"
    assert c.log[1].outcome == "unchanged"


async def test_a_304_stub_whose_report_is_not_stored_is_read_back_from_the_archive(settings) -> None:  # type: ignore[no-untyped-def]
    """A retry of a run that died after fetching: the stub page answers 304, its body comes
    from the raw archive (it names the attachment), and the attachment answers 304 too.
    When the archive has lost the page, it is asked for again without validators."""
    requests: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append((request.url.path, request.headers.get("if-none-match")))
        tag = '"pdf-1"' if request.url.path.endswith(".pdf") else '"page-1"'
        if request.headers.get("if-none-match") == tag:
            return httpx.Response(304, headers={"etag": tag})
        if request.url.path.endswith(".pdf"):
            return httpx.Response(200, content=PDF, headers={"content-type": "application/pdf", "etag": tag})
        return httpx.Response(200, content=STUB, headers={"content-type": "text/html; charset=utf-8", "etag": tag})

    url = BASE + "202103/t1.html"
    async with open_client(make_source(BASE), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver) as c:
        first = await fetch_report(c, _cand(url))
        assert first.attachment is not None
        known = {d.url: Validators(etag=d.etag, sha256=d.sha256) for d in (first.page, first.attachment)}
        requests.clear()
        retry = await fetch_report(c, _cand(url), known, reread={url})
        assert [status for _path, status in requests] == ['"page-1"', '"pdf-1"']  # both conditional
        assert retry.page.outcome == "unchanged" and retry.page.body == STUB
        assert retry.attachment is not None and retry.attachment.outcome == "unchanged"
        assert retry.document.sha256 == first.attachment.sha256  # parsed from the archive
        # the archive lost the page: one unconditional request, and the bytes still compare equal
        Path(RawArchive(settings.archive).path_for(first.page.sha256 or "")).unlink()
        requests.clear()
        lost = await fetch_report(c, _cand(url), known, reread={url})
        assert requests[:2] == [("/xxgk/nb/202103/t1.html", '"page-1"'), ("/xxgk/nb/202103/t1.html", None)]
        assert lost.page.body == STUB and lost.page.outcome == "unchanged"
        # a page whose report is stored is not read back: a 304 stays bodiless
        done = await fetch_report(c, _cand(url), known)
        assert done.page.body is None and done.attachment is None


async def test_failures_are_outcomes_not_exceptions(settings) -> None:  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("gone.html"):
            return httpx.Response(404)
        if request.url.path.endswith("off.html"):
            return httpx.Response(302, headers={"location": "http://169.254.169.254/"})
        return httpx.Response(500)

    async with open_client(make_source(BASE), settings, transport=httpx.MockTransport(handler),
                           resolver=public_resolver, retry=FAST_RETRY) as c:
        gone = await fetch_report(c, _cand(BASE + "gone.html"))
        off = await fetch_report(c, _cand(BASE + "off.html"))
        storm = await fetch_report(c, _cand(BASE + "storm.html"))
    assert (gone.outcome, gone.error) == ("failed", "http: HTTP 404")
    assert off.outcome == "failed" and off.error is not None and off.error.startswith("refused")
    assert storm.outcome == "failed" and storm.page.retries == FAST_RETRY.max_attempts - 1
    assert [e.error is not None for e in c.log] == [True, True, True]
