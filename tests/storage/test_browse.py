"""``govreports browse``: Datasette serving a real database with its metadata and canned queries.

Datasette is a main dependency, so these run everywhere (never skipped): one test
loads ``storage.browse.datasette_metadata`` into a real Datasette app (its Python
API and ASGI client) and runs every canned query; one starts the real
``govreports browse`` command on a loopback port.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from storage_helpers import COLS, make_item, panel_item, table

from storage import Store
from storage.browse import RESEARCH_QUERIES, datasette_metadata
from storage.query import CANNED_QUERIES


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_browse_serves_canned_query_json(tmp_path: Path) -> None:
    db = tmp_path / "reports.db"
    items = [make_item(i) for i in range(5)]
    with Store(f"sqlite:///{db}") as store:
        store.upsert_reports(items)
    port = _free_port()
    # own session: `browse` runs Datasette as a child process, and both must go at the end
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from govreports.cli import main; main()",
            "browse",
            "--port",
            str(port),
            "--db",
            f"sqlite:///{db}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/{db.stem}/reports_per_year.json?_shape=array"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[0].decode(errors="replace")
            try:
                resp = httpx.get(url, timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert resp.status_code == 200, resp.text
        rows = resp.json()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    expected: dict[tuple[int, str], int] = {}
    for item in items:
        key = (item.record.year, item.record.format)
        expected[key] = expected.get(key, 0) + 1
    assert {(r["year"], r["format"]): r["reports"] for r in rows} == expected


def test_metadata_loads_in_datasette_and_every_canned_query_runs(tmp_path: Path) -> None:
    from datasette.app import Datasette

    db = tmp_path / "reports.db"
    with Store(f"sqlite:///{db}") as store:
        store.upsert_reports(
            [
                panel_item("淮安市洪泽区人民政府", 2019, table(1, 5), url="a"),
                panel_item("洪泽区人民政府", 2020, table(4, 6), url="b"),
                panel_item("洪泽区人民政府", 2022, table(6, 2), url="c", fmt="2021"),
                panel_item("洪泽区人民政府", 2022, table(6, 2), url="d", source="mirror", fmt="2021"),
                make_item(1),  # its row_total.granted check fails
            ]
        )
    meta = datasette_metadata(db.stem)
    queries = meta["databases"][db.stem]["queries"]
    assert set(queries) == set(CANNED_QUERIES) | set(RESEARCH_QUERIES)
    assert all(" / " in q["title"] for q in queries.values())  # 中文 / English

    async def run() -> dict[str, object]:
        ds = Datasette([str(db)], metadata=meta)
        await ds.invoke_startup()
        got: dict[str, object] = {}
        for name in queries:
            resp = await ds.client.get(f"/{db.stem}/{name}.json?_shape=array&key=requests.received")
            assert resp.status_code == 200, (name, resp.text)
            got[name] = resp.json()
        page = await ds.client.get(f"/{db.stem}/{name}")
        assert page.status_code == 200 and queries[name]["title"] in page.text
        facets = await ds.client.get(f"/{db.stem}/reports.json?_size=0")
        got["facets"] = sorted(facets.json()["facet_results"])
        plugins = await ds.client.get("/-/plugins.json")
        got["plugins"] = {p["name"] for p in plugins.json()}
        return got

    got = asyncio.run(run())
    hz = [r for r in got["panel_for_key"] if r["agency"] == "淮安市洪泽区人民政府"]  # type: ignore[attr-defined]
    assert [(r["year"], r["value"], r["reports_in_year"]) for r in hz] == [
        (2019, 101, 1), (2020, 104, 1), (2022, 106, 2), (2022, 106, 2)
    ]
    assert sorted((r["year"], r["rule"]) for r in got["cross_year_failures"]) == sorted(  # type: ignore[attr-defined]
        (2020, f"cross_year.carried_over.{c}") for c in COLS
    )
    assert [(r["agency"], r["year"]) for r in got["missing_years"]] == [("淮安市洪泽区人民政府", 2021)]  # type: ignore[attr-defined]
    per_year = {(r["agency"], r["year"]): r["reports"] for r in got["reports_per_agency_year"]}  # type: ignore[attr-defined]
    assert per_year[("淮安市洪泽区人民政府", 2022)] == 2
    assert [(r["agency"], r["rule"]) for r in got["failed_checks"]] == [("重庆市大渡口区", "row_total.granted")]  # type: ignore[attr-defined]
    assert got["facets"] == ["agency", "format", "year"]
    assert "datasette-pretty-json" in got["plugins"]  # type: ignore[operator]
