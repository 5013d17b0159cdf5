"""Reports as attachments: PDF with a Chinese text layer, DOCX with real tables, "DOC".

PDF: reportlab's built-in ``STSong-Light`` CID font (no font files needed, the
text layer is real Unicode); tables are drawn as positioned text in ruled cells
so that text extraction sees columns, the way published PDFs of Word tables look.
DOCX: python-docx with merged cells for the rowspan/colspan headers.
DOC: many portals serve Word's "save as web page" output under a ``.doc`` name;
that is what the simulator serves (GBK, ``ProgId`` Word.Document), since a real
OLE2 .doc writer is not available in Python.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from portalsim.document import Cell, Para, ReportDoc, Table

__all__ = ["render_doc", "render_docx", "render_pdf"]

_FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
        _registered = True
    return _FONT


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy wrap by glyph width (CJK one em, ASCII half), never inside a number or word.

    Word breaks lines between CJK characters but keeps "2019" or "0591-23165385"
    whole; doing the same keeps the text layer as readable as a real export.
    """
    tokens = re.findall(r"[0-9A-Za-z.\-+@_:/%]+|.", text)
    lines, cur, w = [], "", 0.0
    for tok in tokens:
        tw = sum(size if ord(ch) > 0x2E7F else size * 0.5 for ch in tok)
        if w + tw > width and cur:
            lines.append(cur)
            cur, w = "", 0.0
        cur += tok
        w += tw
    if cur:
        lines.append(cur)
    return lines or [""]


def _col_widths(t: Table, total: float) -> list[float]:
    grid_w = len(t.grid()[0])
    need = [24.0] * grid_w
    for row in _positioned(t):
        for _r, c, cell in row:
            if cell.colspan == 1 and not cell.text.startswith("（本列"):
                need[c] = max(need[c], min(150.0, 7.5 * len(cell.text) + 6))
    scale = total / sum(need)
    return [n * scale for n in need]


def _positioned(t: Table) -> list[list[tuple[int, int, Cell]]]:
    taken: set[tuple[int, int]] = set()
    out: list[list[tuple[int, int, Cell]]] = []
    for r, row in enumerate(t.rows):
        c = 0
        placed = []
        for cell in row:
            while (r, c) in taken:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            placed.append((r, c, cell))
            c += cell.colspan
        out.append(placed)
    return out


def render_pdf(doc: ReportDoc) -> bytes:
    """An A4 PDF of the report: title, paragraphs, ruled tables, page numbers."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _font()
    buf = io.BytesIO()
    # invariant: the same report renders to the same bytes (no creation date, no random ID),
    # so a recrawl sees an unchanged sha256 even for documents it refetches in full.
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1, invariant=1)
    c.setTitle(doc.title)
    c.setAuthor(doc.agency)
    width, height = A4
    left, right, top, bottom = 56.0, width - 56.0, height - 60.0, 60.0
    y = top
    page = 1

    def new_page() -> None:
        nonlocal y, page
        c.setFont(font, 9)
        c.drawCentredString(width / 2, 30, f"-{page}-")
        c.showPage()
        page += 1
        y = top

    c.setFont(font, 16)
    for line in _wrap(doc.title, right - left, 16):
        c.drawCentredString(width / 2, y, line)
        y -= 24
    y -= 8
    for b in doc.blocks:
        if isinstance(b, Para):
            size = 11.0
            lines = _wrap(("" if b.heading else "　　") + b.text, right - left, size)
            for line in lines:
                if y < bottom:
                    new_page()
                c.setFont(font, size)
                c.drawString(left, y, line)
                y -= size * 1.7
            y -= 4
            continue
        assert isinstance(b, Table)
        size = 7.0
        widths = _col_widths(b, right - left)
        xs = [left]
        for w in widths:
            xs.append(xs[-1] + w)
        for row in _positioned(b):
            cells = []
            row_h = size * 2.2
            for _r, col, cell in row:
                span_w = xs[col + cell.colspan] - xs[col]
                lines = _wrap(cell.text, span_w - 4, size)
                cells.append((col, cell, lines, span_w))
                if cell.rowspan == 1:
                    row_h = max(row_h, len(lines) * size * 1.3 + size)
            if y - row_h < bottom:
                new_page()
            c.setFont(font, size)
            for col, _cell, lines, span_w in cells:
                ty = y - size * 1.3
                for line in lines:
                    c.drawString(xs[col] + 2, ty, line)
                    ty -= size * 1.3
                c.rect(xs[col], y - row_h, span_w, row_h, stroke=1, fill=0)
            y -= row_h
        y -= 10
    c.setFont(font, 9)
    c.drawCentredString(width / 2, 30, f"-{page}-")
    c.save()
    return buf.getvalue()


def _add_table(d: Any, t: Table) -> None:
    """A Word table with merged cells written as gridSpan/vMerge directly.

    python-docx's ``cell.merge`` is quadratic (over a second for the application
    table); the markup Word itself writes is simpler: one ``w:tc`` per cell
    start with ``gridSpan`` for column spans, ``vMerge`` restart/continue down.
    """
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    grid = t.grid()
    table = d.add_table(rows=len(grid), cols=len(grid[0]))
    table.style = "Table Grid"
    starts = {(r, c): cell for row in _positioned(t) for r, c, cell in row}
    covered: dict[tuple[int, int], tuple[int, bool]] = {}
    for (r, c), cell in starts.items():
        for dr in range(cell.rowspan):
            covered[(r + dr, c)] = (cell.colspan, dr == 0)
    for r, tr in enumerate(table._tbl.tr_lst):
        tcs = list(tr.tc_lst)
        for c in range(len(grid[0]) - 1, -1, -1):
            tc = tcs[c]
            if (r, c) not in covered:
                tr.remove(tc)
                continue
            span, first = covered[(r, c)]
            tcPr = tc.get_or_add_tcPr()
            if span > 1:
                gs = OxmlElement("w:gridSpan")
                gs.set(qn("w:val"), str(span))
                tcPr.append(gs)
            start = starts.get((r, c))
            rowspan = start.rowspan if start else 2
            if rowspan > 1 or not first:
                vm = OxmlElement("w:vMerge")
                if first:
                    vm.set(qn("w:val"), "restart")
                tcPr.append(vm)
            if start is not None:
                tc.xpath("./w:p")[0].append(_run(start.text))


def _run(text: str) -> Any:
    from docx.oxml import OxmlElement

    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = text
    r.append(t)
    return r


def render_docx(doc: ReportDoc) -> bytes:
    """A DOCX with paragraphs and real Word tables (merged header cells)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    d = docx.Document()
    d.core_properties.title = doc.title
    d.core_properties.author = doc.agency
    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run(doc.title).bold = True
    for b in doc.blocks:
        if isinstance(b, Para):
            para = d.add_paragraph()
            run = para.add_run(b.text)
            run.bold = b.heading
            continue
        assert isinstance(b, Table)
        _add_table(d, b)
    return docx_bytes(d)


def docx_bytes(d: Any) -> bytes:
    """Save a python-docx Document reproducibly.

    python-docx stamps each zip entry with the current time; a portal serving the same
    file twice serves the same bytes, so entries get a fixed timestamp (and the core
    properties fixed dates). A recrawl then sees an unchanged sha256.
    """
    import zipfile

    fixed = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    d.core_properties.created = d.core_properties.modified = fixed
    d.core_properties.last_printed = fixed
    raw = io.BytesIO()
    d.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            stable = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            stable.compress_type = zipfile.ZIP_DEFLATED
            stable.external_attr = info.external_attr
            dst.writestr(stable, src.read(info.filename))
    return out.getvalue()


def render_doc(doc: ReportDoc, body_html: str) -> bytes:
    """Word "web page" output saved as .doc (GBK), as found on many portals."""
    html = (
        '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">\n<head>\n'
        '<meta http-equiv=Content-Type content="text/html; charset=gb2312">\n'
        '<meta name=ProgId content=Word.Document>\n<meta name=Generator content="Microsoft Word 15">\n'
        f"<title>{doc.title}</title>\n</head>\n<body lang=ZH-CN style='tab-interval:21.0pt'>\n"
        f"<div class=WordSection1>\n<p class=MsoTitle align=center>{doc.title}</p>\n{body_html}\n</div>\n</body>\n</html>\n"
    )
    return html.encode("gbk", errors="xmlcharrefreplace")
