"""A raw HTTP/1.1 server on 127.0.0.1 for crawler edge tests (imported by name).

Raw (asyncio streams, no framework) because these tests need bytes no framework sends:
chunk extensions of 60 kB, a body trickled one byte at a time, a ``Location`` with a tab.
Each route is a coroutine that writes the whole response itself; the server records every
request line it read, so a test can say what was (not) asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

Route = Callable[[asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Loopback:
    port: int
    #: request targets in the order they arrived
    asked: list[str] = field(default_factory=list)
    #: bytes each route managed to hand to the socket before it ended (by target)
    sent: dict[str, int] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def response(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Route:
    """A plain response with Content-Length."""

    async def route(w: asyncio.StreamWriter) -> None:
        head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        w.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await w.drain()

    return route


@asynccontextmanager
async def serve(routes: dict[str, Route]) -> AsyncIterator[Loopback]:
    """Serve ``routes`` (request target → writer) on an ephemeral loopback port."""
    state = Loopback(0)

    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await reader.readline()).decode("latin-1")
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            target = line.split(" ")[1] if line.count(" ") >= 2 else ""
            state.asked.append(target)
            route = routes.get(target, response(404))
            await route(writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()
