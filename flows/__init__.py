"""Orchestration: the plain crawl pipeline and the Prefect flows that wrap it.

Importing any ``flows`` module first pins the Prefect settings that must hold before
Prefect itself is imported: nothing may leave loopback (server analytics, client
telemetry and the UI's promotional content are off) and, unless the user chose
otherwise, Prefect keeps its home under ``data/prefect`` so its database and
migrations survive between runs instead of being rebuilt in ``~/.prefect``.
"""

from __future__ import annotations

import os

#: Settings that would otherwise make Prefect talk to hosts outside loopback.
NO_PHONE_HOME: dict[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
}


def pin_prefect_environment() -> None:
    """Force the no-phone-home settings; default PREFECT_HOME to ``data/prefect``.

    The privacy settings are forced (a user who wants analytics can patch this; we
    promise loopback only). ``PREFECT_HOME`` is only a default.
    """
    os.environ.update(NO_PHONE_HOME)
    os.environ.setdefault("PREFECT_HOME", os.path.abspath(os.path.join("data", "prefect")))
    # Prefect's client checks the server version on every new client; one less round trip.
    os.environ.setdefault("PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED", "false")


def logs_to_api_only() -> None:
    """Send run logs to the Prefect API (the UI) only, not to the terminal.

    For the commands that draw progress bars in the terminal, and for the benchmark that
    measures them. Prefect's console handler renders every task's log line through Rich:
    ~1 ms each, about a tenth of a subflow's CPU in the crawl process. A user's own
    ``PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL`` wins.
    """
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


pin_prefect_environment()
