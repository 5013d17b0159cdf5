"""Report parsing: an ``ExtractedDoc`` (text with tables in place) becomes a ``Record``.

``build_record`` is pure: no I/O, no global state, bounded work. It raises
``ParseError`` for text that is empty or is not a disclosure report and nothing
else; everything it cannot read becomes a warning on the record instead.
"""

from __future__ import annotations

import re

from parsers.checks import run_checks
from parsers.contact import find_contact
from parsers.errors import ParseError
from parsers.meta import (
    agency_from_text,
    agency_from_title,
    clean_title,
    detect_format,
    find_period,
    find_published_at,
    find_title,
    year_from_text,
    year_from_title,
)
from parsers.numbers import compact, normalize_text, prose_numbers
from parsers.prose import fees_and_proactive, legacy_headlines, legacy_table
from parsers.record import ExtractedDoc, Record
from parsers.sections import split_sections
from parsers.tables import DENIED_ROWS, parse_statutory_tables

__all__ = ["build_record"]

_REPORT_WORDS = ("信息公开", "政务公开")
_MIN_YEAR, _MAX_YEAR = 2007, 2100
#: stats keys that only the statutory tables give
_TABLE_KEYS = ("requests.table.", "art20.")


def _grid_text(tables: list[list[list[str]]]) -> str:
    return "\n".join("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row)
                     for grid in tables for row in grid)


def _headline_from_tables(stats: dict[str, float | int]) -> None:
    """The headline keys the spec derives from the new-format tables."""
    t = "requests.table."
    for key, row in (("requests.received", "new_received"), ("requests.carried_over", "carried_over"),
                     ("requests.granted", "granted"), ("requests.partially_granted", "partially_granted"),
                     ("requests.carried_forward", "carried_forward")):
        v = stats.get(f"{t}{row}.total")
        if v is not None:
            stats[key] = v
    denied = [stats[f"{t}{row}.total"] for row in DENIED_ROWS if f"{t}{row}.total" in stats]
    if denied:
        stats["requests.denied"] = sum(denied)
    lit = [stats[k] for k in ("litigation.direct.total", "litigation.after_review.total") if k in stats]
    if lit:
        stats["litigation.total"] = sum(lit)


def _is_report(compact_text: str, title: str | None, meta_title: str | None) -> bool:
    """A disclosure annual report, not a notice, 工作要点, 指南 or navigation page that mentions one.

    Column lists mix reports with other documents, so without a report title
    the text must open like a report or carry the statutory tables.
    """
    if title:
        return True
    if meta_title and not re.search(r"报告|年报", meta_title):
        return False
    if any(w in compact_text for w in ("本年新收", "第二十条第")):
        return True
    opening = compact_text[:600]
    return bool(re.search(r"本(?:年度)?(?:工作)?报告", opening)) and any(w in opening for w in _REPORT_WORDS)


def build_record(doc: ExtractedDoc) -> Record:
    """Parse one report into the record of ``spec/report-record.md``.

    Reads title, year, agency, format, dates, period, contact, sections, every
    statutory table number (or, for legacy reports, the prose headline numbers
    and their statistics table), then runs the spec's checks on what it read.
    """
    text = normalize_text(doc.text or "")
    if doc.tables and "本年新收" not in compact(text):
        text = text + "\n" + normalize_text(_grid_text(doc.tables))
    if not text.strip():
        raise ParseError("empty", "no text to parse")
    comp = compact(text)
    warnings: list[str] = list(doc.warnings)

    title = find_title(text)
    # a page <title> carries the site's name after the report's ("…年度报告_平潭综合实验区"): cut it off
    meta_title = (find_title(doc.title) or clean_title(doc.title)) if doc.title else None
    if (meta_title and year_from_title(meta_title) and re.search(r"报告|年报", meta_title)
            and any(w in meta_title for w in _REPORT_WORDS)
            and (title is None or (agency_from_title(title) is None and agency_from_title(meta_title) is not None
                                   and year_from_title(title) == year_from_title(meta_title)))):
        title = meta_title  # the page's <title> or ArticleTitle names the agency the body's heading leaves out
    if not _is_report(comp, title, meta_title):
        raise ParseError(
            "not_a_report", "not a report: no 政府信息公开 annual report wording (title, 年度报告, statutory tables)")

    year = year_from_title(title) if title else None
    if year is None:
        year = year_from_text(text)
        if year is not None:
            warnings.append("year not stated in a title; taken from the statistics period or the body")
    if year is None or not _MIN_YEAR <= year <= _MAX_YEAR:
        # a template: the application table is there, and no digit but its row numbering ("1.")
        blank = "本年新收" in comp and not re.search(
            r"\d", re.sub(r"\d{1,2}[.、．]", "", comp.split("本年新收", 1)[1][:2000]))
        raise ParseError("not_a_report", "not a report: " + (
            "a blank template (no year, no number in the statistics tables)" if blank
            else f"cannot tell which year the report covers (found {year})"))

    agency = agency_from_title(title) if title else None
    if agency is None:
        agency = agency_from_text(text)
    if title is None:
        title = f"{agency or ''}{year}年政府信息公开工作年度报告"
        warnings.append(f"no title line in the text; title synthesised as {title}")

    fmt = detect_format(comp, year)
    period_start, period_end = find_period(comp)
    published_at = doc.published_at if doc.published_at and re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc.published_at) \
        else find_published_at(text)

    numbers = prose_numbers(text)
    stats: dict[str, float | int] = {}
    tables = parse_statutory_tables(text, fmt, numbers)
    warnings.extend(tables.warnings)
    stats.update(tables.stats)
    prose = fees_and_proactive(text)
    warnings.extend(prose.warnings)
    has_tables = any(k.startswith("requests.table.") for k in stats)
    if fmt == "legacy" or not has_tables:
        # legacy reports state their numbers in prose; so must a new-format report whose tables are missing
        legacy = legacy_headlines(text)
        stats.update(legacy.stats)
        table = legacy_table(text, numbers)
        stats.update(table.stats)
        warnings.extend(legacy.warnings + table.warnings)
    if has_tables:
        _headline_from_tables(stats)
    for key, value in prose.stats.items():
        stats.setdefault(key, value)

    return Record(
        title=title,
        year=year,
        agency=agency,
        format=fmt,
        published_at=published_at,
        period_start=period_start,
        period_end=period_end,
        contact=find_contact(text),
        sections=split_sections(text),
        stats=stats,
        checks=run_checks(stats),
        warnings=warnings,
        table_source=(doc.table_source or "text") if any(k.startswith(_TABLE_KEYS) for k in stats) else None,
    )
