"""What a crawl keeps besides reports: its runs, robots.txt per origin, and host leases.

Written for a wide catalog: a crawl of 3,000 sources reads every source's state in three
queries and opens and closes its ``crawl_runs`` rows in batches, instead of five round
trips per source. ``Store`` mixes this in; the SQL lives here and nowhere else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, and_, func, or_, select, update
from sqlalchemy.engine import Connection

from .api import CheckTimes, RunCounts, RunSummary, StoredSource, Validators
from .engine import READ
from .load import chunks
from .models import CrawlRun, Document, HostLease, Report, RobotsTxt
from .rows import as_utc

__all__ = ["RUN_COUNT_FIELDS", "CrawlLedger", "run_summary"]

DOCUMENTS: Table = Document.__table__  # type: ignore[attr-defined]
REPORTS: Table = Report.__table__  # type: ignore[attr-defined]
RUNS: Table = CrawlRun.__table__  # type: ignore[attr-defined]
ROBOTS: Table = RobotsTxt.__table__  # type: ignore[attr-defined]
LEASES: Table = HostLease.__table__  # type: ignore[attr-defined]

RUN_COUNT_FIELDS = ("discovered", "fetched", "new", "changed", "unchanged", "failed", "blocked", "not_due")


def run_summary(r: Any) -> RunSummary:
    return RunSummary(
        run_id=r["run_id"],
        source_key=r["source_key"],
        started_at=as_utc(r["started_at"]),
        finished_at=as_utc(r["finished_at"]) if r["finished_at"] else None,
        state=r["state"],
        counts=RunCounts(**{f: r[f] for f in RUN_COUNT_FIELDS}),
        flow_run_id=r["flow_run_id"],
        attempt=r["attempt"],
        owner=r["owner"],
        error=r["error"],
    )


class CrawlLedger:
    """Mixed into ``storage.Store`` (which provides the engine and the dialect's insert)."""

    engine: Engine
    dialect: str
    _insert: Callable[[Table], Any]

    def _read(self) -> Connection:
        return self.engine.connect().execution_options(**READ)

    # ------------------------------------------------------------------ source state

    def stored_sources(self, keys: Sequence[str], parser_version: str) -> dict[str, StoredSource]:
        """Every source's state before a crawl, in three queries for all of them."""
        validators: dict[str, dict[str, Validators]] = defaultdict(dict)
        done: dict[str, set[str]] = defaultdict(set)
        checks: dict[str, dict[str, CheckTimes]] = defaultdict(dict)
        d, r = DOCUMENTS.c, REPORTS.c
        with self._read() as conn:
            for part in chunks(sorted(set(keys))):
                stmt = select(d.source_key, d.url, d.etag, d.last_modified, d.sha256).where(
                    d.source_key.in_(part), d.sha256.is_not(None)
                )
                for row in conn.execute(stmt):
                    validators[row.source_key][row.url] = Validators(row.etag, row.last_modified, row.sha256)
                # reports parsed by this parser from bytes the store still names: a retried run
                # that stored new bytes and died before upserting must not count as done
                stmt = (
                    select(r.source_key, r.url)
                    .select_from(REPORTS.join(DOCUMENTS, and_(d.source_key == r.source_key, d.sha256 == r.document_sha256)))
                    .where(r.source_key.in_(part), r.parser_version == parser_version,
                           or_(d.kind.is_(None), d.kind != "list"))
                )
                for got in conn.execute(stmt):
                    done[got.source_key].add(got.url)
                # the report's change time, not the page's bytes': portal chrome changes daily
                stmt = (
                    select(d.source_key, d.url, d.last_fetched, r.last_changed)
                    .join_from(DOCUMENTS, REPORTS, and_(r.source_key == d.source_key, r.url == d.url))
                    .where(d.source_key.in_(part), d.kind == "report", d.sha256.is_not(None),
                           d.last_error_kind.is_(None), d.last_fetched.is_not(None))
                )
                for seen in conn.execute(stmt):
                    checks[seen.source_key][seen.url] = CheckTimes(as_utc(seen.last_fetched), as_utc(seen.last_changed))
        return {
            k: StoredSource(validators.get(k, {}), frozenset(done.get(k, ())), checks.get(k, {})) for k in keys
        }

    # ------------------------------------------------------------------ runs

    def start_runs(self, runs: Sequence[RunSummary]) -> None:
        """Open ``crawl_runs`` rows (state as given, usually RUNNING) in one transaction;
        a row already there for (run_id, source) is left alone."""
        rows = [
            {"run_id": x.run_id, "source_key": x.source_key, "started_at": as_utc(x.started_at), "state": x.state,
             "flow_run_id": x.flow_run_id, "attempt": x.attempt, "owner": x.owner}
            for x in runs
        ]
        if not rows:
            return
        with self.engine.begin() as conn:
            stmt = self._insert(RUNS).on_conflict_do_nothing(index_elements=["run_id", "source_key"])
            for part in chunks(rows, 500):
                conn.execute(stmt, list(part))

    def finish_runs(self, runs: Sequence[RunSummary]) -> None:
        """Close rows with their final state, counts and reason, in one transaction."""
        if not runs:
            return
        with self.engine.begin() as conn:
            for x in runs:
                values = {"finished_at": as_utc(x.finished_at) if x.finished_at else None, "state": x.state.upper(),
                          "error": x.error, **{f: getattr(x.counts, f) for f in RUN_COUNT_FIELDS}}
                ins = self._insert(RUNS).values(
                    run_id=x.run_id, source_key=x.source_key, started_at=as_utc(x.started_at),
                    flow_run_id=x.flow_run_id, attempt=x.attempt, owner=x.owner, **values,
                )
                conn.execute(ins.on_conflict_do_update(index_elements=["run_id", "source_key"], set_=values))

    def abandon_runs(self, gone: Callable[[str | None, datetime], bool], now: datetime) -> int:
        """Mark RUNNING rows ABANDONED when ``gone(owner, started_at)`` says their crawl is
        dead (killed, the machine rebooted); returns how many. A crawl calls this as it starts."""
        with self._read() as conn:
            stale = [
                (row.id, row.owner)
                for row in conn.execute(select(RUNS.c.id, RUNS.c.owner, RUNS.c.started_at).where(RUNS.c.state == "RUNNING"))
                if gone(row.owner, as_utc(row.started_at))
            ]
        if not stale:
            return 0
        with self.engine.begin() as conn:
            for part in chunks([i for i, _ in stale]):
                conn.execute(
                    update(RUNS)
                    .where(RUNS.c.id.in_(part), RUNS.c.state == "RUNNING")
                    .values(state="ABANDONED", finished_at=as_utc(now),
                            error="the crawl process ended without closing this run (killed or crashed)")
                )
        return len(stale)

    def flow_run_sources(self, flow_run_id: str) -> dict[str, RunSummary]:
        """The latest attempt of each source in one flow run: what a retry must redo."""
        rn = func.row_number().over(
            partition_by=RUNS.c.source_key, order_by=(RUNS.c.attempt.desc(), RUNS.c.id.desc())
        )
        sub = select(RUNS, rn.label("rn")).where(RUNS.c.flow_run_id == flow_run_id).subquery()
        with self._read() as conn:
            return {r["source_key"]: run_summary(r) for r in conn.execute(select(sub).where(sub.c.rn == 1)).mappings()}

    # ------------------------------------------------------------------ robots.txt

    def load_robots(self, origins: Sequence[str], now: float) -> dict[str, tuple[str | None, float]]:
        """Kept robots.txt files still within their lifetime: origin → (text, expires_at)."""
        out: dict[str, tuple[str | None, float]] = {}
        with self._read() as conn:
            for part in chunks(sorted(set(origins))):
                stmt = select(ROBOTS.c.origin, ROBOTS.c.body, ROBOTS.c.expires_at).where(
                    ROBOTS.c.origin.in_(part), ROBOTS.c.expires_at > now
                )
                out.update((row.origin, (row.body, row.expires_at)) for row in conn.execute(stmt))
        return out

    def save_robots(self, origin: str, text: str | None, expires_at: float) -> None:
        values = {"body": text, "expires_at": expires_at}
        with self.engine.begin() as conn:
            conn.execute(
                self._insert(ROBOTS).values(origin=origin, **values)
                .on_conflict_do_update(index_elements=["origin"], set_=values)
            )

    # ------------------------------------------------------------------ host leases

    def take(self, host: str, holder: str, now: float, until: float) -> tuple[bool, float]:
        """``scrapers.politeness.HostLeases.take``: one short write transaction."""
        with self.engine.begin() as conn:
            conn.execute(
                self._insert(LEASES).values(host=host, holder=holder, until=0.0, not_before=0.0)
                .on_conflict_do_nothing(index_elements=["host"])
            )
            stmt = select(LEASES.c.holder, LEASES.c.until, LEASES.c.not_before).where(LEASES.c.host == host)
            if self.dialect == "postgresql":
                stmt = stmt.with_for_update()
            row = conn.execute(stmt).one()
            if row.holder != holder and row.until > now:
                return False, row.until
            conn.execute(update(LEASES).where(LEASES.c.host == host).values(holder=holder, until=until))
            return True, 0.0 if row.holder == holder else row.not_before

    def release(self, holder: str, not_before: Mapping[str, float]) -> None:
        """``scrapers.politeness.HostLeases.release``: free the holder's hosts now."""
        with self.engine.begin() as conn:
            for host, when in sorted(not_before.items()):
                conn.execute(
                    update(LEASES).where(LEASES.c.host == host, LEASES.c.holder == holder)
                    .values(until=0.0, not_before=when)
                )
