"""PDF attachments → layout-preserving text, read with pdfium.

pypdfium2 reads a page's text layer in 1–5 ms where pdfplumber needs 60–80 ms,
and both decode Chinese CID fonts. We place every character by its box, like
``pdftotext -layout``: lines are grouped by vertical position and cells of a
table row stay on one line, kept apart by runs of spaces (the report parser
reads tables from that, see ``corpus/text/jiangsu_huaian_2024.pdf.txt``).

Pages without a usable text layer (scans, ``(cid:NNN)`` garbage) are flagged
for OCR; a document with none at all is refused as ``no_text_layer``.
The work runs in the bounded worker (``parsers.limits.run_isolated``): the
functions here that the worker calls return plain tuples, never raise
ParseError across the process boundary (it does not pickle with its fields).
"""

from __future__ import annotations

import ctypes
import re
import statistics
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from parsers.errors import ErrorKind, ParseError
from parsers.limits import Limits, run_isolated
from parsers.record import ExtractedDoc

__all__ = ["extract_pdf", "layout_text", "pdf_pages"]

#: (page texts, page numbers needing OCR) or an error (kind, reason)
PdfResult = tuple[str, list[str], list[int]] | tuple[str, ErrorKind, str]

_CJK = re.compile(r"[\u3400-\u9fff]")
_CID = re.compile(r"\(cid:\d+\)")
_PRIVATE = re.compile(r"[\ue000-\uf8ff\ufffd]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: a page with fewer CJK characters than this (and an image, or garbage) needs OCR
_MIN_CJK_PER_PAGE = 10
#: a whole document with fewer meaningful characters than this has no text layer
_MIN_DOC_CHARS = 20


#: characters that carry no ink: pdfium's generated spaces and line breaks are among them
_BLANK = frozenset(map(chr, range(33))) | {"\xa0", "\u3000", "\ufeff", "\ufffe"}


def _page_unicode(textpage: object, n: int, pdfium_c: object) -> str | None:
    """The page's characters in one call, aligned with their indices, or None when they
    cannot be aligned (a character outside the BMP takes two UTF-16 units, one with no
    Unicode value is dropped): then the caller asks character by character."""
    c: Any = pdfium_c
    buf = (ctypes.c_ushort * (n + 1))()
    written = c.FPDFText_GetText(textpage, 0, n, buf)
    text = bytes(buf)[: 2 * max(written - 1, 0)].decode("utf-16-le", "surrogatepass")
    if len(text) != n or _SURROGATE.search(text):
        return None
    return text


def _chars(textpage: object, pdfium_c: object) -> list[tuple[str, float, float, float, float]]:
    """Every character with ink and its loose box (left, bottom, right, top).

    Loose boxes span the font's full ascent/descent and advance width, so digits
    and CJK on one baseline share a vertical centre and adjacent glyphs touch:
    tight glyph boxes would split "11" into "1 1" and a row into two lines.
    The text comes in one ``FPDFText_GetText`` call and only inked characters cost
    a box call: three ctypes calls per character became one, and a page went from
    5.3 to 3.9 ms (``python -m bench parsers``; output identical on 338 PDFs).
    pdfium's generated characters are spaces and line breaks, so the blank test
    drops them without ``FPDFText_IsGenerated``.
    """
    c: Any = pdfium_c
    n = c.FPDFText_CountChars(textpage)
    if n <= 0:
        return []
    text = _page_unicode(textpage, n, c)
    if text is None:
        get_unicode = c.FPDFText_GetUnicode
        text = "".join(_code_char(get_unicode(textpage, i)) for i in range(n))
    rect = c.FS_RECTF()
    prect = ctypes.byref(rect)
    get_box = c.FPDFText_GetLooseCharBox
    out: list[tuple[str, float, float, float, float]] = []
    blank = _BLANK
    for i, ch in enumerate(text):
        if ch in blank or not get_box(textpage, i, prect):
            continue
        out.append((ch, rect.left, rect.bottom, rect.right, rect.top))
    return out


def _code_char(code: int) -> str:
    try:
        return chr(code)
    except ValueError:
        return "\ufffd"


def layout_text(chars: list[tuple[str, float, float, float, float]]) -> str:
    """Characters with boxes → lines of text, columns kept apart by runs of spaces.

    Pure (no pdfium): takes (char, left, bottom, right, top) in PDF units.
    A character's column is its x position in half-em units, so cells that line
    up on the page line up in the text, and a gap wider than about one
    character becomes at least two spaces (the report parser splits cells on
    two or more spaces).
    """
    if not chars:
        return ""
    heights = [t - b for _, _, b, _, t in chars if t > b]
    em = statistics.median(heights) if heights else 10.0
    em = max(em, 4.0)
    unit = em / 2
    x_min = min(c[1] for c in chars)
    same_line, wide, narrow, blank_gap = em * 0.45, em * 0.6, em * 0.15, em * 1.2
    # group into lines by vertical centre, top of the page first (halving is exact, so
    # ordering by -(bottom + top) is ordering by the centre)
    ordered = sorted(chars, key=lambda c: -(c[2] + c[4]))
    lines: list[list[tuple[str, float, float, float, float]]] = []
    centre = None
    for box in ordered:
        mid = (box[2] + box[4]) / 2
        if centre is not None and abs(mid - centre) <= same_line:
            lines[-1].append(box)
        else:
            lines.append([box])
            centre = mid
    rendered: list[str] = []
    prev_bottom: float | None = None
    by_left = itemgetter(1)
    for line in lines:
        line.sort(key=by_left)
        parts: list[str] = []
        col = 0  # visual columns used so far (CJK = 2)
        prev_right: float | None = None
        top, bottom = line[0][4], line[0][2]
        for ch, left, low, right, high in line:
            if prev_right is None:
                pad = round((left - x_min) / unit)
            else:
                gap = left - prev_right
                if gap > wide:
                    pad = max(2, round((left - x_min) / unit) - col)
                elif gap > narrow:
                    pad = 1
                else:
                    pad = 0
            if pad > 0:
                parts.append(" " * pad)
                col += pad
            parts.append(ch)
            col += 2 if ch >= "\u2e80" else 1
            prev_right = right
            if high > top:
                top = high
            if low < bottom:
                bottom = low
        # a blank line where the page leaves a gap of more than a line
        if prev_bottom is not None and prev_bottom - top > blank_gap:
            rendered.append("")
        rendered.append("".join(parts).rstrip())
        prev_bottom = bottom
    return "\n".join(rendered)


def _needs_ocr(text: str, has_image: Callable[[], bool]) -> bool:
    """Whether a page needs OCR: garbage in its text layer, or an image and too little
    CJK text. ``has_image`` is asked last: pypdfium2 lists a page's objects through a
    wrapper per object, ~1 ms for the ~170 objects of a simulated report page and a
    quarter of its time, and a page of text answers before (338 PDFs: 3.4 → 2.5 ms/page)."""
    compact = re.sub(r"\s+", "", text)
    if _CID.search(text) or (compact and len(_PRIVATE.findall(compact)) > len(compact) // 5):
        return True
    return len(_CJK.findall(compact)) < _MIN_CJK_PER_PAGE and has_image()


def _page_text(doc: object, index: int, pdfium: object, pdfium_c: object) -> tuple[str, bool]:
    """A page's layout text, and whether it needs OCR."""
    page = doc[index]  # type: ignore[index]
    try:
        textpage = page.get_textpage()
        try:
            text = layout_text(_chars(textpage.raw, pdfium_c))
        finally:
            textpage.close()
        image = pdfium_c.FPDF_PAGEOBJ_IMAGE  # type: ignore[attr-defined]
        ocr = _needs_ocr(text, lambda: any(True for _ in page.get_objects(filter=[image], max_depth=1)))
    finally:
        page.close()
    return text, ocr or not text.strip()


def pdf_pages(data: bytes, max_pages: int) -> PdfResult:
    """Worker entry point: ("ok", page texts, OCR page numbers) or ("error", kind, reason)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            return ("error", "encrypted", "encrypted: the PDF needs a password")
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_SECURITY:
            return ("error", "encrypted", "encrypted: unsupported PDF security handler")
        return ("error", "corrupt", f"corrupt: not a readable PDF ({exc})")
    try:
        n = len(doc)
        if n == 0:
            return ("error", "corrupt", "corrupt: the PDF has no pages")
        if n > max_pages:
            return ("error", "too_large", f"too large: {n} pages, over the cap of {max_pages}")
        texts: list[str] = []
        ocr: list[int] = []
        for index in range(n):
            try:
                text, needs_ocr = _page_text(doc, index, pdfium, pdfium_c)
            except pdfium.PdfiumError:
                text, needs_ocr = "", True  # a damaged page: flag it, keep the others
            texts.append(text)
            if needs_ocr:
                ocr.append(index + 1)
        return ("ok", texts, ocr)
    finally:
        doc.close()


def extract_pdf(data: bytes, limits: Limits) -> ExtractedDoc:
    """A PDF's text, page by page, bounded in time and memory."""
    result = run_isolated(pdf_pages, data, limits.max_pdf_pages, limits=limits, what="PDF")
    if result[0] == "error":
        _, kind, reason = result
        raise ParseError(kind, reason)  # type: ignore[arg-type]
    _, texts, ocr = result
    assert isinstance(texts, list) and isinstance(ocr, list)
    warnings: list[str] = []
    if ocr:  # scanned pages: OCR them alone, the text layer of the others stands
        from parsers.ocr import ocr_document_pages, page_warnings

        for page in ocr_document_pages(data, ocr, limits):
            texts[page.page - 1] = layout_text(page.chars)
            warnings += page_warnings(page)
    meaningful = sum(len(_CJK.findall(t)) + len(re.findall(r"[A-Za-z0-9]", t)) for t in texts)
    if meaningful < _MIN_DOC_CHARS or not any(_CJK.search(t) for t in texts):
        raise ParseError("no_text_layer", "no text layer, and OCR found no text on its pages")
    return ExtractedDoc(kind="pdf", text="\n\n".join(texts), warnings=warnings)
