"""Fetching one report: its detail page, and the attachment when the page is only a stub.

``fetch_report`` is the one coroutine the pipeline calls per candidate. It never raises
for a bad URL or server: the outcome (new | changed | unchanged | failed | blocked) and
the error are in the returned ``FetchedReport``, and every request is in the client's
fetch log. Bodies go to the raw archive before the caller sees them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Container, Mapping
from email.message import Message
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from scrapers.archive import safe_filename
from scrapers.errors import FetchError
from scrapers.http import HttpResult, SourceClient
from scrapers.model import Candidate, FetchedDoc, FetchedReport, Validators

__all__ = ["STUB_MAX_CHARS", "fetch_document", "fetch_report", "pick_attachment"]

#: a detail page whose extracted body is shorter than this and links a document is a stub
STUB_MAX_CHARS = 400
_REPORT_EXT = (".pdf", ".docx", ".doc", ".wps")
_EXT_RANK = {".pdf": 0, ".docx": 1, ".doc": 2, ".wps": 3}
_HINT = re.compile(r"年度报告|年报|信息公开")


def _ext(url: str) -> str:
    """The report extension of a link: its path, or a download script's file parameter
    (Hanweb ``/module/download/downfile.jsp?filename=2017….pdf``)."""
    parts = urlsplit(url)
    names = [parts.path.lower()] + [v.lower() for _, v in parse_qsl(parts.query) if "." in v]
    for name in names:
        for ext in _REPORT_EXT:
            if name.endswith(ext):
                return ext
    return ""


def pick_attachment(links: list[tuple[str, str]], title: str = "") -> str | None:
    """The attachment most likely to be the report: report-ish link text, then PDF > DOCX > DOC > WPS."""
    usable = [(u, t) for u, t in links if _ext(u) or re.search(r"(?:^|/)P0\d+", urlsplit(u).path)]
    if not usable:
        return None

    def score(item: tuple[str, str]) -> tuple[int, int]:
        url, text = item
        hint = 0 if _HINT.search(text) or (title and text and text in title) else 1
        return hint, _EXT_RANK.get(_ext(url), 4)

    return min(usable, key=score)[0]


def _content_disposition_name(value: str | None) -> str | None:
    if not value:
        return None
    msg = Message()
    msg["content-disposition"] = value
    name = msg.get_filename()
    return str(name) if name else None


def _doc_from(result: HttpResult, role: Literal["page", "attachment"], client: SourceClient,
              known: Validators | None) -> FetchedDoc:
    doc = FetchedDoc(
        url=result.url,
        role=role,
        outcome="unchanged",
        final_url=result.final_url,
        status=result.status,
        content_type=result.content_type,
        charset=result.charset,
        etag=result.headers.get("etag"),
        last_modified=result.headers.get("last-modified"),
        duration_ms=result.duration_ms,
        retries=result.retries,
    )
    if role == "attachment":
        name = _content_disposition_name(result.headers.get("content-disposition"))
        doc.filename = safe_filename(name or urlsplit(result.final_url).path.rsplit("/", 1)[-1])
    if result.not_modified:
        if known is not None:
            doc.sha256 = known.sha256
            doc.etag = doc.etag or known.etag
            doc.last_modified = doc.last_modified or known.last_modified
        return doc
    sha, path = client.archive.put(result.body)
    doc.sha256, doc.archive_path, doc.bytes, doc.body = sha, str(path), len(result.body), result.body
    if known is None or not known.sha256:
        doc.outcome = "new"
    elif known.sha256 == sha:
        doc.outcome = "unchanged"
    else:
        doc.outcome = "changed"
    return doc


def _failed(url: str, role: Literal["page", "attachment"], exc: FetchError, started: float) -> FetchedDoc:
    return FetchedDoc(
        url=url,
        role=role,
        outcome="blocked" if exc.kind in ("blocked", "robots") else "failed",
        final_url=exc.url,
        status=exc.status,
        retries=exc.retries,
        duration_ms=(time.monotonic() - started) * 1000,
        error=exc.label,
    )


async def fetch_document(client: SourceClient, url: str, role: Literal["page", "attachment"],
                         validators: Mapping[str, Validators] | None = None, *,
                         conditional: bool = True) -> FetchedDoc:
    """One document with conditional headers from ``validators``; failures become outcomes.

    ``conditional=False`` asks unconditionally but still compares with what is known, so
    identical bytes are still ``unchanged``."""
    known = (validators or {}).get(url)
    started = time.monotonic()
    try:
        result = await client.fetch(url, role=role, validators=known if conditional else None)
    except FetchError as exc:
        return _failed(url, role, exc, started)
    return _doc_from(result, role, client, known)


def _is_html(doc: FetchedDoc) -> bool:
    ct = doc.content_type or ""
    if "html" in ct:
        return True
    head = (doc.body or b"")[:512].lstrip().lower()
    return not ct.startswith(("application/pdf", "application/msword", "application/vnd")) and (
        head.startswith((b"<!doctype html", b"<html", b"<head", b"<meta", b"<!--")) or b"<html" in head
    )


def stub_attachment(doc: FetchedDoc, title: str) -> str | None:
    """The attachment URL if ``doc`` is an HTML page whose body is only a link to it."""
    if doc.body is None or not _is_html(doc):
        return None
    from parsers.decode import decode_bytes
    from parsers.html import may_link_attachments, scan_stub

    if not may_link_attachments(doc.body):
        return None
    scan = scan_stub(decode_bytes(doc.body, doc.charset).text, doc.final_url or doc.url, short=STUB_MAX_CHARS)
    if not scan.attachments or scan.body_chars is None or scan.body_chars >= STUB_MAX_CHARS:
        return None
    return pick_attachment(scan.attachments, title)


async def fetch_report(client: SourceClient, candidate: Candidate,
                       validators: Mapping[str, Validators] | None = None, *,
                       reread: Container[str] = ()) -> FetchedReport:
    """Fetch a candidate's page and, for stub pages, its attachment (both recorded).

    ``validators`` maps URL → what the store has (ETag, Last-Modified, sha256): they turn
    into If-None-Match / If-Modified-Since, and a 304 or an unchanged sha256 makes the
    outcome ``unchanged`` so the caller skips parsing and writing. Never raises for
    network or server trouble.

    ``reread``: pages whose report is not stored yet (a run that died after fetching, a
    parse that failed). Their 304 still needs the body (only a stub's body names its
    attachment, and the page is parsed), so it is read back from the raw archive rather
    than downloaded again; if the archive lost it, the page is asked for unconditionally.
    """
    again = candidate.url in reread
    page = await _with_body(client, candidate.url, "page", validators, again)
    report = FetchedReport(candidate=candidate, page=page)
    if page.outcome in ("failed", "blocked") or page.body is None:
        return report
    target = stub_attachment(page, candidate.title)
    if target is None:
        return report
    # a refused attachment URL fails inside ``fetch`` like any other, so it is in the fetch log
    report.attachment = await _with_body(client, target, "attachment", validators, again)
    return report


async def _with_body(client: SourceClient, url: str, role: Literal["page", "attachment"],
                     validators: Mapping[str, Validators] | None, needed: bool) -> FetchedDoc:
    """``fetch_document``; when the body is ``needed`` (its report is to be parsed) and the
    answer was 304, the body comes from this crawl's raw archive, or, if the archive does not
    hold it (lost, or another process's archive stored it), from an unconditional request."""
    doc = await fetch_document(client, url, role, validators)
    if doc.outcome != "unchanged" or doc.body is not None or not needed:
        return doc
    body = client.archive.get_intact(doc.sha256)
    if body is None:
        return await fetch_document(client, url, role, validators, conditional=False)
    doc.body = body
    doc.archive_path = str(client.archive.path_for(doc.sha256 or ""))
    return doc
