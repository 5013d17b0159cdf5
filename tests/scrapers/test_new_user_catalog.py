"""A new user's catalog entry: only key, name, start URL and adapter, written by hand.

The simulator's own catalog carries adapter options (Hanweb column ids, the JSON API
template, the sitemap URL); a user who only knows the column's address and its CMS family
must get every report without them, because the adapters read them from the pages.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from govreports.cli import app
from portalsim import Simulator
from scrapers import discover, open_client
from scrapers.catalog import load_catalog


def _hand_written_catalog(sim: Simulator, port: int, path: Path) -> None:
    lines = ["sources:"]
    for entry in sim.catalog(port)["sources"]:
        lines += [
            f"  - key: {entry['key']}",
            f"    name: {entry['name']}",
            f"    start_urls: [\"{entry['start_urls'][0]}\"]",
            f"    adapter: {entry['adapter']}",
            "    allow_private: true",
            "    politeness: {rate: 50, concurrency: 4}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_minimal_entries_find_every_report_of_each_family(tmp_path: Path) -> None:
    # 25 reports per site: more than one list page in every family
    sim = Simulator(sites=4, reports_per_site=25, seed=11, families=["trs", "hanweb", "jsonapi", "generic"])
    with sim.running_in_thread(port=0) as port:
        path = tmp_path / "sources.yaml"
        _hand_written_catalog(sim, port, path)
        check = CliRunner().invoke(app, ["sources", "check", "--sources", str(path)])
        assert check.exit_code == 0, check.output
        catalog = load_catalog(path)
        assert all(not s.options for s in catalog.sources)

        async def found(source_key: str) -> set[str]:
            source = catalog.get(source_key)
            async with open_client(source) as client:
                return {c.url async for c in discover(source, client)}

        for source in catalog.sources:
            truth = {
                t.page_url for t in sim.ground_truth(port) if t.site == source.key and t.is_report and not t.fault
            }
            assert len(truth) >= 20
            assert asyncio.run(found(source.key)) == truth, source.adapter
