"""Any other site: ``/sitemap.xml`` first, then link-following under the start URL's path.

Bounded three ways so a hostile or odd site cannot keep us busy: only pages under the start
URL's directory are followed, at most ``max_depth`` links deep, at most ``max_pages`` pages.
Candidates are anchors whose text is an annual-report title (on the source's hosts, any
path). Sitemap URLs under the prefix that no list page linked are probed for their page
title, within the same page budget.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import AsyncIterator
from urllib.parse import urljoin, urlsplit

from scrapers.catalog import Source
from scrapers.errors import FetchError
from scrapers.http import SourceClient
from scrapers.listing import ListItem, extract_items, iso_date, to_candidates
from scrapers.model import Candidate

__all__ = ["discover", "path_prefix", "sitemap_urls"]

log = logging.getLogger(__name__)

_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.I)
_DOC_EXT = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|zip|rar|jpg|png|gif|css|js)$", re.I)
_TITLE_META = re.compile(r"""<meta\s+name=["']ArticleTitle["']\s+content=["']([^"']+)""", re.I)
_TITLE_TAG = re.compile(r"<title>\s*([^<]+?)\s*</title>", re.I)
_PUB_META = re.compile(r"""<meta\s+name=["']PubDate["']\s+content=["']([^"']+)""", re.I)
_MAX_SITEMAPS = 5
_PAGING = re.compile(r"^(?:下一?页|上一?页|尾页|末页|首页|更多|more|next|»|>|\d{1,4})$", re.I)


def path_prefix(url: str) -> str:
    """The directory part of ``url``: links are followed only below it."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if not path.endswith("/"):
        path = path.rsplit("/", 1)[0] + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def sitemap_urls(xml: str) -> list[str]:
    """``<loc>`` entries (of a urlset or a sitemapindex), XML entities undone."""
    import html

    return [html.unescape(u) for u in _LOC.findall(xml)]


def _looks_like_list(url: str) -> bool:
    path = urlsplit(url).path
    name = path.rsplit("/", 1)[-1]
    return path.endswith("/") or bool(re.match(r"(?:index|list|default)(?:_\d+)?\.s?html?$", name, re.I))


async def _sitemap(client: SourceClient, start: str) -> list[str]:
    parts = urlsplit(start)
    given = client.source.options.get("sitemap")
    todo = [urljoin(start, str(given)) if given else f"{parts.scheme}://{parts.netloc}/sitemap.xml"]
    out: list[str] = []
    fetched = 0
    while todo and fetched < _MAX_SITEMAPS:
        url = todo.pop(0)
        fetched += 1
        try:
            text, _ = await client.get_text(url, role="list")
        except FetchError as exc:
            log.info("%s: no sitemap at %s (%s)", client.source.key, url, exc.label)
            continue
        for loc in sitemap_urls(text):
            if loc.endswith(".xml") and "<sitemapindex" in text:
                todo.append(loc)
            else:
                out.append(loc)
    return out


def _title_of(html_text: str) -> tuple[str, str | None]:
    m = _TITLE_META.search(html_text) or _TITLE_TAG.search(html_text)
    title = re.split(r"\s*(?:_|\||｜| - )\s*", m.group(1).strip())[0] if m else ""
    pub = _PUB_META.search(html_text)
    return title, iso_date(pub.group(1)) if pub else None


async def discover(source: Source, client: SourceClient) -> AsyncIterator[Candidate]:
    seen: set[str] = set()
    hosts = client.urls.hosts
    budget = source.max_pages
    for start in source.start_urls:
        prefix = path_prefix(start)
        from_sitemap = [u for u in await _sitemap(client, start) if u.startswith(prefix)]
        queue: deque[tuple[str, int]] = deque([(start, 0)])
        queue.extend((u, 1) for u in from_sitemap if _looks_like_list(u) and u != start)
        queued = {u for u, _ in queue}
        anchors: set[str] = set()
        first = True
        while queue and budget > 0:
            url, depth = queue.popleft()
            budget -= 1
            try:
                text, result = await client.get_text(url)
            except FetchError as exc:
                if first:
                    raise
                log.warning("%s: page skipped: %s", source.key, exc)
                continue
            first = False
            items = extract_items(text, result.final_url)
            anchors.update(it.url for it in items)
            for cand in to_candidates(items, list_url=url, source_key=source.key, allowed=hosts):
                if cand.url not in seen:
                    seen.add(cand.url)
                    yield cand
            if depth >= source.max_depth:
                continue
            for it in items:
                u = it.url
                if (u in queued or u in seen or not u.startswith(prefix) or _DOC_EXT.search(urlsplit(u).path)):
                    continue
                # Follow list pages (by URL shape or a paging anchor), not every article.
                if not (_looks_like_list(u) or _PAGING.search(it.title)):
                    continue
                queued.add(u)
                queue.append((u, depth + 1))
        # Sitemap pages no list linked to: read their titles (within the same page budget).
        for u in from_sitemap:
            if budget <= 0:
                break
            if u in anchors or u in queued or u in seen or _looks_like_list(u) or _DOC_EXT.search(u):
                continue
            budget -= 1
            try:
                text, result = await client.get_text(u, role="page")
            except FetchError as exc:
                log.warning("%s: sitemap page skipped: %s", source.key, exc)
                continue
            title, pub = _title_of(text)
            item = ListItem(u, title, pub)
            for cand in to_candidates([item], list_url=urljoin(u, "/sitemap.xml"), source_key=source.key,
                                      allowed=hosts):
                if cand.url not in seen:
                    seen.add(cand.url)
                    yield cand
