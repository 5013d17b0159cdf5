"""Recrawls that find changed content, and two crawl processes writing one SQLite file.

A revised report (``sim.revise``: new numbers, new ETag) must be updated in place with its
previous record kept in ``report_versions``; everything unrevised must stay untouched.
Two crawler processes on one SQLite file (WAL, busy timeout, BEGIN IMMEDIATE) must both
finish without "database is locked" and leave exactly the rows one crawl leaves.
"""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from reliability_helpers import (
    RECRAWLED,
    ROOT,
    crawl,
    driver_cmd,
    driver_env,
    expected_reports,
    normalised_dump,
    rows,
    stored_stats,
    write_catalog,
)

from portalsim import Simulator

pytestmark = [pytest.mark.timeout(120)]


def test_revised_report_is_updated_and_its_previous_version_kept(tmp_path: Path) -> None:
    sim = Simulator(sites=2, reports_per_site=6, seed=31, families=["trs", "generic"], page_size=4)
    db = f"sqlite:///{tmp_path / 'rev.db'}"
    with sim.running_in_thread(port=0) as port:
        catalog = write_catalog(sim, port, tmp_path / "sources.yaml")
        first_truth = expected_reports(sim.ground_truth(port))
        target = next(u for u, t in sorted(first_truth.items()) if t.site == "site0" and t.kind == "html")
        crawl(catalog, db, tmp_path / "raw")
        before = stored_stats(db)
        assert before[target] == first_truth[target].stats

        assert sim.revise(url=target)
        truth = expected_reports(sim.ground_truth(port))
        assert truth[target].stats != first_truth[target].stats
        # checked moments ago: the revisit schedule leaves every stored report alone
        soon = {r.source_key: r for r in crawl(catalog, db, tmp_path / "raw")}
        assert all(r.not_due == r.discovered and r.changed == 0 for r in soon.values()), soon
        assert stored_stats(db)[target] == first_truth[target].stats
        # ten days later (stable for twenty at the last check): every report is due again
        _age_checks(db, timedelta(days=10))
        results = {r.source_key: r for r in crawl(catalog, db, tmp_path / "raw")}

    assert results["site0"].changed == 1 and results["site0"].new == 0 and results["site0"].not_due == 0
    assert results["site1"].changed == 0 and results["site1"].unchanged == len(
        [t for t in truth.values() if t.site == "site1"])
    after = stored_stats(db)
    assert after[target] == truth[target].stats
    assert {u: s for u, s in after.items() if u != target} == {u: s for u, s in before.items() if u != target}
    versions = rows(db, "SELECT r.url, v.record, v.reason FROM report_versions v JOIN reports r ON r.id = v.report_id")
    assert [v[0] for v in versions] == [target]
    kept = json.loads(versions[0][1])
    assert kept["stats"] == first_truth[target].stats and versions[0][2]
    assert rows(db, "SELECT COUNT(*) FROM reports") == [(len(truth),)]


def _age_checks(db: str, by: timedelta) -> None:
    """Move every page's last check back by ``by`` and every report's last change back by
    twice that, as if the crawl had run that long ago (the revisit schedule reads these)."""
    import sqlalchemy as sa

    from storage.models import Document, Report

    docs, reports = Document.__table__, Report.__table__
    engine = sa.create_engine(db)
    with engine.begin() as conn:
        for id_, fetched in conn.execute(sa.select(docs.c.id, docs.c.last_fetched)).all():
            conn.execute(sa.update(docs).where(docs.c.id == id_).values(last_fetched=fetched - by))
        for id_, changed in conn.execute(sa.select(reports.c.id, reports.c.last_changed)).all():
            conn.execute(sa.update(reports).where(reports.c.id == id_).values(last_changed=changed - 2 * by))
    engine.dispose()


def test_two_crawl_processes_on_one_sqlite_file(tmp_path: Path) -> None:
    sim = Simulator(sites=2, reports_per_site=8, seed=41, families=["trs", "jsonapi"], page_size=4)
    shared = f"sqlite:///{tmp_path / 'shared.db'}"
    alone = f"sqlite:///{tmp_path / 'alone.db'}"
    with sim.running_in_thread(port=0) as port:
        catalog = write_catalog(sim, port, tmp_path / "sources.yaml")
        procs = [subprocess.Popen(driver_cmd(catalog, shared, tmp_path / f"raw{i}", batch_size=1), cwd=ROOT,
                                  env=driver_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for i in range(2)]
        outs = [p.communicate(timeout=90)[0] for p in procs]
        crawl(catalog, alone, tmp_path / "raw-alone")
        truth = expected_reports(sim.ground_truth(port))
    for p, out in zip(procs, outs, strict=True):
        assert p.returncode == 0, out
        assert "locked" not in out, out
    assert {u for (u,) in rows(shared, "SELECT url FROM reports")} == set(truth)
    assert normalised_dump(shared, volatile=RECRAWLED) == normalised_dump(alone, volatile=RECRAWLED)
