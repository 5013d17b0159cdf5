"""Prerendering: the cache is filled in worker processes with exactly what serving would render,
and a prerendered simulator serves PDFs/DOCX without rendering anything on the request path."""

from __future__ import annotations

import httpx
import pytest

import portalsim.simulator as simulator_module
from portalsim import Simulator
from portalsim.prerender import render_targets


def _make() -> Simulator:
    return Simulator(sites=2, reports_per_site=14, seed=13, families=["trs", "generic"], broken_rate=0.0)


def test_prerender_in_workers_matches_lazy_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    warm, cold = _make(), _make()
    stats = warm.prerender(workers=2)
    targets = render_targets(warm)
    assert stats.workers == 2 and stats.resources > len(targets)  # items, attachments and list pages
    kinds = {warm.site(i).by_attachment[p + ("?" + q if q else "")].body for i, p, q in targets
             if warm.site(i).by_attachment.get(p + ("?" + q if q else ""))}
    assert {"pdf", "docx"} <= kinds

    def no_render(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("rendered on the request path after prerender")

    with monkeypatch.context() as m:
        for name in ("render_pdf", "render_docx", "render_doc", "report_body_html"):
            m.setattr(simulator_module, name, no_render)
        served = [warm.resolve(warm.site(i), "GET", p, q, {}) for i, p, q in targets]
    for (index, path, query), got in zip(targets, served, strict=True):
        want = cold.resolve(cold.site(index), "GET", path, query, {})
        assert (got.status, got.body, got.etag, got.last_modified, got.content_type, got.headers) == (
            want.status, want.body, want.etag, want.last_modified, want.content_type, want.headers
        ), f"{path}?{query}"


def test_prerendered_simulator_serves_over_http() -> None:
    sim = _make()
    sim.prerender(workers=1)
    item = next(it for it in sim.site(0).items if it.is_report and it.attachment)
    with sim.running_in_thread(port=0) as port, httpx.Client(timeout=10, trust_env=False) as client:
        r = client.get(sim.base_url(0, port) + item.attachment)  # type: ignore[operator]
        assert r.status_code == 200 and len(r.content) > 1000
        again = client.get(sim.base_url(0, port) + item.attachment, headers={"If-None-Match": r.headers["etag"]})  # type: ignore[operator]
        assert again.status_code == 304
