"""``govreports agencies`` and ``govreports panel`` (long, wide, csv/json, checks, gaps, plots) on a real database."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from storage_helpers import COLS, panel_item, table
from typer.testing import CliRunner

from govreports.cli import app
from storage import Store

runner = CliRunner()


@pytest.fixture
def db(store_url: str) -> str:
    """洪泽区 2019–2023 under three names: 2021 missing, 2023 published twice, 2020's
    carry-over not matching 2019's carry-forward in any column; and 平潭县 2020."""
    with Store(store_url) as store:
        store.upsert_reports(
            [
                panel_item("淮安市洪泽区人民政府", 2019, table(1, 5), url="hz2019"),
                panel_item("洪泽区人民政府", 2020, table(4, 6), url="hz2020"),
                panel_item("洪泽区政府", 2022, table(6, 2), url="hz2022", fmt="2021"),
                panel_item("洪泽区人民政府", 2023, table(2, 0), url="hz2023", fmt="2021"),
                panel_item("洪泽区人民政府", 2023, table(2, 1), url="hz2023-again", source="mirror", fmt="2021"),
                panel_item("平潭县人民政府", 2020, table(0, 0), url="pt2020"),
            ]
        )
    return store_url


def _json(*args: str) -> list[dict[str, object]]:
    out = runner.invoke(app, list(args))
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_agencies_lists_names_with_their_years(db: str) -> None:
    rows = _json("agencies", "--db", db, "--format", "json")
    by_key = {r["key"]: r for r in rows}
    assert set(by_key) == {"洪泽区", "平潭县"}
    assert by_key["洪泽区"]["names"] == {
        "淮安市洪泽区人民政府": [2019],
        "洪泽区人民政府": [2020, 2023],
        "洪泽区政府": [2022],
    }
    assert by_key["洪泽区"]["years"] == [2019, 2020, 2022, 2023]
    as_csv = runner.invoke(app, ["agencies", "--db", db, "-f", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    line = next(r for r in csv.DictReader(io.StringIO(as_csv.stdout)) if r["key"] == "洪泽区")
    assert line["years"] == "2019–2020, 2022–2023"
    assert line["names"] == "淮安市洪泽区人民政府 (2019); 洪泽区人民政府 (2020, 2023); 洪泽区政府 (2022)"


def test_panel_long_json_has_the_contract_fields(db: str) -> None:
    rows = _json("panel", "--db", db, "--key", "requests.received", "--agency", "洪泽", "--format", "json")
    assert [set(r) for r in rows] == [
        {"agency_id", "agency", "year", "key", "value", "report_id", "format", "reports_in_year"}
    ] * 5
    assert [(r["year"], r["value"], r["reports_in_year"]) for r in rows] == [
        (2019, 101, 1), (2020, 104, 1), (2022, 106, 1), (2023, 102, 2), (2023, 102, 2)
    ]
    assert {r["agency"] for r in rows} == {"淮安市洪泽区人民政府"}
    ranged = _json("panel", "--db", db, "-k", "requests.received", "--from", "2020", "--to", "2022", "-f", "json")
    assert sorted((r["agency"], r["year"]) for r in ranged) == [
        ("平潭县人民政府", 2020), ("淮安市洪泽区人民政府", 2020), ("淮安市洪泽区人民政府", 2022)
    ]


def test_panel_wide_csv_has_one_column_per_key_and_both_reports_of_a_doubled_year(db: str) -> None:
    keys = ["requests.table.carried_over.total", "requests.table.carried_forward.total"]
    out = runner.invoke(app, ["panel", "--db", db, "--wide", "--agency", "洪泽区", "-f", "csv"] + [f"--key={k}" for k in keys])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0]) == ["agency_id", "agency", "year", "report_id", "format", "reports_in_year", *keys]
    assert sorted((r["year"], r[keys[0]], r[keys[1]], r["reports_in_year"]) for r in rows) == [
        ("2019", "7", "11", "1"), ("2020", "10", "12", "1"), ("2022", "12", "8", "1"),
        ("2023", "8", "6", "2"), ("2023", "8", "7", "2"),
    ]
    shown = runner.invoke(app, ["panel", "--db", db, "--wide", "-k", keys[0]])
    assert "agency-years with more than one report" in shown.stdout


def test_panel_checks_and_gaps(db: str) -> None:
    fails = _json("panel", "--db", db, "--checks", "-f", "json")
    # 2020 carried over 4+n where 2019 carried 5+n forward; 2021 is missing, so 2022 is not
    # compared; 2023 (two reports) carried over 2+n where 2022 carried 2+n forward: fine
    assert sorted((f["year"], f["rule"], f["value"], f["expected"]) for f in fails) == sorted(
        (2020, f"cross_year.carried_over.{c}", 4 + n, 5 + n) for n, c in enumerate(COLS)
    )
    gaps = _json("panel", "--db", db, "--gaps", "-f", "json")
    assert [(g["agency"], g["missing_years"]) for g in gaps] == [("淮安市洪泽区人民政府", [2021])]
    assert "2021" in runner.invoke(app, ["panel", "--db", db, "--gaps"]).stdout


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_panel_plot_draws_series_with_gaps_and_marks(db: str, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"panel{suffix}"
    out = runner.invoke(app, ["panel", "--db", db, "-k", "requests.table.carried_over.total", "--plot", str(path)])
    assert out.exit_code == 0, out.output
    data = path.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5_000
        return
    svg = data.decode("utf-8")
    assert "淮安市洪泽区人民政府" in svg and "平潭县人民政府" in svg  # text kept as text
    # the cross-year failure of 2020 and the doubled 2023 are marked, each once
    assert len(re.findall(r'id="cross-year-failed-\d+-2020"', svg)) == 1
    assert len(re.findall(r'id="doubled-\d+-2023"', svg)) == 1
    assert not re.findall(r'id="cross-year-failed-\d+-20(19|22|23)"', svg)


def test_panel_refuses_what_it_cannot_do(db: str, tmp_path: Path) -> None:
    two = runner.invoke(app, ["panel", "--db", db, "-k", "a", "-k", "b", "--plot", str(tmp_path / "x.svg")])
    assert two.exit_code == 2 and "--plot draws one --key" in two.output
    pdf = runner.invoke(app, ["panel", "--db", db, "-k", "a", "--plot", str(tmp_path / "x.pdf")])
    assert pdf.exit_code == 2 and ".svg or .png" in pdf.output
    both = runner.invoke(app, ["panel", "--db", db, "--checks", "--gaps"])
    assert both.exit_code == 2 and "choose one" in both.output
    none = runner.invoke(app, ["panel", "--db", db, "-k", "no.such.key", "--plot", str(tmp_path / "x.svg")])
    assert none.exit_code == 2 and "no values of 'no.such.key'" in none.output
