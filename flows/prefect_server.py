"""Which Prefect API a command talks to, and the long-lived local server we start.

Prefect 3 without ``PREFECT_API_URL`` starts a temporary ("ephemeral") API server in a
subprocess for every command. Here that costs 14–17 s per run even with its database
kept (importing the server app alone takes ~7.5 s of CPU), which would put
``govreports crawl`` far over its 5 s start-up budget. So commands resolve the API in
this order and say which one they use:

1. ``PREFECT_API_URL`` is set: use it (a user's own server, or a team server).
2. A local server we started earlier (recorded in ``$PREFECT_HOME/govreports-server.json``)
   or one started by ``make server`` on 127.0.0.1:4200 answers ``/api/health``: reuse it.
3. Otherwise start ``prefect server start`` on loopback in the background, keep it
   running for the next command, and record it. Only the first run pays the start-up;
   ``govreports server-stop`` ends it.

The server we start (and ``make server``) runs Prefect's own CLI through ``run_server``,
which changes two things: SQLite write transactions begin ``IMMEDIATE`` (see
``begin_sqlite_writes_immediately``), and the UI it serves has its analytics taken out
(see ``serve_ui_without_analytics``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.error import URLError
from urllib.request import urlopen

__all__ = [
    "SERVER_TUNING",
    "ApiChoice",
    "PrefectServerError",
    "api_healthy",
    "begin_sqlite_writes_immediately",
    "resolve_api",
    "run_server",
    "serve_ui_without_analytics",
    "stop_local_server",
    "strip_ui_analytics",
]

DEFAULT_PORT = 4200
STATE_FILE = "govreports-server.json"


class PrefectServerError(RuntimeError):
    """The configured Prefect API does not answer, or a local one could not be started."""


@dataclass(frozen=True, slots=True)
class ApiChoice:
    url: str
    how: Literal["configured", "reused", "started"]
    pid: int | None = None

    def describe(self) -> str:
        if self.how == "configured":
            return f"using the Prefect server at {self.url} (PREFECT_API_URL)"
        if self.how == "reused":
            return f"reusing the running local Prefect server at {self.url}"
        return (
            f"started a local Prefect server at {self.url} (pid {self.pid}); it keeps running so the "
            "next command starts fast — `govreports server-stop` ends it"
        )


def api_healthy(api_url: str, timeout: float = 1.0) -> bool:
    """True when ``{api_url}/health`` answers 200 (loopback only in practice)."""
    try:
        with urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (URLError, OSError, ValueError):
        return False


def _home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or Path("data") / "prefect").resolve()


def _state_path() -> Path:
    return _home() / STATE_FILE


def _read_state() -> dict[str, object] | None:
    try:
        data = json.loads(_state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: Server settings for the local server we start. Prefect's defaults have the task-run
#: recorder and the event persister write ONE event per transaction; on a local SQLite
#: server every task's state events then queue ahead of the next subflow's
#: ``POST /task_runs/``, which took ~2 s per ``crawl_source`` start here (measured with
#: 7 tasks per subflow: 2.0–2.3 s with the defaults, 0.12–0.23 s with these batches).
#: Users running their own server can set the same variables.
SERVER_TUNING: dict[str, str] = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_READ_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL": "1",
}


def begin_sqlite_writes_immediately() -> bool:
    """Make Prefect's SQLite server begin every write transaction ``IMMEDIATE``; False when
    this Prefect has not the hook we replace (the server then runs unchanged).

    Prefect begins them ``DEFERRED``. Several of its writes read first (``POST
    /task_runs/`` reads the flow run's labels), and in WAL mode a transaction that read
    cannot upgrade to a write once another writer has committed: SQLite answers
    ``SQLITE_BUSY_SNAPSHOT`` at once, without waiting out ``busy_timeout``. The server
    turns that into a 503 and Prefect's client retries after 2, 4, 8 … s. With eight
    ``crawl_source`` subflows starting together, half of the subflows' parent task runs
    took a 503 and the 1,000-report crawl spent 4–8 s of its wall in those back-offs
    (20 empty subflows: 8–16 s, with this change 3.1–3.3 s and no 503). Begun
    ``IMMEDIATE``, a writer takes the lock first and queues on ``busy_timeout`` instead;
    SQLite allows one writer at a time either way, and readers outside transactions are
    untouched.
    """
    try:
        from prefect.server.database import configurations as cfg
    except ImportError:  # pragma: no cover - the server extra is part of prefect
        return False
    mode = getattr(cfg, "SQLITE_BEGIN_MODE", None)
    sqlite = getattr(cfg, "AioSqliteConfiguration", None)
    if mode is None or sqlite is None or not hasattr(sqlite, "begin_transaction"):
        return False

    @asynccontextmanager
    async def begin_transaction(self: object, session: Any, with_for_update: bool = False) -> AsyncIterator[Any]:
        token = mode.set("IMMEDIATE")
        try:
            async with session.begin() as transaction:
                yield transaction
        finally:
            mode.reset(token)

    sqlite.begin_transaction = begin_transaction
    return True


#: the V2 UI's analytics key getter, as Prefect 3.8's build minifies it: ``function um(){return`<key>`}``.
#: With the key empty, the UI's own guard (``um() && …``) skips ``amplitude.init`` and every event.
_ANALYTICS_KEY = re.compile(r"(function [\w$]+\(\)\{return)`[0-9a-f]{32}`(\})")


def strip_ui_analytics(directory: Path) -> int:
    """Empty the analytics key in a Prefect UI build under ``directory``; returns how many
    files were changed (0 for a build already stripped, or one without analytics)."""
    changed = 0
    for js in sorted(directory.rglob("*.js")):
        text = js.read_text(encoding="utf-8", errors="surrogateescape")
        if "amplitude" not in text:
            continue
        new = _ANALYTICS_KEY.sub(r"\1``\2", text)
        if new != text:
            js.write_text(new, encoding="utf-8", errors="surrogateescape")
            changed += 1
    return changed


def _ui_build_dirs() -> list[Path]:
    """Where Prefect's server copies the UI it serves (its own defaults, or under
    ``PREFECT_UI_STATIC_DIRECTORY``)."""
    import prefect

    dirs = [Path(prefect.__ui_static_subpath__), Path(prefect.__ui_v2_static_subpath__)]
    root = os.environ.get("PREFECT_UI_STATIC_DIRECTORY")
    if root:
        dirs += [Path(root), Path(root) / "v1", Path(root) / "v2"]
    return dirs


def serve_ui_without_analytics() -> bool:
    """Make the UI this process's Prefect server serves send nothing off the machine; False
    when this Prefect's server has not the hook we use.

    Prefect 3.8's V2 UI calls ``amplitude.init`` on every page load with a key built into
    the bundle, whatever ``PREFECT_SERVER_ANALYTICS_ENABLED`` and ``DO_NOT_TRACK`` say (the
    setting only gates one "Web App Loaded" event; ``init`` itself fetches the analytics
    service's remote config, 18 requests in a minute). No setting turns it off, so the
    server serves a build without it: Prefect copies its UI bundle into a build directory
    once (``replace_placeholder_string_in_files`` fills in the base URL there), and we empty
    the key in that copy, right after Prefect writes it and in copies already made. The
    package's own files are untouched. ``tests/flows/test_ui_offline.py`` loads the UI in
    Chromium and counts the requests that leave loopback.
    """
    try:
        from prefect.server.api import server as api_server
    except ImportError:  # pragma: no cover - the server extra is part of prefect
        return False
    fill_in = getattr(api_server, "replace_placeholder_string_in_files", None)
    if fill_in is None:
        return False

    def fill_in_then_strip(directory: str, *args: Any, **kwargs: Any) -> None:
        fill_in(directory, *args, **kwargs)
        strip_ui_analytics(Path(directory))

    api_server.replace_placeholder_string_in_files = fill_in_then_strip
    for build in _ui_build_dirs():
        if build.is_dir():
            strip_ui_analytics(build)
    return True


def run_server(args: Sequence[str]) -> None:
    """``prefect server start ARGS`` in this process, tuned (``SERVER_TUNING``, explicit
    environment settings win), with SQLite writes begun ``IMMEDIATE`` and the UI served
    without its analytics."""
    for key, value in SERVER_TUNING.items():
        os.environ.setdefault(key, value)
    if not begin_sqlite_writes_immediately():
        print("govreports: this Prefect has no SQLite transaction hook; its server runs unchanged", file=sys.stderr)
    if not serve_ui_without_analytics():
        print("govreports: this Prefect's UI could not be served without its analytics; "
              "set PREFECT_UI_ENABLED=false to serve no UI", file=sys.stderr)
    from prefect.cli import app

    sys.argv = ["prefect", "server", "start", *args]
    app()


def start_local_server(port: int = DEFAULT_PORT, timeout: float = 120.0) -> ApiChoice:
    """Start Prefect's server (through ``run_server``) detached on 127.0.0.1 and wait until it is healthy.

    Detached (own session) so it outlives the command; its log goes to
    ``$PREFECT_HOME/server.log``. The UI is served too, so the user can watch runs.
    """
    home = _home()
    home.mkdir(parents=True, exist_ok=True)
    if not _port_free(port):
        port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_UI_API_URL": url}
    env.pop("PREFECT_API_URL", None)
    log = (home / "server.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.prefect_server", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PrefectServerError(
                f"the local Prefect server exited with code {proc.returncode}; see {home / 'server.log'}"
            )
        if api_healthy(url, timeout=0.5):
            _state_path().write_text(json.dumps({"url": url, "pid": proc.pid}), encoding="utf-8")
            return ApiChoice(url, "started", proc.pid)
        time.sleep(0.2)
    proc.terminate()
    raise PrefectServerError(f"the local Prefect server did not answer within {timeout:.0f} s; see {home / 'server.log'}")


def resolve_api(*, start: bool = True, port: int = DEFAULT_PORT) -> ApiChoice:
    """Pick the Prefect API (see the module docstring) and export it as ``PREFECT_API_URL``."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        if not api_healthy(configured, timeout=3.0):
            raise PrefectServerError(f"PREFECT_API_URL={configured} does not answer on /health")
        return ApiChoice(configured, "configured")
    candidates: list[str] = []
    state = _read_state()
    if state and isinstance(state.get("url"), str):
        candidates.append(str(state["url"]))
    candidates.append(f"http://127.0.0.1:{port}/api")
    for url in candidates:
        if api_healthy(url, timeout=0.5):
            os.environ["PREFECT_API_URL"] = url
            pid = state.get("pid") if state and state.get("url") == url else None
            return ApiChoice(url, "reused", pid if isinstance(pid, int) else None)
    if not start:
        raise PrefectServerError("no Prefect server is running and starting one was not allowed")
    choice = start_local_server(port)
    os.environ["PREFECT_API_URL"] = choice.url
    return choice


def stop_local_server() -> str:
    """Stop the server ``resolve_api`` started (by its recorded pid), if it is still ours."""
    state = _read_state()
    if not state or not isinstance(state.get("pid"), int):
        return "no local Prefect server was started by govreports"
    pid = int(state["pid"])  # type: ignore[call-overload]
    try:
        os.killpg(pid, signal.SIGTERM)
        msg = f"stopped the local Prefect server (pid {pid}) at {state.get('url')}"
    except ProcessLookupError:
        msg = f"the local Prefect server (pid {pid}) had already stopped"
    _state_path().unlink(missing_ok=True)
    return msg


def main() -> None:
    """``python -m flows.prefect_server [ARGS]``: the server we start in the background, and
    ``make server`` (the server and UI on 127.0.0.1:4200 in the foreground)."""
    run_server(sys.argv[1:] or ["--host", "127.0.0.1", "--port", str(DEFAULT_PORT)])


if __name__ == "__main__":
    main()
