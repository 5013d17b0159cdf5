"""TRS WCM columns: ``index.html``, ``index_1.html`` … announced by ``createPageHTML``.

Two calling conventions exist in the wild:
``createPageHTML(pages, current, "index", "html")`` and the ``page_div`` template
``createPageHTML('page_div', pages, current, 'list', 'shtml', records)``. Page 0 is
``<prefix>.<ext>``, page N is ``<prefix>_N.<ext>``. Without either call, ``index_N`` links
on the page are followed. Newer sites (平潭: ``list2.trsapi``, "动静结合") render only the
first page statically and page the rest through a search API that differs per site; its
static items are returned and the dynamic part is logged, not guessed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from urllib.parse import urljoin, urlsplit

from scrapers.catalog import Source
from scrapers.errors import FetchError
from scrapers.http import SourceClient
from scrapers.listing import extract_items, to_candidates
from scrapers.model import Candidate

__all__ = ["discover", "paging_urls"]

log = logging.getLogger(__name__)

_CREATE = re.compile(
    r"createPageHTML\(\s*(?:['\"](?P<div>\w+)['\"]\s*,\s*)?(?P<pages>\d+)\s*,\s*(?P<cur>\d+)\s*,\s*"
    r"['\"](?P<prefix>[\w.-]+)['\"]\s*,\s*['\"](?P<ext>\w+)['\"]"
)
_PAGE_LINK = re.compile(r"(?:^|/)(?:index|list)_\d+\.s?html?$")
_DYNAMIC = re.compile(r"list2\.trsapi|maxStaticIndex")


def paging_urls(html_text: str, page_url: str, *, max_pages: int) -> list[str]:
    """All list-page URLs a TRS page announces (its own included), bounded by ``max_pages``."""
    m = _CREATE.search(html_text)
    urls: list[str] = []
    if m:
        pages = min(int(m.group("pages")), max_pages)
        prefix, ext = m.group("prefix"), m.group("ext")
        for n in range(pages):
            name = f"{prefix}.{ext}" if n == 0 else f"{prefix}_{n}.{ext}"
            urls.append(urljoin(page_url, name))
        return urls
    for href in re.findall(r"""href\s*=\s*["']([^"'#]+)["']""", html_text):
        if _PAGE_LINK.search(urlsplit(href).path):
            u = urljoin(page_url, href)
            if u not in urls:
                urls.append(u)
    return urls[:max_pages]


def _canon(url: str) -> str:
    """``…/col/`` and ``…/col/index.html`` are the same list page."""
    return re.sub(r"/(?:index|default)\.s?html?$", "/", url)


async def discover(source: Source, client: SourceClient) -> AsyncIterator[Candidate]:
    """Walk each start URL's TRS list pages; yield report candidates once each."""
    seen: set[str] = set()
    hosts = client.urls.hosts
    for start in source.start_urls:
        queue = [start]
        visited: set[str] = set()
        while queue and len(visited) < source.max_pages:
            page_url = queue.pop(0)
            if _canon(page_url) in visited:
                continue
            visited.add(_canon(page_url))
            try:
                text, result = await client.get_text(page_url)
            except FetchError as exc:
                if page_url == start:
                    raise
                log.warning("%s: list page skipped: %s", source.key, exc)
                continue
            base = result.final_url
            for cand in to_candidates(extract_items(text, base), list_url=page_url, source_key=source.key,
                                      allowed=hosts):
                if cand.url not in seen:
                    seen.add(cand.url)
                    yield cand
            for nxt in paging_urls(text, base, max_pages=source.max_pages):
                if _canon(nxt) not in visited and nxt not in queue and (urlsplit(nxt).hostname or "") in hosts:
                    queue.append(nxt)
            if page_url == start and _DYNAMIC.search(text):
                log.info("%s: %s pages further items through a site search API (list2.trsapi); "
                         "only its static items are crawled", source.key, page_url)
