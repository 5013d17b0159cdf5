"""The Prefect UI our server serves sends nothing off the machine (``serve_ui_without_analytics``).

A real Prefect server (``python -m flows.prefect_server``, as ``make server`` and
``govreports crawl`` start it) and a real headless Chromium (Debian's ``chromium``, which
``make setup`` installs). Chromium is driven over the DevTools protocol: every request the
pages and their workers *try* is seen in ``Network.requestWillBeSent``, before DNS, so a
request that fails or is blocked still counts. Chromium resolves no name but loopback
(``--host-resolver-rules``), so the test itself sends nothing off the machine either.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
import pytest

from flows.prefect_server import api_healthy, strip_ui_analytics

pytestmark = [pytest.mark.timeout(420), pytest.mark.xdist_group("prefect-ui")]

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: how long a page may keep making requests after its load event (the analytics client
#: asked for its remote config at once, then again every few seconds)
SETTLE_S = 6.0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Our Prefect server on loopback, with a fresh UI build directory (so the copy Prefect
    makes at start-up, and our change to it, happen in this test)."""
    root = tmp_path_factory.mktemp("prefect-ui")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(root / "home"), PREFECT_UI_STATIC_DIRECTORY=str(root / "ui"),
               PREFECT_SERVER_UI_API_URL=f"{base}/api")
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "flows.prefect_server", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not api_healthy(f"{base}/api", timeout=0.5):
            assert proc.poll() is None, (root / "server.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the Prefect server did not start"
            time.sleep(0.5)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _seed(base: str) -> dict[str, str]:
    """A flow, a deployment and a flow run, so the pages show real objects."""
    with httpx.Client(base_url=f"{base}/api", timeout=30, trust_env=False) as api:
        flow = api.post("/flows/", json={"name": "ui-offline"}).raise_for_status().json()
        dep = api.post("/deployments/", json={"name": "nightly", "flow_id": flow["id"]}).raise_for_status().json()
        run = api.post("/flow_runs/", json={"flow_id": flow["id"], "deployment_id": dep["id"],
                                            "name": "ui-offline-run"}).raise_for_status().json()
    return {"flow": flow["id"], "deployment": dep["id"], "run": run["id"]}


class Browser:
    """Headless Chromium over the DevTools protocol (aiohttp's websocket client)."""

    def __init__(self, profile: Path):
        self.profile = profile
        self.proc: subprocess.Popen[bytes] | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.http: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.requests: list[str] = []
        self.loaded = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._children: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        exe = shutil.which("chromium")
        assert exe, "Debian's chromium is not installed: run `make setup` (apt-get install chromium)"
        self.proc = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-default-apps", "--no-first-run", "--no-pings", "--disable-domain-reliability",
             "--disable-client-side-phishing-detection", "--metrics-recording-only", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            assert self.proc.poll() is None, "chromium exited"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            await asyncio.sleep(0.2)
        port, path = port_file.read_text().split()[:2]
        self.http = aiohttp.ClientSession()
        self.ws = await self.http.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        if self.ws:
            await self.ws.close()
        if self.http:
            await self.http.close()
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)

    async def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        assert self.ws is not None
        msg_id = next(self._ids)
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[msg_id] = fut
        await self.ws.send_str(json.dumps(msg))
        return await asyncio.wait_for(fut, 60)

    async def _watch(self, session: str) -> None:
        """Requests of ``session`` and of every target it opens (iframes, workers)."""
        await self.send("Network.enable", session=session)
        await self.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True},
                        session=session)
        await self.send("Runtime.runIfWaitingForDebugger", session=session)

    async def _read(self) -> None:
        assert self.ws is not None
        async for frame in self.ws:
            msg = json.loads(frame.data)
            if "id" in msg and msg["id"] in self._waiting:
                self._waiting.pop(msg["id"]).set_result(msg.get("result", {}))
                continue
            method, params = msg.get("method"), msg.get("params", {})
            if method == "Network.requestWillBeSent":
                self.requests.append(params["request"]["url"])
            elif method == "Network.webSocketCreated":
                self.requests.append(params["url"])
            elif method == "Page.loadEventFired":
                self.loaded.set()
            elif method == "Target.attachedToTarget":
                task = asyncio.create_task(self._watch(params["sessionId"]))
                self._children.add(task)
                task.add_done_callback(self._children.discard)

    async def open_page(self) -> str:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        session = (await self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}))["sessionId"]
        await self.send("Page.enable", session=session)
        await self._watch(session)
        return session

    async def visit(self, session: str, url: str) -> None:
        self.loaded.clear()
        await self.send("Page.navigate", {"url": url}, session=session)
        await asyncio.wait_for(self.loaded.wait(), 60)
        await asyncio.sleep(SETTLE_S)


def _off_machine(urls: list[str]) -> list[str]:
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") not in LOOPBACK:
            out.append(url)
    return out


def test_the_served_ui_sends_nothing_off_the_machine(ui_server: str, tmp_path: Path) -> None:
    ids = _seed(ui_server)
    pages = [
        f"{ui_server}/",  # redirects to the default (V2) UI
        f"{ui_server}/v2/runs",
        f"{ui_server}/v2/runs/flow-run/{ids['run']}",
        f"{ui_server}/v2/deployments",
        f"{ui_server}/v2/deployments/deployment/{ids['deployment']}",
        f"{ui_server}/runs",  # the V1 UI, still served
    ]

    async def run() -> list[str]:
        browser = Browser(tmp_path / "chromium-profile")
        await browser.start()
        try:
            session = await browser.open_page()
            for page in pages:
                await browser.visit(session, page)
        finally:
            await browser.close()
        return browser.requests

    requests = asyncio.run(run())
    # the pages really loaded and talked to their API: the check below is about a working UI
    assert any("/api/flow_runs/" in u for u in requests) and any("/api/deployments/" in u for u in requests), requests
    assert any("/assets/" in u for u in requests)
    assert _off_machine(requests) == []


def test_the_analytics_key_is_emptied_once_and_only_there(tmp_path: Path) -> None:
    """On a copy of Prefect's own V2 bundle: the key getter is emptied, nothing else changes."""
    import prefect

    src = Path(prefect.__ui_v2_static_path__) / "assets"
    copies = [p for p in src.glob("*.js") if "amplitude" in p.read_text(encoding="utf-8", errors="replace")]
    assert copies, "this Prefect's V2 UI has no analytics client any more: the strip can go"
    for p in copies:
        shutil.copy(p, tmp_path / p.name)
    assert strip_ui_analytics(tmp_path) == 1
    assert strip_ui_analytics(tmp_path) == 0  # idempotent
    for p in copies:
        before, after = p.read_text(encoding="utf-8"), (tmp_path / p.name).read_text(encoding="utf-8")
        assert len(before) - len(after) in (0, 32)
