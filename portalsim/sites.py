"""The plan of the simulated web: which sites exist and what their columns list.

Planning is cheap metadata only (titles, dates, URLs, which body kind); report
numbers and rendered bytes are produced later, per request, from the same seed.
A 50 × 200 plan is built in well under a second.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from portalsim.faults import FaultSpec
from portalsim.names import CITIES, DEPARTMENTS, DISTRICTS, NON_REPORT_TITLES, REPORT_TITLES, TOWNS
from portalsim.rand import rng_for

__all__ = ["FAMILIES", "MAX_HOSTS", "Item", "Site", "host_encoding", "host_ip", "host_of_ip", "plan_site"]

FAMILIES = ("trs", "hanweb", "jsonapi", "generic")
ENCODINGS = ("utf-8", "gbk-meta", "gbk-none")

TRS_ROOT = "/zwgk/zfxxgk/zfxxgknb/"
GENERIC_ROOT = "/xxgk/xxgknb/"

#: host addresses per /24 of 127/8: ``127.a.b.2`` … ``127.a.b.251`` (``127.0.0.1`` is the index host)
_PER_BLOCK = 250
#: 127.0.0.x … 127.0.255.x
MAX_HOSTS = _PER_BLOCK * 256


def host_ip(host: int) -> str:
    """Host *h*'s loopback address: ``127.0.0.{h+2}`` for the first 250 (as always), then
    ``127.0.1.2`` …: every address of 127/8 is loopback on Linux."""
    block, octet = divmod(host, _PER_BLOCK)
    return f"127.0.{block}.{octet + 2}"


def host_of_ip(ip: str) -> int | None:
    """The host index ``host_ip`` gave ``ip``, or None (the index host, anything else)."""
    parts = ip.split(".")
    if len(parts) != 4 or parts[:2] != ["127", "0"] or not all(p.isdigit() for p in parts[2:]):
        return None
    block, octet = int(parts[2]), int(parts[3])
    if not 2 <= octet < _PER_BLOCK + 2 or block > 255:
        return None
    return block * _PER_BLOCK + octet - 2


@dataclass(slots=True)
class Item:
    site: int
    seq: int
    docid: int
    #: "report", "notice", "workplan", "guide", "form", "trap"
    item: str
    title: str
    published: dt.datetime
    path: str
    #: "html", "pdf", "docx", "doc", "html+pdf" (html body with a PDF copy)
    body: str = "html"
    attachment: str | None = None
    year: int | None = None
    agency: str | None = None
    short: str | None = None
    office: str | None = None
    format: str | None = None
    broken: bool = False
    republished: bool = False
    #: trap items: "redirect_loop", "redirect_offsite", "redirect_private", "gzip_bomb", "oversized", "robots"
    trap: str | None = None

    @property
    def is_report(self) -> bool:
        return self.item == "report"


@dataclass(slots=True)
class Site:
    index: int
    key: str
    family: str
    name: str
    gov: str
    #: "utf-8" (header + meta), "gbk-meta" (GBK, declared in <meta> only), "gbk-none" (GBK, undeclared)
    encoding: str
    column: int
    webid: int
    faults: FaultSpec
    #: the host this source is served on (``index`` when every host has one column)
    host: int = 0
    #: the column's path prefix on a shared host (``/bm3``), "" for a host's only column
    prefix: str = ""
    items: list[Item] = field(default_factory=list)
    by_path: dict[str, Item] = field(default_factory=dict)
    by_attachment: dict[str, Item] = field(default_factory=dict)

    @property
    def ip(self) -> str:
        return host_ip(self.host)

    @property
    def charset(self) -> str:
        return "utf-8" if self.encoding == "utf-8" else "gbk"

    def listed(self) -> list[Item]:
        """Items in list order (newest first, as real columns show them)."""
        return self.items

    @property
    def trs_root(self) -> str:
        return self.prefix + TRS_ROOT

    @property
    def generic_root(self) -> str:
        return self.prefix + GENERIC_ROOT

    @property
    def proxy_path(self) -> str:
        """Hanweb's list API (``dataproxy.jsp``) for this column."""
        return self.prefix + "/module/web/jpage/dataproxy.jsp"

    @property
    def api_path(self) -> str:
        """gkmlpt's JSON list API for this column."""
        return f"{self.prefix}/gkmlpt/api/all/{self.column}"

    def start_path(self) -> str:
        return self.prefix + {
            "trs": TRS_ROOT + "index.html",
            "hanweb": f"/col/col{self.column}/index.html",
            "jsonapi": "/gkmlpt/annualreport",
            "generic": GENERIC_ROOT + "index.shtml",
        }[self.family]


def _detail_path(site: Site, docid: int, when: dt.datetime) -> str:
    ym, ymd = when.strftime("%Y%m"), when.strftime("%Y%m%d")
    if site.family == "trs":
        return f"{site.trs_root}{ym}/t{ymd}_{docid}.htm"
    if site.family == "hanweb":
        return f"{site.prefix}/art/{when.year}/{when.month}/{when.day}/art_{site.column}_{docid}.html"
    if site.family == "jsonapi":
        return f"{site.prefix}/gkmlpt/content/{docid // 100000}/{docid // 1000}/post_{docid}.html"
    return f"{site.generic_root}{ym}/{docid}.shtml"


def _attachment_path(site: Site, docid: int, when: dt.datetime, ext: str) -> str:
    ymd = when.strftime("%Y%m%d")
    if site.family == "trs":
        return f"{site.trs_root}{when.strftime('%Y%m')}/P0{ymd}{docid:08d}.{ext}"
    if site.family == "hanweb":
        return f"{site.prefix}/module/download/downfile.jsp?classid=0&filename={ymd}{docid}.{ext}"
    if site.family == "jsonapi":
        return f"{site.prefix}/attachment/0/{docid // 1000}/{docid}/{ymd}{docid}.{ext}"
    return f"{site.prefix}/uploadfiles/{when.strftime('%Y%m')}/{docid}.{ext}"


def _site_identity(seed: int, index: int) -> tuple[str, str]:
    rng = rng_for(seed, "site-name", index)
    city = CITIES[(index + rng.randrange(len(CITIES))) % len(CITIES)]
    district = DISTRICTS[index % len(DISTRICTS)]
    gov = city + district if index % 3 else city
    if index >= len(DISTRICTS):
        gov = city + DISTRICTS[(index * 7 + 3) % len(DISTRICTS)]
    return gov, f"{gov}人民政府"


def _column_unit(gov: str, column: int) -> str:
    """The department or town whose column ``/bm<column>/`` is: the host's government's own
    units first, numbered once they run out."""
    units = [gov + d for d in DEPARTMENTS] + [gov + t + ("人民政府" if t.endswith("镇") else "办事处") for t in TOWNS]
    lap, k = divmod(column - 1, len(units))
    return units[k] if lap == 0 else f"{units[k]}第{lap + 1}分局"


def host_encoding(seed: int, host: int, family: str) -> str:
    """The encoding a host's pages are served in, shared by all its columns (one CMS, one
    setting): the draw ``plan_site`` makes for a host's only column."""
    if family in ("jsonapi", "hanweb"):
        return "utf-8"
    return rng_for(seed, "site", host).choice(ENCODINGS)


def plan_site(
    seed: int,
    index: int,
    reports: int,
    faults: FaultSpec,
    *,
    family: str | None = None,
    encoding: str | None = None,
    broken_rate: float = 0.1,
    host: int | None = None,
    column: int = 0,
) -> Site:
    """Plan one source: identity, family, encoding and its list of items.

    ``column`` 0 is a host's only source, at the site root (``site<index>``); column *c* ≥ 1
    is one of several on ``host``, under ``/bm<c>/`` (``site<host>-bm<c>``): a department's
    column on its district's portal, so it takes the host's name, family and encoding.
    """
    host = index if host is None else host
    rng = rng_for(seed, "site", index)
    gov, name = _site_identity(seed, host)
    fam = family or FAMILIES[host % len(FAMILIES)]
    if column:
        name = _column_unit(gov, column)
        encoding = encoding or host_encoding(seed, host, fam)
    if encoding is None:
        # JSON and XML list APIs are UTF-8 on real sites; older static sites are often GBK.
        encoding = "utf-8" if fam in ("jsonapi", "hanweb") else rng.choice(ENCODINGS)
    site = Site(
        index=index,
        key=f"site{host}-bm{column}" if column else f"site{index}",
        family=fam,
        name=name,
        gov=gov,
        encoding=encoding,
        column=rng.randint(1200, 99999),
        webid=rng.randint(1, 400),
        faults=faults,
        host=host,
        prefix=f"/bm{column}" if column else "",
    )
    # Agencies: the government itself, its departments and towns.
    n_agencies = max(1, math.ceil(reports / 12))
    depts = [gov + d for d in DEPARTMENTS] + [gov + t + ("人民政府" if t.endswith("镇") else "办事处") for t in TOWNS]
    rng.shuffle(depts)
    agencies = [(name, gov, f"{gov}人民政府办公室") if not column else (name, name, name + "办公室")] + [
        (a, a, a + "办公室") for a in depts[: n_agencies - 1]
    ]
    years = list(range(2010, 2025))
    pairs = [(a, y) for a in range(len(agencies)) for y in years]
    chosen = rng.sample(pairs, min(reports, len(pairs)))
    drafts: list[Item] = []
    for seq, (ai, year) in enumerate(chosen):
        agency, short, office = agencies[ai]
        republished = rng.random() < 0.08
        if republished:
            pub = dt.datetime(year + rng.randint(2, 4), rng.randint(1, 12), rng.randint(1, 28), 10, rng.randint(0, 59))
        else:
            pub = dt.datetime(year + 1, rng.randint(1, 3), rng.randint(1, 28), rng.randint(8, 17), rng.randint(0, 59))
        fmt = "legacy" if year <= 2018 else ("2019" if year <= 2020 else "2021")
        body = rng.choices(["html", "pdf", "docx", "doc", "html+pdf"], [50, 20, 13, 4, 13])[0]
        pattern = REPORT_TITLES[rng.randrange(len(REPORT_TITLES))]
        drafts.append(
            Item(
                site=index, seq=seq, docid=0, item="report",
                title=pattern.format(agency=agency, year=year), published=pub, path="",
                body=body, year=year, agency=agency, short=short, office=office, format=fmt,
                broken=fmt != "legacy" and rng.random() < broken_rate, republished=republished,
            )
        )
    n_other = max(3, reports // 6)
    for k in range(n_other):
        kind, pattern = NON_REPORT_TITLES[rng.randrange(len(NON_REPORT_TITLES))]
        year = rng.randint(2012, 2024)
        agency = agencies[rng.randrange(len(agencies))][0]
        body = "html"
        if kind == "guide" and rng.random() < 0.5:
            kind, body = "form", "docx"
        title = pattern.format(agency=agency, year=year) if kind != "form" else f"{agency}政府信息公开申请表"
        drafts.append(
            Item(site=index, seq=len(drafts), docid=0, item=kind, title=title,
                 published=dt.datetime(year, rng.randint(1, 12), rng.randint(1, 28), 9, k % 60), path="", body=body)
        )
    # a robots-disallowed internal notice is linked from every list: obeying robots.txt means not fetching it
    drafts.append(
        Item(site=index, seq=len(drafts), docid=0, item="trap", title="内部工作通知（仅限内网）",
             published=dt.datetime(2023, 6, 1, 9, 0), path="", trap="robots")
    )
    for trap in faults.traps():
        drafts.append(
            Item(site=index, seq=len(drafts), docid=0, item="trap", title=_TRAP_TITLES[trap],
                 published=dt.datetime(2024, 5, 1 + len(drafts) % 27, 9, 0), path="", trap=trap)
        )
    drafts.sort(key=lambda it: (it.published, it.seq), reverse=True)
    docid = rng.randint(20000, 900000)
    for it in reversed(drafts):
        docid += rng.randint(3, 40)
        it.docid = docid
        if it.trap == "robots":
            it.path = f"{site.prefix}/internal/t{it.published:%Y%m%d}_{docid}.htm"
        elif it.trap in ("redirect_loop", "redirect_offsite", "redirect_private"):
            it.path = f"{site.prefix}/redirect/{it.trap}_{docid}.htm"
        else:
            it.path = _detail_path(site, docid, it.published)
        if it.body != "html":
            ext = it.body.replace("html+", "")
            it.attachment = _attachment_path(site, docid, it.published, ext)
    site.items = drafts
    site.by_path = {it.path: it for it in drafts}
    site.by_attachment = {it.attachment: it for it in drafts if it.attachment}
    return site


_TRAP_TITLES = {
    "redirect_loop": "关于进一步做好政务公开工作的通知（转载）",
    "redirect_offsite": "政府信息公开工作年度报告专栏（上级网站）",
    "redirect_private": "政务公开培训材料下载",
    "gzip_bomb": "政务公开工作资料汇编",
    "oversized": "政府信息公开目录（全部）",
}
