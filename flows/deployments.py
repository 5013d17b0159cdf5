"""The deployments in ``deployments.yaml``, and serving them from one process.

``deployments.yaml`` is the one definition (Prefect's ``prefect.yaml`` format, so
``prefect deploy --prefect-file deployments.yaml --all`` works with a work pool).
``govreports serve`` reads the same file and serves every deployment with Prefect's
``serve`` — schedules included, no work pool — plus one ``crawl-source`` deployment per
catalog source (``source-<key>``) for one-off runs from the UI.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import flows  # noqa: F401  (no-phone-home Prefect settings)

__all__ = ["DeploymentSpec", "build_runner_deployments", "load_entrypoint", "load_specs", "serve_all"]

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DeploymentSpec:
    name: str
    entrypoint: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    #: (cron, timezone) pairs
    schedules: list[tuple[str, str]] = field(default_factory=list)


def load_specs(path: Path | str) -> list[DeploymentSpec]:
    """The deployments of a prefect.yaml-style file; ``ValueError`` naming the file and entry."""
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if data is None or (isinstance(data, dict) and data.get("deployments") is None):
        return []  # an empty file: serve still serves what retries need (build_runner_deployments)
    if not isinstance(data, dict) or not isinstance(data.get("deployments"), list):
        raise ValueError(f"{path}: expected a mapping with a 'deployments' list")
    specs = []
    for i, d in enumerate(data["deployments"]):
        if not isinstance(d, dict) or not d.get("name") or not d.get("entrypoint"):
            raise ValueError(f"{path}: deployments[{i}] needs a name and an entrypoint")
        schedules = []
        for s in d.get("schedules") or []:
            if "cron" not in s:
                raise ValueError(f"{path}: deployments[{i}] ({d['name']}): only cron schedules are used here")
            schedules.append((str(s["cron"]), str(s.get("timezone", "UTC"))))
        specs.append(
            DeploymentSpec(
                name=d["name"],
                entrypoint=d["entrypoint"],
                description=str(d.get("description") or ""),
                tags=list(d.get("tags") or []),
                parameters=dict(d.get("parameters") or {}),
                schedules=schedules,
            )
        )
    return specs


def load_entrypoint(entrypoint: str) -> Any:
    """``flows/crawl.py:crawl_all`` → the flow object (imported as its package module)."""
    file, _, attr = entrypoint.partition(":")
    module = file.removesuffix(".py").replace("/", ".")
    if importlib.util.find_spec(module) is None:
        raise ValueError(f"entrypoint {entrypoint!r}: no module {module}")
    obj = getattr(importlib.import_module(module), attr, None)
    if obj is None:
        raise ValueError(f"entrypoint {entrypoint!r}: {module} has no {attr}")
    return obj


def build_runner_deployments(deployments_file: Path | str, catalog: Path | str | None = None) -> list[Any]:
    """Runner deployments for ``serve``: the file's; the ``on-demand`` deployment of every
    flow the CLI starts, so that Retry in the UI of any crawl, however it was started, is
    run here; and ``source-<key>`` per catalog source."""
    from prefect.schedules import Cron

    from flows.crawl import ON_DEMAND, crawl_all, on_demand_description
    from flows.maintenance import reparse, rerun_failed

    out = [
        fl.to_deployment(name=ON_DEMAND, description=on_demand_description(fl.name), tags=["on-demand"])
        for fl in (crawl_all, rerun_failed, reparse)
    ]
    for spec in load_specs(deployments_file):
        fl = load_entrypoint(spec.entrypoint)
        out.append(
            fl.to_deployment(
                name=spec.name,
                description=spec.description or None,
                tags=spec.tags,
                parameters=spec.parameters,
                schedules=[Cron(c, timezone=tz) for c, tz in spec.schedules],
            )
        )
    if catalog is not None and Path(catalog).exists():
        from flows.crawl import crawl_source
        from scrapers.catalog import load_catalog

        for src in load_catalog(catalog).sources:
            out.append(
                crawl_source.to_deployment(
                    name=f"source-{src.key}",
                    description=f"One-off crawl of {src.name} ({src.key})",
                    tags=["crawl", "one-off", *src.tags],
                    parameters={"source_key": src.key, "sources_file": str(Path(catalog).resolve())},
                )
            )
    return out


def serve_all(deployments_file: Path | str, catalog: Path | str | None, console: Any = None) -> None:
    """Serve every deployment from this process until interrupted (Prefect ``serve``)."""
    from prefect import serve

    deps = build_runner_deployments(deployments_file, catalog)
    if console is not None:
        for d in deps:
            console.print(f"  serving {d.flow_name}/{d.name}" + (f"  ({d.description[:60]})" if d.description else ""))
    serve(*deps, limit=4)
