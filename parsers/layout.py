"""Positioned text → page text, with the statutory tables read by position.

Re-splitting text lines cannot read a printed table reliably: a merged cell whose
label is printed one character per line (``三、本年度办理结果`` down the left side)
puts its characters in front of the row labels it spans, a label wrapped over two
or three lines has its numbers on the first, middle or last line, and a blank cell
is just a wider gap. Here the boxes themselves decide: rows by baseline (and by the
ruling lines where the PDF draws them), columns by the x-ranges of the header's leaf
cells, each number placed in the column it sits under, blank columns kept blank.

The input is a list of ``TextBox`` — one character per box from a PDF text layer,
or one word, cell or line per box from OCR — and optionally the page's ruling lines
(``Rule``). ``read_layout`` is the one entry point; it is pure and knows nothing of
pdfium, so the PDF reader and OCR feed it the same way.

The output is text, as every other reader produces: prose lines laid out like
``pdftotext -layout`` (columns kept apart by runs of spaces), and every table row
read by position rendered as one tab-separated line ``label<TAB>cell<TAB>…`` with
blank cells empty, the format the HTML and DOCX readers give and
``parsers.tables`` reads best. A merged group label (vertical or wrapped) is
written once, on a line of its own before the first row it spans. Numbers that lie
under no column are kept out of the rows and named in ``Layout.warnings``.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

__all__ = ["Box", "Layout", "Rule", "TextBox", "read_layout", "read_pages"]


@dataclass(frozen=True, slots=True)
class TextBox:
    """Text and where it is printed on its page.

    ``page`` counts from 1. Coordinates are in any unit that is the same for every
    box of a page (PDF points, image pixels); x grows to the right and **y grows
    downward** (``y0`` is the top edge, ``y1`` the bottom), as in images. ``text``
    is one character (PDF) or a word, cell or line (OCR); ``confidence`` is the OCR
    engine's score in 0..1, None when the text came from a text layer.
    """

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    confidence: float | None = None


#: a box as the readers pass it internally: (text, x0, y0, x1, y1), y downward
Box = tuple[str, float, float, float, float]


@dataclass(frozen=True, slots=True)
class Rule:
    """A ruling line (or a thin filled rectangle) drawn on a page, same coordinates as ``TextBox``."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(slots=True)
class Layout:
    """What ``read_layout`` read: one text per page, and how many tables it read by position."""

    pages: list[str] = field(default_factory=list)
    #: table blocks whose rows were read by position (0: the document has no table)
    tables: int = 0
    #: numbers that could not be placed under a column, by page and row
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(self.pages)


_NUM = re.compile(
    r"^[+＋]?[-－−]?(?:\d{1,3}(?:,\d{3})+|\d{1,15})(?:\.\d{1,8})?[ ]?(?:万元|元|件|条|个|项|人|次|%)?$"
)
_WIDE = re.compile(r"[\u2e80-\U0010ffff]")
_PLACEHOLDER = re.compile(r"^[/／—–\-－]{1,3}$")
_MARKER = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,2}[)）]|\d{1,2}[.、．](?!\d))")


class _Seg:
    """A run of boxes on one line with no gap wider than about half a character."""

    __slots__ = ("kind", "text", "x0", "x1", "y0", "y1")

    def __init__(self, x0: float, y0: float, x1: float, y1: float, text: str) -> None:
        self.x0, self.y0, self.x1, self.y1, self.text = x0, y0, x1, y1, text
        stripped = text.strip()
        self.kind = "num" if _NUM.match(stripped) else "blank" if _PLACEHOLDER.match(stripped) else "text"

    @property
    def mid(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cell(self) -> bool:
        return self.kind != "text"


class _Line:
    __slots__ = ("segs", "y0", "y1")

    def __init__(self, segs: list[_Seg]) -> None:
        self.segs = segs
        self.y0 = min(s.y0 for s in segs)
        self.y1 = max(s.y1 for s in segs)

    @property
    def mid(self) -> float:
        return (self.y0 + self.y1) / 2

    def cells(self) -> list[_Seg]:
        return [s for s in self.segs if s.cell]

    def tabular(self) -> bool:
        """A table row: two number cells, or a label and a number cell apart from it."""
        cells = nums = 0
        label = False
        for s in self.segs:
            if s.cell:
                cells += 1
                if s.kind == "num":
                    nums += 1
                if (nums and (nums >= 2 or label)) or (label and cells >= 3):
                    return True
            else:
                label = True
        return False


def _em(boxes: Sequence[Box]) -> float:
    """The page's typical box height; a sample of ~500 boxes gives the same median for far less."""
    heights = [b[4] - b[2] for b in boxes[:: max(1, len(boxes) // 500)] if b[4] > b[2]]
    return max(statistics.median(heights) if heights else 10.0, 4.0)


def _split_numbers(seg: _Seg) -> list[_Seg]:
    """An OCR box holding several cells ("0 0 3") becomes one segment per number."""
    parts = seg.text.split()
    if len(parts) < 2 or not all(_NUM.match(p) or _PLACEHOLDER.match(p) for p in parts):
        return [seg]
    total = len(seg.text)
    width = seg.x1 - seg.x0
    out: list[_Seg] = []
    pos = 0
    for p in parts:
        start = seg.text.index(p, pos)
        pos = start + len(p)
        out.append(_Seg(seg.x0 + width * start / total, seg.y0, seg.x0 + width * pos / total, seg.y1, p))
    return out


def _lines(boxes: Sequence[Box], em: float) -> list[_Line]:
    """Boxes grouped into lines by vertical centre, each line cut into segments at wide gaps.

    The per-box loops stay on plain tuples and comparisons (no min/max calls): this
    is the part of reading a PDF page that grows with its characters."""
    same_line, wide, narrow = em * 0.45, em * 0.6, em * 0.15
    ordered = sorted(boxes, key=lambda b: b[2] + b[4])
    groups: list[list[Box]] = []
    centre = 0.0
    group: list[Box] = []
    for b in ordered:
        mid = (b[2] + b[4]) / 2
        if group and -same_line <= mid - centre <= same_line:
            group.append(b)
            # the line's centre follows its boxes: one stray box (a vertical label's
            # character between two rows) must not decide where the row's line lies
            centre += (mid - centre) / len(group)
        else:
            group = [b]
            groups.append(group)
            centre = mid
    lines: list[_Line] = []
    by_left = itemgetter(1)
    for group in groups:
        group.sort(key=by_left)
        segs: list[_Seg] = []
        parts: list[str] = []
        x0 = y0 = x1 = y1 = 0.0
        for text, bx0, by0, bx1, by1 in group:
            if parts and bx0 - x1 > wide:
                segs.extend(_split_numbers(_Seg(x0, y0, x1, y1, "".join(parts))))
                parts = []
            if not parts:
                x0, y0, x1, y1 = bx0, by0, bx1, by1
            else:
                if bx0 - x1 > narrow:
                    parts.append(" ")
                if bx1 > x1:
                    x1 = bx1
                if by0 < y0:
                    y0 = by0
                if by1 > y1:
                    y1 = by1
            parts.append(text)
        if parts:
            segs.extend(_split_numbers(_Seg(x0, y0, x1, y1, "".join(parts))))
        lines.append(_Line(segs))
    return lines


def _render(line: _Line, x_min: float, em: float) -> str:
    """A prose line as ``pdftotext -layout`` would print it: x position in half-em columns."""
    unit, wide = em / 2, em * 0.6
    out: list[str] = []
    col = 0
    prev: _Seg | None = None
    for s in line.segs:
        target = round((s.x0 - x_min) / unit)
        pad = target if prev is None else (max(2, target - col) if s.x0 - prev.x1 > wide else 1)
        if pad > 0:
            out.append(" " * pad)
            col += pad
        out.append(s.text)
        col += len(s.text) + len(_WIDE.findall(s.text))  # CJK takes two columns
        prev = s
    return "".join(out).rstrip()


# --- tables -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    """A run of table lines: header lines, then rows (tabular lines) and the lines between."""

    header: list[_Line]
    lines: list[_Line]  # from the first tabular line to the last, everything between included
    columns: list[tuple[float, float]] = field(default_factory=list)


def _num_left(line: _Line) -> float:
    """Left edge of a row's cell area: its first cell after the label."""
    for i, s in enumerate(line.segs):
        if s.cell and (i > 0 or len(line.segs) > 1 or s.kind == "num"):
            return s.x0
    return line.segs[-1].x1


def _blocks(lines: list[_Line], em: float) -> list[_Block]:
    """Table blocks: tabular lines with the label-only lines between them that stay in the label area.

    A line between two rows that reaches over the cell area (a heading across the
    page, the next table's header) ends the block; the next block starts at its
    first tabular line, with the lines above that carry header cells as its header.
    """
    blocks: list[_Block] = []
    current: list[_Line] | None = None
    pending: list[_Line] = []  # label-only lines after the last tabular line
    for line in lines:
        if not line.tabular():
            if current is not None:
                pending.append(line)
            continue
        if current is not None:
            limit = min(_num_left(current[-1]), _num_left(line)) + em * 0.3
            chain = [current[-1], *pending, line]
            gap_ok = all(b.y0 - a.y1 < em * 5 for a, b in itertools.pairwise(chain))
            if gap_ok and all(max(s.x1 for s in p.segs) <= limit for p in pending):
                current.extend(pending)
                current.append(line)
                pending = []
                continue
            blocks.append(_Block([], current))
        current = [line]
        pending = []
    if current is not None:
        blocks.append(_Block([], current))
    # headers: label-only lines directly above each block's first row that reach over its cells
    for b in blocks:
        first = lines.index(b.lines[0])
        b.header = _header(lines, max(0, first - 8), first, b.lines[0], em)
    return blocks


def _header(lines: list[_Line], lo: int, first: int, row: _Line, em: float) -> list[_Line]:
    """The header lines above row ``first``: contiguous, each with a segment over the cell area."""
    left = _num_left(row) - em * 0.5
    out: list[_Line] = []
    below = row
    for i in range(first - 1, lo - 1, -1):
        line = lines[i]
        if line.tabular() or below.y0 - line.y1 > em * 5:
            break
        if not any(s.x1 > left for s in line.segs):
            break
        out.append(line)
        below = line
    out.reverse()
    return out


def _leaf_columns(header: list[_Line], left: float) -> list[tuple[float, float]]:
    """Column x-ranges from the header's leaf cells (a cell spanning two lower cells is a parent)."""
    segs = [s for line in header for s in line.segs if s.x1 > left]
    leaves = []
    for s in segs:
        inside = [o for o in segs if o is not s and o.y0 > s.y1 - 1 and s.x0 <= o.mid <= s.x1]
        inside.sort(key=lambda o: o.x0)
        disjoint = sum(1 for a, b in itertools.pairwise(inside) if b.x0 >= a.x1)
        if disjoint == 0:
            leaves.append((s.x0, s.x1))
    return _merge_ranges(leaves)


def _merge_ranges(ranges: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for x0, x1 in sorted(ranges):
        if out and x0 < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], x1))
        else:
            out.append((x0, x1))
    return out


def _data_columns(rows: list[_Line], left: float, em: float) -> list[tuple[float, float]]:
    """Column x-ranges from the cells themselves, when the header gives none."""
    cells = sorted((s for r in rows for s in r.segs if s.cell and s.x0 >= left), key=lambda s: s.mid)
    clusters: list[list[_Seg]] = []
    for s in cells:
        if clusters and s.mid - statistics.fmean(c.mid for c in clusters[-1]) <= em:
            clusters[-1].append(s)
        else:
            clusters.append([s])
    return [(min(s.x0 for s in c), max(s.x1 for s in c)) for c in clusters]


def _column_of(seg: _Seg, columns: list[tuple[float, float]], em: float) -> int | None:
    best, best_d = None, em * 1.5
    for i, (x0, x1) in enumerate(columns):
        d = 0.0 if x0 - em * 0.3 <= seg.mid <= x1 + em * 0.3 else min(abs(seg.mid - x0), abs(seg.mid - x1))
        if d < best_d or (d == 0.0 and best_d == 0.0 and best is not None
                           and abs(seg.mid - (x0 + x1) / 2) < abs(seg.mid - sum(columns[best]) / 2)):
            best, best_d = i, d
    return best


def _rules_between(rules: Sequence[Rule], a: float, b: float, x0: float, x1: float) -> bool:
    lo, hi = min(a, b), max(a, b)
    return any(lo < (r.y0 + r.y1) / 2 < hi and r.x0 < x1 and r.x1 > x0 for r in rules)


@dataclass(slots=True)
class _Row:
    y: float
    label: list[str]
    cells: list[str] | None  # None: a label-only line written as it stands


def _read_block(block: _Block, page: int, rules: Sequence[Rule], em: float,
                carried: list[tuple[float, float]] | None, warnings: list[str]) -> list[tuple[float, str]] | None:
    """A block's rows as (y, text) lines: group labels once, then ``label<TAB>cells`` rows.

    None when the block cannot be read by position: label text printed over the
    cell area, or a number under no column or under a taken one. The caller then
    lays the block out as text, which the text reader handles as well as it can,
    and the warning names the rows that could not be placed.
    """
    anchors = [ln for ln in block.lines if ln.tabular()]
    left = min(_num_left(a) for a in anchors) - em * 0.3
    for a in anchors:
        over = [s for s in a.segs if not s.cell and s.x0 >= left]
        if over:
            warnings.append(f"page {page}: row {a.segs[0].text.strip()!r}: label text {over[0].text.strip()!r} "
                            "printed over the table's cells; table read from its text lines")
            return None
    columns = _leaf_columns(block.header, left)
    widest = max(len([s for s in a.segs if s.cell and s.x0 >= left]) for a in anchors)
    if len(columns) < widest:
        columns = carried if carried and len(carried) >= widest else _data_columns(anchors, left, em)
    block.columns = columns

    # vertical stacks: one or two characters per line at one x, on neighbouring lines
    labels = {id(s) for ln in block.lines for s in ln.segs if not (s.cell and s.x0 >= left)}
    # (on a row's line only beside a label to its right: a lone short label there is the row's own)
    short = [(ln, s) for ln in block.lines for s in ln.segs
             if id(s) in labels and len(s.text.strip()) <= 2 and not _MARKER.match(s.text.strip())
             and (not ln.tabular() or any(id(o) in labels and o.x0 > s.x1 for o in ln.segs))]
    group: set[int] = set()
    for ln, s in short:
        for ln2, s2 in short:
            if ln2 is not ln and abs(s2.mid - s.mid) < em * 0.6 and abs(ln2.mid - ln.mid) < em * 3.5:
                group.add(id(s))
                break
    # on a line, every label segment left of the rightmost one belongs to a merged group cell
    for ln in block.lines:
        lab = [s for s in ln.segs if id(s) in labels and id(s) not in group]
        for s in lab[:-1]:
            group.add(id(s))
    # a lone label line lying left of where the neighbouring rows' labels start is a group piece too
    row_x0: dict[int, float] = {}
    for a in anchors:
        lab = [s for s in a.segs if id(s) in labels and id(s) not in group]
        if lab:
            row_x0[id(a)] = lab[-1].x0
    for i, ln in enumerate(block.lines):
        if ln.tabular():
            continue
        above = next((row_x0[id(x)] for x in reversed(block.lines[:i]) if id(x) in row_x0), None)
        below = next((row_x0[id(x)] for x in block.lines[i + 1:] if id(x) in row_x0), None)
        starts = [v for v in (above, below) if v is not None]
        for s in ln.segs:
            if id(s) not in group and starts and s.x1 <= min(starts) - em * 0.3:
                group.add(id(s))

    out: list[tuple[float, str]] = []
    unplaced = len(warnings)
    # group labels: pieces chained by x-overlap and vertical nearness, written once
    pieces = sorted(((ln, s) for ln in block.lines for s in ln.segs if id(s) in group), key=lambda p: p[0].mid)
    chains: list[list[tuple[_Line, _Seg]]] = []
    for ln, s in pieces:
        for chain in chains:
            last_ln, last_s = chain[-1]
            if s.x0 < last_s.x1 + em * 0.3 and s.x1 > last_s.x0 - em * 0.3 and ln.mid - last_ln.mid < em * 3.5:
                chain.append((ln, s))
                break
        else:
            chains.append([(ln, s)])
    for chain in chains:
        out.append((chain[0][0].mid - 0.01, "".join(s.text.strip() for _, s in chain)))

    # rows: each tabular line, with the label-only lines that belong to its cell
    rows: list[_Row] = []
    for ln in block.lines:
        names = [s.text.strip() for s in ln.segs if id(s) in labels and id(s) not in group]
        if ln.tabular():
            cells: list[str] = [""] * len(columns)
            for s in ln.segs:
                if id(s) in labels:
                    continue
                col = _column_of(s, columns, em)
                text = s.text.strip()
                if col is None:
                    warnings.append(f"page {page}: cell {text!r} of row {''.join(names) or '?'!r} "
                                    "lies under no column; table read from its text lines")
                elif cells[col]:
                    warnings.append(f"page {page}: cells {cells[col]!r} and {text!r} of row "
                                    f"{''.join(names) or '?'!r} lie under one column; table read from its text lines")
                else:
                    cells[col] = text
            rows.append(_Row(ln.mid, names, cells))
        elif names:
            rows.append(_Row(ln.mid, names, None))
    if len(warnings) > unplaced:
        return None
    _attach(rows, block, rules, em)
    for r in rows:
        label = "".join(r.label)
        if r.cells is None:
            if label:
                out.append((r.y, label))
        elif label:
            out.append((r.y, "\t".join([label, *r.cells])))
        else:
            out.append((r.y, "\t".join(r.cells)))
    return out


def _attach(rows: list[_Row], block: _Block, rules: Sequence[Rule], em: float) -> None:
    """Label-only lines join the row whose cell they are printed in (wrapped labels).

    With ruling lines, a line joins the row with no rule between them. Without, a
    line that starts a numbered label ("1." "（二）" "三、") opens the next row's
    label unless that row has its own numbered label; other lines continue the
    nearer row. Lines that fit neither are kept as they stand.
    """
    x0 = min(s.x0 for ln in block.lines for s in ln.segs)
    x1 = block.columns[0][0] if block.columns else x0 + em * 10
    ruled = [r for r in rules if r.y1 - r.y0 < em * 0.5 and r.x0 < x1 and r.x1 > x0
             and block.lines[0].y0 - em < r.y0 < block.lines[-1].y1 + em]
    use_rules = len(ruled) >= 2
    ahead: dict[int, int] = {}
    i = 0
    while i < len(rows):
        r = rows[i]
        if r.cells is not None:
            i += 1
            continue
        prev = next((j for j in range(i - 1, -1, -1) if rows[j].cells is not None), None)
        nxt = next((j for j in range(i + 1, len(rows)) if rows[j].cells is not None), None)
        target: int | None = None
        if use_rules:
            for j in (prev, nxt):
                if j is not None and not _rules_between(ruled, rows[j].y, r.y, x0, x1):
                    target = j
                    break
        else:
            marker = bool(_MARKER.match(r.label[0]))
            d_prev = r.y - rows[prev].y if prev is not None else None
            d_next = rows[nxt].y - r.y if nxt is not None else None
            # the next row's own first label line, not one this loop moved in front of it
            own = rows[nxt].label[ahead.get(id(rows[nxt]), 0):] if nxt is not None else []
            next_numbered = bool(own) and bool(_MARKER.match(own[0]))
            if marker and nxt is not None and not next_numbered and d_next is not None and d_next < em * 4:
                target = nxt
            elif not marker and d_prev is not None and (d_next is None or d_prev <= d_next) and d_prev < em * 4:
                target = prev
            elif not marker and d_next is not None and not next_numbered and d_next < em * 4:
                target = nxt
        if target is None:
            i += 1
            continue
        if target < i:
            rows[target].label.extend(r.label)
        else:  # after the lines of its label already moved in, before the row's own line
            at = ahead.get(id(rows[target]), 0)
            rows[target].label[at:at] = r.label
            ahead[id(rows[target])] = at + len(r.label)
        del rows[i]


# --- pages ---------------------------------------------------------------------------------


def _placed_blocks(page: int, lines: list[_Line], rules: Sequence[Rule], em: float,
                   carried: list[tuple[float, float]] | None, layout: Layout,
                   ) -> tuple[list[tuple[_Block, list[tuple[float, str]]]], list[tuple[float, float]] | None]:
    """The page's table blocks read by position, each with its rows as (y, text)."""
    placed: list[tuple[_Block, list[tuple[float, str]]]] = []
    for block in _blocks(lines, em):
        if sum(1 for ln in block.lines if ln.tabular()) < 2 and not block.header:
            continue  # a lone line with a number apart is not a table
        rows = _read_block(block, page, rules, em, carried, layout.warnings)
        if rows is None:
            continue
        carried = block.columns
        layout.tables += 1
        placed.append((block, sorted(rows, key=lambda r: r[0])))
    return placed, carried


def _read_page(page: int, boxes: Sequence[Box], rules: Sequence[Rule],
               carried: list[tuple[float, float]] | None, layout: Layout) -> list[tuple[float, float]] | None:
    em = _em(boxes)
    lines = _lines(boxes, em)
    x_min = min(map(itemgetter(1), boxes))
    placed, carried = _placed_blocks(page, lines, rules, em, carried, layout)
    starts = {id(b.lines[0]): (b, rows) for b, rows in placed}
    skip = {id(ln) for b, _rows in placed for ln in b.lines}
    rendered: list[str] = []
    prev_y1: float | None = None
    for line in lines:
        if id(line) in starts:
            block, rows = starts[id(line)]
            if prev_y1 is not None and line.y0 - prev_y1 > em * 1.2:
                rendered.append("")
            rendered.extend(text for _, text in rows)
            prev_y1 = block.lines[-1].y1
            continue
        if id(line) in skip:
            continue
        if prev_y1 is not None and line.y0 - prev_y1 > em * 1.2:
            rendered.append("")
        rendered.append(_render(line, x_min, em))
        prev_y1 = line.y1
    layout.pages.append("\n".join(rendered))
    return carried


def read_layout(boxes: Iterable[TextBox], rules: Iterable[Rule] = ()) -> Layout:
    """Positioned text of a document → its text, page by page, tables read by position.

    Pages are read in order; a table that runs onto the next page without repeating
    its header keeps the previous page's columns. Pages without boxes give "".
    Pure: no I/O, work linear in the boxes (quadratic only within a table's label area).
    """
    pages: dict[int, list[Box]] = {}
    for b in boxes:
        if b.text and not b.text.isspace():
            pages.setdefault(b.page, []).append((b.text, b.x0, b.y0, b.x1, b.y1))
    return read_pages([pages.get(p, []) for p in range(1, max(pages, default=0) + 1)], rules)


def read_pages(pages: Sequence[Sequence[Box]], rules: Iterable[Rule] = ()) -> Layout:
    """``read_layout`` for boxes already split by page (page 1 first) as ``Box`` tuples.

    The PDF reader's path: a page has thousands of characters, and making a
    ``TextBox`` of each cost ~1.5 µs a character, a quarter of reading the page.
    """
    rules_by_page: dict[int, list[Rule]] = {}
    for r in rules:
        rules_by_page.setdefault(r.page, []).append(r)
    layout = Layout()
    carried: list[tuple[float, float]] | None = None
    for number, page_boxes in enumerate(pages, start=1):
        if not page_boxes:
            layout.pages.append("")
            continue
        carried = _read_page(number, page_boxes, rules_by_page.get(number, ()), carried, layout)
    return layout
