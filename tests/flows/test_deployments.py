"""deployments.yaml: it loads, every entrypoint imports to a Prefect flow whose parameters
match, every schedule is a valid cron, and ``govreports serve`` builds a deployment per
source from a catalog. No API needed: building runner deployments is local."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from flows.deployments import build_runner_deployments, load_entrypoint, load_specs

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "deployments.yaml"


def test_every_deployment_has_an_importable_flow_and_valid_parameters() -> None:
    from prefect import Flow

    specs = {s.name: s for s in load_specs(FILE)}
    assert {"catalog", "one-source", "reparse", "rerun-failed"} <= set(specs)
    for spec in specs.values():
        fl = load_entrypoint(spec.entrypoint)
        assert isinstance(fl, Flow), spec.entrypoint
        assert set(spec.parameters) <= set(fl.parameters.properties), spec.name


def test_schedules_are_monthly_plus_daily_in_publication_season() -> None:
    import asyncio

    from prefect.server.schemas.schedules import CronSchedule  # the server's own schedule (validates too)

    specs = {s.name: s for s in load_specs(FILE)}
    crons = specs["catalog"].schedules
    assert all(tz == "Asia/Shanghai" for _, tz in crons)
    # runs in one year: 12 monthly + every day of February–April (2027: 28 + 31 + 30)
    start, end = datetime(2027, 1, 1), datetime(2028, 1, 1)
    fire_days = set()
    for cron, tz in crons:
        dates = asyncio.run(CronSchedule(cron=cron, timezone=tz).get_dates(n=500, start=start, end=end))
        fire_days.update(d.date() for d in dates)
    assert len(fire_days) == 12 + 89 - 3  # the 1st of Feb/Mar/Apr counted once
    assert specs["rerun-failed"].schedules and not specs["reparse"].schedules


def test_serve_builds_one_deployment_per_source(tmp_path: Path) -> None:
    catalog = tmp_path / "sources.yaml"
    catalog.write_text(
        "sources:\n"
        "  - {key: pingtan, name: 平潭综合实验区, adapter: trs, start_urls: ['https://www.pingtan.gov.cn/']}\n"
        "  - {key: suqian, name: 宿迁市, adapter: generic, start_urls: ['https://www.suqian.gov.cn/'], tags: [js]}\n",
        encoding="utf-8",
    )
    deps = build_runner_deployments(FILE, catalog)
    names = {(d.flow_name, d.name) for d in deps}
    assert ("crawl-all", "catalog") in names and ("crawl-source", "source-pingtan") in names
    by_name = {d.name: d for d in deps}
    assert by_name["source-suqian"].parameters["source_key"] == "suqian"
    assert len(by_name["catalog"].schedules) == 2


def test_a_broken_file_is_named_in_the_error(tmp_path: Path) -> None:
    bad = tmp_path / "deployments.yaml"
    bad.write_text("deployments:\n  - name: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"deployments\.yaml: deployments\[0\] needs a name and an entrypoint"):
        load_specs(bad)
