"""The three statutory tables of the 2019 and 2021 formats, read from text.

Extraction renders every table in place as tab-separated rows; PDF layout text
wraps rows over several lines; flattened page text runs the cells together. All
three are read the same way: the region is cut into label text and number cells
(``numbers.tokenize``), rows are found by their label keywords in template order
(tolerant of numbering style, typos, wrapped labels), and the number cells
between one row's keyword and the next belong to that row. Flattened digit runs
are split using the row and column arithmetic the template implies. Printed
numbers are never corrected; what cannot be read becomes a warning.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from parsers.numbers import Tok, parse_number, split_runs, to_stat, tokenize_lines
from parsers.record import Format

__all__ = ["COLUMNS", "TableResult", "parse_statutory_tables"]

COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total")
Stats = dict[str, float | int]
_TABLES_START = re.compile(r"第\s*二\s*十\s*条|本\s*年\s*新\s*收|本\s*年\s*度\s*新\s*收")

# (row key, label keywords): any keyword identifies the row (text compared without whitespace)
_APP_HEAD: list[tuple[str, tuple[str, ...]]] = [
    ("new_received", ("本年新收", "新收政府信息公开申请", "本年度新收")),
    ("carried_over", ("上年结转", "上年度结转")),
    ("granted", ("予以公开", "同意公开")),
    ("partially_granted", ("部分公开",)),
    ("denied.state_secret", ("国家秘密",)),
    ("denied.prohibited_by_law", ("法律行政法规禁止", "法规禁止公开", "禁止公开")),
    ("denied.three_safeties", ("三安全", "一稳定")),
    ("denied.third_party", ("第三方",)),
    ("denied.internal_affairs", ("内部事务",)),
    ("denied.process_info", ("过程性",)),
    ("denied.enforcement_files", ("执法案卷",)),
    ("denied.admin_inquiry", ("行政查询",)),
    ("unable.not_held", ("不掌握",)),
    ("unable.needs_creation", ("另行制作", "没有现成")),
    ("unable.unclear", ("仍不明确", "补正后")),
    ("not_processed.petition", ("信访", "举报投诉")),
    ("not_processed.repeated", ("重复申请",)),
    ("not_processed.publication", ("出版物",)),
    ("not_processed.excessive", ("大量反复", "反复申请")),
    ("not_processed.confirmation", ("重新出具", "确认或")),
]
_OTHER_2021: list[tuple[str, tuple[str, ...]]] = [
    ("other.overdue_correction", ("逾期不补正", "不补正")),
    ("other.overdue_fee", ("未按收费", "缴纳费用", "逾期未按")),
    ("other.other", ("其他", "其它")),
]
_OTHER_SINGLE: tuple[str, tuple[str, ...]] = ("other", ("其他处理", "其它处理"))
_APP_TAIL: list[tuple[str, tuple[str, ...]]] = [
    ("total", ("总计", "合计")),
    ("carried_forward", ("结转下年", "下年度继续", "转下年度")),
]
DENIED_ROWS = tuple(k for k, _ in _APP_HEAD if k.startswith("denied."))
OUTCOME_ROWS_2019 = (*(k for k, _ in _APP_HEAD[2:]), "other")
OUTCOME_ROWS_2021 = (*(k for k, _ in _APP_HEAD[2:]), *(k for k, _ in _OTHER_2021))

_UNIT_ONLY = re.compile(r"^\s*(?:件|条|个|项|人|次|起|宗)\s*$")
_REVIEW_RESULTS = ("upheld", "corrected", "other", "pending", "total")
_REVIEW_GROUPS = ("review", "litigation.direct", "litigation.after_review")

# 第二十条 rows: (key, keywords, 2019 columns, 2021 columns)
_ART20: list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
    ("rules", ("规章",), ("made", "published", "public_total"), ("issued", "repealed", "in_force")),
    ("normative", ("规范性文件",), ("made", "published", "public_total"), ("issued", "repealed", "in_force")),
    ("licensing", ("行政许可",), ("prior", "change", "decisions"), ("decisions",)),
    ("other_services", ("对外管理服务",), ("prior", "change", "decisions"), ()),
    ("penalty", ("行政处罚",), ("prior", "change", "decisions"), ("decisions",)),
    ("enforcement", ("行政强制",), ("prior", "change", "decisions"), ("decisions",)),
    ("fees", ("事业性收费",), ("prior", "change"), ("amount_wan",)),
    ("procurement", ("集中采购",), ("items", "amount_wan"), ()),
]


@dataclass(slots=True)
class TableResult:
    stats: Stats = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: row keys of the application table that were found, and whether （六） was split
    app_rows: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Stream:
    """Tokens plus their labels without whitespace, for keyword search across wrapped lines.

    Keywords are searched in the label text alone (``text``), so a label that
    wraps around its own number cells in PDF layout ("确认或重新出 / 1 0 0 … /
    具已获取信息") still reads as one label. A merged cell printed one character
    per line down the table's left side puts a stray character in front of row
    labels ("六  正、行政机关…" splits 不补正): a keyword not found in ``text`` is
    also searched in ``clean``, the label text without such line-initial single
    characters.
    """

    toks: list[Tok]
    comp: str  # label characters; each number/blank token is one "\x00"
    owner: list[int]  # token index of each character of comp
    text: str  # comp without the cell markers
    text_pos: list[int]  # position in comp of each character of text
    clean: str  # text without stray single characters at line starts
    clean_pos: list[int]  # position in comp of each character of clean

    @classmethod
    def of(cls, lines: list[list[Tok]]) -> _Stream:
        comp: list[str] = []
        owner: list[int] = []
        toks: list[Tok] = []
        stray: set[int] = set()  # comp positions of stray characters
        pos = 0
        for line in lines:
            for j, t in enumerate(line):
                i = len(toks)
                toks.append(t)
                piece = "".join(t.value.split()) if t.kind == "text" else "\x00"
                if j == 0 and t.kind == "text" and len(piece) == 1 and not piece.isascii():
                    stray.add(pos)
                comp.append(piece)
                owner.extend([i] * len(piece))
                pos += len(piece)
        joined = "".join(comp)
        text_pos = [i for i, ch in enumerate(joined) if ch != "\x00"]
        clean_pos = [i for i in text_pos if i not in stray] if stray else text_pos
        clean = "".join(joined[i] for i in clean_pos) if stray else joined.replace("\x00", "")
        return cls(toks, joined, owner, joined.replace("\x00", ""), text_pos, clean, clean_pos)

    def find(self, words: Sequence[str], start: int, end: int | None = None) -> tuple[int, int] | None:
        """Earliest match of any word within comp[start:end], as (start, end) positions in comp."""
        best = self._find(self.text, self.text_pos, words, start, end)
        if self.clean_pos is not self.text_pos:
            other = self._find(self.clean, self.clean_pos, words, start, end)
            if other is not None and (best is None or other[0] < best[0]):
                return other
        return best

    @staticmethod
    def _find(text: str, text_pos: list[int], words: Sequence[str], start: int,
              end: int | None) -> tuple[int, int] | None:
        tstart = bisect.bisect_left(text_pos, start)
        tstop = len(text) if end is None else bisect.bisect_left(text_pos, end)
        best: tuple[int, int] | None = None
        for w in words:
            i = text.find(w, tstart, tstop)
            if i >= 0 and (best is None or i < best[0]):
                best = (i, i + len(w))
        if best is None:
            return None
        return text_pos[best[0]], text_pos[best[1] - 1] + 1

    def cells(self, start: int, end: int) -> list[Tok]:
        """Number and blank tokens whose characters lie in comp[start:end]."""
        if start >= end:
            return []
        seen: list[Tok] = []
        last = -1
        for pos in range(start, min(end, len(self.comp))):
            if self.comp[pos] == "\x00":
                idx = self.owner[pos]
                if idx != last:
                    seen.append(self.toks[idx])
                    last = idx
        return seen


def _value(tok: Tok, wan: bool = False) -> float | int | None:
    if tok.kind != "num":
        return None
    v = parse_number(tok.value)
    if v is None:
        return None
    if wan and tok.unit == "元":
        return to_stat(v / 10000)
    return v


def _trim(cells: list[Tok], n: int) -> list[Tok]:
    """Drop layout filler (blank cells at the ends) until ``n`` cells remain."""
    cells = list(cells)
    while len(cells) > n and cells[-1].kind == "blank":
        cells.pop()
    while len(cells) > n and cells[0].kind == "blank":
        cells.pop(0)
    return cells


def _row_ok(cells: list[int]) -> bool:
    return sum(cells[:6]) == cells[6]


def _app_row_candidates(cells: list[Tok]) -> list[list[float | int | None]]:
    """Readings of one application-table row as the seven applicant columns."""
    cells = _trim(cells, 7)
    if len(cells) == 7:
        return [[_value(t) for t in cells]]
    if not cells or any(t.kind != "num" for t in cells):
        return []
    if len(cells) < 7:
        runs = [t.value.lstrip("+") for t in cells]
        cands = split_runs(runs, 7, _row_ok)
        if not cands:
            # the row's own total is misprinted (大渡口 2020: 10+1 → 10): no split adds up, so every
            # split is a candidate and the column checks choose (a warning says so)
            cands = split_runs(runs, 7, None)
            if len(cands) == 1:
                cands = cands * 2  # still reported as read by arithmetic
        return [list(c) for c in cands]
    # more number cells than columns: a stray cell; keep readings whose arithmetic holds
    vals = [_value(t) for t in cells]
    out: list[list[float | int | None]] = []
    for drop in range(len(vals)):
        rest = vals[:drop] + vals[drop + 1:]
        if len(rest) == 7 and all(isinstance(v, int) for v in rest) and _row_ok([int(v or 0) for v in rest]):
            out.append(rest)
    return out or [vals[-7:]]


def _column_score(rows: dict[str, list[float | int | None]], outcome_rows: Sequence[str]) -> int:
    """How many column checks (balance, outcomes) hold: to choose among flattened readings."""
    score = 0
    for c in range(7):
        def get(r: str, c: int = c) -> float | int | None:
            row = rows.get(r)
            return row[c] if row else None

        nr, co, tot, cf = get("new_received"), get("carried_over"), get("total"), get("carried_forward")
        if None not in (nr, co, tot, cf) and nr + co == tot + cf:  # type: ignore[operator]
            score += 1
        outs = [get(r) for r in outcome_rows if r in rows]
        if tot is not None and outs and all(v is not None for v in outs) and sum(outs) == tot:  # type: ignore[arg-type]
            score += 1
    return score


def _resolve(
    rows: dict[str, list[float | int | None]],
    ambiguous: dict[str, list[list[float | int | None]]],
    outcome_rows: Sequence[str],
    prose: frozenset[int],
) -> None:
    """Choose among the readings of run-together rows so that the most column checks hold.

    Tries every combination when there are few (they interact: a total row and a
    received row may both be ambiguous), otherwise one row at a time.
    """
    keys = list(ambiguous)
    combos = 1
    for k in keys:
        combos *= len(ambiguous[k])

    def score(trial: dict[str, list[float | int | None]]) -> tuple[int, int]:
        confirmed = sum(1 for k in keys for v in trial[k] if isinstance(v, int) and v >= 10 and v in prose)
        return (_column_score(trial, outcome_rows), confirmed)

    if combos <= 512:
        best_trial = max(
            ({**rows, **dict(zip(keys, choice, strict=True))} for choice in itertools.product(*(ambiguous[k] for k in keys))),
            key=score,
        )
        rows.update({k: best_trial[k] for k in keys})
        return
    for key in keys:
        rows[key] = max(ambiguous[key], key=lambda c, k=key: score({**rows, k: c}))  # type: ignore[misc]


def _parse_application(stream: _Stream, start: int, prose: frozenset[int], out: TableResult) -> int:
    """The application table from comp position ``start``; returns where it ended."""
    found: list[tuple[str, int, int]] = []  # key, kw start, kw end
    cursor = start
    for key, words in _APP_HEAD:
        hit = stream.find(words, cursor)
        if hit and (not found or hit[0] - cursor < 4000):
            found.append((key, *hit))
            cursor = hit[1]
    total_hit = stream.find(_APP_TAIL[0][1], cursor)
    limit = total_hit[0] if total_hit else None
    split = stream.find(_OTHER_2021[0][1], cursor, limit)
    if split:
        for key, words in _OTHER_2021:
            hit = stream.find(words, cursor, limit)
            if hit:
                found.append((key, *hit))
                cursor = hit[1]
    else:
        hit = stream.find(_OTHER_SINGLE[1], cursor, limit)
        if hit:
            found.append((_OTHER_SINGLE[0], *hit))
            cursor = hit[1]
    for key, words in _APP_TAIL:
        hit = stream.find(words, cursor)
        if hit:
            found.append((key, *hit))
            cursor = hit[1]
    if not found:
        return start
    # the last row's cells run until the next label text after its first cell
    last_end = found[-1][2]
    pos = last_end
    seen_cell = False
    while pos < len(stream.comp):
        ch = stream.comp[pos]
        if ch == "\x00":
            seen_cell = True
        elif seen_cell:
            break
        pos += 1
    table_end = pos

    rows: dict[str, list[float | int | None]] = {}
    ambiguous: dict[str, list[list[float | int | None]]] = {}
    for i, (key, kw_start, _e) in enumerate(found):
        nxt = found[i + 1][1] if i + 1 < len(found) else table_end
        cands = _app_row_candidates(stream.cells(kw_start, nxt))
        if not cands:
            if stream.cells(kw_start, nxt):
                out.warnings.append(f"application table row {key}: cannot read its cells")
            continue
        rows[key] = cands[0]
        if len(cands) > 1:
            ambiguous[key] = cands
    outcome_rows = OUTCOME_ROWS_2021 if split else OUTCOME_ROWS_2019
    if ambiguous:
        _resolve(rows, ambiguous, outcome_rows, prose)
        for key in ambiguous:
            out.warnings.append(f"application table row {key}: run-together cells read by column arithmetic")
    for key, vals in rows.items():
        for col, v in zip(COLUMNS, vals, strict=False):
            if v is not None:
                out.stats[f"requests.table.{key}.{col}"] = v
    out.app_rows = [k for k, _s, _e in found]
    return table_end


def _groups_ok(cells: list[int]) -> bool:
    return all(sum(cells[g * 5: g * 5 + 4]) == cells[g * 5 + 4] for g in range(len(cells) // 5))


def _parse_review(stream: _Stream, start: int, out: TableResult) -> None:
    """Review and litigation: 15 cells (复议 5, 直接起诉 5, 复议后起诉 5) after their header."""
    hit = stream.find(("行政复议",), start)
    if not hit:
        return
    cells: list[Tok] = []
    pos = hit[1]
    while pos < len(stream.comp):
        ch = stream.comp[pos]
        if ch == "\x00":
            tok = stream.toks[stream.owner[pos]]
            if not cells or cells[-1] is not tok:
                cells.append(tok)
        elif cells and not _UNIT_ONLY.match(stream.toks[stream.owner[pos]].value):
            break
        pos += 1
    cells = _trim(cells, 15)
    values: list[float | int | None] | None = None
    if len(cells) == 15:
        values = [_value(t) for t in cells]
    elif cells and all(t.kind == "num" for t in cells) and len(cells) < 15:
        runs = [t.value for t in cells]
        cands = split_runs(runs, 15, _groups_ok)
        if cands:
            values = list(cands[0])
            if len(cands) > 1:
                out.warnings.append("review/litigation table: run-together cells read by arithmetic")
        elif len(runs) == 1 and 15 < len(runs[0]) <= 17:
            # more digits than 15 single-digit cells can hold: a stray cell ran into the row; keep
            # the reading when every way of dropping one digit that balances gives the same cells
            found = {tuple(c) for drop in range(len(runs[0]))
                     for c in split_runs([runs[0][:drop] + runs[0][drop + 1:]], 15, _groups_ok)}
            if len(found) == 1:
                values = list(found.pop())
                out.warnings.append(f"review/litigation table: {len(runs[0])} digits run together under 15 "
                                    "columns; dropped one stray digit so that each total adds up")
    elif len(cells) > 15:
        vals = [_value(t) for t in cells]
        extra = len(vals) - 15
        for drop in range(len(vals)):
            rest = vals[:drop] + vals[drop + extra:]
            if all(isinstance(v, int) for v in rest) and _groups_ok([int(v or 0) for v in rest]):
                values = rest
                out.warnings.append(
                    f"review/litigation table: {len(vals)} numbers under 15 columns; "
                    f"dropped {extra} stray cell(s) at position {drop + 1} so that each total adds up"
                )
                break
        if values is None:
            values = vals[:15]
            out.warnings.append(f"review/litigation table: {len(vals)} numbers under 15 columns; read the first 15")
    if values is None:
        if cells:
            out.warnings.append(f"review/litigation table: {len(cells)} cells, expected 15")
        return
    for g, group in enumerate(_REVIEW_GROUPS):
        for r, res in enumerate(_REVIEW_RESULTS):
            v = values[g * 5 + r]
            if v is not None:
                out.stats[f"{group}.{res}"] = v


def _signed_split(cells: list[Tok], n: int, prose: frozenset[int], change_col: int) -> list[float | int | None] | None:
    """Run-together cells of a 2019 第二十条 row whose 本年增/减 carries its sign ("696-3215718").

    The sign says where the change cell starts, not where it ends: every split is a
    candidate, and a cell is kept only when all candidates agree on it or the prose
    confirms one reading. A shifted cell is worse than a missing one.
    """
    runs = [t.value.lstrip("+-") for t in cells]
    if not all(r.isdigit() for r in runs):
        return None
    cands = split_runs(runs, n, None, limit=4096)
    if not cands:
        return None
    starts, pos = {}, 0
    for t, r in zip(cells, runs, strict=True):
        if t.value[:1] in "+-":
            starts[pos] = -1 if t.value[0] == "-" else 1
        pos += len(r)
    signed: list[list[int]] = []
    for c in cands:
        offsets = [sum(len(str(v)) for v in c[:i]) for i in range(len(c))]
        if [i for i, o in enumerate(offsets) if o in starts] != [change_col]:
            continue  # the signed cell is the 本年增/减 column, and only it
        signed.append([v * starts.get(o, 1) for v, o in zip(c, offsets, strict=True)])
    if not signed:
        return None
    confirmed = [c for c in signed if all(abs(v) in prose for v in c if abs(v) >= 10)]
    pool = confirmed if len(confirmed) == 1 else signed
    return [pool[0][i] if all(c[i] == pool[0][i] for c in pool) else None for i in range(n)]


def _art20_candidates(cells: list[Tok], n: int, prose: frozenset[int], wan_cols: set[int],
                      change_col: int | None = None) -> list[float | int | None] | None:
    cells = _trim(cells, n)
    if len(cells) == n:
        return [_value(t, i in wan_cols) for i, t in enumerate(cells)]
    if len(cells) > n:
        return [_value(t, i in wan_cols) for i, t in enumerate(cells[:n])]
    if change_col is not None and cells and all(t.kind == "num" for t in cells) and any(
            t.value[:1] in "+-" for t in cells):
        return _signed_split(cells, n, prose, change_col)
    if not cells or any(t.kind != "num" or not t.value.isdigit() for t in cells):
        return None
    cands = split_runs([t.value for t in cells], n, None, limit=4096)
    if not cands:
        return None

    def score(c: list[int]) -> tuple[int, int, int]:
        confirmed = sum(1 for v in c if v >= 10 and v in prose)
        lengths = [len(str(v)) for v in c]
        return (confirmed, -(max(lengths) - min(lengths)), -lengths[0])

    best = max(cands, key=score)
    return list(best)


def _parse_art20(stream: _Stream, start: int, end: int, fmt: Format, prose: frozenset[int], out: TableResult) -> None:
    cursor = start
    found: list[tuple[str, int, int]] = []
    for key, words, _c19, _c21 in _ART20:
        hit = stream.find(words, cursor, end)
        if hit:
            found.append((key, *hit))
            cursor = hit[1]
    cols_of = {k: (c21 if fmt == "2021" else c19) for k, _w, c19, c21 in _ART20}
    for i, (key, _s, kw_end) in enumerate(found):
        cols = cols_of[key]
        if not cols:
            continue
        nxt = found[i + 1][1] if i + 1 < len(found) else end
        # stop at the next "第二十条" sub-table heading or at label text after the cells
        cells: list[Tok] = []
        sign = ""
        last = -1
        pos = kw_end
        while pos < nxt:
            ch = stream.comp[pos]
            if ch == "\x00":
                owner = stream.owner[pos]
                if owner != last:
                    tok = stream.toks[owner]
                    if sign and tok.kind == "num" and tok.value[:1] not in "+-":
                        tok = Tok("num", sign + tok.value, tok.unit)  # "696-3215718": the sign ran into the cells
                    cells.append(tok)
                    last = owner
                sign = ""
            elif cells and stream.comp.startswith("第二十条", pos):
                break
            else:
                sign = {"-": "-", "－": "-", "−": "-", "+": "+", "＋": "+"}.get(ch, "") if cells else ""
            pos += 1
        wan_cols = {j for j, c in enumerate(cols) if c.endswith("_wan")}
        vals = _art20_candidates(cells, len(cols), prose, wan_cols, cols.index("change") if "change" in cols else None)
        if vals is not None and None in vals and len(cells) < len(cols):
            out.warnings.append(f"第二十条 table row {key}: run-together cells split more than one way; "
                                "kept only the cells every reading agrees on")
        if vals is None:
            if cells:
                out.warnings.append(f"第二十条 table row {key}: cannot read {len(cells)} cell(s) as {len(cols)}")
            continue
        for col, v in zip(cols, vals, strict=False):
            if v is not None:
                out.stats[f"art20.{key}.{col}"] = v


def parse_statutory_tables(text: str, fmt: Format, prose: frozenset[int]) -> TableResult:
    """Stats keys of the application, review/litigation and 第二十条 tables found in ``text``."""
    out = TableResult()
    if fmt == "legacy":
        return out
    # tokenise only from the first table heading on: the prose before it holds no table cells
    first = _TABLES_START.search(text)
    if first is None:
        out.warnings.append("no statutory tables (第二十条 / 本年新收) found")
        return out
    stream = _Stream.of(tokenize_lines(text[first.start():]))
    app = stream.find(_APP_HEAD[0][1], 0)
    # the sub-table headings "第二十条第（一）项", not a sentence citing the article
    art20 = stream.find(("第二十条第（", "第二十条第(", "第二十条（", "第二十条("), 0, app[0] if app else None)
    if art20:
        _parse_art20(stream, art20[0], app[0] if app else len(stream.comp), fmt, prose, out)
    if app:
        end = _parse_application(stream, app[0], prose, out)
        _parse_review(stream, end, out)
    else:
        out.warnings.append("application table (本年新收…) not found")
    return out
