"""The shipped catalog validates, and ``govreports sources check`` names each problem's place."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from govreports.cli import app
from scrapers.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_catalog_is_valid_and_covers_the_corpus_portals() -> None:
    cat = load_catalog(ROOT / "sources.yaml")
    keys = {s.key for s in cat.sources}
    assert {"pingtan", "cq-wansheng", "cc-kuancheng", "chibi-2020", "sinan"} <= keys
    assert not any(s.allow_private for s in cat.sources)  # real portals are never private


def test_sources_check_reports_every_problem_with_its_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - key: Bad Key\n    name: x\n    start_urls: ['ftp://x']\n    adapter: wordpress\n"
                   "  - {key: ok, name: y, start_urls: ['http://a.gov.cn/'], adapter: trs, politeness: {rate: -1}}\n",
                   encoding="utf-8")
    result = CliRunner().invoke(app, ["sources", "check", "--sources", str(bad)])
    assert result.exit_code == 1
    out = result.output
    for place in ("sources[0].key", "sources[0].start_urls", "sources[0].adapter", "sources[1].politeness.rate"):
        assert place in out, out
    good = CliRunner().invoke(app, ["sources", "check", "--sources", str(ROOT / "sources.yaml")])
    assert good.exit_code == 0 and "OK" in good.output
    listed = CliRunner().invoke(app, ["sources", "list", "--sources", str(ROOT / "sources.yaml")])
    assert listed.exit_code == 0 and "pingtan\ttrs" in listed.output


def test_missing_catalog_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sources", "check", "--sources", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and "file not found" in result.output
