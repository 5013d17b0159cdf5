"""The real catalog's shape: several report columns (``/bm1/`` … ``/bmC/``) on one host, each
its own catalog source, and more hosts than one /24 of loopback addresses holds."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx
import pytest

from govreports.settings import get_settings
from portalsim import Simulator
from portalsim.sites import host_ip, host_of_ip
from scrapers import Catalog, Source, discover, open_client

pytestmark = [pytest.mark.timeout(180)]

HOSTS, COLUMNS, REPORTS = 3, 4, 5


@pytest.fixture(scope="module", params=[("trs", "hanweb", "jsonapi"), ("generic", "trs", "hanweb")],
                ids=["trs-hanweb-jsonapi", "generic-trs-hanweb"])
def web(request: pytest.FixtureRequest) -> Iterator[tuple[Simulator, int]]:
    """3 hosts × 4 columns × 5 reports, a page size that makes every column page."""
    sim = Simulator(sites=HOSTS, columns=COLUMNS, reports_per_site=REPORTS, seed=11, page_size=3,
                    families=list(request.param), faults={"site0-bm2": "redirect_loop", "site2": "redirect_offsite"})
    with sim.running_in_thread(port=0) as port:
        yield sim, port


async def _walk(source: Source, archive: Path) -> list[str]:
    settings = get_settings(archive=str(archive))  # robots obeyed, as a real crawl does
    async with open_client(source, settings, politeness=False) as c:
        return [x.url async for x in discover(source, c)]


def test_every_column_is_a_source_with_its_own_key_and_start_url(web: tuple[Simulator, int]) -> None:
    sim, port = web
    sources = Catalog.model_validate(sim.catalog(port)).sources
    assert [s.key for s in sources] == [f"site{h}-bm{c}" for h in range(HOSTS) for c in range(1, COLUMNS + 1)]
    assert len({s.start_urls[0] for s in sources}) == HOSTS * COLUMNS
    for s in sources:
        host, col = s.key[4:].split("-bm")
        assert s.start_urls[0].startswith(f"http://{host_ip(int(host))}:{port}/bm{col}/")
    # a host's columns share its CMS and encoding, and are named for different departments
    for h in range(HOSTS):
        cols = sim.host_sites(h)
        assert len({(c.family, c.encoding, c.ip) for c in cols}) == 1
        assert len({c.name for c in cols}) == COLUMNS and all(c.name.startswith(c.gov) for c in cols)


def test_every_columns_reports_are_reached_by_walking_it(web: tuple[Simulator, int], tmp_path: Path) -> None:
    sim, port = web
    truth = sim.ground_truth(port)
    for source in Catalog.model_validate(sim.catalog(port)).sources:
        found = set(asyncio.run(_walk(source, tmp_path)))
        reports = {t.page_url for t in truth if t.site == source.key and t.is_report}
        assert len(reports) == REPORTS
        assert reports <= found, f"{source.key}: not reached {sorted(reports - found)}"
        prefix = source.start_urls[0].split("/bm", 1)[0] + "/bm" + source.key.rsplit("-bm", 1)[1] + "/"
        assert all(u.startswith(prefix) for u in found), f"{source.key} walked out of its column"


def test_one_robots_txt_per_host_covers_every_columns_traps(web: tuple[Simulator, int]) -> None:
    sim, port = web
    with httpx.Client(timeout=10, trust_env=False) as client:
        for h in range(HOSTS):
            base = f"http://{host_ip(h)}:{port}"
            robots = RobotFileParser()
            robots.parse(client.get(base + "/robots.txt").text.splitlines())
            cols = sim.host_sites(h)
            traps = [it.path for c in cols for it in c.items if it.trap == "robots"]
            assert len(traps) == COLUMNS
            assert not any(robots.can_fetch("govreports", base + p) for p in traps)
            assert all(robots.can_fetch("govreports", base + it.path) for c in cols for it in c.items if it.is_report)
            # the trap is really there, and robots.txt exists only at the host root
            assert client.get(base + traps[0]).status_code == 200
            assert client.get(base + "/bm1/robots.txt").status_code == 404
            home = client.get(base + "/").content.decode(cols[0].charset)
            assert all(c.start_path() in home for c in cols)


def test_ground_truth_is_kept_per_column(web: tuple[Simulator, int]) -> None:
    sim, port = web
    truth = sim.ground_truth(port)
    per = Counter(t.site for t in truth if t.is_report)
    assert per == {f"site{h}-bm{c}": REPORTS for h in range(HOSTS) for c in range(1, COLUMNS + 1)}
    for t in truth:
        host, col = t.site[4:].split("-bm")
        assert urlsplit(t.page_url).netloc == f"{host_ip(int(host))}:{port}"
        assert urlsplit(t.page_url).path.startswith(f"/bm{col}/")
    assert len({t.page_url for t in truth}) == len(truth)
    # a host-wide fault reaches every column, a column's only its own
    faulted = {t.site for t in truth if t.fault in ("redirect_loop", "redirect_offsite")}
    assert faulted == {"site0-bm2"} | {f"site2-bm{c}" for c in range(1, COLUMNS + 1)}


def test_one_column_is_the_site_root_as_before() -> None:
    one = Simulator(sites=2, reports_per_site=3, seed=11)
    assert [s.key for s in one.sites()] == ["site0", "site1"]
    assert all(s.prefix == "" and not it.path.startswith("/bm") for s in one.sites() for it in s.items)
    with pytest.raises(ValueError, match="site2"):
        Simulator(sites=2, columns=3, faults={"site2-bm1": "antibot"})
    with pytest.raises(ValueError, match="site1-bm4"):
        Simulator(sites=2, columns=3, faults={"site1-bm4": "antibot"})


def test_host_addresses_go_past_one_slash_24() -> None:
    assert [host_ip(h) for h in (0, 249, 250, 299, 500)] == [
        "127.0.0.2", "127.0.0.251", "127.0.1.2", "127.0.1.51", "127.0.2.2"]
    assert all(host_of_ip(host_ip(h)) == h for h in range(0, 64000, 7))
    assert host_of_ip("127.0.0.1") is None and host_of_ip("127.0.0.252") is None and host_of_ip("10.0.0.2") is None


def test_three_hundred_hosts_each_answer_on_their_own_address() -> None:
    sim = Simulator(sites=300, reports_per_site=1, seed=3, families=["trs"] * 300)
    with sim.running_in_thread(port=0) as port, httpx.Client(timeout=10, trust_env=False) as client:
        for h in (0, 249, 250, 299):
            site = sim.site(h)
            r = client.get(f"http://{host_ip(h)}:{port}{site.start_path()}")
            assert r.status_code == 200 and site.name.encode(site.charset) in r.content
        hosts = {e["host"] for e in sim.log}
    assert hosts == {"127.0.0.2", "127.0.0.251", "127.0.1.2", "127.0.1.51"}


def test_sim_catalog_command_writes_columns_and_the_politeness_asked_for() -> None:
    import yaml
    from typer.testing import CliRunner

    from govreports.cli import app

    out = CliRunner().invoke(app, ["sim", "catalog", "--port", "8900", "--sites", "2", "--columns", "3",
                                   "--reports-per-site", "2", "--rate", "1", "--concurrency", "1"])
    assert out.exit_code == 0, out.output
    catalog = Catalog.model_validate(yaml.safe_load(out.output))
    assert [s.key for s in catalog.sources] == [f"site{h}-bm{c}" for h in range(2) for c in (1, 2, 3)]
    assert {(s.politeness.rate, s.politeness.concurrency) for s in catalog.sources} == {(1.0, 1)}
    assert catalog.sources[4].start_urls[0].startswith("http://127.0.0.3:8900/bm2/")
