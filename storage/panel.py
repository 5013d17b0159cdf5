"""The researcher's side of the database: agencies across years, the panel, cross-year checks, gaps.

Writes (inside the store's own transaction, ``Store._write_reports``):
``resolve_agencies`` gives each report its ``agency_id`` and ``recompute_cross_year``
rebuilds the failed cross-year checks of the agencies a batch touched, so a report
of either year changing is always reflected. Reads open their own read connection.

Cross-year rules, for consecutive years N−1, N of one agency (neither legacy):
``cross_year.carried_over.<col>``: N's ``requests.table.carried_over.<col>`` equals
N−1's ``requests.table.carried_forward.<col>``; and, both years in the 2019 format,
``cross_year.art20.<item>.prior``: N's ``art20.<item>.prior`` equals N−1's
``prior + change``. A rule is checked only where both sides are stated; only
failures are stored (``cross_year_checks``), with both values and both reports.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table, select, text
from sqlalchemy.engine import Connection

from .agency import agency_key
from .engine import READ
from .load import chunks
from .models import GAPS_VIEW, PANEL_VIEW, Agency, CrossYearCheck, Source

__all__ = [
    "AgencyInfo",
    "CrossYearFailure",
    "PanelRow",
    "agencies",
    "cross_year_failures",
    "gaps",
    "identity",
    "panel_rows",
    "reassign_reports",
    "recompute_cross_year",
    "resolve_agencies",
    "shown_names",
    "source_pins",
    "touched_pairs",
]

AGENCIES: Table = Agency.__table__  # type: ignore[attr-defined]
CROSS: Table = CrossYearCheck.__table__  # type: ignore[attr-defined]
SOURCES: Table = Source.__table__  # type: ignore[attr-defined]

#: the application table's columns (spec/report-record.md)
TABLE_COLUMNS = (
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_services",
    "other_org",
    "total",
)
#: 2019-format 第二十条 items stating 上一年项目数量 and 本年增/减
ART20_ITEMS = ("licensing", "other_services", "penalty", "enforcement", "fees")


# --------------------------------------------------------------------------- writes


def source_pins(conn: Connection, source_keys: Iterable[str]) -> dict[str, str]:
    """The agency a catalog entry pins (``agency:``), per source that has one.

    Read from the entry as ``sync_sources`` stored it, so the pin needs no column
    of its own and follows the catalog as last loaded.
    """
    keys = sorted(set(source_keys))
    pins: dict[str, str] = {}
    for part in chunks(keys):
        for key, config in conn.execute(select(SOURCES.c.key, SOURCES.c.config).where(SOURCES.c.key.in_(part))):
            try:
                pinned = json.loads(config).get("agency")
            except (ValueError, AttributeError):
                continue
            if isinstance(pinned, str) and pinned.strip():
                pins[key] = pinned.strip()
    return pins


def identity(name: str | None) -> tuple[str, str] | None:
    """(key, name as shown) of an agency name; None when there is no usable name."""
    key = agency_key(name)
    return (key, " ".join(name.split())) if key and name else None


def _more_specific(a: str, b: str) -> bool:
    """Whether name ``a`` shows an agency better than ``b``: longer (``淮安市洪泽区人民政府``
    over ``洪泽区``), ties by code point. A strict order, so the best of a set of names does not
    depend on the order they came in."""
    return (-len(a), a) < (-len(b), b)


def shown_names(identities: Iterable[tuple[str, str] | None]) -> dict[str, str]:
    """Per key, the most specific of the names it comes with."""
    best: dict[str, str] = {}
    for ident in identities:
        if ident is not None:
            key, name = ident
            if key not in best or _more_specific(name, best[key]):
                best[key] = name
    return best


def resolve_agencies(conn: Connection, wanted: Mapping[str, str]) -> dict[str, int]:
    """The ``agency_id`` of each key, inserting the agencies not seen before.

    ``ON CONFLICT DO NOTHING`` in key order, then one read: concurrent writers
    adding the same agency get the same id and cannot deadlock. An agency is
    shown under the most specific name it was ever written with, so a crawl
    that ran in another order (a crash and a resume) names it the same.
    """
    keys = sorted(wanted)
    if not keys:
        return {}
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    cols = (AGENCIES.c.key, AGENCIES.c.id, AGENCIES.c.name)
    found: dict[str, tuple[int, str]] = {}
    for part in chunks(keys):
        found.update((k, (i, n)) for k, i, n in conn.execute(select(*cols).where(AGENCIES.c.key.in_(part))))
    missing = [k for k in keys if k not in found]
    for part in chunks(missing):
        conn.execute(
            insert(AGENCIES).on_conflict_do_nothing(index_elements=["key"]),
            [{"key": k, "name": wanted[k]} for k in part],
        )
        found.update((k, (i, n)) for k, i, n in conn.execute(select(*cols).where(AGENCIES.c.key.in_(part))))
    better = [(i, wanted[k]) for k, (i, n) in found.items() if _more_specific(wanted[k], n)]
    for aid, name in better:
        conn.execute(AGENCIES.update().where(AGENCIES.c.id == aid).values(name=name))
    return {k: i for k, (i, _) in found.items()}


def reassign_reports(conn: Connection, source_keys: Collection[str] | None = None) -> None:
    """Give stored reports (of these sources; None: all) their agency again, then their checks.

    For what changes identity without changing a report: a catalog pin added,
    changed or removed (``Store.sync_sources``), and the upgrade to 0006.
    """
    stmt = "SELECT id, source_key, agency, agency_id, year FROM reports"
    params: dict[str, Any] = {}
    if source_keys is not None:
        if not source_keys:
            return
        names = [f"s{i}" for i in range(len(source_keys))]
        params.update(zip(names, sorted(source_keys), strict=True))
        stmt += f" WHERE source_key IN ({', '.join(':' + n for n in names)})"
    rows = conn.execute(text(stmt), params).all()
    pins = source_pins(conn, {r.source_key for r in rows})
    ident = {r.id: identity(pins.get(r.source_key) or r.agency) for r in rows}
    ids = resolve_agencies(conn, shown_names(ident.values()))
    touched: set[tuple[int, int]] = set()
    moves: dict[int | None, list[int]] = {}
    for r in rows:
        new = ids[i[0]] if (i := ident[r.id]) else None
        if new != r.agency_id:
            moves.setdefault(new, []).append(r.id)
            touched.update(touched_pairs(r.agency_id, r.year), touched_pairs(new, r.year))
    for new, rids in moves.items():
        for part in chunks(rids):
            conn.execute(
                text(f"UPDATE reports SET agency_id = :a WHERE id IN ({', '.join(str(int(i)) for i in part)})"),
                {"a": new},
            )
    if moves:
        recompute_cross_year(conn, None if source_keys is None else touched)


_OVER = "requests.table.carried_over."
_FORWARD = "requests.table.carried_forward."


def _in_list(keys: Iterable[str]) -> str:
    return ", ".join(f"'{k}'" for k in keys)  # our own constant keys, no quotes in them


_INSERT = (
    "INSERT INTO cross_year_checks (agency_id, year, rule, value, expected, report_id, prev_report_id)\n"
)
#: Both statements start from the later report and probe report_stats by its primary key
#: (report_id, key): no index on stats keys is needed, the write path keeps its one b-tree.
#: ``CROSS JOIN`` fixes that order in SQLite, whose planner otherwise scanned every stats
#: row for each rule; the keys are an IN list on the key's second column, not a joined
#: VALUES table, which PostgreSQL hash-joined against every stats row of each report
#: (bench/panel.py, full rebuild at 5,000 reports: SQLite 1.19 s and PostgreSQL 0.56 s before).
CARRIED_SQL = (
    f"{_INSERT}"
    f"SELECT cur.agency_id, cur.year, 'cross_year.carried_over.' || substr(sc.key, {len(_OVER) + 1}), "
    "sc.value, sp.value, cur.id, prev.id\n"
    "FROM reports cur CROSS JOIN reports prev CROSS JOIN report_stats sc CROSS JOIN report_stats sp\n"
    "WHERE prev.agency_id = cur.agency_id AND prev.year = cur.year - 1\n"
    f"  AND sc.report_id = cur.id AND sc.key IN ({_in_list(_OVER + c for c in TABLE_COLUMNS)})\n"
    f"  AND sp.report_id = prev.id AND sp.key = '{_FORWARD}' || substr(sc.key, {len(_OVER) + 1})\n"
    "  AND cur.format <> 'legacy' AND prev.format <> 'legacy' AND sc.value <> sp.value"
)
ART20_SQL = (
    f"{_INSERT}"
    "SELECT cur.agency_id, cur.year, 'cross_year.' || sc.key, sc.value, sp.value + sd.value, cur.id, prev.id\n"
    "FROM reports cur CROSS JOIN reports prev CROSS JOIN report_stats sc\n"
    "  CROSS JOIN report_stats sp CROSS JOIN report_stats sd\n"
    "WHERE prev.agency_id = cur.agency_id AND prev.year = cur.year - 1\n"
    f"  AND sc.report_id = cur.id AND sc.key IN ({_in_list(f'art20.{i}.prior' for i in ART20_ITEMS)})\n"
    "  AND sp.report_id = prev.id AND sp.key = sc.key\n"
    "  AND sd.report_id = prev.id AND sd.key = replace(sc.key, '.prior', '.change')\n"
    "  AND cur.format = '2019' AND prev.format = '2019' AND sc.value <> sp.value + sd.value"
)


def recompute_cross_year(conn: Connection, agency_years: Collection[tuple[int, int]] | None = None) -> None:
    """Rebuild the stored failures of these (agency_id, year) pairs (None: of every agency).

    A failure is filed under the later year of its pair, so a report of year N
    is in two pairs: pass (agency, N) and (agency, N + 1) for each report written,
    under its old agency and year as well as its new ones (``touched_pairs``).
    """
    if agency_years is None:
        conn.execute(CROSS.delete())
        for sql in (CARRIED_SQL, ART20_SQL):
            conn.execute(text(sql))
        return
    by_agency: dict[int, set[int]] = {}
    for aid, year in agency_years:
        by_agency.setdefault(int(aid), set()).add(int(year))
    agencies_ = sorted(by_agency)
    if conn.dialect.name == "postgresql":
        # two writers of one agency (year N and N-1 in different sources) would each miss the
        # other's uncommitted report; the agency row lock makes the later one wait and then see
        # it. In id order, like every other lock, so writers cannot deadlock. (SQLite: one writer.)
        for part in chunks(agencies_):
            ids = ", ".join(map(str, part))
            conn.execute(text(f"SELECT id FROM agencies WHERE id IN ({ids}) ORDER BY id FOR UPDATE"))
    for part in chunks(agencies_, 200):
        # ints from our own tables; agency_id * 10000 + year names a pair (years are 4 digits)
        ids = ", ".join(map(str, part))
        pairs = ", ".join(str(a * 10000 + y) for a in part for y in sorted(by_agency[a]))
        conn.execute(
            text(f"DELETE FROM cross_year_checks WHERE agency_id IN ({ids}) AND agency_id * 10000 + year IN ({pairs})")
        )
        for sql in (CARRIED_SQL, ART20_SQL):
            conn.execute(text(f"{sql}\n  AND cur.agency_id IN ({ids}) AND cur.agency_id * 10000 + cur.year IN ({pairs})"))


def touched_pairs(agency_id: int | None, year: int) -> list[tuple[int, int]]:
    """The (agency, later year) pairs a report of ``year`` takes part in."""
    return [] if agency_id is None else [(agency_id, year), (agency_id, year + 1)]


# --------------------------------------------------------------------------- reads


@dataclass(frozen=True, slots=True)
class AgencyInfo:
    """One agency: every name its reports used, each with the years it was used in."""

    agency_id: int
    key: str
    name: str
    names: dict[str, list[int]]
    years: list[int]
    reports: int


@dataclass(frozen=True, slots=True)
class PanelRow:
    agency_id: int
    agency: str
    year: int
    key: str
    value: float
    report_id: int
    format: str
    #: reports of this agency for this year: more than one means a re-publication or a mix-up
    reports_in_year: int


@dataclass(frozen=True, slots=True)
class CrossYearFailure:
    agency_id: int
    agency: str
    year: int
    rule: str
    value: float
    expected: float
    report_id: int
    prev_report_id: int


def _like(text_: str) -> str:
    return "%" + text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _agency_filter(column: str, agency: str | None, params: dict[str, Any]) -> str:
    """SQL matching an agency by its shown name, its key or any name its reports used."""
    if not agency:
        return ""
    params["agency"] = _like(agency)
    return (
        f" AND {column} IN (SELECT id FROM agencies WHERE name LIKE :agency ESCAPE '\\' "
        "OR key LIKE :agency ESCAPE '\\' UNION SELECT agency_id FROM reports "
        "WHERE agency LIKE :agency ESCAPE '\\' AND agency_id IS NOT NULL)"
    )


def agencies(engine: Engine, *, agency: str | None = None) -> list[AgencyInfo]:
    """Every agency with its names and years, by shown name."""
    params: dict[str, Any] = {}
    sql = (
        "SELECT a.id, a.key, a.name, r.agency, r.year FROM agencies a "
        "JOIN reports r ON r.agency_id = a.id WHERE 1 = 1"
        + _agency_filter("a.id", agency, params)
        + " ORDER BY a.name, a.id, r.year"
    )
    found: dict[int, dict[str, Any]] = {}
    with engine.connect().execution_options(**READ) as conn:
        for aid, key, name, seen, year in conn.execute(text(sql), params):
            a = found.setdefault(aid, {"key": key, "name": name, "names": {}, "years": [], "reports": 0})
            a["reports"] += 1
            years = a["names"].setdefault(seen or name, [])
            if year not in years:
                years.append(year)
            if year not in a["years"]:
                a["years"].append(year)
    return [AgencyInfo(agency_id=aid, **a) for aid, a in found.items()]


def panel_rows(
    engine: Engine,
    *,
    keys: Collection[str] = (),
    agency: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
) -> list[PanelRow]:
    """The ``panel`` view, filtered; by agency, year, report, then the record's key order."""
    params: dict[str, Any] = {}
    where = ""
    if keys:
        names = [f"k{i}" for i in range(len(keys))]
        params.update(zip(names, keys, strict=True))
        where += f" AND key IN ({', '.join(':' + n for n in names)})"
    if year_from is not None:
        params["y0"] = year_from
        where += " AND year >= :y0"
    if year_to is not None:
        params["y1"] = year_to
        where += " AND year <= :y1"
    where += _agency_filter("agency_id", agency, params)
    sql = (
        "SELECT agency_id, agency, year, key, value, report_id, format, reports_in_year "
        f"FROM {PANEL_VIEW} WHERE 1 = 1{where} ORDER BY agency, agency_id, year, report_id"
    )
    with engine.connect().execution_options(**READ) as conn:
        return [PanelRow(*row) for row in conn.execute(text(sql), params)]


def cross_year_failures(engine: Engine, *, agency: str | None = None) -> list[CrossYearFailure]:
    params: dict[str, Any] = {}
    sql = (
        "SELECT c.agency_id, a.name, c.year, c.rule, c.value, c.expected, c.report_id, c.prev_report_id "
        "FROM cross_year_checks c JOIN agencies a ON a.id = c.agency_id WHERE 1 = 1"
        + _agency_filter("c.agency_id", agency, params)
        + " ORDER BY a.name, c.agency_id, c.year, c.rule, c.report_id, c.prev_report_id"
    )
    with engine.connect().execution_options(**READ) as conn:
        return [CrossYearFailure(*row) for row in conn.execute(text(sql), params)]


def gaps(engine: Engine, *, agency: str | None = None) -> dict[tuple[int, str], list[int]]:
    """(agency_id, name) → the years missing between its first and last report."""
    params: dict[str, Any] = {}
    sql = (
        f"SELECT agency_id, agency, year FROM {GAPS_VIEW} WHERE 1 = 1"
        + _agency_filter("agency_id", agency, params)
        + " ORDER BY agency, agency_id, year"
    )
    out: dict[tuple[int, str], list[int]] = {}
    with engine.connect().execution_options(**READ) as conn:
        for aid, name, year in conn.execute(text(sql), params):
            out.setdefault((aid, name), []).append(year)
    return out
