"""``Simulator``: the simulated government web, its routing, ground truth and catalog.

One instance plans ``sites`` hosts lazily from ``seed``; host *h* is its own loopback
address (``127.0.0.{h+2}``, then ``127.0.1.2`` … past 250: ``sites.host_ip``), all on one
port, and ``127.0.0.1`` serves an index with the ground truth, a sources catalog and the
request log. A host carries ``columns`` catalog sources: one at its root (the default), or
``/bm1/`` … ``/bm<C>/``, a district portal whose departments each publish a column. Serving lives in
``portalsim.server``; this module decides *what* each URL answers.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from portalsim import lists
from portalsim.content import report_doc
from portalsim.document import ReportDoc
from portalsim.faults import FaultSpec, parse_faults
from portalsim.rand import unit
from portalsim.render_html import detail_page, page_shell, report_body_html
from portalsim.render_office import docx_bytes, render_doc, render_docx, render_pdf
from portalsim.resources import LRU, Resource, gzip_bomb
from portalsim.sites import GENERIC_ROOT, MAX_HOSTS, TRS_ROOT, Item, Site, host_ip, host_of_ip, plan_site
from portalsim.truth import TruthReport

if TYPE_CHECKING:
    from portalsim.prerender import PrerenderStats

__all__ = ["Simulator"]

_TZ = dt.timezone(dt.timedelta(hours=8))
_ANTIBOT_COOKIE = "FSSBBIl1UgzbN7N80T"
HANWEB_PERPAGE = 15


def _ts(when: dt.datetime) -> float:
    return when.replace(tzinfo=_TZ).timestamp()


class Simulator:
    """A deterministic set of simulated government portals.

    ``sites`` hosts with ``columns`` sources each: with one column (the default) source *i*
    is host *i*'s only column, key ``site<i>``, at the site root; with ``columns=C > 1`` source
    ``h*C + c-1`` is column ``/bm<c>/`` of host *h*, key ``site<h>-bm<c>``, with its own start
    URL, ``reports_per_site`` reports and its own notices and traps. ``faults`` maps source
    keys, or host keys (``site3``: every column of host 3), to fault specs (``{"site3": "http500:0.3,slow:2"}``
    or the CLI form ``"site3=http500:0.3;site5=antibot"``); see
    ``portalsim.faults.FAULT_NAMES``. ``families``/``encodings`` optionally pin
    host *h*'s CMS family and encoding (lists indexed by host; a host's columns share both).
    ``catalog_rate`` is the politeness rate ``catalog()`` writes unless told another.
    """

    def __init__(
        self,
        sites: int = 4,
        reports_per_site: int = 20,
        columns: int = 1,
        seed: int = 0,
        faults: str | dict[str, Any] | None = None,
        *,
        families: list[str] | None = None,
        encodings: list[str] | None = None,
        page_size: int = 20,
        crawl_delay: float = 0.0,
        broken_rate: float = 0.1,
        catalog_rate: float = 50.0,
    ) -> None:
        if not 1 <= sites <= MAX_HOSTS:
            raise ValueError(f"sites must be between 1 and {MAX_HOSTS} (one loopback address each), got {sites}")
        if columns < 1:
            raise ValueError(f"columns must be >= 1, got {columns}")
        if reports_per_site < 0:
            raise ValueError(f"reports_per_site must be >= 0, got {reports_per_site}")
        #: hosts (one loopback address each)
        self.n_sites = sites
        #: sources per host
        self.n_columns = columns
        self.reports_per_site = reports_per_site
        self.seed = seed
        self.faults = parse_faults(faults)
        unknown = {k for k in self.faults if not self._known_key(k)}
        if unknown:
            raise ValueError(f"faults name unknown sites: {', '.join(sorted(unknown))} (sites are site0…site{sites - 1}"
                             + (f", columns site0-bm1…site{sites - 1}-bm{columns})" if columns > 1 else ")"))
        self.families = families
        self.encodings = encodings
        self.page_size = page_size
        self.crawl_delay = crawl_delay
        self.broken_rate = broken_rate
        self.catalog_rate = catalog_rate
        self.port: int | None = None
        self.log: list[dict[str, Any]] = []
        self._sites: dict[int, Site] = {}
        self._plan_lock = threading.Lock()
        self._docs = LRU(2048)
        self._resources = LRU(4096)
        self._revisions: dict[tuple[int, int], tuple[int, float]] = {}
        self._attempts: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------------ presets
    @classmethod
    def demo(cls, seed: int = 2024) -> Simulator:
        """The ``make demo`` web: every family, UTF-8 and GBK, HTML/PDF/DOCX, a few mild faults."""
        return cls(
            sites=6,
            reports_per_site=15,
            seed=seed,
            families=["trs", "hanweb", "jsonapi", "generic", "trs", "generic"],
            encodings=["gbk-meta", "utf-8", "utf-8", "gbk-none", "utf-8", "utf-8"],
            faults={
                "site1": "http503:0.15",
                "site2": "http429:0.1,retry_after:1",
                "site3": "broken_pdf:1",
                "site5": "antibot",
            },
            crawl_delay=0.0,
        )

    # ------------------------------------------------------------------ plan
    @property
    def n_sources(self) -> int:
        """Catalog sources: hosts × columns."""
        return self.n_sites * self.n_columns

    def _known_key(self, key: str) -> bool:
        host, _, col = key.removeprefix("site").partition("-bm")
        if not host.isdigit() or int(host) >= self.n_sites:
            return False
        return not col or (self.n_columns > 1 and col.isdigit() and 1 <= int(col) <= self.n_columns)

    def site(self, index: int) -> Site:
        """Source ``index`` (planned on first use): column ``index % columns`` of host ``index // columns``."""
        if not 0 <= index < self.n_sources:
            raise IndexError(f"no site {index} (0…{self.n_sources - 1})")
        s = self._sites.get(index)
        if s is None:
            with self._plan_lock:
                s = self._sites.get(index)
                if s is None:
                    host, col = divmod(index, self.n_columns)
                    column = col + 1 if self.n_columns > 1 else 0
                    key = f"site{host}-bm{column}" if column else f"site{host}"
                    s = plan_site(
                        self.seed,
                        index,
                        self.reports_per_site,
                        self.faults.get(key) or self.faults.get(f"site{host}", FaultSpec()),
                        family=self.families[host] if self.families and host < len(self.families) else None,
                        encoding=self.encodings[host] if self.encodings and host < len(self.encodings) else None,
                        broken_rate=self.broken_rate,
                        host=host,
                        column=column,
                    )
                    self._sites[index] = s
        return s

    def sites(self) -> list[Site]:
        """Every source, host by host, column by column."""
        return [self.site(i) for i in range(self.n_sources)]

    def host_sites(self, host: int) -> list[Site]:
        """The sources (columns) served on host ``host``."""
        return [self.site(host * self.n_columns + c) for c in range(self.n_columns)]

    def site_for(self, ip: str, path: str) -> Site | None:
        """The source a request for ``path`` on address ``ip`` belongs to: the host's only
        column, or the column its first path segment names (``/bm3/…``). Host-wide paths
        (``/robots.txt``, ``/``) and unknown segments go to the host's first column, which
        answers robots and the home page for the whole host and 404 for the rest. None: not
        a site host (the index host)."""
        host = host_of_ip(ip)
        if host is None or host >= self.n_sites:
            return None
        column = 0
        if self.n_columns > 1:
            first = path[1:].split("/", 1)[0]
            if first.startswith("bm") and first[2:].isdigit() and 1 <= int(first[2:]) <= self.n_columns:
                column = int(first[2:]) - 1
        return self.site(host * self.n_columns + column)

    def _port(self, port: int | None) -> int:
        p = port if port is not None else self.port
        if p is None:
            raise RuntimeError("port unknown: pass port= or call this while the simulator is serving")
        return p

    def base_url(self, index: int, port: int | None = None) -> str:
        """The root URL of source ``index``'s host."""
        return f"http://{host_ip(index // self.n_columns)}:{self._port(port)}"

    def index_url(self, port: int | None = None) -> str:
        return f"http://127.0.0.1:{self._port(port)}"

    # ------------------------------------------------------------------ content
    def revision(self, site: Site, item: Item) -> tuple[int, float]:
        return self._revisions.get((site.index, item.docid), (0, _ts(item.published)))

    def report_doc(self, site: Site, item: Item) -> ReportDoc:
        rev = self.revision(site, item)[0]
        key = (site.index, item.docid, rev)
        doc = self._docs.get(key)
        if doc is None:
            doc = report_doc(self.seed, site, item, rev)
            self._docs.put(key, doc)
        assert isinstance(doc, ReportDoc)
        return doc

    def revise(self, site: str | None = None, url: str | None = None) -> list[str]:
        """Publish a revised version of reports: new numbers, new ETag, newer Last-Modified.

        ``url`` picks one report page (full URL or path); ``site`` every report of
        a site; neither: every report. Returns the revised page paths.
        """
        changed: list[str] = []
        now = time.time()
        for s in self.sites():
            if site is not None and s.key != site:
                continue
            for it in s.items:
                if not it.is_report:
                    continue
                if url is not None and not (url == it.path or url.endswith(f":{self.port}{it.path}")):
                    continue
                rev = self.revision(s, it)[0] + 1
                self._revisions[(s.index, it.docid)] = (rev, now)
                changed.append(it.path)
        self._resources.clear()
        return changed

    def reset_attempts(self) -> None:
        """Forget attempt counts (transient faults restart their per-attempt sequence)."""
        self._attempts.clear()

    def next_attempt(self, ip: str, target: str) -> int:
        key = (ip, target)
        n = self._attempts.get(key, 0)
        self._attempts[key] = n + 1
        return n

    # ------------------------------------------------------------------ routing
    def _encode(self, site: Site, html: str) -> Resource:
        if site.encoding == "utf-8":
            return Resource(body=html.encode("utf-8"), content_type="text/html; charset=utf-8")
        # GBK sites: the charset is in <meta> at most, never in the HTTP header
        return Resource(body=html.encode("gbk", errors="xmlcharrefreplace"), content_type="text/html")

    def resolve(self, site: Site, method: str, path: str, query: str, form: dict[str, str]) -> Resource:
        """The resource for a request on ``site`` (cached when cacheable)."""
        target = path + ("?" + query if query else "")
        if method == "POST" and form:
            target += "#" + "&".join(f"{k}={v}" for k, v in sorted(form.items()))
        key = (site.index, target)
        res = self._resources.get(key)
        if res is None:
            res = self._build(site, path, query, form)
            if not res.stream_size:
                self._resources.put(key, res)
        assert isinstance(res, Resource)
        return res

    def reserve_cache(self, resources: int) -> None:
        """Let the resource cache hold at least ``resources`` more entries than its default."""
        self._resources.size = max(self._resources.size, resources + 4096)

    def cache_resource(self, index: int, path: str, query: str, res: Resource) -> None:
        """Store a resource rendered elsewhere (``portalsim.prerender``) under its GET key."""
        self._resources.put((index, path + ("?" + query if query else "")), res)

    def prerender(self, workers: int | None = None) -> PrerenderStats:
        """Render every page and attachment now, in ``workers`` processes (default: all
        cores), so serving costs a cache lookup; see ``portalsim.prerender``."""
        from portalsim.prerender import prerender

        return prerender(self, workers)

    def _build(self, site: Site, path: str, query: str, form: dict[str, str]) -> Resource:
        params = dict(parse_qsl(query))
        params.update(form)
        if path == "/robots.txt":
            return Resource(body=self.robots(site).encode(), content_type="text/plain; charset=utf-8", compressible=False)
        if path in ("/", "/index.html"):
            return self._encode(site, self._home(site))
        # list routes are matched on the path within the column (``rel``), items on the full path
        rel = path
        if site.prefix:
            if not path.startswith(site.prefix + "/"):
                return _error(404, "页面不存在")
            rel = path[len(site.prefix) :]
        fam = site.family
        if fam == "trs" and rel.startswith(TRS_ROOT) and rel.rsplit("/", 1)[-1].startswith("index"):
            name = rel.rsplit("/", 1)[-1]
            page = 0 if name in ("", "index.html") else _int(name[6:-5])
            html = lists.trs_list(site, page, self.page_size) if page is not None else None
            if html is not None:
                return self._encode(site, html)
        if fam == "trs" and rel == TRS_ROOT:
            html = lists.trs_list(site, 0, self.page_size)
            assert html is not None
            return self._encode(site, html)
        if fam == "hanweb" and rel == f"/col/col{site.column}/index.html":
            return self._encode(site, lists.hanweb_index(site, HANWEB_PERPAGE))
        if fam == "hanweb" and path == site.proxy_path:
            return self._dataproxy(site, params)
        if fam == "jsonapi" and rel == "/gkmlpt/annualreport":
            return self._encode(site, lists.jsonapi_shell(site, str(site.webid)))
        if fam == "jsonapi" and path == site.api_path:
            page = _int(params.get("page", "1"))
            if page is None or params.get("sid", str(site.webid)) != str(site.webid):
                return _error(400, "bad page or sid")
            data = lists.jsonapi_page(site, page, self.page_size, self.base_url(site.index))
            return Resource(
                body=json.dumps(data, ensure_ascii=False).encode(), content_type="application/json;charset=UTF-8"
            )
        if fam == "generic" and rel == "/sitemap.xml":
            xml = lists.sitemap(site, self.base_url(site.index), self.page_size)
            return Resource(body=xml.encode(), content_type="application/xml")
        if fam == "generic" and rel.startswith(GENERIC_ROOT + "index"):
            name = rel.rsplit("/", 1)[-1]
            number = 1 if name == "index.shtml" else _int(name[6:-6])
            html = lists.generic_list(site, number - 1, self.page_size) if number and number >= 1 else None
            if html is not None and (name == "index.shtml" or number != 1):
                return self._encode(site, html)
        target = path + ("?" + query if query else "")
        item = site.by_path.get(path)
        if item is not None:
            return self._item_page(site, item, params)
        item = site.by_attachment.get(target)
        if item is not None:
            return self._attachment(site, item)
        return _error(404, "页面不存在")

    def _home(self, site: Site) -> str:
        if not site.prefix:
            main = (
                f'<div class="home"><h2>{escape(site.name)}</h2><ul>'
                f'<li><a href="{escape(site.start_path())}">政府信息公开年报</a></li>'
                '<li><a href="/zwgk/">政务公开</a></li></ul></div>'
            )
            return page_shell(site, site.name, main)
        # a shared host: the district's portal, one 年报 column per department
        columns = "".join(
            f'<li><a href="{escape(s.start_path())}">{escape(s.name)}政府信息公开年报</a></li>'
            for s in self.host_sites(site.host)
        )
        name = f"{site.gov}人民政府"
        main = f'<div class="home"><h2>{escape(name)}</h2><ul>{columns}<li><a href="/zwgk/">政务公开</a></li></ul></div>'
        return page_shell(site, name, main)

    def _dataproxy(self, site: Site, params: dict[str, str]) -> Resource:
        start, end = _int(params.get("startrecord", "")), _int(params.get("endrecord", ""))
        if start is None or end is None or params.get("columnid") != str(site.column):
            xml = '<?xml version="1.0" encoding="UTF-8"?>\n<datastore><totalrecord>0</totalrecord><recordset></recordset></datastore>\n'
        else:
            xml = lists.hanweb_dataproxy(site, start, end)
        return Resource(body=xml.encode("utf-8"), content_type="text/xml;charset=UTF-8")

    def _item_page(self, site: Site, item: Item, params: dict[str, str]) -> Resource:
        if item.trap in ("redirect_loop", "redirect_offsite", "redirect_private"):
            return self._redirect(item, params)
        if item.trap == "gzip_bomb":
            bomb_mb = int(site.faults.get("gzip_bomb") or 200)
            return Resource(body=gzip_bomb(bomb_mb), pre_gzipped=True, compressible=False, etag='"bomb"')
        if item.trap == "oversized":
            mb = site.faults.get("oversized") or 60.0
            return Resource(stream_size=int(mb * 1024 * 1024), content_type=_ctype(site))
        modified = self.revision(site, item)[1]
        body_html = None
        if item.is_report and item.body in ("html", "html+pdf"):
            body_html = report_body_html(self.report_doc(site, item))
        res = self._encode(site, detail_page(site, item, body_html))
        res.last_modified = modified
        return res

    def _redirect(self, item: Item, params: dict[str, str]) -> Resource:
        if item.trap == "redirect_loop":
            # a → b → a → …: the page and its "?from=loop" twin send to each other
            loc = item.path if params.get("from") == "loop" else item.path + "?from=loop"
            return Resource(status=302, headers={"Location": loc}, compressible=False)
        if item.trap == "redirect_offsite":
            return Resource(status=302, headers={"Location": self.index_url() + "/offsite/landing.html"}, compressible=False)
        loc = "http://169.254.169.254/latest/meta-data/" if item.docid % 2 else "http://10.0.0.1/admin/"
        return Resource(status=302, headers={"Location": loc}, compressible=False)

    def _attachment(self, site: Site, item: Item) -> Resource:
        assert item.attachment is not None
        ext = item.attachment.rsplit(".", 1)[-1]
        modified = self.revision(site, item)[1]
        if item.is_report:
            doc = self.report_doc(site, item)
            if ext == "pdf":
                data = render_pdf(doc)
                if self.broken_pdf(site, item):
                    data = data[: len(data) * 3 // 5]
                ctype = "application/pdf"
            elif ext == "docx":
                data, ctype = render_docx(doc), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            else:
                data, ctype = render_doc(doc, report_body_html(doc)), "application/msword"
        else:
            data, ctype = _form_docx(item.title), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        name = item.attachment.rsplit("=", 1)[-1].rsplit("/", 1)[-1]
        headers = {"Content-Disposition": f'attachment; filename="{name}"'} if site.family == "hanweb" else {}
        return Resource(body=data, content_type=ctype, headers=headers, compressible=False, last_modified=modified)

    def broken_pdf(self, site: Site, item: Item) -> bool:
        rate = site.faults.get("broken_pdf")
        return bool(rate) and item.body in ("pdf", "html+pdf") and unit(self.seed, site.index, item.docid, "broken_pdf") < (rate or 0)

    def robots(self, site: Site) -> str:
        """The robots.txt of ``site``'s host: one per host, disallowing every column's traps."""
        delay = site.faults.get("crawl_delay")
        delay = self.crawl_delay if delay is None else delay
        columns = self.host_sites(site.host) if site.prefix else [site]
        lines = ["User-agent: *", "Disallow: /internal/", "Disallow: /search/"]
        lines += [f"Disallow: {s.prefix}/internal/" for s in columns if s.prefix]
        lines.append(f"Crawl-delay: {delay:g}")
        if site.family == "generic" and self.port is not None:
            lines += [f"Sitemap: {self.base_url(s.index)}{s.prefix}/sitemap.xml" for s in columns]
        return "\n".join(lines) + "\n"

    def antibot_page(self, site: Site) -> Resource:
        """瑞数-style challenge: HTTP 412, only an inline ``$_ts`` script and an external JS."""
        token = f"{unit(self.seed, site.index, 'ts'):.16f}"[2:]
        html = (
            '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            f'<meta id="9DhefwqGPrzO" content="{token * 4}" r="m">'
            "<script type=\"text/javascript\" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};"
            f'$_ts.nsd={int(token[:5])};$_ts.cd="qxrgrAlqcGLprGEqWqZcEGVFlaqpcq3bEAlqcGLqr{token}";</script>'
            '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/d.FxJzG50F.dfe1675.js" r="m"></script>'
            "</head><body></body></html>"
        )
        return Resource(
            status=412,
            body=html.encode(),
            headers={"Set-Cookie": f"FSSBBIl1UgzbN7N80S={token}; Path=/; HttpOnly"},
            compressible=False,
        )

    def antibot_blocks(self, site: Site, path: str, cookie_header: str) -> bool:
        return bool(site.faults.get("antibot")) and path != "/robots.txt" and _ANTIBOT_COOKIE + "=" not in cookie_header

    # ------------------------------------------------------------------ index host
    def index_resource(self, path: str, query: str) -> Resource:
        if path == "/":
            rows = "".join(
                f'<li><a href="{self.base_url(s.index)}{escape(s.start_path())}">{s.key}</a> {escape(s.name)} '
                f"({s.family}, {s.encoding}, {len(s.items)} items{', faults: ' + s.faults.describe() if s.faults else ''})</li>"
                for s in self.sites()
            )
            html = (
                '<!DOCTYPE html><html><head><meta charset="utf-8"><title>portalsim</title></head><body>'
                f"<h1>portalsim: {self.n_sites} simulated portals{self._shape()} (seed {self.seed})</h1><ul>{rows}</ul>"
                '<p><a href="/_sim/truth.json">truth.json</a> · <a href="/_sim/catalog.yaml">catalog.yaml</a> · '
                '<a href="/_sim/log.json">log.json</a></p></body></html>'
            )
            return Resource(body=html.encode(), etag=None)
        if path == "/_sim/truth.json":
            body = json.dumps([t.to_dict() for t in self.ground_truth()], ensure_ascii=False, indent=1)
            return Resource(body=body.encode(), content_type="application/json")
        if path == "/_sim/catalog.yaml":
            return Resource(body=self.catalog_yaml().encode(), content_type="application/yaml; charset=utf-8")
        if path == "/_sim/log.json":
            params = dict(parse_qsl(query))
            since = float(params.get("since", 0) or 0)
            host = params.get("host")
            entries = [e for e in list(self.log) if e["time"] >= since and (host is None or e["host"] == host)]
            return Resource(body=json.dumps(entries).encode(), content_type="application/json")
        if path == "/offsite/landing.html":
            return Resource(body="<html><body><p>上级网站专栏</p></body></html>".encode())
        return _error(404, "not found")

    # ------------------------------------------------------------------ truth & catalog
    def ground_truth(self, port: int | None = None) -> list[TruthReport]:
        """Every list item of every site with its expected record (reports) or its nature."""
        base_port = self._port(port)
        out: list[TruthReport] = []
        for s in self.sites():
            base = f"http://{s.ip}:{base_port}"
            for it in s.items:
                out.append(self._truth(s, it, base))
        return out

    def _truth(self, s: Site, it: Item, base: str) -> TruthReport:
        fault: str | None = None
        if s.faults.get("antibot"):
            fault = "antibot"
        elif it.trap:
            fault = it.trap
        elif self.broken_pdf(s, it):
            fault = "broken_pdf"
        kind = "html" if it.body in ("html", "html+pdf") else it.body
        t = TruthReport(
            site=s.key,
            page_url=base + it.path,
            item=it.item,
            is_report=it.is_report,
            title=it.title,
            kind=kind,
            encoding=s.charset,
            charset_declared={"utf-8": "header+meta", "gbk-meta": "meta", "gbk-none": "none"}[s.encoding],
            published_at=it.published.strftime("%Y-%m-%d"),
            attachment_url=base + it.attachment if it.attachment else None,
            html_and_attachment=it.body == "html+pdf",
            republished=it.republished,
            fault=fault,
        )
        if it.is_report:
            doc = self.report_doc(s, it)
            t.year, t.agency, t.format = it.year, it.agency, it.format
            if doc.period:
                t.period_start, t.period_end = doc.period
            t.section_headings = list(doc.section_headings)
            c = doc.contact
            t.contact = {"address": c.address, "postcode": c.postcode, "phone": c.phone, "email": c.email}
            t.stats = dict(doc.stats)
            t.failing_checks = [n[8:] for n in doc.notes if n.startswith("failing:")]
            t.revision = self.revision(s, it)[0]
        return t

    def _shape(self) -> str:
        return f" × {self.n_columns} columns" if self.n_columns > 1 else ""

    def catalog(self, port: int | None = None, *, rate: float | None = None, concurrency: int = 4) -> dict[str, Any]:
        """A sources catalog (``scrapers.catalog`` shape) for the simulated sources, one per
        column. ``rate``/``concurrency`` are each source's politeness (default: ``catalog_rate``
        requests/s and 4 connections per host; the polite benchmark writes 1 and 1)."""
        p = self._port(port)
        politeness = {"rate": self.catalog_rate if rate is None else rate, "concurrency": concurrency}
        sources = []
        for s in self.sites():
            base = f"http://{s.ip}:{p}"
            options: dict[str, str | int | float | bool] = {}
            if s.family == "hanweb":
                options = {"columnid": s.column, "unitid": s.column + 7, "webid": s.webid, "perpage": HANWEB_PERPAGE,
                           "proxy_path": s.proxy_path}
            elif s.family == "jsonapi":
                options = {"api_url": f"{base}{s.api_path}?page={{page}}&sid={s.webid}",
                           "items_key": "articles", "total_key": "total", "url_key": "url", "title_key": "title",
                           "date_key": "first_publish_time", "page_size": self.page_size, "first_page": 1}
            elif s.family == "generic":
                options = {"sitemap": f"{base}{s.prefix}/sitemap.xml"}
            sources.append(
                {
                    "key": s.key,
                    "name": f"{s.name}（模拟）",
                    "start_urls": [base + s.start_path()],
                    "adapter": s.family,
                    "allow_private": True,
                    "politeness": dict(politeness),
                    "max_depth": 2,
                    "tags": ["sim", s.family, s.charset],
                    "options": options,
                }
            )
        return {"sources": sources}

    def catalog_yaml(self, port: int | None = None, *, rate: float | None = None, concurrency: int = 4) -> str:
        import yaml

        header = f"# portalsim catalog: {self.n_sites} simulated sites{self._shape()}, seed {self.seed}\n"
        catalog = self.catalog(port, rate=rate, concurrency=concurrency)
        return header + yaml.safe_dump(catalog, allow_unicode=True, sort_keys=False)

    # ------------------------------------------------------------------ serving
    @asynccontextmanager
    async def serving(self, port: int = 0) -> AsyncIterator[int]:
        """Serve in the running event loop; yields the port (all hosts share it)."""
        from portalsim.server import serve

        async with serve(self, port) as bound:
            yield bound

    @contextmanager
    def running_in_thread(self, port: int = 0) -> Iterator[int]:
        """Serve from a background thread (for sync code); yields the port."""
        from portalsim.server import run_in_thread

        with run_in_thread(self, port) as bound:
            yield bound

    def serve_forever(self, port: int = 0, ready: Any = None) -> None:
        """Block serving until SIGINT/SIGTERM (the CLI); ``ready(port)`` is called once bound."""
        from portalsim.server import serve_forever

        serve_forever(self, port, ready)


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _error(status: int, message: str) -> Resource:
    html = f"<html><head><title>{status}</title></head><body><h1>{status}</h1><p>{message}</p></body></html>"
    return Resource(status=status, body=html.encode(), compressible=False)


def _ctype(site: Site) -> str:
    return "text/html; charset=utf-8" if site.encoding == "utf-8" else "text/html"


def _form_docx(title: str) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph(title)
    t = d.add_table(rows=4, cols=2)
    for r, label in enumerate(("申请人姓名", "联系电话", "所需信息内容描述", "获取信息方式")):
        t.cell(r, 0).text = label
    return docx_bytes(d)
