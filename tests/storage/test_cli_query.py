"""The query CLI on a real database file: reports, show, sql, export, db upgrade, browse."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from storage_helpers import make_item
from typer.testing import CliRunner

from govreports.cli import app
from storage import Store
from storage.migrate import head_revision

runner = CliRunner()


@pytest.fixture
def db(store_url: str) -> str:
    with Store(store_url) as store:
        store.upsert_reports([make_item(i) for i in range(6)])
        store.upsert_reports([make_item(7, source="other", seed=1)])
    return store_url


def test_reports_filters(db: str) -> None:
    out = runner.invoke(app, ["reports", "--db", db, "--year", "2016", "-o", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [r["year"] for r in rows] == [2016]
    out = runner.invoke(app, ["reports", "--db", db, "--failed-checks", "-o", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert rows and all(int(r["failed_checks"]) > 0 for r in rows)
    out = runner.invoke(app, ["reports", "--db", db, "--agency", "大渡口", "--format", "2019"])
    assert out.exit_code == 0 and "7 reports" in out.output


def test_show_by_id_and_url_prints_the_record(db: str) -> None:
    item = make_item(3)
    by_url = runner.invoke(app, ["show", item.url, "--db", db])
    assert by_url.exit_code == 0, by_url.output
    line = json.loads(by_url.output)
    assert {k: line[k] for k in item.record.to_dict()} == item.record.to_dict()
    assert line["url"] == item.url and line["source"] == "dadukou"
    by_id = runner.invoke(app, ["show", str(line["id"]), "--db", db])
    assert json.loads(by_id.output) == line
    missing = runner.invoke(app, ["show", "http://127.0.0.1/none", "--db", db])
    assert missing.exit_code == 2 and "no report" in missing.output


def test_sql_formats_and_refusal(db: str) -> None:
    ok = runner.invoke(app, ["sql", "SELECT COUNT(*) AS n FROM reports", "--db", db, "-f", "json"])
    assert json.loads(ok.output) == [{"n": 7}]
    refused = runner.invoke(app, ["sql", "DELETE FROM reports", "--db", db])
    assert refused.exit_code == 2 and "refused" in refused.output


def test_export_jsonl_is_the_record_plus_provenance(db: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / "reports.jsonl"
    res = runner.invoke(app, ["export", "--format", "jsonl", "--out", str(out), "--db", db])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 7
    by_url = {x["url"]: x for x in lines}
    item = make_item(7, source="other", seed=1)
    got = by_url[item.url]
    assert {k: got[k] for k in item.record.to_dict()} == item.record.to_dict()
    assert got["source"] == "other" and got["fetched_at"].startswith(item.fetched_at.isoformat()[:19])


def test_export_csv_and_parquet_headline(db: str, tmp_path: Path) -> None:
    res = runner.invoke(app, ["export", "--format", "csv", "--db", db])
    rows = list(csv.DictReader(io.StringIO(res.output)))
    assert len(rows) == 7 and float(rows[0]["requests_received"]) >= 100
    pq_path = tmp_path / "h.parquet"
    res = runner.invoke(app, ["export", "--format", "parquet", "--out", str(pq_path), "--db", db])
    assert res.exit_code == 0, res.output
    table = pq.read_table(pq_path)
    assert table.num_rows == 7 and "requests_granted" in table.column_names
    res = runner.invoke(app, ["export", "--format", "csv", "--table", "stats", "--db", db])
    long_rows = list(csv.DictReader(io.StringIO(res.output)))
    assert len(long_rows) == 7 * 30


def test_db_upgrade_and_browse_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/new/dir/g.db"
    head = head_revision()
    res = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert res.exit_code == 0 and f"revision {head} (was empty)" in res.output
    res = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert f"revision {head}" in res.output and "was" not in res.output
    res = runner.invoke(app, ["browse", "--db", "postgresql+psycopg://127.0.0.1:1/x"])
    assert res.exit_code == 2 and "browse works on a SQLite file" in res.output
