"""content_hash scheme 2: every stored hash recomputed

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

``reports.content_hash`` decides whether a re-crawled report changed, so a new
hash definition must be applied to every stored row in the same step, or the
next crawl would record every report as revised. Scheme 1 hashed ``repr()`` of
the record's fields; scheme 2 (``storage.rows.content_hash``) hashes a fixed
binary layout and costs about a third. The hashes in ``report_versions`` are
recomputed too, from the record JSON and text each version keeps.

Both definitions are frozen copies here (a migration must not change when the
live code does); they take the record in ``Record.to_dict()`` form, which is
what ``report_versions.record`` holds and what the child rows rebuild to.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable, Iterator
from itertools import repeat
from operator import is_
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_CONTACT = ("address", "postcode", "phone", "fax", "email", "website")
_PAGE = 500

Hasher = Callable[[dict[str, Any], str], str]


def _hash_v1(d: dict[str, Any], text: str) -> str:
    c = d["contact"]
    head = [
        d["title"],
        d["year"],
        d["agency"],
        d["format"],
        d["published_at"],
        d["period_start"],
        d["period_end"],
        [c[f] for f in _CONTACT],
        [[s["number"], s["heading"], s["text"]] for s in d["sections"]],
        [[ch["rule"], ch["ok"], ch["detail"]] for ch in d["checks"]],
        d["warnings"],
    ]
    vals = d["stats"].values()
    h = hashlib.sha256(repr(head).encode("utf-8"))
    h.update(b"\x00" + "\x1f".join(d["stats"]).encode("utf-8") + b"\x00")
    h.update(struct.pack(f"={len(vals)}d", *vals))  # scheme 1 packed native-order doubles
    h.update(bytes(map(is_, map(type, vals), repeat(int))))
    h.update(b"\x00")
    h.update(text.encode("utf-8"))
    return h.hexdigest()


def _hash_v2(d: dict[str, Any], text: str) -> str:
    c = d["contact"]
    optional = (
        d["agency"],
        d["published_at"],
        d["period_start"],
        d["period_end"],
        *(c[f] for f in _CONTACT),
    )
    sections, checks, warnings, stats = d["sections"], d["checks"], d["warnings"], d["stats"]
    strings: list[str] = [d["title"], d["format"], *[o or "" for o in optional]]
    for sec in sections:
        strings += (sec["number"], sec["heading"], sec["text"])
    for ch in checks:
        strings += (ch["rule"], ch["detail"])
    strings += warnings
    strings += stats
    strings.append(text)
    counts = (2, d["year"], len(sections), len(checks), len(warnings), len(stats))
    vals = stats.values()
    h = hashlib.sha256(struct.pack(f"<{6 + len(strings)}q", *counts, *map(len, strings)))
    h.update(bytes([o is None for o in optional] + [bool(ch["ok"]) for ch in checks]))
    h.update("".join(strings).encode("utf-8", "surrogatepass"))
    h.update(struct.pack(f"<{len(vals)}d", *vals))
    h.update(bytes(map(is_, map(type, vals), repeat(int))))
    return h.hexdigest()


def _pages(conn: sa.Connection, sql: str) -> Iterator[list[sa.Row[Any]]]:
    """Rows of ``sql`` (which selects ``id`` first and filters ``id > :last``) by id, a page at a time."""
    last = 0
    while True:
        rows = list(conn.execute(sa.text(sql), {"last": last, "page": _PAGE}))
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _children(conn: sa.Connection, table: str, cols: str, ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    stmt = sa.text(f"SELECT report_id, {cols} FROM {table} WHERE report_id IN :ids ORDER BY report_id, pos")
    out: dict[int, list[tuple[Any, ...]]] = {i: [] for i in ids}
    for row in conn.execute(stmt.bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids}):
        out[row[0]].append(tuple(row[1:]))
    return out


def _rehash_reports(conn: sa.Connection, hasher: Hasher) -> None:
    contact = ", ".join(f"contact_{f}" for f in _CONTACT)
    sql = (
        f"SELECT id, title, year, agency, format, published_at, period_start, period_end, {contact}, text "
        "FROM reports WHERE id > :last ORDER BY id LIMIT :page"
    )
    update = sa.text("UPDATE reports SET content_hash = :h WHERE id = :id")
    for rows in _pages(conn, sql):
        ids = [r[0] for r in rows]
        stats = _children(conn, "report_stats", "key, value, is_int", ids)
        sections = _children(conn, "report_sections", "number, heading, text", ids)
        checks = _children(conn, "report_checks", "rule, ok, detail", ids)
        warnings = _children(conn, "report_warnings", "message", ids)
        params = []
        for r in rows:
            rid = r[0]
            d = {
                "title": r.title,
                "year": r.year,
                "agency": r.agency,
                "format": r.format,
                "published_at": r.published_at,
                "period_start": r.period_start,
                "period_end": r.period_end,
                "contact": {f: getattr(r, f"contact_{f}") for f in _CONTACT},
                "sections": [{"number": n, "heading": h, "text": t} for n, h, t in sections[rid]],
                "stats": {k: (int(v) if is_int else float(v)) for k, v, is_int in stats[rid]},
                "checks": [{"rule": ru, "ok": bool(ok), "detail": de} for ru, ok, de in checks[rid]],
                "warnings": [m for (m,) in warnings[rid]],
            }
            params.append({"h": hasher(d, r.text), "id": rid})
        conn.execute(update, params)


def _rehash_versions(conn: sa.Connection, hasher: Hasher) -> None:
    sql = "SELECT id, record, text FROM report_versions WHERE id > :last ORDER BY id LIMIT :page"
    update = sa.text("UPDATE report_versions SET content_hash = :h WHERE id = :id")
    for rows in _pages(conn, sql):
        conn.execute(update, [{"h": hasher(json.loads(r.record), r.text), "id": r.id} for r in rows])


def upgrade() -> None:
    conn = op.get_bind()
    _rehash_reports(conn, _hash_v2)
    _rehash_versions(conn, _hash_v2)


def downgrade() -> None:
    conn = op.get_bind()
    _rehash_reports(conn, _hash_v1)
    _rehash_versions(conn, _hash_v1)
