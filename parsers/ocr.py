"""Page images → positioned characters with confidence, offline (RapidOCR, PP-OCRv4 ONNX).

A scanned page becomes what a PDF's text layer gives: one box per character in PDF
points of the page (y downward), and ``parsers.layout.read_pages`` reads both the
same way: rows by baseline, columns by the header's x-ranges, one table reader.
The engine is ``rapidocr-onnxruntime``: its PP-OCR models are files inside the wheel
(``rapidocr_onnxruntime/models``), nothing is fetched at run time. It was chosen over
Debian's tesseract (chi_sim) by measurement on the 淮安 2024 scan (bench/README.md,
"OCR engines").

Skew is measured from the rows of ink (``page_skew``) and removed by turning the boxes,
not the pixels: detection found fewer lone cells on a resampled page.

Digits are where OCR does harm: a 3 read as 8 lands in a cell and the arithmetic checks
then blame the agency. A lone cell is read again from its ink alone (``_cell_ink``);
every number whose least sure digit is below ``MIN_DIGIT_CONFIDENCE``, and every cell
still read as a circle or dot, is reported (``OcrPage.doubtful``) and becomes a blank
mark, so the tables leave that key absent instead of guessing.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from parsers.layout import Box

if TYPE_CHECKING:
    from parsers.layout import Layout
    from parsers.limits import Limits

__all__ = [
    "MIN_DIGIT_CONFIDENCE",
    "OcrPage",
    "image_size",
    "ocr_document_pages",
    "ocr_image",
    "ocr_pdf_page",
    "ocr_pixels",
    "page_warnings",
    "read_scanned_pages",
]

#: a number with a digit read below this is doubtful: warned about, never placed in a cell
#: (on the 淮安 scan every misread digit scored < 0.9 and 99.7 % of right ones above it)
MIN_DIGIT_CONFIDENCE = 0.5
#: a skew smaller than this (degrees) is left alone: rows are grouped with ±0.45 em
_MIN_SKEW = 0.05
#: the blank mark a doubtful digit becomes; the table readers treat it as an empty cell
_BLANK_MARK = "—"
#: detection runs on a copy of the page this many pixels long at most (see ``_engine``)
DET_MAX_SIDE = 2400
#: images beyond this many pixels are refused before decoding (a 600 dpi A3 is ~70 Mpx)
MAX_PIXELS = 80_000_000
#: a PDF page is rendered with at most this many pixels (A4 at 300 dpi is 8.7 Mpx)
MAX_RENDER_PIXELS = 12_000_000
_NUMBER_CHARS = frozenset("0123456789.,")



@dataclass(slots=True)
class OcrPage:
    """One page read by OCR: its characters, its skew, and the numbers it doubts."""

    page: int
    #: one box per character, (text, x0, y0, x1, y1) in PDF points, y downward, as
    #: ``parsers.layout`` reads a text layer's characters
    chars: list[Box] = field(default_factory=list)
    #: per-character confidence, aligned with ``chars``
    confidence: list[float] = field(default_factory=list)
    skew_degrees: float = 0.0
    #: (number as read, its least digit confidence), for each number kept out of the cells
    doubtful: list[tuple[str, float]] = field(default_factory=list)


_ENGINE: Any = None
_ENGINE_LOCK = threading.Lock()


def _engine() -> Any:
    """One RapidOCR per process (loading the three models takes ~0.3 s), one thread:
    the parse pool already runs one worker per core."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            import cv2
            import numpy as np
            from rapidocr_onnxruntime import RapidOCR

            cv2.setNumThreads(1)  # one worker per core already; OpenCV's pool adds 140 MB of address space

            class Engine(RapidOCR):  # type: ignore[misc]
                """Detection on a copy at most ``DET_MAX_SIDE`` pixels long, recognition on
                the full page: detection's feature maps grow with the pixels (a 170 dpi A4
                page took 800 MB and 3 s to detect at full size), recognition reads each
                line scaled to 48 px high anyway and loses nothing."""

                def get_crop_img_list(self, img: Any, dt_boxes: Any) -> Any:
                    """Each detected line cut out straight, turned upright only when it is a
                    column of characters. RapidOCR turns every crop 1.5× taller than wide,
                    which is what a lone digit in a table cell is: it was read sideways, lone
                    zeros scored 0.3–0.9 and many became "。" or "D". Here a crop turns only
                    when it is also over 2.5× the page's median line height (a vertical label)."""
                    sizes = [(float(np.linalg.norm(b[0] - b[1])), float(np.linalg.norm(b[0] - b[3])))
                             for b in dt_boxes]
                    line = float(np.median([min(w, h) for w, h in sizes])) if sizes else 0.0
                    crops = []
                    for box, (w, h) in zip(dt_boxes, sizes, strict=True):
                        width, height = max(int(w), 1), max(int(h), 1)
                        target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
                        warp = cv2.getPerspectiveTransform(np.asarray(box, dtype=np.float32), target)
                        crop = cv2.warpPerspective(img, warp, (width, height), borderMode=cv2.BORDER_REPLICATE,
                                                   flags=cv2.INTER_CUBIC)
                        if height >= 1.5 * width and height >= 2.5 * line:
                            crop = np.rot90(crop)
                        crops.append(crop)
                    return crops

                def auto_text_det(self, img: Any) -> Any:
                    scale = DET_MAX_SIDE / max(img.shape[:2])
                    if scale >= 1:
                        return super().auto_text_det(img)
                    small = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                    boxes, elapsed = super().auto_text_det(small)
                    if boxes is None:
                        return boxes, elapsed
                    return [np.asarray(b, dtype=np.float32) / scale for b in boxes], elapsed

            _ENGINE = Engine(intra_op_num_threads=1, inter_op_num_threads=1, print_verbose=False)
        return _ENGINE


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG/JPEG/GIF/BMP/WebP from its header, None if unreadable."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def ocr_image(data: bytes, *, page: int, width_pt: float | None = None) -> OcrPage:
    """An encoded page image (PNG, JPEG, …) → its characters in points.

    A page published as an image has no page size of its own: it is taken as A4 wide
    (595.3 pt) and as tall as the image's proportions say, which keeps the em sizes the
    layout reader expects. Raises ValueError for an image that cannot be decoded or is
    too large.
    """
    import numpy as np
    from PIL import Image

    size = image_size(data)
    if size is None:
        raise ValueError("not a readable image")
    if size[0] * size[1] > MAX_PIXELS:
        raise ValueError(f"image of {size[0]}x{size[1]} pixels, over the cap of {MAX_PIXELS}")
    import io

    with Image.open(io.BytesIO(data)) as im:
        pixels = np.asarray(im.convert("RGB"))
    w_pt = width_pt or 595.3
    return ocr_pixels(pixels, page=page, width_pt=w_pt, height_pt=w_pt * size[1] / size[0])


def ocr_pdf_page(data: bytes, page: int) -> OcrPage | str:
    """Worker entry point: page ``page`` (from 1) of a PDF rendered and read, or the
    reason it could not be (plain data: it crosses the process boundary).

    Rendered at the resolution of the page's own images (a 170 dpi scan at 170 dpi:
    more pixels add detection time, not detail), kept within 150–300 dpi.
    """
    import numpy as np
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        return f"corrupt: not a readable PDF ({exc})"
    try:
        pg = doc[page - 1]
        try:
            width_pt, height_pt = pg.get_size()
            dpi = 200.0
            for obj in pg.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
                left, _bottom, right, _top = obj.get_bounds()
                px_w, _px_h = obj.get_px_size()
                if right - left > width_pt / 3:
                    dpi = px_w / ((right - left) / 72)
            dpi = min(max(dpi, 150.0), 300.0)
            # a page drawn 2 m wide must not become a gigapixel bitmap
            dpi = min(dpi, 72 * math.sqrt(MAX_RENDER_PIXELS / max(width_pt * height_pt, 1.0)))
            bitmap = pg.render(scale=dpi / 72, rev_byteorder=True)  # RGB(A), not pdfium's BGR
            pixels = np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
        finally:
            pg.close()
    except pdfium.PdfiumError as exc:
        return f"corrupt: page {page} cannot be rendered ({exc})"
    finally:
        doc.close()
    return ocr_pixels(pixels, page=page, width_pt=width_pt, height_pt=height_pt)


def page_warnings(page: OcrPage) -> list[str]:
    """What a record says about an OCR'd page: that it was OCR'd, and each number left out."""
    out = [f"page {page.page}: no text layer, read by OCR (skew {page.skew_degrees:g}°)"]
    out += [f"page {page.page}: OCR read the number {text!r} with low confidence ({score:.2f}); left out"
            for text, score in page.doubtful]
    return out


def ocr_pixels(pixels: Any, *, page: int, width_pt: float, height_pt: float) -> OcrPage:
    """An RGB array (height × width × 3) of a page → its characters in PDF points."""
    # any keyword resets the others to RapidOCR's defaults: name them all. text_score 0
    # keeps every line (we judge confidence per digit ourselves); box_thresh 0.3, not
    # 0.5: a lone "0" or "7" in a ruled cell scores 0.3–0.5 (淮安 table page: 141 boxes
    # found instead of 130, every one of the 11 a cell)
    result, _elapsed = _engine()(
        pixels, use_cls=False, return_word_box=True, text_score=0.0, box_thresh=0.3, unclip_ratio=1.6
    )
    skew = page_skew(pixels)
    img_h, img_w = pixels.shape[0], pixels.shape[1]
    out = OcrPage(page=page, skew_degrees=round(skew, 2))
    turn = math.radians(skew) if abs(skew) >= _MIN_SKEW else 0.0
    cos_t, sin_t = math.cos(turn), math.sin(turn)
    cx, cy = img_w / 2, img_h / 2
    sx, sy = width_pt / img_w, height_pt / img_h
    lines = [_Line.of(item) for item in result or []]
    lines += _missed_numbers(pixels, lines)
    for line in lines:
        if _maybe_cell(line):
            line = _reread_as_number(pixels, line)
        chars = _mask_doubtful(line, out.doubtful)
        boxes = []
        for _text, quad, _conf in chars:  # turn the box back by the skew (image y runs down)
            turned = [(cx + (x - cx) * cos_t + (y - cy) * sin_t, cy - (x - cx) * sin_t + (y - cy) * cos_t)
                      for x, y in quad]
            boxes.append((min(x for x, _ in turned), min(y for _, y in turned),
                          max(x for x, _ in turned), max(y for _, y in turned)))
        for n, ((text, _quad, conf), (x0, y0, x1, y1)) in enumerate(zip(chars, boxes, strict=True)):
            if n + 1 < len(boxes):  # one recognised line is one run of text: close the gaps
                x1 = max(x1, boxes[n + 1][0])
            out.chars.append((text, x0 * sx, y0 * sy, x1 * sx, y1 * sy))
            out.confidence.append(conf)
    return out


def page_skew(pixels: Any) -> float:
    """The page's skew in degrees (positive: lines run downhill to the right).

    The angle at which the rows of ink line up best (the horizontal projection's
    variance peaks): table rulings and text lines both vote, where the slopes of
    detected text boxes are too short on a table page to agree within 0.5°. On a
    ~700 px wide grey copy, coarse (0.5°) then fine (0.1°) steps; ~0.1 s a page.
    """
    import cv2
    import numpy as np

    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY) if pixels.ndim == 3 else pixels
    scale = 700 / max(grey.shape[1], 1)
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    ink = (small < 128).astype(np.float32)
    h, w = ink.shape

    def score(angle: float) -> float:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        rows = cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_NEAREST).sum(axis=1)
        return float(np.var(rows))

    best = max((a / 2 for a in range(-6, 7)), key=score)
    return max((best + a / 10 for a in range(-4, 5)), key=score)


#: what a lone digit in a ruled cell is read as when taken for prose: 0 as a circle or dot
_LONE_DIGIT_LOOKALIKES = frozenset("。°.·oO〇DQ|l")


def _maybe_cell(line: _Line) -> bool:
    """A short line of digits (or of what a digit is misread as) with a doubt in it."""
    text = "".join(line.chars)
    if not text or len(text) > 8 or not all(c in _NUMBER_CHARS or c in _LONE_DIGIT_LOOKALIKES for c in text):
        return False
    return len(text) == 1 or min(line.confidence) < MIN_DIGIT_CONFIDENCE


def _crop(pixels: Any, quad: list[tuple[float, float]]) -> Any:
    import cv2
    import numpy as np

    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    width = max(int(max(math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x3, y2 - y3))), 1)
    height = max(int(max(math.hypot(x3 - x0, y3 - y0), math.hypot(x2 - x1, y2 - y1))), 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    warp = cv2.getPerspectiveTransform(np.asarray(quad, dtype=np.float32), target)
    return cv2.warpPerspective(pixels, warp, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)


def _cell_ink(crop: Any) -> Any:
    """A cell's crop without its ruling lines, cut to its ink with a margin (None: no ink).

    Detection boxes of lone cells take in the cell's rules and a strip of blank paper;
    the recogniser then reads "|0" or a small circle as "。" (the simulator's tables: most
    lone zeros came back as 。, ° or ·)."""
    import numpy as np

    grey = crop.min(axis=2) if crop.ndim == 3 else crop
    paper = np.percentile(grey, 90)
    dark = grey < (paper * 0.6)
    clean = crop.copy()
    cols = dark.mean(axis=0) > 0.6
    rows = dark.mean(axis=1) > 0.6
    clean[:, cols] = paper
    clean[rows, :] = paper
    dark[:, cols] = False
    dark[rows, :] = False
    ys, xs = np.nonzero(dark)
    if len(ys) < 4:
        return None
    h = int(ys.max() - ys.min() + 1)
    m = max(h // 4, 2)
    y0, y1 = max(int(ys.min()) - m, 0), min(int(ys.max()) + m + 1, crop.shape[0])
    x0, x1 = max(int(xs.min()) - m, 0), min(int(xs.max()) + m + 1, crop.shape[1])
    return np.ascontiguousarray(clean[y0:y1, x0:x1])


def _reread_as_number(pixels: Any, line: _Line) -> _Line:
    """A lone cell read again from its ink alone (``_cell_ink``); kept if it reads as a number."""
    ink = _cell_ink(_crop(pixels, line.quad))
    if ink is None:
        return line
    result, _elapsed = _engine().text_rec([ink], True)
    text, _score, *info = result[0]
    chars = list(text)
    scores = [float(c) for c in info[0][4]] if info and info[0] and len(info[0][4]) == len(chars) else []
    if not chars or not scores or not all(c in _NUMBER_CHARS for c in chars) or not text[0].isdigit():
        return line
    return _Line(line.quad, chars, _spread(line.quad, len(chars)), scores)


def _missed_numbers(pixels: Any, lines: list[_Line]) -> list[_Line]:
    """Numbers detection missed: ink outside every detected line, glyph-sized, read as digits.

    A lone "1" in a ruled cell is a stroke two or three pixels wide; detection's text
    regions shrink it to nothing (the 淮安 table page: four 1s, no box, four cells lost).
    Ink left after the page's rules and every detected line are masked out is grouped
    into glyph-sized runs, and a run is kept only if it reads as digits.
    """
    import cv2
    import numpy as np

    heights = [min(math.dist(ln.quad[0], ln.quad[3]), math.dist(ln.quad[0], ln.quad[1])) for ln in lines]
    if not heights:
        return []
    line_h = float(np.median(heights))
    grey = pixels.min(axis=2) if pixels.ndim == 3 else pixels
    ink = (grey < np.percentile(grey, 90) * 0.6).astype(np.uint8)
    long = max(int(line_h * 1.5), 8)
    rules = cv2.bitwise_or(
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (long, 1))),
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, long))),
    )
    ink &= 1 - cv2.dilate(rules, np.ones((3, 3), np.uint8))
    for ln in lines:
        cv2.fillPoly(ink, [np.asarray(ln.quad, dtype=np.int32)], 0)
    count, _labels, stats, _centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    glyphs = [(int(x), int(y), int(w), int(h)) for x, y, w, h, _area in stats[1:count]
              if 0.35 * line_h <= h <= 1.2 * line_h and w <= 1.5 * h]
    glyphs.sort(key=lambda g: (g[1] // max(int(line_h), 1), g[0]))
    runs: list[list[int]] = []
    for x, y, w, h in glyphs:  # neighbours on one baseline, less than a glyph apart: one number
        if runs and abs(y - runs[-1][1]) < 0.3 * line_h and x - runs[-1][2] < 0.6 * h:
            run = runs[-1]
            run[1], run[2], run[3] = min(run[1], y), max(run[2], x + w), max(run[3], y + h)
        else:
            runs.append([x, y, x + w, y + h])
    starts = [(min(x for x, _ in ln.quad), min(y for _, y in ln.quad), max(y for _, y in ln.quad)) for ln in lines]
    out = []
    for x0, y0, x1, y1 in runs:
        if any(0 <= lx - x1 <= line_h and ly0 < y1 and ly1 > y0 for lx, ly0, ly1 in starts):
            continue  # the numbering of a detected label ("4" of "4.保护第三方…"), not a cell
        m = max((y1 - y0) // 3, 2)
        quad = [(float(x0 - m), float(y0 - m)), (float(x1 + m), float(y0 - m)),
                (float(x1 + m), float(y1 + m)), (float(x0 - m), float(y1 + m))]
        line = _reread_as_number(pixels, _Line(quad, ["?"], [quad], [0.0]))
        if line.chars != ["?"] and "".join(line.chars).isdigit():
            out.append(line)
    return out


@dataclass(slots=True)
class _Line:
    quad: list[tuple[float, float]]
    chars: list[str]
    boxes: list[list[tuple[float, float]]]
    confidence: list[float]

    @classmethod
    def of(cls, item: Any) -> _Line:
        quad = [(float(x), float(y)) for x, y in item[0]]
        # with return_word_box: [quad, text, score, char quads, chars, char scores]
        if len(item) >= 6 and item[3] and len(item[3]) == len(item[4]) == len(item[5]):
            boxes = [[(float(x), float(y)) for x, y in b] for b in item[3]]
            return cls(quad, [str(c) for c in item[4]], boxes, [float(c) for c in item[5]])
        # no character boxes (an empty line): spread the text over the line's box
        text = str(item[1])
        score = float(item[2])
        return cls(quad, list(text), _spread(quad, len(text)), [score] * len(text))


def _spread(quad: list[tuple[float, float]], n: int) -> list[list[tuple[float, float]]]:
    (x0, y0), (x1, _), (_, y1), _ = quad
    step = (x1 - x0) / max(n, 1)
    return [[(x0 + i * step, y0), (x0 + (i + 1) * step, y0), (x0 + (i + 1) * step, y1), (x0 + i * step, y1)]
            for i in range(n)]


_DIGIT = re.compile(r"\d")


def _mask_doubtful(line: _Line, doubtful: list[tuple[str, float]]) -> list[tuple[str, list[tuple[float, float]], float]]:
    """The line's characters, each run of number characters with a doubtful digit
    turned into one blank mark (and recorded in ``doubtful``).

    A line that is a lone "o", "。" or "°" is a cell whose digit the recogniser did not
    read even from its ink alone: doubtful, whatever its score; a "." ending a line that is only a
    number is a speck on the cell's rule (no printed count ends in a point), dropped;
    "1." before a row label stays.
    """
    out = [(c, b, s) for c, b, s in zip(line.chars, line.boxes, line.confidence, strict=True)]
    if len(out) == 1 and out[0][0] in _LONE_DIGIT_LOOKALIKES:
        # a cell's digit read as a circle or dot even from its ink alone (``_reread_as_number``)
        doubtful.append((out[0][0], round(min(out[0][2], 1 - out[0][2]), 3)))
        return [(_BLANK_MARK, out[0][1], out[0][2])]
    i = 0
    while i < len(out):
        if out[i][0] not in _NUMBER_CHARS:
            i += 1
            continue
        j = i
        while j < len(out) and out[j][0] in _NUMBER_CHARS:
            j += 1
        digits = [s for c, _, s in out[i:j] if _DIGIT.match(c)]
        if digits and out[j - 1][0] == "." and i == 0 and j == len(out):
            out[j - 1] = ("", out[j - 1][1], out[j - 1][2])
        if digits and min(digits) < MIN_DIGIT_CONFIDENCE:
            doubtful.append(("".join(c for c, _, _ in out[i:j]), round(min(digits), 3)))
            for k in range(i, j):
                out[k] = (_BLANK_MARK if k == i else "", out[k][1], out[k][2])
        i = j
    return [(c, b, s) for c, b, s in out if c]


def ocr_document_pages(data: bytes, pages: list[int], limits: Limits) -> list[OcrPage]:
    """OCR the listed pages of a PDF, each under the per-page time cap and the memory cap.

    In a parse worker (``limits.isolate`` False) the worker is the sandbox and each page
    runs under ``page_deadline``; elsewhere each page is one call to the bounded worker
    pool with the per-page cap as its timeout. A document with more pages to OCR than
    ``limits.max_ocr_pages`` is refused before any is read.
    """
    from dataclasses import replace

    from parsers.errors import ParseError
    from parsers.limits import page_deadline, run_isolated

    if len(pages) > limits.max_ocr_pages:
        raise ParseError("too_large", f"too large: {len(pages)} scanned pages to OCR, over the cap of "
                                      f"{limits.max_ocr_pages}")
    out: list[OcrPage] = []
    per_page = replace(limits, timeout=limits.ocr_page_timeout)
    for number in pages:
        if limits.isolate:
            result = run_isolated(ocr_pdf_page, data, number, limits=per_page, what=f"OCR of page {number}")
        else:
            with page_deadline(limits.ocr_page_timeout):
                result = ocr_pdf_page(data, number)
        if isinstance(result, str):
            raise ParseError("corrupt", result)
        out.append(result)
    return out


def read_scanned_pages(data: bytes, pages: list[int], page_count: int, limits: Limits) -> Layout:
    """The listed pages of a PDF OCR'd and laid out (tables by position), the other pages
    empty; ``warnings`` name each OCR'd page and each number left out of the cells."""
    from parsers.layout import read_pages

    scanned = {p.page: p for p in ocr_document_pages(data, pages, limits)}
    layout = read_pages([scanned[n].chars if n in scanned else [] for n in range(1, page_count + 1)])
    layout.warnings = [w for n in pages for w in page_warnings(scanned[n])] + layout.warnings
    return layout
