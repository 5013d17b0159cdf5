"""Hanweb JCMS columns: ``/col/col<N>/index.html`` plus ``dataproxy.jsp`` XML paging.

The column page carries the first records inline (``<script type="text/xml"><datastore>``
with ``<record><![CDATA[<li>…</li>]]></record>``); the rest come from
``/module/web/jpage/dataproxy.jsp?startrecord=&endrecord=&perpage=`` with ``columnid``,
``unitid`` and ``webid``. Those ids are read from the page's script (``pageConfig``, the
``nextgroup`` URL, ``columnid=…`` anywhere) and can be given in the source's ``options``
when a site hides them (``columnid``, ``unitid``, ``webid``, ``perpage``, ``proxy_path``). Hanweb's own script asks for three pages per request; so do we.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from urllib.parse import urlencode, urljoin

from scrapers.catalog import Source
from scrapers.errors import FetchError
from scrapers.http import SourceClient
from scrapers.listing import ListItem, extract_items, to_candidates
from scrapers.model import Candidate

__all__ = ["discover", "page_params", "records"]

log = logging.getLogger(__name__)

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_TOTAL = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
_COL_URL = re.compile(r"/col/col(\d+)/")
_DEFAULT_PROXY = "/module/web/jpage/dataproxy.jsp"


def _param(text: str, name: str) -> str | None:
    m = re.search(rf"""["']?{name}["']?\s*[:=]\s*["']?([\w-]+)""", text, re.I)
    return m.group(1) if m else None


def page_params(html_text: str, page_url: str, options: dict[str, str | int | float | bool]) -> dict[str, str]:
    """columnid/unitid/webid/perpage/totalRecord/proxyUrl for a column (source options win)."""
    found: dict[str, str] = {}
    for name in ("columnid", "unitid", "webid", "perpage", "totalRecord"):
        v = _param(html_text, name)
        if v:
            found[name] = v
    m = re.search(r"""["']?proxyUrl["']?\s*[:=]\s*["']([^"']+)["']""", html_text)
    found["proxyUrl"] = m.group(1) if m else _DEFAULT_PROXY
    if "columnid" not in found and (cm := _COL_URL.search(page_url)):
        found["columnid"] = cm.group(1)
    for key, value in options.items():
        found[key] = str(value)
    if "proxy_path" in options:
        found["proxyUrl"] = str(options["proxy_path"])
    return found


def records(xml_or_html: str, base_url: str) -> list[ListItem]:
    """The items inside ``<record><![CDATA[…]]></record>`` blocks."""
    items: list[ListItem] = []
    for chunk in _RECORD.findall(xml_or_html):
        items.extend(extract_items(chunk, base_url))
    return items


async def discover(source: Source, client: SourceClient) -> AsyncIterator[Candidate]:
    seen: set[str] = set()
    hosts = client.urls.hosts
    for start in source.start_urls:
        text, result = await client.get_text(start)
        base = result.final_url
        inline = records(text, base) or extract_items(text, base)
        for cand in to_candidates(inline, list_url=start, source_key=source.key, allowed=hosts):
            if cand.url not in seen:
                seen.add(cand.url)
                yield cand
        params = page_params(text, base, source.options)
        if "columnid" not in params:
            log.warning("%s: %s has no columnid; only its inline records are crawled", source.key, start)
            continue
        perpage = int(params.get("perpage", "15") or 15)
        total = int(params["totalRecord"]) if params.get("totalRecord", "").isdigit() else None
        batch = perpage * 3
        startrecord = 1
        requests = 0
        while requests < source.max_pages:
            if total is not None and startrecord > total:
                break
            query = {
                "startrecord": startrecord,
                "endrecord": startrecord + batch - 1,
                "perpage": perpage,
                "col": 1,
                "appid": params.get("appid", "1"),
                "webid": params.get("webid", ""),
                "path": "/",
                "columnid": params["columnid"],
                "sourceContentType": 1,
                "unitid": params.get("unitid", ""),
                "permissiontype": 0,
            }
            proxy = urljoin(base, params["proxyUrl"]) + "?" + urlencode(query)
            requests += 1
            try:
                xml, _ = await client.get_text(proxy)
            except FetchError as exc:
                log.warning("%s: dataproxy page skipped: %s", source.key, exc)
                startrecord += batch
                continue
            if total is None and (tm := _TOTAL.search(xml)):
                total = int(tm.group(1))
            found = records(xml, base)
            if not found:
                break
            for cand in to_candidates(found, list_url=proxy, source_key=source.key, allowed=hosts):
                if cand.url not in seen:
                    seen.add(cand.url)
                    yield cand
            startrecord += batch
            if total is None and len(found) < batch:
                break
