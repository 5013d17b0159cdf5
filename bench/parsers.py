"""Parser benchmark: ms per report (extraction + build_record) per format, single core.

HTML: the real portal pages in corpus/html (86–250 kB each). Text: the corpus
texts. PDF and DOCX: generated from the corpus texts (reportlab with the
STSong-Light CID font; python-docx), so they are real files of realistic size.
PDF is measured twice: in-process (the parser's own cost, also per page) and
through the bounded worker pool (what the crawler pays, IPC included).
Also reported: trafilatura on the same pages, the cost the fast path avoids.
Run alone: ``uv run python -m bench.parsers``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench import per_item_ms

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
HTML_REPORTS = ("pingtan_2022.html", "pingtan_2013_county.html")


def _pin_single_core() -> str:
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return "pinned to one core"
    except (AttributeError, OSError):
        return "not pinned"


def run(quick: bool = False) -> list[dict]:
    sys.path.insert(0, str(ROOT / "tests" / "parsers"))
    import docgen

    from parsers import extract, parse_bytes
    from parsers.limits import Limits, shutdown_pool
    from parsers.pdf import pdf_pages

    core = _pin_single_core()
    rounds = 3 if quick else 10
    rows: list[dict] = []

    def row(name: str, value: float, unit: str, note: str) -> None:
        rows.append({"name": name, "value": round(value, 3), "unit": unit, "note": note})

    html = [(CORPUS / "html" / n).read_bytes() for n in HTML_REPORTS]
    texts = [p.read_bytes() for p in sorted((CORPUS / "text").glob("*.txt"))]
    row("parse.html", per_item_ms(html, lambda d: parse_bytes(d), rounds), "ms/report",
        f"extract+build_record, real TRS pages {', '.join(HTML_REPORTS)}; {core}; target ≤ 5")
    row("extract.html", per_item_ms(html, lambda d: extract(d), rounds), "ms/report",
        "decode + lexbor + TRS_Editor fast path + DOM grids")
    row("parse.text", per_item_ms(texts, lambda d: parse_bytes(d), rounds), "ms/report",
        f"{len(texts)} corpus texts")

    import trafilatura

    decoded = [d.decode("utf-8") for d in html]
    traf_rounds = 1 if quick else 3
    row("trafilatura.html", per_item_ms(
        [s.encode() for s in decoded],
        lambda d: trafilatura.extract(d.decode(), include_tables=True), traf_rounds,
    ), "ms/report", "for comparison: what the fast path avoids")

    sources = [p.read_text(encoding="utf-8") for p in sorted((CORPUS / "text").glob("*.txt"))]
    if quick:
        sources = sources[:3]
    pdfs = [docgen.pdf_from_text(s) for s in sources]
    pages = sum(len(pdf_pages(p, 1000)[1]) for p in pdfs)
    in_process = Limits(isolate=False)
    per_report = per_item_ms(pdfs, lambda d: parse_bytes(d, limits=in_process), rounds)
    row("parse.pdf", per_report, "ms/report", f"{len(pdfs)} generated PDFs, {pages} pages, in-process")
    row("parse.pdf.page", per_report * len(pdfs) / pages, "ms/page", "in-process; target ≤ 20")
    pooled = per_item_ms(pdfs, lambda d: parse_bytes(d), rounds)
    row("parse.pdf.page.worker", pooled * len(pdfs) / pages, "ms/page",
        "through the bounded worker pool (RLIMIT_AS + timeout), IPC included")
    shutdown_pool()

    docxs = [docgen.docx_from_text(s) for s in sources]
    row("parse.docx", per_item_ms(docxs, lambda d: parse_bytes(d), rounds), "ms/report",
        f"{len(docxs)} generated DOCX with tables")
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(f"{r['name']:<24} {r['value']:>10.3f} {r['unit']:<10} {r['note']}")
