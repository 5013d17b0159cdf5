"""Numbers as reports print them: normalising text, tokenising table cells, splitting digit runs.

Reports reach us as tab-separated rows (HTML/DOCX), as ``pdftotext -layout``
columns, or flattened into one line where the cells ran together ("898989" is
89 | 89 | 89). Everything here is pure and bounded: the patterns have no nested
quantifiers, and the digit-run splitter stops after a fixed number of steps, so
hostile input cannot make parsing slow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Tok",
    "compact",
    "normalize_text",
    "parse_number",
    "prose_numbers",
    "split_runs",
    "to_stat",
    "tokenize",
    "tokenize_lines",
]

_FULLWIDTH: dict[int, int | None] = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}  # ０-９
_FULLWIDTH.update({code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_FULLWIDTH.update({code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_FULLWIDTH.update({0x3000: 0x20, 0xA0: 0x20, 0xFF0E: 0x2E, 0x2002: 0x20, 0x2003: 0x20, 0xFEFF: None})

# Page artefacts that converters leave inside the body: "-3-", "— 7 —", "第 3 页",
# "PAGE 7" (Word field codes), and "PAGE" alone followed by the number line.
_PAGE_LINE = re.compile(
    r"^[ \t]*(?:[-－—–][ \t]*\d{1,3}[ \t]*[-－—–]|第[ \t]*\d{1,3}[ \t]*页(?:[ \t]*共[ \t]*\d{1,3}[ \t]*页)?"
    r"|PAGE[ \t]*\d{0,3}|\d{1,3}[ \t]*/[ \t]*\d{1,3})[ \t]*$",
    re.MULTILINE,
)
_PAGE_FIELD = re.compile(r"^[ \t]*PAGE[ \t]*\n[ \t]*\d{1,3}[ \t]*$", re.MULTILINE)
_WS = re.compile(r"\s+")
_NEEDS_TRANSLATE = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000\xa0\uff0e\u2002\u2003\ufeff]")


def normalize_text(text: str) -> str:
    """Half-width digits and letters, one newline style, page artefacts removed.

    Punctuation is left as printed (headings and titles are reported as
    published); only what changes how numbers read is normalised.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _NEEDS_TRANSLATE.search(text):  # str.translate is slow on CJK text: only when needed
        text = text.translate(_FULLWIDTH)
    text = _PAGE_FIELD.sub("", text)
    return _PAGE_LINE.sub("", text)


def compact(text: str) -> str:
    """The text without any whitespace: labels wrapped over lines read as one word."""
    return _WS.sub("", text)


def to_stat(value: float) -> float | int:
    """Integral values as ``int`` so the JSON shows 3119, not 3119.0."""
    if isinstance(value, int):
        return value
    return int(value) if value.is_integer() else round(value, 6)


_NUMBER = re.compile(r"^[+＋]?([-－−]?)(\d{1,15}(?:\.\d{1,8})?)$")


def parse_number(cell: str) -> float | int | None:
    """A printed cell as a number: "+16" is 16, "-32" is -32; "/", "—" and blanks are None."""
    if cell.isascii() and cell.isdigit():
        return int(cell)
    m = _NUMBER.match(cell.strip().replace(",", "").replace("，", ""))
    if not m:
        return None
    value = float(m.group(2))
    if m.group(1):
        value = -value
    return to_stat(value)


@dataclass(frozen=True, slots=True)
class Tok:
    """One piece of a table region: label text, a number cell, or a blank cell."""

    kind: Literal["text", "num", "blank"]
    value: str
    unit: str = ""  # "元" or "万元" when printed right after the number


# Row numbering that is label, not data: "1." "2、" "(3)" "（4）". In flattened text
# the numbering digit sticks to the previous cells ("00000002.其他…"), so only the
# single digit before the dot is taken.
_NUMBERING = re.compile(r"\d[.、．](?=[ \t]*[^\d\s])|[（(]\d{1,2}[)）]")
_LINE_TOKEN = re.compile(
    r"[ \t\u3000]+"  # separators, consumed in one step
    r"|(?P<num>(?<![\d.])[+＋\-－−]?(?:\d{1,3}(?:,\d{3})+|\d{1,40})(?:\.\d{1,8})?)(?P<unit>[ \t]{0,2}万?元)?"
    r"|(?P<blank>(?<!\S)[/／—–\-－]{1,3}(?!\S))"
    r"|(?P<text>[^\d\s/／]+|[/／])"
)
_VALUE_CELL = re.compile(
    r"^[ \t]*(?:(?P<num>[+＋\-－−]?(?:\d{1,3}(?:,\d{3})+|\d{1,40})(?:\.\d{1,8})?)[ \t]*(?P<unit>万元|元|件|条|个|项|人|次|%)?|(?P<blank>[/／—–\-－]{0,3}))[ \t]*$"
)


def _tokenize_tab_line(line: str) -> list[Tok]:
    cells = line.split("\t")
    last_label = -1
    for i, cell in enumerate(cells):
        if not _VALUE_CELL.match(cell):
            last_label = i
    if not any(_VALUE_CELL.match(c) and c.strip() not in ("", "/", "／", "—", "-", "－", "–") for c in cells[last_label + 1:]):
        # a header or label-only line: its empty cells are layout, not blank values
        return [Tok("text", cell) for cell in cells[: last_label + 1]]
    toks: list[Tok] = []
    for i, cell in enumerate(cells):
        if i <= last_label:
            toks.append(Tok("text", cell))
            continue
        m = _VALUE_CELL.match(cell)
        if m and m.group("num"):
            unit = m.group("unit") or ""
            toks.append(Tok("num", m.group("num"), unit if unit.endswith("元") else ""))
        else:
            toks.append(Tok("blank", cell.strip()))
    return toks


def tokenize(region: str) -> list[Tok]:
    """Label text, number cells and blank cells of a table region, in reading order.

    Tab-separated lines keep their blank cells (the position says which column is
    blank); in layout or flattened text only printed placeholders ("/", "—") are
    blank cells, and whitespace merely separates cells.
    """
    return [t for line in tokenize_lines(region) for t in line]


def tokenize_lines(region: str) -> list[list[Tok]]:
    """``tokenize``, one list per line: where a line starts matters for stray characters."""
    region = _NUMBERING.sub(" ", region)
    lines: list[list[Tok]] = []
    for line in region.split("\n"):
        if "\t" in line:
            lines.append(_tokenize_tab_line(line))
            continue
        toks: list[Tok] = []
        for m in _LINE_TOKEN.finditer(line):
            if m.lastgroup is None:
                continue
            if m.group("num") is not None:
                unit = (m.group("unit") or "").replace(" ", "").replace("\t", "")
                toks.append(Tok("num", m.group("num"), unit))
            elif m.group("blank") is not None:
                toks.append(Tok("blank", m.group("blank")))
            else:
                toks.append(Tok("text", m.group("text")))
        lines.append(toks)
    return lines


_MAX_STEPS = 20000


def _splits(s: str, forced: frozenset[int], n: int, max_len: int, budget: list[int]) -> Iterator[list[str]]:
    """Every way to cut ``s`` into ``n`` parts that cuts at each forced position.

    Parts have no leading zeros ("07" is not a cell) and at most ``max_len``
    digits. ``budget`` bounds the work across the whole search.
    """

    def rec(start: int, k: int) -> Iterator[list[str]]:
        budget[0] -= 1
        if budget[0] < 0:
            return
        if k == 1:
            part = s[start:]
            if (
                part
                and len(part) <= max_len
                and (len(part) == 1 or part[0] != "0")
                and not any(start < f < len(s) for f in forced)
            ):
                yield [part]
            return
        for end in range(start + 1, min(len(s) - k + 1, start + max_len) + 1):
            for rest in rec(end, k - 1):
                yield [s[start:end], *rest]
            if s[start] == "0" or end in forced:
                break

    yield from rec(0, n)


def split_runs(
    runs: Sequence[str], n: int, accept: Callable[[list[int]], bool] | None = None, limit: int = 64
) -> list[list[int]]:
    """Ways to read digit runs as exactly ``n`` cells, e.g. "713000074" as 71|3|0|0|0|0|74.

    Runs that were separated by whitespace are never joined. ``accept`` filters
    candidates (row/column arithmetic); at most ``limit`` candidates are returned
    and the search is bounded, so a hostile run cannot take long.
    """
    if not runs or any(not r.isdigit() for r in runs) or n < len(runs):
        return []
    s = "".join(runs)
    if len(s) < n or len(s) > 60:
        return []
    forced: set[int] = set()
    pos = 0
    for r in runs[:-1]:
        pos += len(r)
        forced.add(pos)
    out: list[list[int]] = []
    budget = [_MAX_STEPS]
    max_len = min(len(s) - n + 1, 12)
    for parts in _splits(s, frozenset(forced), n, max_len, budget):
        cells = [int(p) for p in parts]
        if accept is None or accept(cells):
            out.append(cells)
            if len(out) >= limit:
                break
    return out


_PROSE_NUMBER = re.compile(r"(?<![\d.])\d{2,12}(?![\d.])")


def prose_numbers(text: str) -> frozenset[int]:
    """Numbers of two or more digits printed on their own in the text.

    Used to choose between readings of a flattened cell run: the reading whose
    cells the prose also states ("现行有效…698件") wins.
    """
    return frozenset(int(m.group()) for m in _PROSE_NUMBER.finditer(text))
