"""The OCR engine choice, measured: RapidOCR against Debian's tesseract on the 淮安 scan.

Each engine reads the 6 pages of ``corpus/scan/jiangsu_huaian_2024_scan.pdf`` rendered at
its own 170 dpi, on one core (RapidOCR: onnxruntime with one thread, its default settings;
tesseract 5 with ``chi_sim``, ``--psm 6``, ``OMP_THREAD_LIMIT=1``). Scored against the
text twin ``corpus/text/jiangsu_huaian_2024.pdf.txt``: the share of its characters found
in order (whitespace ignored), and the share of its numbers found in order. Tesseract is
not a dependency (it lost); its rows appear where ``tesseract`` and ``chi_sim`` are
installed (``apt-get install tesseract-ocr tesseract-ocr-chi-sim``).
Run alone: ``uv run python -m bench ocr_engines``.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCAN = ROOT / "corpus" / "scan" / "jiangsu_huaian_2024_scan.pdf"
TWIN = ROOT / "corpus" / "text" / "jiangsu_huaian_2024.pdf.txt"


def _recall(truth: list[str], found: list[str]) -> float:
    matcher = difflib.SequenceMatcher(None, truth, found, autojunk=False)
    return sum(m.size for m in matcher.get_matching_blocks()) / max(len(truth), 1)


def _score(text: str) -> tuple[float, float]:
    truth = TWIN.read_text(encoding="utf-8")
    chars = _recall(list(re.sub(r"\s+", "", truth)), list(re.sub(r"\s+", "", text)))
    numbers = _recall(re.findall(r"\d+", truth), re.findall(r"\d+", text))
    return chars, numbers


def run(quick: bool = False) -> list[dict]:
    import numpy as np
    import pypdfium2 as pdfium

    from bench.parsers import _pin_single_core

    pinned = _pin_single_core()
    doc = pdfium.PdfDocument(SCAN.read_bytes())
    images = [doc[i].render(scale=170 / 72, rev_byteorder=True).to_pil().convert("RGB") for i in range(len(doc))]
    if quick:
        images = images[3:4]
    engines: dict[str, list[str]] = {}
    seconds: dict[str, float] = {}

    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    t0 = time.perf_counter()
    engines["rapidocr"] = ["\n".join(r[1] for r in (engine(np.asarray(im))[0] or [])) for im in images]
    seconds["rapidocr"] = (time.perf_counter() - t0) / len(images)

    if shutil.which("tesseract"):
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        out = []
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            for n, im in enumerate(images):
                path = Path(tmp) / f"p{n}.png"
                im.save(path)
                proc = subprocess.run(["tesseract", str(path), "-", "-l", "chi_sim", "--psm", "6"],
                                      capture_output=True, text=True, env=env, check=False)
                out.append(proc.stdout)
        if any(out):
            engines["tesseract"] = out
            seconds["tesseract"] = (time.perf_counter() - t0) / len(images)

    rows = []
    for name, pages in engines.items():
        chars, numbers = _score("\n".join(pages)) if not quick else (float("nan"), float("nan"))
        note = f"淮安 scan, {len(images)} page(s), {pinned}"
        rows.append({"name": f"ocr engine {name}: seconds per page", "value": round(seconds[name], 2),
                     "unit": "s/page", "note": note})
        if not quick:
            rows.append({"name": f"ocr engine {name}: characters found", "value": round(chars, 4),
                         "unit": "ratio", "note": "of the text twin's, in order"})
            rows.append({"name": f"ocr engine {name}: numbers found", "value": round(numbers, 4),
                         "unit": "ratio", "note": "of the text twin's, in order"})
    return rows
