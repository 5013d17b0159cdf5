"""All configuration in one place.

Every value has a default that works on a fresh clone, can be overridden by a
``GOVREPORTS_*`` environment variable, and by the matching CLI flag (the CLI
passes flags in as keyword arguments, which win over the environment).
Prefect's own settings (``PREFECT_API_URL``, ``PREFECT_HOME``) are left to Prefect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVREPORTS_", extra="ignore")

    db: str = Field("sqlite:///data/govreports.db", description="SQLAlchemy database URL")
    archive: Path = Field(Path("data/raw"), description="content-addressed raw archive directory")
    sources: Path = Field(Path("sources.yaml"), description="source catalog (YAML)")

    # politeness defaults (a source's own `politeness` wins)
    rate: float = Field(1.0, description="requests per second per host")
    concurrency: int = Field(1, description="connections per host")
    obey_robots: bool = True
    user_agent: str = "govreports/0.1 (+https://github.com/govreports/govreports; annual-report crawler)"

    # safety caps
    max_bytes: int = Field(50 * 1024 * 1024, description="body size cap, after decompression")
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_redirects: int = 5
    max_attempts: int = Field(4, description="attempts per request, retries included")
    request_timeout: float = Field(
        120.0, gt=0, description="seconds one attempt may take, connect to last byte (a source's own wins)"
    )
    page_timeout: float = Field(
        300.0, gt=0, description="seconds one page may take across its redirects, retries and back-off "
        "(waiting for the host's turn not counted)"
    )
    min_transfer_rate: int = Field(
        1024, ge=0, description="bytes/s a response must keep up after its first bytes; 0 = no minimum"
    )
    min_rate_window: float = Field(30.0, gt=0, description="seconds over which min_transfer_rate is measured")

    # parsing bounds
    parse_timeout: float = Field(60.0, description="seconds one document may take to parse")
    max_pdf_pages: int = 300

    # crawl: sources are scheduled by host, so the only crawl-wide bound is on connections
    max_connections: int = Field(
        256, ge=1, description="connections open at once across all hosts (each host also has its own limit)"
    )


def get_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with CLI flags (non-None overrides) on top.

    Read afresh on each call: it is cheap, and tests and the CLI change the
    environment between calls.
    """
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
