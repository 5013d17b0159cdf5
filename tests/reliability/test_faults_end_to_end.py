"""Faults on simulated portals, end to end (crawl → parse → store in a real SQLite file).

The scrapers tests prove the client retries each fault; these prove that nothing is lost
on the way to the database: every report a flaky site eventually serves is stored with the
numbers the site printed, what could not be fetched is in ``documents``/``fetch_log`` with
its reason, and a source that fails outright stops no other source.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from reliability_helpers import crawl, expected_reports, rows, stored_stats, write_catalog

from portalsim import Simulator

pytestmark = [pytest.mark.timeout(90), pytest.mark.xdist_group(name="reliability-faults")]

FAULTS = {
    # transient: every URL gets through by its 3rd attempt (the client makes 4)
    "site0": "http500:0.3,http503:0.2,http429:0.2,retry_after:1,reset:0.2,truncate:0.2",
    # slow responses plus traps that must be refused and recorded
    "site1": "slow:0.2,redirect_loop,redirect_offsite,redirect_private,gzip_bomb:50,oversized:6",
    # an anti-bot wall on the list page: the whole source fails
    "site2": "antibot",
}
TRAP_KIND = {"redirect_loop": "redirects", "redirect_offsite": "refused", "redirect_private": "refused",
             "gzip_bomb": "too_large", "oversized": "too_large"}


#: the simulator titles its traps like notices, so a crawler that filters titles never
#: fetches them; titled like reports (as a hostile portal would) they reach the client
REPORT_LIKE = {trap: f"测试区{2015 + i}年政府信息公开工作年度报告" for i, trap in enumerate(TRAP_KIND)}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("faults")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("portalsim.sites._TRAP_TITLES", REPORT_LIKE)
        sim = Simulator(sites=4, reports_per_site=6, seed=11, families=["trs", "trs", "trs", "jsonapi"],
                        page_size=4, faults=FAULTS)
        db = f"sqlite:///{tmp / 'faults.db'}"
        with sim.running_in_thread(port=0) as port:  # the site plan is built lazily: keep the patch
            catalog = write_catalog(sim, port, tmp / "sources.yaml")
            results = crawl(catalog, db, tmp / "raw", max_bytes=2_000_000)
            yield {"sim": sim, "truth": sim.ground_truth(port), "db": db,
                   "results": {r.source_key: r for r in results}}


def test_every_report_served_through_transient_faults_is_stored_with_its_numbers(crawled: dict[str, Any]) -> None:
    db, truth = crawled["db"], crawled["truth"]
    want = expected_reports(truth, "site0")
    assert len(want) >= 4
    got = {u for (u,) in rows(db, "SELECT url FROM reports WHERE source_key = 'site0'")}
    assert got == set(want)
    stats = stored_stats(db)
    for url, t in want.items():
        assert stats.get(url) == t.stats, url
    # the faults really happened: the log holds retried requests for this site
    retried = rows(db, "SELECT COUNT(*) FROM fetch_log WHERE source_key = 'site0' AND retries > 0")[0][0]
    assert retried >= 3
    assert crawled["results"]["site0"].failed == 0


def test_traps_are_refused_and_recorded_with_their_reason(crawled: dict[str, Any]) -> None:
    db, truth = crawled["db"], crawled["truth"]
    want = expected_reports(truth, "site1")
    got = {u for (u,) in rows(db, "SELECT url FROM reports WHERE source_key = 'site1'")}
    assert got == set(want)  # slow responses cost time, not reports
    traps = {t.page_url: str(t.fault) for t in truth if t.site == "site1" and t.fault in TRAP_KIND}
    candidates = {f.url for f in crawled["results"]["site1"].failures}
    recorded = dict(rows(db, "SELECT url, last_error_kind FROM documents WHERE source_key = 'site1' "
                             "AND last_error_kind IS NOT NULL"))
    logged = {(u, k) for u, k in rows(db, "SELECT url, error_kind FROM fetch_log WHERE source_key = 'site1' "
                                          "AND error_kind IS NOT NULL")}
    checked = 0
    for url, fault in traps.items():
        assert url in candidates, (fault, url)
        checked += 1
        assert recorded.get(url) == TRAP_KIND[fault], (fault, url, recorded.get(url))
        assert (url, TRAP_KIND[fault]) in logged, (fault, url)
        assert not rows(db, "SELECT 1 FROM reports WHERE url = :u", u=url)
    assert checked == len(TRAP_KIND), traps


def test_a_failed_source_stops_no_other(crawled: dict[str, Any]) -> None:
    db, results = crawled["db"], crawled["results"]
    assert results["site2"].state == "failed" and "blocked" in (results["site2"].error or "")
    assert [k for k, r in sorted(results.items()) if r.state == "completed"] == ["site0", "site3"]
    # site1's traps failed as pages: the source partly failed, and says which and why
    assert results["site1"].state == "partial"
    traps = {t.page_url for t in crawled["truth"] if t.site == "site1" and t.fault in TRAP_KIND}
    assert traps and {f.url for f in results["site1"].failures} >= traps, results["site1"].failures
    want3 = expected_reports(crawled["truth"], "site3")
    assert {u for (u,) in rows(db, "SELECT url FROM reports WHERE source_key = 'site3'")} == set(want3)
    assert not rows(db, "SELECT 1 FROM reports WHERE source_key = 'site2'")


def test_crawl_runs_name_each_source_and_its_state(crawled: dict[str, Any]) -> None:
    runs = dict(rows(crawled["db"], "SELECT source_key, state FROM crawl_runs"))
    assert runs == {"site0": "COMPLETED", "site1": "PARTIAL", "site2": "FAILED", "site3": "COMPLETED"}


def test_a_failed_source_has_its_reason_in_the_fetch_log(crawled: dict[str, Any]) -> None:
    """The refused list page is in the database with its reason, not only in a log line."""
    why = rows(crawled["db"], "SELECT url, error_kind, error_reason FROM fetch_log "
                              "WHERE source_key = 'site2' AND error_kind IS NOT NULL")
    assert why and why[0][1] == "blocked", why
