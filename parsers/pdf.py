"""PDF attachments → layout-preserving text, read with pdfium.

pypdfium2 reads a page's text layer in 1–5 ms where pdfplumber needs 60–80 ms,
and both decode Chinese CID fonts. Every character goes with its box (and every
ruling line of a page that holds a table) to ``parsers.layout.read_pages``, which
lays prose out like ``pdftotext -layout`` and reads tables by position: rows by
baseline and ruling lines, columns by the header's x-ranges, each table row one
tab-separated line. OCR hands its boxes to ``read_layout``, the same reader.

Pages without a usable text layer (scans, ``(cid:NNN)`` garbage) are flagged
for OCR; a document with none at all is refused as ``no_text_layer``.
The work runs in the bounded worker (``parsers.limits.run_isolated``): the
functions here that the worker calls return plain tuples, never raise
ParseError across the process boundary (it does not pickle with its fields).
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable
from typing import Any, cast

from parsers.errors import ErrorKind, ParseError
from parsers.layout import Box, Rule, read_pages
from parsers.limits import Limits, run_isolated
from parsers.record import ExtractedDoc, TableSource

__all__ = ["extract_pdf", "pdf_pages"]

#: ("ok", page texts, page numbers needing OCR, tables read by position, layout warnings)
#: or ("error", kind, reason)
PdfResult = tuple[str, list[str], list[int], int, list[str]] | tuple[str, ErrorKind, str]

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


def _chars(textpage: object, pdfium_c: object, height: float) -> list[Box]:
    """Every character with ink and its loose box as (char, left, top, right, bottom),
    y measured down from the page's top edge (``height``) as ``parsers.layout`` wants it.

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
    out: list[Box] = []
    blank = _BLANK
    for i, ch in enumerate(text):
        if ch in blank or not get_box(textpage, i, prect):
            continue
        out.append((ch, rect.left, height - rect.top, rect.right, height - rect.bottom))
    return out


def _code_char(code: int) -> str:
    try:
        return chr(code)
    except ValueError:
        return "\ufffd"


def _needs_ocr(text: str, has_image: Callable[[], bool]) -> bool:
    """Whether a page needs OCR: garbage in its text layer, or an image and too little
    CJK text. ``has_image`` is asked last: pypdfium2 lists a page's objects through a
    wrapper per object, ~1 ms for the ~170 objects of a simulated report page and a
    quarter of its time, and a page of text answers before (338 PDFs: 3.4 → 2.5 ms/page)."""
    compact = re.sub(r"\s+", "", text)
    if _CID.search(text) or (compact and len(_PRIVATE.findall(compact)) > len(compact) // 5):
        return True
    return len(_CJK.findall(compact)) < _MIN_CJK_PER_PAGE and has_image()


#: a page with fewer digits than this holds no statistics table: its ruling lines are not asked for
_MIN_TABLE_DIGITS = 12
_DIGITS = re.compile(r"[0-9]")


def _rules(page: object, height: float, number: int, pdfium_c: object) -> list[Rule]:
    """The page's thin horizontal paths (ruling lines, thin filled rectangles), top level only.

    Raw calls, not pypdfium2's object wrappers: those cost ~6 µs an object."""
    c: Any = pdfium_c
    raw = page.raw  # type: ignore[attr-defined]
    out: list[Rule] = []
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    path = c.FPDF_PAGEOBJ_PATH
    for i in range(c.FPDFPage_CountObjects(raw)):
        obj = c.FPDFPage_GetObject(raw, i)
        if c.FPDFPageObj_GetType(obj) != path:
            continue
        if not c.FPDFPageObj_GetBounds(obj, ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right),
                                       ctypes.byref(top)):
            continue
        if top.value - bottom.value <= 2.5 and right.value - left.value >= 20:
            out.append(Rule(number, left.value, height - top.value, right.value, height - bottom.value))
    return out


def _page_boxes(doc: object, index: int, pdfium_c: object) -> tuple[list[Box], list[Rule], bool]:
    """A page's character boxes (y downward), its ruling lines when it may hold a table,
    and whether it needs OCR."""
    page = doc[index]  # type: ignore[index]
    try:
        height = page.get_height()
        textpage = page.get_textpage()
        try:
            chars = _chars(textpage.raw, pdfium_c, height)
        finally:
            textpage.close()
        text = "".join([c[0] for c in chars])
        rules = _rules(page, height, index + 1, pdfium_c) if len(_DIGITS.findall(text)) >= _MIN_TABLE_DIGITS else []
        image = pdfium_c.FPDF_PAGEOBJ_IMAGE  # type: ignore[attr-defined]
        ocr = _needs_ocr(text, lambda: any(True for _ in page.get_objects(filter=[image], max_depth=1)))
    finally:
        page.close()
    return chars, rules, ocr or not text.strip()


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
        pages: list[list[Box]] = []
        rules: list[Rule] = []
        ocr: list[int] = []
        for index in range(n):
            try:
                page_boxes, page_rules, needs_ocr = _page_boxes(doc, index, pdfium_c)
            except pdfium.PdfiumError:
                page_boxes, page_rules, needs_ocr = [], [], True  # a damaged page: flag it, keep the others
            pages.append(page_boxes)
            rules.extend(page_rules)
            if needs_ocr:
                ocr.append(index + 1)
        layout = read_pages(pages, rules)
        texts = layout.pages
        return ("ok", texts, ocr, layout.tables, layout.warnings)
    finally:
        doc.close()


def extract_pdf(data: bytes, limits: Limits) -> ExtractedDoc:
    """A PDF's text, page by page, bounded in time and memory."""
    result = run_isolated(pdf_pages, data, limits.max_pdf_pages, limits=limits, what="PDF")
    if result[0] == "error":
        raise ParseError(cast(ErrorKind, result[1]), cast(str, result[2]))
    _, texts, ocr, tables, layout_warnings = cast(tuple[str, list[str], list[int], int, list[str]], result)
    warnings: list[str] = []
    source: TableSource | None = "pdf-layout" if tables else None
    if ocr:  # scanned pages: OCR them alone, the text layer of the others stands
        from parsers.ocr import read_scanned_pages

        scanned = read_scanned_pages(data, ocr, len(texts), limits)
        for number in ocr:
            texts[number - 1] = scanned.pages[number - 1]
        warnings += scanned.warnings
        source = "ocr" if scanned.tables else source
    meaningful = sum(len(_CJK.findall(t)) + len(re.findall(r"[A-Za-z0-9]", t)) for t in texts)
    if meaningful < _MIN_DOC_CHARS or not any(_CJK.search(t) for t in texts):
        raise ParseError("no_text_layer", "no text layer, and OCR found no text on its pages")
    return ExtractedDoc(kind="pdf", text="\n\n".join(texts), warnings=warnings + list(layout_warnings),
                        table_source=source)
