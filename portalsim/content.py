"""Report content for one planned item: numbers, contact details, rendered bytes.

All of it is a pure function of (seed, site, item, revision), so it can be
produced lazily when a URL is first requested and again for the ground truth.
"""

from __future__ import annotations

from portalsim.document import Contact, ReportDoc, build_report_doc
from portalsim.rand import rng_for
from portalsim.sites import Item, Site
from portalsim.stats import generate_stats

__all__ = ["report_doc"]

_ROADS = ("人民路", "新华路", "解放路", "建设大道", "文体路", "翔宇南道", "金井湾大道", "江阳西路", "北人民大街")


def report_doc(seed: int, site: Site, item: Item, revision: int) -> ReportDoc:
    """The report behind ``item`` at ``revision`` (a revision changes the numbers)."""
    assert item.is_report and item.year is not None and item.format is not None
    rng = rng_for(seed, "report", site.index, item.docid, revision)
    gen = generate_stats(rng, item.format, broken=item.broken)
    contact = Contact(
        address=f"{site.gov}{rng.choice(_ROADS)}{rng.randint(1, 399)}号",
        postcode=f"{rng.randint(100, 850)}{rng.randint(0, 999):03d}",
        phone=f"0{rng.randint(10, 999)}-{rng.randint(20000000, 89999999)}",
        email=f"zwgk{site.index}_{item.docid % 1000}@example.gov.cn" if rng.random() < 0.3 else None,
    )
    doc = build_report_doc(
        rng=rng,
        title=item.title,
        agency=item.agency or site.name,
        short=item.short or site.gov,
        office=item.office or f"{site.gov}人民政府办公室",
        year=item.year,
        fmt=item.format,
        stats=gen.stats,
        contact=contact,
    )
    if gen.defect:
        doc.notes.append(gen.defect)
    doc.notes.extend(f"failing:{rule}" for rule in gen.failing)
    return doc
