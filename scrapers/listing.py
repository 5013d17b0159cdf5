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
from scrapers.titles import is_annual_report_title, year_from_title

__all__ = ["ListItem", "extract_items", "to_candidates"]

_DATE = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_ROW_TAGS = frozenset({"li", "dl", "tr", "dd", "p", "div", "td"})
_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class ListItem:
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


def extract_items(html_text: str, base_url: str) -> list[ListItem]:
    """Every http(s) anchor on a page with its title (``title`` attr, else text) and row date."""
    tree = LexborHTMLParser(html_text)
    items: list[ListItem] = []
    seen: set[str] = set()
    for a in tree.css("a[href]"):
        href = (a.attributes.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
            continue
        url = urldefrag(urljoin(base_url, href)).url
        if urlsplit(url).scheme not in ("http", "https") or url in seen:
            continue
        text = _WS.sub(" ", a.text(deep=True) or "").strip()
        title = _WS.sub(" ", a.attributes.get("title") or "").strip()
        # A title attribute is the full title where the text is truncated ("…"), prefer it.
        best = title if len(title) >= len(text) else text
        seen.add(url)
        items.append(ListItem(url, best, _row_date(a)))
    return items


def to_candidates(items: Iterable[ListItem], *, list_url: str, source_key: str,
                  allowed: Iterable[str] = ()) -> Iterator[Candidate]:
    """Items whose titles are annual reports, on the source's hosts, as candidates."""
    hosts = {h.lower() for h in allowed}
    for it in items:
        if hosts and (urlsplit(it.url).hostname or "").lower() not in hosts:
            continue
        if not is_annual_report_title(it.title):
            continue
        yield Candidate(
            url=it.url,
            title=it.title,
            year=year_from_title(it.title),
            published_at=it.published_at,
            list_url=list_url,
            source_key=source_key,
        )
