"""Settings, catalog validation and the CLI shell: the ground the rest stands on."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govreports.cli import app
from govreports.settings import get_settings
from parsers.record import Check, Contact, Record, Section
from scrapers.catalog import CatalogError, load_catalog

runner = CliRunner()


def test_settings_defaults_then_env_then_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVREPORTS_DB", raising=False)
    assert get_settings().db == "sqlite:///data/govreports.db"
    monkeypatch.setenv("GOVREPORTS_DB", "sqlite:///env.db")
    monkeypatch.setenv("GOVREPORTS_RATE", "2.5")
    assert get_settings().db == "sqlite:///env.db"
    assert get_settings().rate == 2.5
    assert get_settings(db="sqlite:///flag.db").db == "sqlite:///flag.db"
    # None means "flag not given": the environment stands
    assert get_settings(db=None).db == "sqlite:///env.db"


def test_cli_help_lists_config() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "config" in result.output


def test_catalog_reports_every_problem_with_its_place(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text(
        "sources:\n"
        "  - key: Bad Key\n    name: x\n    start_urls: ['ftp://x']\n    adapter: trs\n"
        "  - key: ok\n    name: y\n    start_urls: ['http://127.0.0.1/']\n    adapter: nosuch\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as exc:
        load_catalog(bad)
    text = str(exc.value)
    assert "sources[0].key" in text
    assert "sources[0].start_urls" in text
    assert "sources[1].adapter" in text


def test_catalog_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"nope\.yaml: file not found"):
        load_catalog(tmp_path / "nope.yaml")


def test_record_round_trips_through_dict() -> None:
    rec = Record(
        title="t",
        year=2020,
        agency="a",
        format="2019",
        contact=Contact(phone="1"),
        sections=[Section("一", "总体情况", "x")],
        stats={"requests.received": 3},
        checks=[Check("balance.total", True, "")],
    )
    assert Record.from_dict(rec.to_dict()) == rec
    assert list(rec.to_dict()) == [
        "title", "year", "agency", "format", "published_at", "period_start", "period_end",
        "contact", "sections", "stats", "checks", "warnings", "table_source",
    ]
