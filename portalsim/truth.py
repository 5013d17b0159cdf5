"""The ground truth: what a perfect crawl + parse of the simulated web yields.

One ``TruthReport`` per list item (reports *and* the non-report items that share
the lists), keyed by the page URL the crawler stores as the report's natural key.
Tests compare a database against ``Simulator.ground_truth()``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["TruthReport"]


@dataclass(slots=True)
class TruthReport:
    #: catalog key of the simulated site (``site3``)
    site: str
    #: the report page URL (the crawler's natural key)
    page_url: str
    #: "report", or what else it is: "notice", "workplan", "guide", "form", "trap"
    item: str
    is_report: bool
    title: str
    #: where the record's content is: "html" (the page body), "pdf", "docx", "doc"
    kind: str
    #: the page's encoding as served: "utf-8" or "gbk"
    encoding: str
    #: how the encoding is declared: "header+meta", "meta" (meta only), "none"
    charset_declared: str
    published_at: str
    #: the attachment holding the report (kind pdf/docx/doc), or a copy of it next to an HTML body
    attachment_url: str | None = None
    #: True when the page body is the report *and* it links a PDF copy
    html_and_attachment: bool = False
    #: report year from the title (≠ URL date when republished)
    year: int | None = None
    agency: str | None = None
    format: str | None = None
    period_start: str | None = None
    period_end: str | None = None
    section_headings: list[str] = field(default_factory=list)
    contact: dict[str, str | None] = field(default_factory=dict)
    stats: dict[str, float | int] = field(default_factory=dict)
    #: rule ids of the spec's checks that fail on the printed numbers (deliberate defects)
    failing_checks: list[str] = field(default_factory=list)
    #: the URL date differs from the report year by more than the usual publication window
    republished: bool = False
    #: a fault on this item or its site: "antibot", "broken_pdf", "redirect_loop", …; None if clean
    fault: str | None = None
    #: revision counter (``Simulator.revise``); changes numbers and ETags
    revision: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
