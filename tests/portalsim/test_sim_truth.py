"""Ground truth: deterministic, consistent with what is served, readable by the real parser."""

from __future__ import annotations

import time

import pytest

import parsers
from parsers.errors import ParseError
from portalsim import Simulator
from portalsim.stats import failing_checks


def test_same_seed_same_web_different_seed_different_web() -> None:
    a = Simulator(sites=3, reports_per_site=10, seed=5)
    b = Simulator(sites=3, reports_per_site=10, seed=5)
    c = Simulator(sites=3, reports_per_site=10, seed=6)
    ta, tb, tc = (s.ground_truth(port=1) for s in (a, b, c))
    assert [t.to_dict() for t in ta] == [t.to_dict() for t in tb]
    assert [t.page_url for t in ta] != [t.page_url for t in tc]
    item = next(it for it in a.site(0).items if it.is_report)
    assert a.resolve(a.site(0), "GET", item.path, "", {}).body == b.resolve(b.site(0), "GET", item.path, "", {}).body


def test_truth_is_consistent() -> None:
    sim = Simulator(sites=4, reports_per_site=40, seed=9, broken_rate=0.3)
    truth = sim.ground_truth(port=1)
    reports = [t for t in truth if t.is_report]
    assert len(reports) == 4 * 40 and len(truth) > len(reports)
    assert len({t.page_url for t in truth}) == len(truth), "page URLs are natural keys: unique"
    assert {t.kind for t in reports} >= {"html", "pdf", "docx"}
    assert {t.format for t in reports} == {"legacy", "2019", "2021"}
    assert any(t.failing_checks for t in reports) and any(t.republished for t in reports)
    for t in reports:
        assert t.year is not None and str(t.year) in t.title and t.agency and t.agency in t.title
        assert t.failing_checks == failing_checks(t.stats, t.format or "")
        if t.kind != "html":
            assert t.attachment_url
        if t.republished:
            assert int(t.published_at[:4]) >= t.year + 2
        if t.format != "legacy":
            assert t.stats["requests.received"] == t.stats["requests.table.new_received.total"]
            assert t.period_start == f"{t.year}-01-01"


def test_big_plan_is_cheap() -> None:
    t0 = time.perf_counter()
    sim = Simulator(sites=50, reports_per_site=200, seed=1)
    sim.sites()
    assert time.perf_counter() - t0 < 3.0
    assert sum(len(s.items) for s in sim.sites()) > 50 * 200


def _parse(sim: Simulator, t):  # type: ignore[no-untyped-def]
    site = sim.site(int(t.site[4:]))
    url = t.page_url if t.kind == "html" else t.attachment_url
    path = url.split(":1", 1)[1]
    target, _, query = path.partition("?")
    res = sim.resolve(site, "GET", target, query, {})
    name = path.rsplit("/", 1)[-1].rsplit("=", 1)[-1]
    return parsers.parse_bytes(res.body, filename=name, content_type=res.content_type, url=url)


# Known parser-side gap found by this test (reported; parsers/ is not ours to edit): in legacy PDFs a
# prose number wrapped before its unit ("同意公开131\n件", "其他情\n形3件") is not read. Real PDFs wrap
# the same way (corpus: huaian_2024 "答\n复 3050 件"), so the simulator keeps doing it.
_KNOWN = {("legacy", "pdf")}


@pytest.mark.parametrize("fmt", ["2021", "2019", "legacy"])
def test_parser_reads_back_generated_reports(fmt: str) -> None:
    sim = Simulator(sites=4, reports_per_site=45, seed=3, families=["trs", "hanweb", "jsonapi", "generic"],
                    encodings=["gbk-meta", "utf-8", "utf-8", "gbk-none"], broken_rate=0.3)
    sample: dict[str, list] = {}
    for t in sim.ground_truth(port=1):
        if t.is_report and t.format == fmt and t.fault is None:
            sample.setdefault(t.kind, [])
            if len(sample[t.kind]) < 2:
                sample[t.kind].append(t)
    assert {"html", "pdf", "docx"} <= set(sample)
    problems = []
    for kind, ts in sample.items():
        for t in ts:
            try:
                rec = _parse(sim, t)
            except ParseError as exc:
                problems.append((fmt, kind, t.page_url, f"ParseError {exc.kind}: {exc.reason}"))
                continue
            diffs = [k for k, v in t.stats.items() if rec.stats.get(k) != v]
            failed = sorted(c.rule for c in rec.checks if not c.ok)
            if rec.year != t.year or rec.format != t.format or diffs or failed != sorted(t.failing_checks):
                problems.append((fmt, kind, t.page_url, rec.year, rec.format, diffs[:5], failed, t.failing_checks))
    unexpected = [p for p in problems if (p[0], p[1]) not in _KNOWN]
    assert not unexpected, unexpected


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_documents_render_to_the_same_bytes_at_any_time(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real portal serves the same file twice as the same bytes; so must the simulator,
    or a recrawl sees a "changed" report where nothing changed (reportlab and python-docx
    both stamp the current time unless told not to)."""
    from portalsim.render_office import render_docx, render_pdf

    sim = Simulator(sites=1, reports_per_site=3, seed=7)
    site = sim.site(0)
    item = next(it for it in site.items if it.is_report)
    doc = sim.report_doc(site, item)
    render = render_pdf if kind == "pdf" else render_docx
    first = render(doc)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 86_400 * 400)
    assert render(doc) == first
