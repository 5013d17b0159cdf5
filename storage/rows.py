"""Record ⇄ table rows, the content hash, and input validation: pure functions.

Kept apart from the SQL so the mapping can be read (and tested) on its own:
``report_rows`` is what ``upsert_reports`` writes, ``record_from_rows`` is what
``show``/``export``/``report_versions`` read back, and the round trip is exact.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from itertools import chain, repeat
from operator import is_
from typing import Any, get_args

from parsers.record import Check, Contact, Format, Record, Section

from .api import ReportItem, StorageError

__all__ = [
    "CHILD_COLUMNS",
    "HASH_SCHEME",
    "PG_TRUTH",
    "SQLITE_TRUTH",
    "ChildRows",
    "as_utc",
    "content_hash",
    "diff_summary",
    "record_dict",
    "record_from_rows",
    "report_columns",
    "validate_item",
]

_FORMATS = set(get_args(Format))
CONTACT_FIELDS = ("address", "postcode", "phone", "fax", "email", "website")


def as_utc(dt: datetime) -> datetime:
    """Aware UTC. Naive values (SQLite hands them back naive) are taken as UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


#: which ``content_hash`` definition the stored hashes follow (migration 0002 moved
#: every stored hash from 1 to 2); hashed in, so two schemes can never collide
HASH_SCHEME = 2


def content_hash(record: Record, text: str) -> str:
    """sha256 over every record field (order kept) and the extracted text.

    Order-sensitive on purpose: the stored record must rebuild exactly, so a
    reordered ``stats`` dict is a (cosmetic) change; ``3`` and ``3.0`` differ too.

    The encoding is a fixed layout, unambiguous without any escaping: a header
    of 64-bit integers (scheme, year, list lengths, then the length of every
    string, -1 for None), the check outcomes and None flags as bytes, all
    strings concatenated as UTF-8, the stats values as binary doubles (exact for
    any count below 2**53) and an int/float flag per value. Scheme 1 hashed
    ``repr()`` of the fields instead: escaping ~16 KB of section text char by
    char made the hash ~20% of a new-report upsert; this costs about a third.

    Raises ``TypeError`` when a field that must be a string is not one.
    """
    c = record.contact
    optional = (
        record.agency,
        record.published_at,
        record.period_start,
        record.period_end,
        c.address,
        c.postcode,
        c.phone,
        c.fax,
        c.email,
        c.website,
    )
    sections, checks, warnings, stats = record.sections, record.checks, record.warnings, record.stats
    strings: list[str] = [record.title, record.format, *[o or "" for o in optional]]
    for sec in sections:
        strings += (sec.number, sec.heading, sec.text)
    for ch in checks:
        strings += (ch.rule, ch.detail)
    strings += warnings
    strings += stats
    strings.append(text)
    counts = (HASH_SCHEME, record.year, len(sections), len(checks), len(warnings), len(stats))
    vals = stats.values()
    # struct rather than array: ~2x faster from an iterable; "<" fixes the byte order
    h = hashlib.sha256(struct.pack(f"<{6 + len(strings)}q", *counts, *map(len, strings)))
    h.update(bytes([o is None for o in optional] + [bool(ch.ok) for ch in checks]))
    h.update("".join(strings).encode("utf-8", "surrogatepass"))
    h.update(struct.pack(f"<{len(vals)}d", *vals))
    h.update(bytes(map(is_, map(type, vals), repeat(int))))
    return h.hexdigest()


def validate_item(item: ReportItem) -> None:
    """Refuse an item the tables cannot hold faithfully, naming its URL and the field."""
    r = item.record
    where = f"{item.source_key} {item.url}"
    problems: list[str] = []
    if not item.source_key or not item.url:
        problems.append("source_key and url are required")
    if not isinstance(r.title, str) or not r.title:
        problems.append("title must be a non-empty string")
    if not isinstance(r.year, int) or isinstance(r.year, bool):
        problems.append(f"year must be an int, got {r.year!r}")
    if r.format not in _FORMATS:
        problems.append(f"format must be one of {sorted(_FORMATS)}, got {r.format!r}")
    vals = r.stats.values()
    stats_ok = set(map(type, vals)) <= {int, float} and math.isfinite(sum(vals))
    for key, value in () if stats_ok else r.stats.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"stats[{key!r}] must be a number, got {value!r}")
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(f"stats[{key!r}] must be finite, got {value!r}")
    if not isinstance(item.text, str):
        problems.append("text must be a string")
    if not isinstance(item.fetched_at, datetime):
        problems.append("fetched_at must be a datetime")
    if problems:
        raise StorageError(f"{where}: cannot store report: " + "; ".join(problems))


def report_columns(item: ReportItem, chash: str, parsed_at: datetime) -> dict[str, Any]:
    """The ``reports`` columns an item sets (every column but id/first_seen/last_changed)."""
    r = item.record
    c = r.contact
    return {
        "source_key": item.source_key,
        "url": item.url,
        "document_url": item.document_url,
        "title": r.title,
        "year": r.year,
        "agency": r.agency,
        "format": r.format,
        "published_at": r.published_at,
        "period_start": r.period_start,
        "period_end": r.period_end,
        **{f"contact_{f}": getattr(c, f) for f in CONTACT_FIELDS},
        "text": item.text,
        "n_stats": len(r.stats),
        "n_failed_checks": sum(1 for ch in r.checks if not ch.ok),
        "table_source": r.table_source,
        "parser_version": item.parser_version,
        "content_hash": chash,
        "document_sha256": item.document_sha256,
        "fetched_at": as_utc(item.fetched_at),
        "parsed_at": as_utc(parsed_at),
    }


#: column order of the tuples ``ChildRows.rows`` yields, per child table
CHILD_COLUMNS: dict[str, tuple[str, ...]] = {
    "report_stats": ("report_id", "key", "value", "is_int", "pos"),
    "report_sections": ("report_id", "pos", "number", "heading", "text"),
    "report_checks": ("report_id", "pos", "rule", "ok", "detail"),
    "report_warnings": ("report_id", "pos", "message"),
}


#: how a boolean column is bound: SQLite gets plain 0/1 ints, because the
#: sqlite3 module looks up an adapter for every ``bool`` (not an exact int)
#: it binds: measured ~0.5 µs per row, a fifth of inserting a stats row.
#: PostgreSQL (COPY into boolean columns) gets real bools.
SQLITE_TRUTH: tuple[Any, Any] = (0, 1)
PG_TRUTH: tuple[Any, Any] = (False, True)


def _stat_rows(report_id: int, record: Record, truth: tuple[Any, Any]) -> Iterator[tuple[Any, ...]]:
    # zip/map rather than per-row Python code: ~200 stats per full report;
    # values are int or float only (``validate_item``)
    n = len(record.stats)
    values = record.stats.values()
    is_int = {int: truth[1], float: truth[0]}.__getitem__
    return zip(
        repeat(report_id, n),
        record.stats.keys(),
        map(float, values),
        map(is_int, map(type, values)),
        range(n),
        strict=True,
    )


def _section_rows(report_id: int, record: Record, _truth: tuple[Any, Any]) -> Iterator[tuple[Any, ...]]:
    return ((report_id, i, s.number, s.heading, s.text) for i, s in enumerate(record.sections))


def _check_rows(report_id: int, record: Record, truth: tuple[Any, Any]) -> Iterator[tuple[Any, ...]]:
    return ((report_id, i, c.rule, truth[bool(c.ok)], c.detail) for i, c in enumerate(record.checks))


def _warning_rows(report_id: int, record: Record, _truth: tuple[Any, Any]) -> Iterator[tuple[Any, ...]]:
    return ((report_id, i, w) for i, w in enumerate(record.warnings))


_ROW_MAKERS: dict[str, Callable[[int, Record, tuple[Any, Any]], Iterator[tuple[Any, ...]]]] = {
    "report_stats": _stat_rows,
    "report_sections": _section_rows,
    "report_checks": _check_rows,
    "report_warnings": _warning_rows,
}


class ChildRows:
    """The (report id, record) pairs whose child rows a write inserts; rows are made lazily.

    Lazy on purpose: a batch of 200 full reports is ~47,000 child rows. Built up
    front as tuples they are all alive at once, and CPython runs a garbage
    collection every 700 net container allocations (now and then a full one,
    walking the whole heap): measured at ~20% of the CPU of an upsert. Yielded
    one at a time and dropped as soon as the driver has bound them, they never
    pile up and the collector stays idle.

    ``truth``: how booleans are bound (``SQLITE_TRUTH`` or ``PG_TRUTH``).
    """

    __slots__ = ("reports", "truth")

    def __init__(self, truth: tuple[Any, Any] = PG_TRUTH) -> None:
        self.reports: list[tuple[int, Record]] = []
        self.truth = truth

    def add(self, report_id: int, record: Record) -> None:
        """Rows of ``record`` go under ``report_id``."""
        self.reports.append((report_id, record))

    def __len__(self) -> int:
        return len(self.reports)

    def rows(self, table: str) -> Iterator[tuple[Any, ...]]:
        """Tuples in ``CHILD_COLUMNS[table]`` order, report by report."""
        make, truth = _ROW_MAKERS[table], self.truth
        return chain.from_iterable(make(rid, record, truth) for rid, record in self.reports)


def record_from_rows(
    report: Mapping[str, Any],
    stats: Sequence[Sequence[Any]],
    sections: Sequence[Sequence[Any]],
    checks: Sequence[Sequence[Any]],
    warnings: Sequence[Sequence[Any]],
) -> Record:
    """Rebuild the exact ``Record`` from a ``reports`` row and its child rows.

    Child rows are plain tuples in ``CHILD_COLUMNS`` order without ``report_id``
    (``stats``: key, value, is_int, pos; ``sections``: pos, number, heading, text;
    ``checks``: pos, rule, ok, detail; ``warnings``: pos, message), each already
    sorted by ``pos``: tuples straight from the driver, because building a
    mapping per row cost more than the query (a full report has ~250 child rows).
    """
    return Record(
        title=report["title"],
        year=report["year"],
        agency=report["agency"],
        format=report["format"],
        published_at=report["published_at"],
        period_start=report["period_start"],
        period_end=report["period_end"],
        contact=Contact(**{f: report[f"contact_{f}"] for f in CONTACT_FIELDS}),
        sections=[Section(number=n, heading=h, text=t) for _pos, n, h, t in sections],
        stats={k: (int(v) if is_int else float(v)) for k, v, is_int, _pos in stats},
        checks=[Check(rule=r, ok=bool(ok), detail=d) for _pos, r, ok, d in checks],
        warnings=[m for _pos, m in warnings],
        table_source=report.get("table_source"),
    )


def record_dict(record: Record) -> dict[str, Any]:
    """Exactly ``record.to_dict()`` (same keys, order and values), without its deep copy.

    ``Record.to_dict`` is ``dataclasses.asdict``, which recurses through every
    field and deep-copies each of the ~200 stats values: ~2 ms per full report,
    which made keeping previous versions the whole cost of a changed-report
    upsert. The result shares the record's strings (immutable) and nothing else.
    """
    c = record.contact
    return {
        "title": record.title,
        "year": record.year,
        "agency": record.agency,
        "format": record.format,
        "published_at": record.published_at,
        "period_start": record.period_start,
        "period_end": record.period_end,
        "contact": {f: getattr(c, f) for f in CONTACT_FIELDS},
        "sections": [{"number": s.number, "heading": s.heading, "text": s.text} for s in record.sections],
        "stats": dict(record.stats),
        "checks": [{"rule": ch.rule, "ok": ch.ok, "detail": ch.detail} for ch in record.checks],
        "warnings": list(record.warnings),
        "table_source": record.table_source,
    }


#: record fields in schema order, compared one by one in ``diff_summary``
_RECORD_FIELDS = (
    "title",
    "year",
    "agency",
    "format",
    "published_at",
    "period_start",
    "period_end",
    "contact",
    "sections",
    "stats",
    "checks",
    "warnings",
    "table_source",
)


def diff_summary(old: Record, new: Record, old_text: str, new_text: str) -> str:
    """A short human reason for a new version: which parts of the record changed.

    Compares the dataclass fields directly (dataclass equality is field-wise,
    the same answer as comparing ``to_dict()`` output, without building it).
    """
    parts: list[str] = []
    for key in _RECORD_FIELDS:
        if key == "stats":
            o, n = old.stats, new.stats
            if o == n and list(o) == list(n) and all(type(v) is type(n[k]) for k, v in o.items()):
                continue
            # keys whose value differs or that only one side has; the set operation
            # runs in C (values are finite numbers, so 3 and 3.0 compare equal here)
            changed = sorted({k for k, _ in o.items() ^ n.items()})
            if changed:
                shown = ", ".join(changed[:5]) + (f" (+{len(changed) - 5} more)" if len(changed) > 5 else "")
                parts.append(f"stats: {shown}")
            else:
                parts.append("stats: order/number type")
        elif getattr(old, key) != getattr(new, key):
            parts.append(key)
    if old_text != new_text:
        parts.append("text")
    return "changed: " + ("; ".join(parts) if parts else "record")
