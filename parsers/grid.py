"""Table cells → a rectangular grid, and the grid → tab-separated lines.

Shared by the HTML and DOCX readers: both know cells with row/column spans,
and the report parser wants one rectangle where a merged label is repeated in
every cell it covers (so "（三）不予公开" labels each of its eight rows).
Spans are clamped: a hostile ``colspan=100000`` must not allocate a million cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = ["MAX_COLS", "MAX_ROWS", "Cell", "build_grid", "clean_cell", "grid_lines"]

MAX_COLS = 64
MAX_ROWS = 2000

#: (text, rowspan, colspan)
Cell = tuple[str, int, int]

_WS = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=[\u3000-\u9fff\uff00-\uffef])")


def clean_cell(text: str) -> str:
    """Whitespace collapsed; spaces between CJK characters dropped (Word wraps inside a cell)."""
    text = _WS.sub(" ", text).strip()
    return _CJK_GAP.sub("", text) if " " in text else text


def build_grid(rows: Iterable[Sequence[Cell]]) -> list[list[str]]:
    """Resolve rowspan/colspan into a rectangle; blank cells are ``""``; empty rows dropped."""
    placed: dict[tuple[int, int], str] = {}
    n_rows = 0
    width = 0
    for r, row in enumerate(rows):
        if r >= MAX_ROWS:
            break
        n_rows = r + 1
        c = 0
        for text, rowspan, colspan in row:
            while (r, c) in placed:
                c += 1
            if c >= MAX_COLS:
                break
            rowspan = max(1, min(rowspan, MAX_ROWS - r))
            colspan = max(1, min(colspan, MAX_COLS - c))
            for dr in range(rowspan):
                for dc in range(colspan):
                    placed.setdefault((r + dr, c + dc), text)
            c += colspan
        width = max(width, c)
    # rowspans that run past the last <tr> are clipped to the table
    grid = [[placed.get((r, c), "") for c in range(width)] for r in range(n_rows)]
    return [row for row in grid if any(row)]


def grid_lines(grid: Sequence[Sequence[str]]) -> list[str]:
    """One tab-separated line per grid row (cells never contain tabs: they are collapsed)."""
    return ["\t".join(row) for row in grid]
