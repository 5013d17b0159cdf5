"""Top-level sections (一、二、三…) with their headings as printed.

The application table's own rows carry the same numerals ("一、本年新收…",
"四、结转下年度继续办理"), and flattened page text runs heading and body
together ("一、 概述推进政府信息公开工作是…"), so a heading is accepted only in
sequence, not as a table row, and is cut where the body starts.
"""

from __future__ import annotations

import re

from parsers.record import Section

__all__ = ["split_sections"]

_NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
             "十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十"]
_NUMERAL = r"(十[一二三四五六七八九]?|二十|[一二三四五六七八九])"
#: numbering styles of top-level headings, tried in order: 一、 / 第一部分 / （一） (when a report
#: numbers its top level with brackets it has no 一、 headings)
_STYLES = (
    re.compile(_NUMERAL + r"[ \t]*[、.．][ \t]*"),
    re.compile(r"第" + _NUMERAL + r"部分[ \t]*[、.．:：]?[ \t]*"),
    re.compile(r"[（(]" + _NUMERAL + r"[)）][ \t]*"),
)
#: what may stand right before a heading's numeral: a sentence or line end, a table cell's
#: number or unit, or the title's last character when flattened page text runs it into 一、
_BEFORE = frozenset("\n。；;）) \t\u3000…！!？?0123456789告报元")
_TABLE_ROW_WORDS = ("本年新收", "上年结转", "本年度办理结果", "结转下年度", "下年度继续办理")
_HEADING_END_WORD = re.compile(r"(?:情况|概述|措施|事项|问题|说明|总结|计划|目标|附表|附件)")
_BODY_START = re.compile(r"[（(\[\d]|[。；;：:，,]|\s")
_MAX_HEADING = 40


def _heading(text: str, start: int, midline: bool = False) -> tuple[str, int]:
    """The heading starting at ``start`` and where its body begins.

    A heading at the start of its own line is the rest of the line. One that
    starts mid-line belongs to run-together text, possibly re-wrapped at
    arbitrary points, so its lines are joined before the body start is sought.
    """
    if midline:
        segment = text[start: start + 240]
        offsets = [i for i, ch in enumerate(segment) if ch != "\n"]
        joined = segment.replace("\n", "")
        heading, cut = _cut(joined)
        return heading, start + (offsets[cut] if cut < len(offsets) else len(segment))
    line_end = text.find("\n", start)
    if line_end < 0:
        line_end = len(text)
    line = text[start:line_end].rstrip()
    if len(line) <= _MAX_HEADING and not _BODY_START.search(line.strip()):
        return line.strip(), start + len(line)
    heading, cut = _cut(line)
    return heading, start + cut


def _cut(line: str) -> tuple[str, int]:
    """Heading run together with its body: cut after the last heading word ("…情况")
    before the body visibly starts (a numbering bracket, a digit, punctuation, a space)."""
    cut = len(line)
    b = _BODY_START.search(line)
    if b:
        cut = b.start()
    words = [w for w in _HEADING_END_WORD.finditer(line, 0, min(cut, _MAX_HEADING + 2)) if w.end() <= cut]
    if words:
        cut = words[-1].end()
    cut = min(cut, _MAX_HEADING)
    return line[:cut].strip(), cut


def _is_table_row(heading: str, after: str) -> bool:
    if any(w in heading.replace(" ", "") for w in _TABLE_ROW_WORDS):
        return True
    # a heading followed by number cells (not by a year such as "2013年") is a table row
    line = after.split("\n", 1)[0]
    m = re.match(r"[ \t]*[+-]?\d+(?:\.\d+)?(?![\d.]|[ \t]*[年月日])", line)
    return bool(m) or "\t" in heading


def split_sections(text: str) -> list[Section]:
    """The top-level sections in order: 一 first, each next numeral after the previous.

    Numbered 一、 … by most reports; 第一部分 … or （一）… by some: the first style that
    gives two sections or more is the report's.
    """
    best: list[Section] = []
    for style in _STYLES:
        sections = _split(text, style)
        if len(sections) >= 2:
            return sections
        best = best or sections
    return best


def _split(text: str, candidate: re.Pattern[str]) -> list[Section]:
    found: list[tuple[str, str, int, int]] = []  # numeral, heading, start, body_start
    expected = 0
    for m in candidate.finditer(text):
        if expected >= len(_NUMERALS):
            break
        if m.group(1) != _NUMERALS[expected]:
            continue
        if m.start() > 0 and text[m.start() - 1] not in _BEFORE:
            continue
        if found and m.start() < found[-1][3]:
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        heading, body_start = _heading(text, m.end(), midline=bool(text[line_start: m.start()].strip()))
        if not heading or _is_table_row(heading, text[body_start: body_start + 24]):
            continue
        if text[body_start: body_start + 1] in ("；", ";", "，", ",", "、"):
            continue  # an item of an inline list ("包括：一、总体情况；二、…"), not a heading
        found.append((m.group(1), heading, m.start(), body_start))
        expected += 1
    sections: list[Section] = []
    for i, (numeral, heading, _start, body_start) in enumerate(found):
        end = found[i + 1][2] if i + 1 < len(found) else len(text)
        body = text[body_start:end].strip()
        sections.append(Section(number=numeral, heading=heading, text=body))
    return sections
