"""The source catalog (``sources.yaml``): which portals to crawl and how.

Adding a portal of a known CMS family is one entry here and no code. The file is
validated as a whole so a user sees every mistake at once, each with its place
(``sources[3].adapter: …``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scrapers.errors import FetchError
from scrapers.guard import normalise_host, parse_url

__all__ = ["Catalog", "CatalogError", "Politeness", "Source", "load_catalog"]

Adapter = Literal["trs", "hanweb", "jsonapi", "generic"]


class CatalogError(Exception):
    """A catalog that cannot be used; ``problems`` lists each with its place."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class Politeness(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate: float | None = Field(None, ge=0, description="requests per second per host; 0 = politeness off; None = default")
    concurrency: int | None = Field(None, ge=1, le=64, description="connections per host")
    obey_robots: bool | None = None


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str
    start_urls: list[str] = Field(min_length=1)
    adapter: Adapter
    allow_private: bool = False
    politeness: Politeness = Field(default_factory=Politeness)
    #: extra hosts the crawl may follow links/redirects to (attachments on a CDN, say)
    allowed_hosts: list[str] = Field(default_factory=list)
    #: link-following depth for the generic adapter
    max_depth: int = Field(3, ge=0, le=10)
    #: list pages to walk at most (guards against endless paging)
    max_pages: int = Field(200, ge=1)
    tags: list[str] = Field(default_factory=list)
    #: seconds one request (one attempt) to this source may take; None = the setting
    #: ``request_timeout``. For a portal known to serve big files slowly.
    request_timeout: float | None = Field(None, gt=0, le=3600)
    #: the agency this source's reports belong to, whatever their titles say (storage.agency)
    agency: str | None = None
    #: adapter-specific options (e.g. hanweb columnid/unitid/webid, jsonapi url template)
    options: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @field_validator("start_urls")
    @classmethod
    def _http_only(cls, urls: list[str]) -> list[str]:
        """Through the crawler's one URL parser, so a start URL it would refuse is a catalog error."""
        for u in urls:
            try:
                parse_url(u)
            except FetchError as exc:
                raise ValueError(f"start URL {u!r} is refused: {exc.reason}") from None
        return urls

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, hosts: list[str]) -> list[str]:
        for h in hosts:
            try:
                normalise_host(h)
            except ValueError as exc:
                raise ValueError(f"allowed host {h!r} is refused: {exc}") from None
        return hosts


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[Source]
    #: per-host politeness ({host: {rate, concurrency}}): wins over the entries on that host,
    #: whose strictest policy is the host's otherwise (``scrapers.politeness.HostBook``)
    hosts: dict[str, Politeness] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_keys(self) -> Catalog:
        seen: set[str] = set()
        for s in self.sources:
            if s.key in seen:
                raise ValueError(f"duplicate source key {s.key!r}")
            seen.add(s.key)
        return self

    def get(self, key: str) -> Source:
        for s in self.sources:
            if s.key == key:
                return s
        raise KeyError(key)

    def select(self, keys: list[str] | None = None, tag: str | None = None) -> list[Source]:
        """Sources by key and/or tag; unknown keys raise ``KeyError`` naming them."""
        chosen = self.sources
        if keys:
            unknown = [k for k in keys if k not in {s.key for s in self.sources}]
            if unknown:
                raise KeyError(", ".join(unknown))
            chosen = [s for s in chosen if s.key in keys]
        if tag:
            chosen = [s for s in chosen if tag in s.tags]
        return chosen


def load_catalog(path: Path | str) -> Catalog:
    """Read and validate a catalog; raise ``CatalogError`` listing every problem."""
    path = Path(path)
    try:
        # libyaml's safe loader when built in: a catalog of hundreds of portals is read by
        # every command and every deployment run, and the pure-Python loader is ~10x slower
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise CatalogError(path, ["file not found"]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CatalogError(path, [f"not valid YAML: {exc}"]) from None
    if not isinstance(raw, dict) or "sources" not in raw:
        raise CatalogError(path, ["top level must be a mapping with a 'sources' list"])
    try:
        return Catalog.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
            problems.append(f"{loc}: {err['msg']}")
        raise CatalogError(path, problems) from None
