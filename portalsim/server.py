"""The HTTP side: one aiohttp server bound to many loopback addresses on one port.

Host *h* answers on its own loopback address (``sites.host_ip``: ``127.0.0.{h+2}``,
then ``127.0.1.2`` …); the handler tells hosts apart by the local address the connection
arrived on (not the Host header), exactly as separate machines would, and a host's
columns by the first path segment (``/bm3/…``). Each response goes through the same steps: anti-bot challenge,
slow first byte, transient status faults, conditional request (304), gzip, body
faults (reset, truncation), and one request-log entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from portalsim.resources import Resource, http_date
from portalsim.sites import host_ip

if TYPE_CHECKING:
    from portalsim.simulator import Simulator

__all__ = ["make_app", "run_in_thread", "serve", "serve_forever"]

_FILLER = (b"<p>" + "政府信息公开目录".encode() * 40 + b"</p>\n") * 64


def _not_modified(request: web.Request, res: Resource) -> bool:
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        return res.etag is not None and any(t.strip() in (res.etag, "*", "W/" + res.etag) for t in inm.split(","))
    ims = request.headers.get("If-Modified-Since")
    if ims and res.last_modified is not None:
        try:
            return int(res.last_modified) <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def _reset(request: web.Request) -> None:
    """Close with RST (SO_LINGER 0): the client sees 'connection reset by peer'."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class _Handler:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        start = time.time()
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        ip = sockname[0] if sockname else "?"
        entry: dict[str, Any] = {
            "time": start,
            "host": ip,
            "method": request.method,
            "path": request.path_qs,
            "status": 0,
            "bytes": 0,
            "conditional": "If-None-Match" in request.headers or "If-Modified-Since" in request.headers,
        }
        try:
            return await self._respond(request, ip, entry)
        finally:
            entry["duration"] = round(time.time() - start, 6)
            self.sim.log.append(entry)

    async def _respond(self, request: web.Request, ip: str, entry: dict[str, Any]) -> web.StreamResponse:
        sim = self.sim
        site = sim.site_for(ip, request.path)
        form: dict[str, str] = {}
        if request.method == "POST" and request.can_read_body:
            form = {k: str(v) for k, v in (await request.post()).items()}
        if site is None:
            res = sim.index_resource(request.path, request.query_string)
            if request.path == "/_sim/revise" and request.method == "POST":
                params = {**dict(request.query), **form}
                changed = sim.revise(site=params.get("site"), url=params.get("url"))
                res = Resource(body=("\n".join(changed) + "\n").encode(), content_type="text/plain", etag=None)
            return self._send_plain(request, res, entry)
        faults = site.faults
        if sim.antibot_blocks(site, request.path, request.headers.get("Cookie", "")):
            return self._send_plain(request, sim.antibot_page(site), entry)
        slow = faults.get("slow") if faults else None
        if slow:
            await asyncio.sleep(slow)
        attempt = sim.next_attempt(ip, request.path_qs) if faults else 0
        if faults and request.path != "/robots.txt":
            status = faults.transient_status(sim.seed, site.index, request.path_qs, attempt)
            if status is not None:
                headers = {}
                if status in (429, 503):
                    headers["Retry-After"] = f"{faults.get('retry_after') or 1:g}"
                res = Resource(status=status, body=f"<html><body><h1>{status}</h1></body></html>".encode(),
                               headers=headers, compressible=False)
                return self._send_plain(request, res, entry)
        res = sim.resolve(site, request.method, request.path, request.query_string, form)
        if res.stream_size:
            return await self._stream_filler(request, res, entry)
        if res.status == 200 and _not_modified(request, res):
            entry["status"] = 304
            headers = {"ETag": res.etag} if res.etag else {}
            if res.last_modified is not None:
                headers["Last-Modified"] = http_date(res.last_modified)
            return web.Response(status=304, headers=headers)
        cut = faults.body_fault(sim.seed, site.index, request.path_qs, attempt) if faults and res.status == 200 else None
        if cut:
            return await self._cut(request, res, entry, cut)
        return self._send_plain(request, res, entry)

    def _payload(self, request: web.Request, res: Resource) -> tuple[bytes, dict[str, str]]:
        headers = dict(res.headers)
        headers["Content-Type"] = res.content_type
        if res.etag:
            headers["ETag"] = res.etag
        if res.last_modified is not None:
            headers["Last-Modified"] = http_date(res.last_modified)
        body = res.body
        if res.pre_gzipped:
            headers["Content-Encoding"] = "gzip"
        elif res.compressible and len(body) > 256 and "gzip" in request.headers.get("Accept-Encoding", ""):
            body = res.gzipped()
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        return body, headers

    def _send_plain(self, request: web.Request, res: Resource, entry: dict[str, Any]) -> web.Response:
        body, headers = self._payload(request, res)
        entry["status"] = res.status
        entry["bytes"] = len(body)
        if request.method == "HEAD":
            return web.Response(status=res.status, headers=headers)
        return web.Response(status=res.status, body=body, headers=headers)

    async def _cut(self, request: web.Request, res: Resource, entry: dict[str, Any], how: str) -> web.StreamResponse:
        body, headers = self._payload(request, res)
        resp = web.StreamResponse(status=res.status, headers=headers)
        resp.content_length = len(body)
        await resp.prepare(request)
        half = body[: max(1, len(body) // 2)]
        await resp.write(half)
        entry["status"] = res.status
        entry["bytes"] = len(half)
        entry["fault"] = how
        if how == "reset":
            _reset(request)
        elif request.transport is not None:
            request.transport.close()
        return resp

    async def _stream_filler(self, request: web.Request, res: Resource, entry: dict[str, Any]) -> web.StreamResponse:
        resp = web.StreamResponse(status=200, headers={"Content-Type": res.content_type})
        resp.content_length = res.stream_size
        await resp.prepare(request)
        entry["status"] = 200
        sent = 0
        try:
            while sent < res.stream_size:
                chunk = _FILLER[: res.stream_size - sent]
                await resp.write(chunk)
                sent += len(chunk)
        except (ConnectionResetError, ConnectionError, RuntimeError):
            pass
        entry["bytes"] = sent
        return resp


def make_app(sim: Simulator) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    handler = _Handler(sim)

    async def handle(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    app.router.add_route("*", "/{tail:.*}", handle)
    return app


@contextlib.asynccontextmanager
async def serve(sim: Simulator, port: int = 0) -> AsyncIterator[int]:
    """Bind the index host and every site host on one port (one listener per address:
    300 hosts are 301 listening sockets, well inside the fd limit); yield the port."""
    runner = web.AppRunner(make_app(sim), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        first = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True)
        await first.start()
        server: Any = first._server  # aiohttp exposes the bound port only here (port=0)
        bound = int(server.sockets[0].getsockname()[1])
        for h in range(sim.n_sites):
            await web.TCPSite(runner, host_ip(h), bound, reuse_address=True).start()
        sim.port = bound
        yield bound
    finally:
        await runner.cleanup()


@contextlib.contextmanager
def run_in_thread(sim: Simulator, port: int = 0) -> Iterator[int]:
    """Serve from a daemon thread with its own event loop; yield the port."""
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        box["stop"] = stop
        box["loop"] = asyncio.get_running_loop()
        try:
            async with serve(sim, port) as bound:
                box["port"] = bound
                ready.set()
                await stop.wait()
        except BaseException as exc:
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=asyncio.run, args=(main(),), name="portalsim", daemon=True)
    thread.start()
    ready.wait(30)
    if "error" in box:
        raise RuntimeError(f"portalsim could not start on port {port}: {box['error']}") from box["error"]
    if "port" not in box:
        raise RuntimeError("portalsim did not start within 30 s")
    try:
        yield box["port"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(10)


def serve_forever(sim: Simulator, port: int = 0, ready: Callable[[int], None] | None = None) -> None:
    """Serve until SIGINT or SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with serve(sim, port) as bound:
            if ready is not None:
                ready(bound)
            await stop.wait()

    asyncio.run(main())
