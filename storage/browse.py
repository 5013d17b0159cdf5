"""What ``govreports browse`` tells Datasette: titles and descriptions (中文 / English),
facets, and the canned queries a researcher starts from.

The SQL is plain enough to run on PostgreSQL as well (``govreports sql``);
Datasette itself serves only SQLite files. JSON columns (``sources.config``,
``report_versions.record``) are pretty-printed by the ``datasette-pretty-json``
plugin, a dependency like Datasette itself.
"""

from __future__ import annotations

from typing import Any

from .models import GAPS_VIEW, HEADLINE_VIEW, PANEL_VIEW
from .query import CANNED_QUERIES

__all__ = ["RESEARCH_QUERIES", "datasette_metadata"]

_FACETS = ["year", "format", "agency"]

#: the researcher's canned queries; ``panel_for_key`` takes ``:key`` (a form field in Datasette)
RESEARCH_QUERIES: dict[str, dict[str, Any]] = {
    "panel_for_key": {
        "title": "一个指标的面板 / The panel for one key",
        "description": (
            "每个机构每年一个数值（各报告的最新版本）；reports_in_year > 1 表示同一年有两份报告。"
            " One value per agency and year (latest version of each report); reports_in_year > 1"
            " means two reports cover that year. Example key: requests.received"
        ),
        "sql": (
            "SELECT agency_id, agency, year, value, report_id, format, reports_in_year "
            f"FROM {PANEL_VIEW} WHERE key = :key ORDER BY agency, agency_id, year, report_id"
        ),
    },
    "cross_year_failures": {
        "title": "跨年核对未通过 / Failed cross-year checks",
        "description": (
            "N 年的上年结转应等于 N−1 年的结转下年度；2019 格式的上一年项目数量应等于上年的数量加增减。"
            " Year N's carried-over must equal year N−1's carried-forward; in the 2019 format,"
            " N's prior item count must equal N−1's prior + change."
        ),
        "sql": (
            "SELECT c.agency_id, a.name AS agency, c.year, c.rule, c.value, c.expected, "
            "c.report_id, c.prev_report_id FROM cross_year_checks c JOIN agencies a ON a.id = c.agency_id "
            "ORDER BY a.name, c.agency_id, c.year, c.rule"
        ),
    },
    "missing_years": {
        "title": "缺失年度 / Missing years",
        "description": (
            "每个机构首末两份报告之间没有报告的年度：抓取尚未找到的报告。"
            " Years between an agency's first and last report with no report: what the crawl has not found."
        ),
        "sql": f"SELECT agency_id, agency, year FROM {GAPS_VIEW} ORDER BY agency, agency_id, year",
    },
    "reports_per_agency_year": {
        "title": "各机构各年报告数 / Reports per agency per year",
        "description": (
            "同一机构同一年多于一份报告时值得一看（重复发布或部门与政府混淆）。"
            " More than one report for an agency and year is worth a look (a re-publication, or a"
            " department mixed up with its government)."
        ),
        "sql": (
            "SELECT a.id AS agency_id, a.name AS agency, r.year, COUNT(*) AS reports, "
            "MIN(r.format) AS format, SUM(r.n_failed_checks) AS failed_checks "
            "FROM reports r JOIN agencies a ON a.id = r.agency_id "
            "GROUP BY a.id, a.name, r.year ORDER BY a.name, a.id, r.year"
        ),
    },
}

_TITLES: dict[str, dict[str, Any]] = {
    "reports_per_year": {"title": "每年报告数 / Reports per year"},
    "applications_by_outcome": {"title": "各年申请办理结果 / Applications by outcome across years"},
    "failed_checks": {
        "title": "报告内算术核对未通过 / Failed arithmetic checks",
        "description": "每份报告自身表格的勾稽关系。 The arithmetic rules inside one report's own tables.",
    },
}

_TABLES: dict[str, dict[str, Any]] = {
    "reports": {
        "title": "报告 / Reports",
        "description": "每个报告页面一行，记录的全部字段。 One row per report page, every record field.",
        "facets": _FACETS,
        "label_column": "title",
    },
    PANEL_VIEW: {
        "title": "面板 / Panel",
        "description": (
            "机构 × 年度 × 指标，各报告的最新版本。 Agency × year × stats key, latest version of each report."
        ),
        "facets": [*_FACETS, "key"],
    },
    HEADLINE_VIEW: {
        "title": "主要数字 / Headline numbers",
        "description": "每份报告一行，主要指标为列。 One row per report, headline keys as columns.",
        "facets": _FACETS,
    },
    "agencies": {
        "title": "机构 / Agencies",
        "description": (
            "跨年度的机构身份；名称变体（淮安市洪泽区人民政府 = 洪泽区人民政府）归为一个。"
            " Agency identities across years; name variants share one."
        ),
        "label_column": "name",
    },
    "cross_year_checks": {
        "title": "跨年核对未通过 / Failed cross-year checks",
        "description": "value：N 年的数字；expected：N−1 年所推出的数字。 value: year N's number; expected: what N−1 implies.",
        "facets": ["rule", "year"],
    },
    GAPS_VIEW: {
        "title": "缺失年度 / Missing years",
        "description": "机构首末报告之间缺失的年度。 Years missing between an agency's first and last report.",
        "facets": ["year"],
    },
    "report_versions": {
        "title": "历史版本 / Previous versions",
        "description": "报告修订前的记录（JSON）。 A report's record before it was revised (JSON).",
    },
    "sources": {
        "title": "来源目录 / Sources",
        "description": "目录条目（config 为 JSON，含 agency 固定）。 Catalog entries (config is JSON, with any agency pin).",
        "facets": ["adapter", "in_catalog"],
    },
}


def datasette_metadata(database: str) -> dict[str, Any]:
    """Datasette metadata for the database Datasette names ``database`` (the file's stem)."""
    queries = {name: {**q, **_TITLES.get(name, {})} for name, q in CANNED_QUERIES.items()}
    queries.update(RESEARCH_QUERIES)
    return {
        "title": "govreports · 政府信息公开工作年度报告",
        "description": (
            "政府信息公开工作年度报告的结构化记录、跨年面板与核对。"
            " Structured records of government information disclosure annual reports,"
            " a cross-year panel and its checks."
        ),
        "databases": {database: {"tables": _TABLES, "queries": queries}},
    }
