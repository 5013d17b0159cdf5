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

__all__ = ["FAMILIES", "Item", "Site", "plan_site"]

FAMILIES = ("trs", "hanweb", "jsonapi", "generic")
ENCODINGS = ("utf-8", "gbk-meta", "gbk-none")

TRS_ROOT = "/zwgk/zfxxgk/zfxxgknb/"
GENERIC_ROOT = "/xxgk/xxgknb/"


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
    items: list[Item] = field(default_factory=list)
    by_path: dict[str, Item] = field(default_factory=dict)
    by_attachment: dict[str, Item] = field(default_factory=dict)

    @property
    def ip(self) -> str:
        return f"127.0.0.{self.index + 2}"

    @property
    def charset(self) -> str:
        return "utf-8" if self.encoding == "utf-8" else "gbk"

    def listed(self) -> list[Item]:
        """Items in list order (newest first, as real columns show them)."""
        return self.items

    def start_path(self) -> str:
        return {
            "trs": TRS_ROOT + "index.html",
            "hanweb": f"/col/col{self.column}/index.html",
            "jsonapi": "/gkmlpt/annualreport",
            "generic": GENERIC_ROOT + "index.shtml",
        }[self.family]


def _detail_path(site: Site, docid: int, when: dt.datetime) -> str:
    ym, ymd = when.strftime("%Y%m"), when.strftime("%Y%m%d")
    if site.family == "trs":
        return f"{TRS_ROOT}{ym}/t{ymd}_{docid}.htm"
    if site.family == "hanweb":
        return f"/art/{when.year}/{when.month}/{when.day}/art_{site.column}_{docid}.html"
    if site.family == "jsonapi":
        return f"/gkmlpt/content/{docid // 100000}/{docid // 1000}/post_{docid}.html"
    return f"{GENERIC_ROOT}{ym}/{docid}.shtml"


def _attachment_path(site: Site, docid: int, when: dt.datetime, ext: str) -> str:
    ymd = when.strftime("%Y%m%d")
    if site.family == "trs":
        return f"{TRS_ROOT}{when.strftime('%Y%m')}/P0{ymd}{docid:08d}.{ext}"
    if site.family == "hanweb":
        return f"/module/download/downfile.jsp?classid=0&filename={ymd}{docid}.{ext}"
    if site.family == "jsonapi":
        return f"/attachment/0/{docid // 1000}/{docid}/{ymd}{docid}.{ext}"
    return f"/uploadfiles/{when.strftime('%Y%m')}/{docid}.{ext}"


def _site_identity(seed: int, index: int) -> tuple[str, str]:
    rng = rng_for(seed, "site-name", index)
    city = CITIES[(index + rng.randrange(len(CITIES))) % len(CITIES)]
    district = DISTRICTS[index % len(DISTRICTS)]
    gov = city + district if index % 3 else city
    if index >= len(DISTRICTS):
        gov = city + DISTRICTS[(index * 7 + 3) % len(DISTRICTS)]
    return gov, f"{gov}人民政府"


def plan_site(
    seed: int,
    index: int,
    reports: int,
    faults: FaultSpec,
    *,
    family: str | None = None,
    encoding: str | None = None,
    broken_rate: float = 0.1,
) -> Site:
    """Plan one site: identity, family, encoding and its list of items."""
    rng = rng_for(seed, "site", index)
    gov, name = _site_identity(seed, index)
    fam = family or FAMILIES[index % len(FAMILIES)]
    if encoding is None:
        # JSON and XML list APIs are UTF-8 on real sites; older static sites are often GBK.
        encoding = "utf-8" if fam in ("jsonapi", "hanweb") else rng.choice(ENCODINGS)
    site = Site(
        index=index,
        key=f"site{index}",
        family=fam,
        name=name,
        gov=gov,
        encoding=encoding,
        column=rng.randint(1200, 99999),
        webid=rng.randint(1, 400),
        faults=faults,
    )
    # Agencies: the government itself, its departments and towns.
    n_agencies = max(1, math.ceil(reports / 12))
    depts = [gov + d for d in DEPARTMENTS] + [gov + t + ("人民政府" if t.endswith("镇") else "办事处") for t in TOWNS]
    rng.shuffle(depts)
    agencies = [(name, gov, f"{gov}人民政府办公室")] + [
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
            it.path = f"/internal/t{it.published:%Y%m%d}_{docid}.htm"
        elif it.trap in ("redirect_loop", "redirect_offsite", "redirect_private"):
            it.path = f"/redirect/{it.trap}_{docid}.htm"
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
