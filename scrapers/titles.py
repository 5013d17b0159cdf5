"""Which list items are annual reports, and which year each reports on.

Pure functions over titles. Lists mix 年度报告 with 工作要点, notices and other annual
reports (法治政府建设, 统计公报…); the URL and publication date are not the report year
(a 2017 report republished in 2019 lives at …/201912/…), so the year comes from the title.
"""

from __future__ import annotations

import re

__all__ = ["is_annual_report_title", "may_be_report_title", "year_from_title"]

_REPORT = re.compile(r"年度报告|年报|年度工作报告")
_DISCLOSURE = re.compile(r"信息公开|政务公开")
#: items on report columns that are not the reports themselves
_EXCLUDE = re.compile(
    r"工作要点|要点|通知|公告|通告|解读|图解|报送|征集|考核|评议|测评|培训|函$|的函|第三方评估|更正说明|目录|指南"
)
#: annual reports of other kinds that share columns with ours
_OTHER_REPORTS = re.compile(
    r"法治政府|统计公报|国民经济|决算|预算|审计|环境状况|社会责任|慈善|年检|年度报告书"
)

_DIGIT_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(年度|年)?")
_CN_DIGITS = {
    "〇": "0",
    "○": "0",
    "零": "0",
    "Ｏ": "0",
    "O": "0",
    "一": "1",
    "二": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_CN_YEAR = re.compile(r"([一二][〇○零ＯO一二三四五六七八九]{3})\s*(年度|年)")
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def year_from_title(title: str) -> int | None:
    """The report year: ``2017年度`` > ``2017年`` > ``二〇一七年`` > a bare 4-digit year."""
    text = (title or "").translate(_FULLWIDTH)
    best: tuple[int, int] | None = None  # (rank, year); lower rank wins, first occurrence on ties
    for m in _DIGIT_YEAR.finditer(text):
        rank = {"年度": 0, "年": 1}.get(m.group(2) or "", 3)
        year = int(m.group(1))
        if best is None or rank < best[0]:
            best = (rank, year)
    for m in _CN_YEAR.finditer(text):
        year = int("".join(_CN_DIGITS[c] for c in m.group(1)))
        rank = 0 if m.group(2) == "年度" else 2
        if best is None or rank < best[0]:
            best = (rank, year)
    if best is None or not 1990 <= best[1] <= 2100:
        return None
    return best[1]


def may_be_report_title(title: str) -> bool:
    """A cheap necessary condition of ``is_annual_report_title``: the title names a 年度报告/年报."""
    return bool(_REPORT.search(title)) or (" " in title and bool(_REPORT.search(title.replace(" ", ""))))


def is_annual_report_title(title: str) -> bool:
    """True for a 政府信息公开工作年度报告 (or 年报) title with a year in it.

    The year requirement keeps navigation links (「政府信息公开年报」) out; the exclusion
    lists drop 工作要点, notices about reports, and other kinds of annual report.
    """
    t = re.sub(r"\s+", "", title or "")
    if not t or not _REPORT.search(t) or _EXCLUDE.search(t):
        return False
    if year_from_title(t) is None:
        return False
    return bool(_DISCLOSURE.search(t)) or not _OTHER_REPORTS.search(t)
