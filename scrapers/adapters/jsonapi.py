"""JSON list APIs (Guangdong ``gkmlpt``): ``/gkmlpt/api/all/<col>?page=N&sid=<site>``.

The start URL is either the API itself or the HTML shell whose script names it
(``GKMLPT_CONFIG = {"sid": …, "api": …}``). Options override: ``api_url`` (a template with
``{page}``, e.g. ``…/gkmlpt/api/all/42?page={page}&sid=755``) or ``api`` + ``sid``;
``items_key``, ``title_key``, ``url_key``, ``date_key``, ``total_key``; ``first_page``.
Pages are 1-based and walked until a page comes back empty, the ``total`` is reached, or
``max_pages``. Items are read leniently (title/url/date under the usual key names) so
similar APIs need only an ``options.api`` entry.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from scrapers.catalog import Source
from scrapers.errors import FetchError
from scrapers.http import SourceClient
from scrapers.listing import ListItem, iso_date, to_candidates
from scrapers.model import Candidate

__all__ = ["api_items", "discover"]

log = logging.getLogger(__name__)

_TITLE_KEYS = ("title", "doctitle", "name", "DOCTITLE", "biaoti")
_URL_KEYS = ("url", "link", "href", "docurl", "chnldocurl", "DOCPUBURL", "doc_url")
_DATE_KEYS = ("date", "publish_date", "pubDate", "docreltime", "first_publish_time", "publish_time", "created_at")
_LIST_KEYS = ("articles", "list", "data", "records", "items", "rows", "result", "docs")


def _find_list(obj: Any) -> list[dict[str, Any]]:
    if isinstance(obj, list):
        return [x for x in obj if isinstance(x, dict)]
    if isinstance(obj, dict):
        for k in _LIST_KEYS:
            if k in obj:
                found = _find_list(obj[k])
                if found:
                    return found
    return []


def _date(v: Any) -> str | None:
    if isinstance(v, int | float) and v > 0:
        import datetime as dt

        ts = v / 1000 if v > 1e11 else v
        return dt.datetime.fromtimestamp(ts, tz=dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d")
    return iso_date(str(v)) if v else None


def _keys(options: dict[str, Any] | None, name: str, defaults: tuple[str, ...]) -> tuple[str, ...]:
    v = (options or {}).get(name)
    return (str(v), *defaults) if v else defaults


def api_items(payload: Any, base_url: str, options: dict[str, Any] | None = None) -> list[ListItem]:
    """List items from one JSON page, whatever the usual key names are (options name them)."""
    out: list[ListItem] = []
    items_key = (options or {}).get("items_key")
    rows = _find_list(payload.get(str(items_key))) if items_key and isinstance(payload, dict) else []
    title_keys = _keys(options, "title_key", _TITLE_KEYS)
    url_keys = _keys(options, "url_key", _URL_KEYS)
    date_keys = _keys(options, "date_key", _DATE_KEYS)
    for row in rows or _find_list(payload):
        title = next((str(row[k]) for k in title_keys if row.get(k)), "")
        url = next((str(row[k]) for k in url_keys if row.get(k)), "")
        date = next((_date(row[k]) for k in date_keys if row.get(k)), None)
        if title and url:
            out.append(ListItem(urljoin(base_url, url), re.sub(r"<[^>]+>", "", title).strip(), date))
    return out


def _total(payload: Any, key: str | None = None) -> int | None:
    if isinstance(payload, dict):
        if key and isinstance(payload.get(key), int):
            return int(payload[key])
        for k in ("total", "totalCount", "total_count", "count", "recordCount"):
            v = payload.get(k)
            if isinstance(v, int):
                return v
        if isinstance(payload.get("data"), dict):
            return _total(payload["data"])
    return None


def _with_page(api: str, page: int, sid: str | None) -> str:
    if "{page}" in api:
        return api.replace("{page}", str(page))
    parts = urlsplit(api)
    q = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("page", "sid")]
    q.append(("page", str(page)))
    if sid:
        q.append(("sid", sid))
    return urlunsplit(parts._replace(query=urlencode(q)))


async def discover(source: Source, client: SourceClient) -> AsyncIterator[Candidate]:
    seen: set[str] = set()
    hosts = client.urls.hosts
    for start in source.start_urls:
        opts = source.options
        api = str(opts.get("api_url") or opts.get("api") or "") or None
        sid = str(source.options["sid"]) if "sid" in source.options else None
        base = start
        if api is None and "/api/" not in urlsplit(start).path:
            text, result = await client.get_text(start)
            base = result.final_url
            m = re.search(r"""["']api["']\s*:\s*["']([^"']+)["']""", text)
            if not m:
                raise FetchError("discovery", "no JSON list API named on the page (set options.api)", url=start)
            api = m.group(1)
            if sid is None and (sm := re.search(r"""["']sid["']\s*:\s*["']?([\w-]+)""", text)):
                sid = sm.group(1)
        api = urljoin(base, api or start)
        total: int | None = None
        count = 0
        first_page = int(opts.get("first_page", 1))
        total_key = str(opts["total_key"]) if "total_key" in opts else None
        for page in range(first_page, first_page + source.max_pages):
            url = _with_page(api, page, sid)
            try:
                text, result = await client.get_text(url)
                payload = json.loads(text)
            except FetchError as exc:
                if page == first_page:
                    raise
                log.warning("%s: API page skipped: %s", source.key, exc)
                continue
            except ValueError as exc:
                raise FetchError("discovery", f"API page is not JSON ({exc})", url=url) from None
            total = total if total is not None else _total(payload, total_key)
            items = api_items(payload, result.final_url, dict(opts))
            if not items:
                break
            count += len(items)
            for cand in to_candidates(items, list_url=url, source_key=source.key, allowed=hosts):
                if cand.url not in seen:
                    seen.add(cand.url)
                    yield cand
            if total is not None and count >= total:
                break
