"""The real ``crawl_all`` through Prefect against the simulator, into a real SQLite file,
checked against the simulator's ground truth; a failing source fails only its own run;
a recrawl writes nothing; a crawl that died mid-way is finished without refetching."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.usefixtures("prefect_server")


def rows(db: str, sql: str) -> list[Any]:
    engine = sa.create_engine(db, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)))
    finally:
        engine.dispose()


def expected(truth: Sequence[Any], site: str) -> dict[str, Any]:
    return {t.page_url: t for t in truth if t.site == site and t.is_report and t.fault is None}


def api_post(path: str, body: dict[str, Any]) -> Any:
    """The Prefect REST API directly (the 3.8 client sends nulls this server's filters reject)."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    resp = httpx.post(f"{PREFECT_API_URL.value()}{path}", json=body, timeout=10)
    resp.raise_for_status()
    return resp.json()


async def _flow_runs(name: str) -> list[Any]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    async with get_client() as client:
        flow_filter = FlowFilter(name=FlowFilterName(any_=[name]))
        return list(await client.read_flow_runs(flow_filter=flow_filter, sort=FlowRunSort.ID_DESC, limit=100))


def test_crawl_all_matches_ground_truth_and_isolates_the_failing_source(crawl_env: dict[str, Any]) -> None:
    from flows.crawl import crawl_all, run_data

    sim, db = crawl_env["sim"], crawl_env["db"]
    truth = sim.ground_truth(crawl_env["port"])

    state = asyncio.run(crawl_all(politeness=False, batch_size=5, return_state=True))  # type: ignore[call-overload]
    # a source failed: the run says so in its state (red in the UI, Retry redoes that source)
    assert state.is_failed(), state.message
    assert state.message.startswith("1 of 4 sources failed"), state.message
    assert "site3" in state.message and "blocked" in state.message

    # every report of the reachable sites is stored, with the year and numbers the simulator printed
    for site in ("site0", "site1", "site2"):
        want = expected(truth, site)
        stored = {r.url: r for r in rows(db, f"SELECT url, year FROM reports WHERE source_key = '{site}'")}
        assert set(stored) == set(want), site
        assert all(stored[u].year == t.year for u, t in want.items())
    assert rows(db, "SELECT COUNT(*) FROM reports WHERE source_key = 'site3'")[0][0] == 0

    # Prefect's view: ONE flow run for the crawl, no subflow per source
    (parent,) = asyncio.run(_flow_runs("crawl-all"))
    assert asyncio.run(_flow_runs("crawl-source")) == []
    # crawl_runs: a row per source, each naming the flow run and its attempt
    runs = rows(db, "SELECT source_key, flow_run_id, attempt FROM crawl_runs")
    assert {(f, a) for _, f, a in runs} == {(str(parent.id), 1)} and len(runs) == 4
    states = dict(rows(db, "SELECT source_key, state FROM crawl_runs"))
    assert states == {"site0": "COMPLETED", "site1": "COMPLETED", "site2": "COMPLETED", "site3": "FAILED"}

    # the failure is explained: in the parent's data, the markdown artifact and the fetch log
    data = run_data(state)
    site3 = next(s for s in data["sources"] if s["source_key"] == "site3")
    assert site3["state"] == "failed" and "blocked" in site3["error"]
    assert rows(db, "SELECT COUNT(*) FROM fetch_log WHERE source_key = 'site3' AND error_kind = 'blocked'")[0][0] >= 1

    arts = {a["key"]: a for a in api_post("/artifacts/filter", {
        "artifacts": {"key": {"any_": ["crawl-all-summary", "crawl-all-failures"]}}, "limit": 10, "offset": 0,
    })}
    assert arts["crawl-all-summary"]["type"] == "table"
    assert "site3" in arts["crawl-all-failures"]["data"] and "blocked" in arts["crawl-all-failures"]["data"]

    # a recrawl of the unchanged web: every stored report was checked moments ago, so none is
    # due (scrapers.revisit); with --revalidate every one is asked about and unchanged
    again = asyncio.run(crawl_all(sources=["site0", "site2"], politeness=False, return_state=True))  # type: ignore[call-overload]
    srcs = again.result()["sources"]
    assert all(s["rows_written"] == 0 and s["new"] == 0 and s["not_due"] == s["discovered"] > 0
               and s["unchanged"] == 0 for s in srcs), srcs
    forced = asyncio.run(crawl_all(sources=["site0", "site2"], politeness=False, revalidate=True,  # type: ignore[call-overload]
                                   return_state=True))
    srcs = forced.result()["sources"]
    assert all(s["rows_written"] == 0 and s["new"] == 0 and s["unchanged"] == s["discovered"] > 0
               and s["not_due"] == 0 for s in srcs), srcs
    assert rows(db, "SELECT COUNT(*) FROM report_versions")[0][0] == 0
    n0 = next(s["discovered"] for s in srcs if s["source_key"] == "site0")
    runs = rows(db, "SELECT not_due, unchanged FROM crawl_runs WHERE source_key = 'site0' ORDER BY started_at")
    assert runs[-2:] == [(n0, 0), (0, n0)], runs


class _DiesOnSecondReportWrite:
    """The database connection is lost when the crawl stores its second batch of reports,
    after that batch was fetched (installed in place of the pipeline's writer)."""

    def __init__(self) -> None:
        from flows import pipeline

        self.writes = 0
        self.real = pipeline.Writer

    def __call__(self, res: Any) -> Any:
        outer = self

        class Writer(self.real):  # type: ignore[misc,name-defined]
            async def write(self, **kw: Any) -> Any:
                if kw.get("reports"):
                    outer.writes += 1
                    if outer.writes == 2:
                        raise ConnectionError("database connection lost")
                return await super().write(**kw)

        return Writer(res)


def test_a_run_that_died_after_fetching_is_finished_from_the_archive(
    crawl_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kill the write of the second batch; the rerun (as a retry would) gets 304s for what was
    fetched, parses those bytes from the raw archive, and ends with exactly the expected rows."""
    from flows import pipeline
    from flows.crawl import crawl_source
    from flows.pipeline import CrawlResources, run_sources
    from govreports.settings import get_settings
    from scrapers.catalog import load_catalog

    sim, db = crawl_env["sim"], crawl_env["db"]
    want = expected(sim.ground_truth(crawl_env["port"]), "site0")

    settings = get_settings()
    source = load_catalog(settings.sources).get("site0")
    with monkeypatch.context() as m:
        m.setattr(pipeline, "Writer", _DiesOnSecondReportWrite())
        with CrawlResources(settings, politeness=False, batch_size=4, workers=1) as res:
            (first,) = asyncio.run(run_sources([source], res))
    assert first.state == "failed" and "connection lost" in (first.error or "")
    stored_before = rows(db, "SELECT COUNT(*) FROM reports WHERE source_key = 'site0'")[0][0]
    assert 0 < stored_before < len(want)

    state = asyncio.run(crawl_source("site0", politeness=False, batch_size=4, return_state=True))  # type: ignore[call-overload]
    assert state.is_completed(), state.message
    (result,) = state.result()["sources"]
    assert {u for (u,) in rows(db, "SELECT url FROM reports WHERE source_key = 'site0'")} == set(want)
    assert rows(db, "SELECT COUNT(*) FROM report_versions")[0][0] == 0
    # what the dead run had fetched came back 304 and was parsed from the archive
    assert result["from_archive"] >= 1
    not_modified = rows(
        db, f"SELECT COUNT(*) FROM fetch_log WHERE run_id = '{result['run_id']}' AND status = 304"
    )[0][0]
    assert not_modified >= stored_before


def test_an_unchanged_recrawl_parses_and_writes_no_report(
    crawl_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A recrawl that finds nothing new sends the parse pool nothing and the writer no report."""
    from flows import pipeline
    from flows.pipeline import CrawlResources, run_sources
    from govreports.settings import get_settings
    from scrapers.catalog import load_catalog

    parsed: list[int] = []
    real_parse = pipeline.parse_jobs

    async def counting(res: Any, jobs: Any) -> Any:
        parsed.append(len(jobs))
        return await real_parse(res, jobs)

    monkeypatch.setattr(pipeline, "parse_jobs", counting)
    settings = get_settings()
    source = load_catalog(settings.sources).get("site0")
    with CrawlResources(settings, politeness=False, batch_size=5, workers=1) as res:
        (done,) = asyncio.run(run_sources([source], res))
        first_parsed = sum(parsed)
        parsed.clear()
        (redo,) = asyncio.run(run_sources([source], res))
    assert done.state == "completed" and done.new == done.discovered > 5 and first_parsed == done.discovered
    assert redo.state == "completed", redo.error
    assert redo.not_due == redo.discovered == done.discovered and redo.unchanged == 0
    assert sum(parsed) == 0 and redo.parsed == 0 and redo.rows_written == 0

    # every report asked about again (304s): still nothing to parse or write
    with CrawlResources(settings, politeness=False, batch_size=5, workers=1, revalidate=True) as res:
        (checked,) = asyncio.run(run_sources([source], res))
    assert checked.unchanged == checked.discovered == done.discovered and checked.not_due == 0
    assert sum(parsed) == 0 and checked.rows_written == 0


def test_reparse_uses_the_archive_only(crawl_env: dict[str, Any]) -> None:
    from flows.crawl import crawl_all
    from flows.maintenance import reparse

    sim = crawl_env["sim"]
    asyncio.run(crawl_all(sources=["site2"], politeness=False, return_state=True))  # type: ignore[call-overload]
    requests_before = len(sim.log)
    state = asyncio.run(reparse(source="site2", return_state=True))  # type: ignore[call-overload]
    assert len(sim.log) == requests_before  # no network
    (res,) = state.result()["sources"]
    want = expected(sim.ground_truth(crawl_env["port"]), "site2")
    assert res["parsed"] >= len(want) and res["rows_written"] == 0, res


def test_a_polite_crawl_keeps_each_hosts_budget_in_the_database(crawl_env: dict[str, Any]) -> None:
    """Politeness on (the default, and what `govreports crawl` and the demo use): the crawl
    holds its host's lease in the database while it sends, gives it back at the end, and
    keeps the host's robots.txt for the next crawl."""
    from flows.crawl import crawl_source

    sim, db = crawl_env["sim"], crawl_env["db"]
    state = asyncio.run(crawl_source("site2", batch_size=5, return_state=True))  # type: ignore[call-overload]
    assert state.is_completed(), state.message
    want = expected(sim.ground_truth(crawl_env["port"]), "site2")
    stored = {u for (u,) in rows(db, "SELECT url FROM reports WHERE source_key = 'site2'")}
    assert stored == set(want)
    host = urlsplit(next(iter(want))).hostname
    leases = rows(db, "SELECT host, until FROM host_leases")
    assert [(h, u) for h, u in leases if h == host] == [(host, 0.0)], leases  # held, then given back
    robots = rows(db, "SELECT origin, expires_at FROM robots_txt")
    assert any(host in o and e > time.time() + 3600 for o, e in robots), robots
    asked = sum(1 for e in list(sim.log) if e["path"] == "/robots.txt" and e["host"] == host)
    asyncio.run(crawl_source("site2", batch_size=5, return_state=True))  # type: ignore[call-overload]
    assert sum(1 for e in list(sim.log) if e["path"] == "/robots.txt" and e["host"] == host) == asked


def test_govreports_crawl_leaves_recent_reports_alone_until_revalidate(
    crawl_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command a user runs: a second crawl minutes later asks the portal about no stored
    report (list pages only) and says so; ``--revalidate`` asks about every one."""
    from prefect.settings import PREFECT_API_URL
    from typer.testing import CliRunner

    from govreports.cli import app

    monkeypatch.setenv("PREFECT_API_URL", str(PREFECT_API_URL.value()))
    monkeypatch.setenv("COLUMNS", "200")
    sim, port = crawl_env["sim"], crawl_env["port"]
    pages = {urlsplit(u)[1:3] for u in expected(sim.ground_truth(port), "site0")}
    n = len(pages)
    runner = CliRunner()

    def crawl(*extra: str) -> tuple[str, int]:
        since = time.time()
        out = runner.invoke(app, ["crawl", "--source", "site0", "--no-politeness", *extra])
        assert out.exit_code == 0, out.output
        asked = [e for e in list(sim.log) if e["time"] >= since and (e["host"], e["path"]) in
                 {(h.split(":")[0], p) for h, p in pages}]
        return out.output, len(asked)

    first, asked_first = crawl()
    assert f"{n} new" in first and asked_first >= n
    second, asked_second = crawl()
    assert "0 new" in second and f"{n} not due a check" in second and asked_second == 0, second
    third, asked_third = crawl("--revalidate")
    assert f"{n} unchanged, 0 not due a check" in third and asked_third >= n, third
    assert rows(crawl_env["db"], "SELECT COUNT(*) FROM report_versions")[0][0] == 0
