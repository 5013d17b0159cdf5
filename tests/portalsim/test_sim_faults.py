"""Each fault behaves as documented, deterministically, and transient ones let retries through."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import httpx
import pytest

from portalsim import FaultError, Simulator, parse_faults


@pytest.fixture(scope="module")
def faulty() -> Iterator[Simulator]:
    s = Simulator(
        sites=5,
        reports_per_site=8,
        seed=11,
        families=["trs", "hanweb", "generic", "jsonapi", "trs"],
        faults={
            "site0": "http500:0.5,http429:0.3,retry_after:2",
            "site1": "reset:0.6,truncate:0.6",
            "site2": "redirect_loop,redirect_offsite,redirect_private,gzip_bomb:20,oversized:3,broken_pdf:1",
            "site3": "antibot",
            "site4": "slow:0.4,crawl_delay:2.5",
        },
    )
    with s.running_in_thread(port=0):
        yield s


def _get(url: str, **kw: object) -> httpx.Response:
    return httpx.get(url, trust_env=False, timeout=10, **kw)  # type: ignore[arg-type]


def _report_url(sim: Simulator, index: int) -> str:
    return sim.base_url(index) + next(it.path for it in sim.site(index).items if it.is_report)


def test_transient_statuses_then_success_within_four_attempts(faulty: Simulator) -> None:
    for it in faulty.site(0).items[:8]:
        statuses = [_get(faulty.base_url(0) + it.path).status_code for _ in range(4)]
        assert statuses[-1] == 200 or it.trap, statuses
        assert set(statuses) <= {200, 500, 429, 302}
    seen = [e for e in faulty.log if e["host"] == "127.0.0.2"]
    assert {500, 429} <= {e["status"] for e in seen}, "rates of 0.5/0.3 over 32 requests must show both"
    r429 = next(
        r for it in faulty.site(0).items for r in (_get(faulty.base_url(0) + it.path),) if r.status_code == 429
    ) if any(e["status"] == 429 for e in seen) else None
    if r429 is not None:
        assert r429.headers["retry-after"] == "2"
    assert _get(faulty.base_url(0) + "/robots.txt").status_code == 200, "robots.txt is never failed"


def test_fault_sequence_is_deterministic_for_a_seed(faulty: Simulator) -> None:
    spec = faulty.site(0).faults
    url = faulty.site(0).items[0].path
    again = Simulator(sites=5, seed=11, faults={"site0": spec.describe()}).site(0).faults
    a = [spec.transient_status(11, 0, url, n) for n in range(12)]
    assert a == [again.transient_status(11, 0, url, n) for n in range(12)]
    assert a[3] is None and a[7] is None and a[11] is None
    assert a != [spec.transient_status(12, 0, url, n) for n in range(12)] or not any(a)


def test_reset_and_truncation_cut_bodies_then_recover(faulty: Simulator) -> None:
    url = _report_url(faulty, 1)
    errors = []
    for _ in range(4):
        try:
            r = _get(url)
            errors.append(None if r.status_code == 200 else r.status_code)
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
    assert errors[-1] is None, errors
    assert any(e for e in errors), "rate 0.6 on two faults must cut at least one of the first three"
    cut = {e.get("fault") for e in faulty.log if e["host"] == "127.0.0.3"}
    assert cut & {"reset", "truncate"}


def test_redirect_traps(faulty: Simulator) -> None:
    site = faulty.site(2)
    traps = {it.trap: faulty.base_url(2) + it.path for it in site.items if it.trap}
    r = _get(traps["redirect_loop"], follow_redirects=False)
    assert r.status_code == 302
    with pytest.raises(httpx.TooManyRedirects):
        _get(traps["redirect_loop"], follow_redirects=True)
    off = _get(traps["redirect_offsite"], follow_redirects=False)
    assert off.headers["location"].startswith(faulty.index_url())
    priv = _get(traps["redirect_private"], follow_redirects=False)
    assert priv.headers["location"].startswith(("http://169.254.169.254/", "http://10.0.0.1/"))


def test_gzip_bomb_and_oversized(faulty: Simulator) -> None:
    site = faulty.site(2)
    traps = {it.trap: faulty.base_url(2) + it.path for it in site.items if it.trap}
    with httpx.stream("GET", traps["gzip_bomb"], trust_env=False) as r:
        assert r.headers["content-encoding"] == "gzip"
        wire = b"".join(r.iter_raw())
    assert len(wire) < 200_000 and len(gzip.decompress(wire)) > 20 * 1024 * 1024
    with httpx.stream("GET", traps["oversized"], trust_env=False) as r:
        assert int(r.headers["content-length"]) == 3 * 1024 * 1024
        assert sum(len(c) for c in r.iter_bytes()) == 3 * 1024 * 1024


def test_broken_pdf_is_damaged_and_marked_in_truth(faulty: Simulator) -> None:
    truth = [t for t in faulty.ground_truth() if t.site == "site2" and t.fault == "broken_pdf"]
    for t in truth:
        assert t.attachment_url is not None
        data = _get(t.attachment_url).content
        assert data.startswith(b"%PDF") and b"%%EOF" not in data[-64:]


def test_antibot_challenge(faulty: Simulator) -> None:
    url = _report_url(faulty, 3)
    r = _get(url)
    assert r.status_code == 412 and "$_ts" in r.text and "FSSBBIl1UgzbN7N80S" in r.headers["set-cookie"]
    assert _get(faulty.base_url(3) + "/robots.txt").status_code == 200
    assert _get(url, cookies={"FSSBBIl1UgzbN7N80T": "solved"}).status_code == 200
    assert {t.fault for t in faulty.ground_truth() if t.site == "site3"} == {"antibot"}


def test_slow_first_byte_and_crawl_delay(faulty: Simulator) -> None:
    t0 = time.monotonic()
    robots = _get(faulty.base_url(4) + "/robots.txt")
    assert time.monotonic() - t0 >= 0.4
    assert "Crawl-delay: 2.5" in robots.text


def test_revision_changes_numbers_and_etag(faulty: Simulator) -> None:
    item = next(it for it in faulty.site(4).items if it.is_report and it.body == "html" and it.format != "legacy")
    url = faulty.base_url(4) + item.path
    before = _get(url)
    truth_before = next(t for t in faulty.ground_truth() if t.page_url == url)
    assert faulty.revise(url=url) == [item.path]
    after = _get(url, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    truth_after = next(t for t in faulty.ground_truth() if t.page_url == url)
    assert truth_after.revision == 1 and truth_after.stats != truth_before.stats
    r = httpx.post(faulty.index_url() + "/_sim/revise", params={"site": "site4"}, trust_env=False)
    assert item.path in r.text


def test_bad_fault_specs_name_the_problem() -> None:
    with pytest.raises(FaultError, match="site3: unknown fault 'http999'"):
        parse_faults("site3=http999:0.1")
    with pytest.raises(FaultError, match="needs a number"):
        parse_faults("site1=slow:abc")
    with pytest.raises(ValueError, match="unknown sites: site9"):
        Simulator(sites=2, faults="site9=antibot")
    assert parse_faults("site3=http500:0.3,slow:2;site5=antibot")["site3"].values == {"http500": 0.3, "slow": 2.0}
