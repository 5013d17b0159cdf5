"""``govreports browse``: Datasette serving a real database with the canned queries, on loopback.

Datasette is an optional extra (``browse``), not part of the default install, so
this test is skipped without it; run it with
``uv run --with datasette pytest tests/storage/test_browse.py``.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from storage_helpers import make_item

from storage import Store

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("datasette") is None, reason="Datasette not installed (optional extra `browse`)"
)


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
