"""The report record: the contract between parsers, storage and every consumer.

Field names and stats keys come from ``shared/spec/report-record.md`` and may be
extended but never renamed. The types are plain dataclasses so that ``parsers``
stays free of any framework; ``to_dict`` gives exactly the JSON the spec describes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "PARSER_VERSION",
    "Check",
    "Contact",
    "ExtractedDoc",
    "Format",
    "Record",
    "Section",
    "TableSource",
]

#: Bump when a parser change can alter records; stored with every report so
#: ``reparse`` can find what an older parser produced.
PARSER_VERSION = "1"

Format = Literal["legacy", "2019", "2021"]
DocKind = Literal["html", "text", "pdf", "docx", "doc"]
#: how a record's statistics tables were read: by position from a PDF's character boxes,
#: from HTML or DOCX table structure, from text lines (layout, tab-separated or flattened),
#: or by position from OCR boxes
TableSource = Literal["pdf-layout", "html", "docx", "text", "ocr"]


@dataclass(slots=True)
class Contact:
    address: str | None = None
    postcode: str | None = None
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    website: str | None = None


@dataclass(slots=True)
class Section:
    number: str
    heading: str
    text: str


@dataclass(slots=True)
class Check:
    rule: str
    ok: bool
    detail: str = ""


@dataclass(slots=True)
class Record:
    title: str
    year: int
    agency: str | None
    format: Format
    published_at: str | None = None
    period_start: str | None = None
    period_end: str | None = None
    contact: Contact = field(default_factory=Contact)
    sections: list[Section] = field(default_factory=list)
    stats: dict[str, float | int] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: None when the report has no statistics tables (legacy prose) or none could be read
    table_source: TableSource | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record as ``govreports parse --json`` prints it (schema order)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        return cls(
            title=data["title"],
            year=data["year"],
            agency=data.get("agency"),
            format=data["format"],
            published_at=data.get("published_at"),
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            contact=Contact(**(data.get("contact") or {})),
            sections=[Section(**s) for s in data.get("sections") or []],
            stats=dict(data.get("stats") or {}),
            checks=[Check(**c) for c in data.get("checks") or []],
            warnings=list(data.get("warnings") or []),
            table_source=data.get("table_source"),
        )


@dataclass(slots=True)
class ExtractedDoc:
    """What extraction (HTML/PDF/DOCX/DOC/text → text) hands to report parsing.

    ``text`` is the body in reading order with every table rendered in place as
    tab-separated rows (one line per grid row, merged cells repeated), so the
    report parser can work from text alone. ``tables`` holds the same tables as
    grids (rows of cell strings, rowspan/colspan resolved) when the source had
    real table structure; the report parser prefers them when present.
    """

    kind: DocKind
    text: str
    tables: list[list[list[str]]] = field(default_factory=list)
    title: str | None = None
    published_at: str | None = None
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: set by a reader that read the tables by their structure or position (None: from text lines)
    table_source: TableSource | None = None
