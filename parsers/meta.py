"""What a report says about itself: title, year, agency, format, dates, statistics period.

The year comes from the title, never from the URL or the publication date: a
2017 report republished in December 2019 still reports on 2017.
"""

from __future__ import annotations

import re

from parsers.record import Format

__all__ = [
    "agency_from_text",
    "agency_from_title",
    "clean_title",
    "detect_format",
    "find_period",
    "find_published_at",
    "find_title",
    "year_from_text",
    "year_from_title",
]

_CN_DIGITS = {"〇": "0", "○": "0", "零": "0", "O": "0", "o": "0", "Ｏ": "0", "一": "1", "二": "2", "三": "3",
              "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_CN_YEAR = re.compile(r"([二一][〇○零OoＯ一二三四五六七八九]{3})\s*年")
_TITLE_WORDS = re.compile(r"(?:信息公开|政务公开|信息公开工作)[^。；，,]{0,12}?(?:年度)?(?:工作)?(?:报告|年报)")
_SPACE_NEAR_CJK = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
_WS = re.compile(r"\s+")
_SENTENCE_PUNCT = re.compile(r"[。；;，,：:]")
_AGENCY_SUFFIX = re.compile(r"(?:政府|市|区|县|局|委员会|办公室|委|厅|镇|乡|街道|管委会|中心|院)$")


def clean_title(title: str) -> str:
    """Whitespace collapsed; spaces next to Chinese characters (layout artefacts) dropped."""
    return _SPACE_NEAR_CJK.sub("", _WS.sub(" ", title)).strip()


def _title_in(line: str) -> str | None:
    """The report title at the start of ``line`` (which may run on into the body)."""
    m = _TITLE_WORDS.search(line, 0, 120)
    if not m:
        return None
    end = m.end()
    tail = re.match(r"\s*[（(]\s*(?:19|20)\d{2}\s*年度?\s*[)）]", line[end:])
    if tail:
        end += tail.end()
    title = line[:end].strip()
    rest = line[end:]
    if rest and "\u4e00" <= rest[0] <= "\u9fff" and not rest.startswith(("本", "根据", "按照", "为", "一、")):
        return None  # the words run on ("…年度报告格式>的通知"): a phrase, not the title
    if (_SENTENCE_PUNCT.search(title) or any(ch in title for ch in "《》<>〈〉")
            or title.startswith(("本", "现将", "根据", "按照", "关于印发")) or len(title) > 80):
        return None
    return title


def find_title(text: str) -> str | None:
    """The report title: the first short line naming a disclosure report.

    A title can wrap over two lines in PDF layout text ("淮安市人民政府" /
    "2024 年政府信息公开工作年度报告"); then the short line above is joined.
    """
    lines = [ln.strip() for ln in text.split("\n", 40)[:40]]
    nonempty = [ln for ln in lines if ln]
    first: str | None = None
    for i, line in enumerate(nonempty[:20]):
        title = _title_in(line)
        if title is None:
            continue
        if not (_YEAR.search(title) or _CN_YEAR.search(title) or "年度" in title):
            continue
        if i > 0 and re.match(r"^(?:19|20)\d{2}\s*年", title):
            prev = nonempty[i - 1]
            if len(prev) <= 24 and not _SENTENCE_PUNCT.search(prev) and _AGENCY_SUFFIX.search(prev):
                title = prev + title
        title = clean_title(title)
        if agency_from_title(title) is not None and (first is None or year_from_title(first) == year_from_title(title)):
            return title  # page text repeats the title; a generic heading ("2024年…年度报告") yields to one naming the agency
        first = first or title
    return first


def _cn_year(token: str) -> int:
    return int("".join(_CN_DIGITS.get(ch, ch) for ch in token))


def year_from_title(title: str) -> int | None:
    """The year reported on, as the title states it (Arabic or Chinese numerals)."""
    m = _YEAR.search(title)
    if m:
        return int(m.group(1))
    m = _CN_YEAR.search(title)
    if m:
        return _cn_year(m.group(1))
    return None


def year_from_text(text: str) -> int | None:
    """Fallback when there is no title: the statistics period's year, else the most stated year."""
    m = re.search(r"统计(?:期限|时限|日期|时间|区间)[^。\d]{0,8}((?:19|20)\d{2})\s*年", text)
    if m:
        return int(m.group(1))
    counts: dict[int, int] = {}
    for m in re.finditer(r"((?:19|20)\d{2})\s*年[，,]", text[:20000]):
        counts[int(m.group(1))] = counts.get(int(m.group(1)), 0) + 1
    return max(counts, key=lambda y: (counts[y], -y)) if counts else None


_AGENCY_END = re.compile(r"(?:关于)?(?:政府信息公开|政务公开|信息公开|政府信息|年度报告|工作报告|年报)")


def agency_from_title(title: str) -> str | None:
    """The government or department as written in the title.

    Before the year when the title starts with it ("淮安市人民政府2024年…"),
    otherwise between the year and "政府信息公开" ("2014年重庆市长寿区政府信息公开…":
    the 政府 belongs to 政府信息公开).
    """
    t = re.sub(r"\s+", "", title)
    m = _YEAR.search(t) or _CN_YEAR.search(t)
    head = t[: m.start()] if m else t
    head = re.sub(r"[（(]$", "", head)
    if m and len(head) < 2:
        rest = t[m.end():]
        rest = re.sub(r"^度", "", rest)
        e = _AGENCY_END.search(rest)
        head = rest[: e.start()] if e else ""
    else:
        e = _AGENCY_END.search(head)
        if e:
            head = head[: e.start()]
    head = re.sub(r"(?:关于|的)$", "", head).strip("“”\"《》()（）:：、 ")
    return head if 2 <= len(head) <= 40 else None


_AGENCY_HINTS = (
    re.compile(r"汇总(.{2,20}?)(?:各有关单位|各部门|各单位|所属)"),
    re.compile(r"本(?:年度)?报告(?:是)?(?:根据|依据|按照)[^。]{0,60}?(?:要求|规定)[，,]?由(.{2,24}?)(?:编制|制作|汇总编制|负责编制)"),
    re.compile(r"本(?:年度)?报告由(.{2,20}?)(?:人民政府)?办公室"),
    re.compile(r"请与(.{2,20}?)(?:管委会|管理委员会)?(?:人民政府)?(?:政府)?(?:信息公开)?办公室"),
)


_SIGNATURE_DATE = re.compile(r"^(?:(?:19|20)\d{2}|二[〇○零O][一二三四五六七八九〇○零O]{2})\s*年.{1,6}日$")


def _signature(text: str) -> str | None:
    """The signing body: a short agency line just above the closing date, or the last line."""
    lines = [ln.strip() for ln in text[-1500:].splitlines() if ln.strip()][-6:]
    for i in range(len(lines) - 1, -1, -1):
        if _SIGNATURE_DATE.match(lines[i]) and i > 0:
            name = lines[i - 1]
            if len(name) <= 30 and _AGENCY_SUFFIX.search(name) and not _SENTENCE_PUNCT.search(name):
                return name
    return None


def agency_from_text(text: str) -> str | None:
    """When no title names it: who compiled the report, from the standard opening
    sentences, else the signature above the closing date."""
    head = re.sub(r"\s+", "", text[:3000])
    for pat in _AGENCY_HINTS:
        m = pat.search(head)
        if m:
            name = m.group(1).strip("“”\"《》()（）、")
            if 2 <= len(name) <= 24 and not re.search(r"[，。；,：:]", name):
                return name
    return _signature(text)


def detect_format(compact_text: str, year: int | None = None) -> Format:
    """legacy / 2019 / 2021 from the statutory tables' wording (whitespace removed).

    2021 (国办公开办函〔2021〕30号) split （六） in three (逾期不补正 …) and counts
    本年制发/废止/现行有效; 2019 has 本年新收 and 本年新制作 with one （六）row.
    """
    if any(w in compact_text for w in ("本年制发", "现行有效件数", "本年废止", "逾期不补正", "本年处理决定数量",
                                       "公开办函〔2021〕30号", "公开办函[2021]30号")):
        return "2021"
    if any(w in compact_text for w in ("本年新收", "本年新制作", "上年结转政府信息公开申请", "第二十条第(九)项",
                                       "第二十条第（九）项")):
        return "2019"
    if year is not None and year >= 2019 and "收到和处理政府信息公开申请" in compact_text:
        # the new template's headings without its tables (tables lost or published as images)
        return "2021" if year >= 2021 else "2019"
    return "legacy"


_DATE = r"((?:19|20)\d{2})\s*(?:年|[-/.])\s*(\d{1,2})\s*(?:月|[-/.])\s*(\d{1,2})"
_PUBLISHED = re.compile(r"(?:发布|发表|公开|成文|发文)(?:日期|时间)\s*[:：]?\s*" + _DATE)
_PERIOD = re.compile(
    r"统计(?:期限|时限|日期|时间|区间|周期)[^。\d]{0,8}?((?:19|20)\d{2})年(\d{1,2})月(\d{1,2})日?起?"
    r"(?:至|到|—|－|-|~|～)((?:(?:19|20)\d{2})年)?(\d{1,2})月(\d{1,2})日"
)


def _iso(y: str | int, m: str | int, d: str | int) -> str | None:
    yi, mi, di = int(y), int(m), int(d)
    if not (1 <= mi <= 12 and 1 <= di <= 31):
        return None
    return f"{yi:04d}-{mi:02d}-{di:02d}"


def find_published_at(text: str) -> str | None:
    """A publication date the page states ("发布日期:2013-03-26"), not the signature date."""
    m = _PUBLISHED.search(text[:4000])
    return _iso(m.group(1), m.group(2), m.group(3)) if m else None


def find_period(compact_text: str) -> tuple[str | None, str | None]:
    """The statistics period (统计期限自…至…); an empty "自至" gives (None, None)."""
    m = _PERIOD.search(compact_text)
    if not m:
        return None, None
    end_year = m.group(4)[:-1] if m.group(4) else m.group(1)
    return _iso(m.group(1), m.group(2), m.group(3)), _iso(end_year, m.group(5), m.group(6))
