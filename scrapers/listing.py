"""List pages → (url, title, date) items, and items → report candidates.

Shared by the adapters: every CMS family renders its list as anchors with a date
nearby (a ``<dl>``/``<li>``/``<tr>`` row); only how the *next* page is found differs.
Pure functions over decoded text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scrapers.model import Candidate
from scrapers.titles import is_annual_report_title, may_be_report_title, year_from_title

__all__ = ["ListItem", "extract_items", "to_candidates"]

_DATE = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_ROW_TAGS = frozenset({"li", "dl", "tr", "dd", "p", "div", "td"})
_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class ListItem:
    """An anchor of a list page. ``published_at`` is read from its row only where the title
    can be a report's (``may_be_report_title``): the only items whose date anyone uses."""

    url: str
    title: str
    published_at: str | None


def iso_date(text: str) -> str | None:
    m = _DATE.search(text or "")
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _row_date(node: LexborNode) -> str | None:
    """The date printed in the anchor's row (climbing at most three levels)."""
    cur: LexborNode | None = node
    for _ in range(3):
        cur = cur.parent if cur is not None else None
        if cur is None:
            return None
        if cur.tag in _ROW_TAGS:
            text = cur.text(deep=True) or ""
            if len(text) < 400 and (d := iso_date(text)):
                return d
    return None


#: what makes an href need ``urljoin``'s full resolution: dot segments, backslashes,
#: whitespace or controls (which ``urljoin`` strips or keeps in its own ways), a fragment,
#: an empty query (which ``urljoin`` drops)
_NEEDS_JOIN = re.compile(r"/\.|\\|[\x00-\x20\x7f]|#|^\.|\?$")

#: an absolute http(s) URL with a plain host (no userinfo, no IPv6 brackets) and a path
_PLAIN_ABSOLUTE = re.compile(r"https?://[A-Za-z0-9.\-]+(?::\d{1,5})?/")


class _Resolver:
    """``urldefrag(urljoin(base, href)).url`` with a fast path for the two shapes real list
    pages are made of: absolute http(s) URLs and root-relative paths.

    A portal's list page carries ~100 anchors (menus, footers, the list itself); joining each
    through ``urllib`` was a third of ``extract_items`` and a sixth of an unchanged recrawl.
    Anything unusual takes ``urljoin`` (``tests/scrapers/test_listing.py`` checks both paths
    agree on generated hrefs).
    """

    __slots__ = ("base", "origin")

    def __init__(self, base: str):
        self.base = base
        parts = urlsplit(base)
        fast = parts.scheme in ("http", "https") and parts.netloc and not _NEEDS_JOIN.search(parts.netloc)
        self.origin = f"{parts.scheme}://{parts.netloc}" if fast else None

    def __call__(self, href: str) -> str:
        if self.origin is not None and not _NEEDS_JOIN.search(href):
            if href.startswith("/") and not href.startswith("//"):
                return self.origin + href
            if _PLAIN_ABSOLUTE.match(href):
                return href
        return urldefrag(urljoin(self.base, href)).url


def extract_items(html_text: str, base_url: str) -> list[ListItem]:
    """Every http(s) anchor on a page with its title (``title`` attr, else text) and row date."""
    tree = LexborHTMLParser(html_text)
    resolve = _Resolver(base_url)
    items: list[ListItem] = []
    seen: set[str] = set()
    for a in tree.css("a[href]"):
        attrs = a.attributes
        href = (attrs.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
            continue
        url = resolve(href)
        # urljoin lowercases the scheme, so the prefix is the whole test (it also drops an
        # authority-less ``https:x`` that urljoin leaves as is)
        if url in seen or not url.startswith(("http://", "https://")):
            continue
        text = _WS.sub(" ", a.text(deep=True) or "").strip()
        title = _WS.sub(" ", attrs.get("title") or "").strip()
        # A title attribute is the full title where the text is truncated ("…"), prefer it.
        best = title if len(title) >= len(text) else text
        seen.add(url)
        items.append(ListItem(url, best, _row_date(a) if may_be_report_title(best) else None))
    return items


def to_candidates(
    items: Iterable[ListItem], *, list_url: str, source_key: str, allowed: Iterable[str] = ()
) -> Iterator[Candidate]:
    """Items whose titles are annual reports, on the source's hosts, as candidates."""
    hosts = {h.lower() for h in allowed}
    for it in items:
        # the title first: ~110 anchors a list page, most of them menus and footers, and
        # urlsplit costs several times the title test (a 1k recrawl with nothing due spent
        # a third of its time here: 0.44–0.50 → 0.29–0.32 s)
        if not is_annual_report_title(it.title):
            continue
        if hosts and (urlsplit(it.url).hostname or "").lower() not in hosts:
            continue
        yield Candidate(
            url=it.url,
            title=it.title,
            year=year_from_title(it.title),
            published_at=it.published_at,
            list_url=list_url,
            source_key=source_key,
        )
