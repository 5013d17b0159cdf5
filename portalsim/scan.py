"""Scanned copies of the simulator's own reports: page images and image-only PDFs.

Portals publish a 图片版 beside the 文字版: the stamped paper copy scanned, one image per
printed page, as an image-only PDF or as ``<img>`` tags in the report page. Here the
report's text-layer PDF (``render_office.render_pdf``) is rasterised the way a scanner
would: at a chosen resolution, turned by a small skew, with grain, JPEG-compressed. The
ground truth stays the report's own statistics, so a crawl of scans is graded like any other.
"""

from __future__ import annotations

import io

from portalsim.rand import rng_for

__all__ = ["scan_images", "scan_pdf"]


def scan_images(pdf: bytes, *, dpi: int = 200, skew: float = 0.0, grain: float = 0.0, seed: int = 0,
                fmt: str = "JPEG") -> list[bytes]:
    """Each page of ``pdf`` as an encoded image (JPEG or PNG), as a scanner would give it.

    ``skew`` in degrees (positive: clockwise, lines running downhill to the right, as
    ``parsers.ocr.page_skew`` measures it);
    ``grain``: the standard deviation of the noise, in grey levels.
    """
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    doc = pdfium.PdfDocument(pdf)
    out: list[bytes] = []
    try:
        for index in range(len(doc)):
            page = doc[index]
            try:
                image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            finally:
                page.close()
            if skew:
                image = image.rotate(-skew, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
            if grain:
                rng = np.random.default_rng(rng_for("scan", seed, index).getrandbits(32))
                noisy = np.asarray(image, dtype=np.float32) + rng.normal(0.0, grain, (image.height, image.width))
                image = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
            buf = io.BytesIO()
            if fmt.upper() == "PNG":
                image.save(buf, format="PNG", optimize=False)
            else:
                image.save(buf, format="JPEG", quality=80)
            out.append(buf.getvalue())
    finally:
        doc.close()
    return out


def scan_pdf(pdf: bytes, *, dpi: int = 200, skew: float = 0.0, grain: float = 0.0, seed: int = 0) -> bytes:
    """``pdf`` as an image-only PDF: one scanned JPEG per page, A4 pages, no text layer."""
    from PIL import Image

    pages = [Image.open(io.BytesIO(data)) for data in scan_images(pdf, dpi=dpi, skew=skew, grain=grain, seed=seed)]
    buf = io.BytesIO()
    pages[0].save(buf, format="PDF", save_all=True, append_images=pages[1:], resolution=float(dpi))
    return buf.getvalue()
