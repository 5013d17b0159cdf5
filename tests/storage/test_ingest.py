"""``govreports ingest``: local files (text, HTML, PDF, DOCX) into a real database and raw archive.

Run through the real CLI (Typer's runner, in process) on copies of the corpus and
documents generated from it, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from typer.testing import CliRunner

from govreports.cli import app
from tests.parsers.docgen import docx_from_text, pdf_from_text

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path, corpus_dir: Path) -> Path:
    """A researcher's download folder: corpus texts, one HTML report, one PDF, one DOCX,
    a list page (not a report) and a hidden file (skipped)."""
    root = tmp_path / "downloads"
    (root / "sub").mkdir(parents=True)
    for name in ("fujian_pingtan_county_2013.txt", "chongqing_dadukou_2020.txt", "sichuan_luzhou_2014.txt"):
        shutil.copy(corpus_dir / "text" / name, root / name)
    shutil.copy(corpus_dir / "html" / "pingtan_2022.html", root / "sub" / "pingtan_2022.html")
    shutil.copy(corpus_dir / "html" / "pingtan_list.html", root / "sub" / "list.html")
    huaian = (corpus_dir / "text" / "jiangsu_huaian_2024.pdf.txt").read_text(encoding="utf-8")
    (root / "huaian_2024.pdf").write_bytes(pdf_from_text(huaian))
    changchun = (corpus_dir / "text" / "changchun_kuancheng_2012.txt").read_text(encoding="utf-8")
    (root / "sub" / "changchun_2012.docx").write_bytes(docx_from_text(changchun))
    (root / ".DS_Store").write_bytes(b"\x00\x01")
    return root


def _ingest(*args: str, env: dict[str, str]) -> Result:
    return runner.invoke(app, ["ingest", *args], env=env)


def _env(tmp_path: Path, db: str) -> dict[str, str]:
    return {"GOVREPORTS_DB": db, "GOVREPORTS_ARCHIVE": str(tmp_path / "raw")}


def _rows(db: str, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(db, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def test_ingest_a_folder_stores_reports_refuses_the_rest_and_is_idempotent(
    files: Path, tmp_path: Path, store_url: str
) -> None:
    env = _env(tmp_path, store_url)
    out = _ingest(str(files), env=env)
    assert out.exit_code == 2, out.output  # the list page is not a report
    lines = out.stdout.splitlines()
    assert len(lines) == 6 and all(": new: " in line for line in lines), out.stdout
    assert f"{files / 'sub' / 'list.html'}: failed: not_a_report: " in out.stderr
    assert ".DS_Store" not in out.output
    assert "ingested 7 files: 1 failed, 6 new" in out.stderr
    reports = _rows(store_url, "SELECT source_key, url, format, year, document_sha256 FROM reports ORDER BY url")
    assert {r[0] for r in reports} == {"local"}
    assert {Path(str(r[1]).removeprefix("file://")).name for r in reports} == {
        "fujian_pingtan_county_2013.txt", "chongqing_dadukou_2020.txt", "sichuan_luzhou_2014.txt",
        "pingtan_2022.html", "huaian_2024.pdf", "changchun_2012.docx",
    }
    # the raw bytes are in the archive under their hash
    for _source, url, _fmt, _year, sha in reports:
        data = Path(str(url).removeprefix("file://")).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha
        assert (tmp_path / "raw" / str(sha)[:2] / str(sha)[2:4] / str(sha)).read_bytes() == data
    # the same bytes again: unchanged, no new row, no version, exit 0 without the list page
    again = _ingest(str(files / "sub" / "pingtan_2022.html"), *map(str, sorted(files.glob("*.txt"))), env=env)
    assert again.exit_code == 0, again.output
    assert [line.split(": ")[1] for line in again.stdout.splitlines()] == ["unchanged"] * 4
    assert _rows(store_url, "SELECT COUNT(*) FROM reports") == [(6,)]
    # new bytes at the same path: a new version of that report
    path = files / "sichuan_luzhou_2014.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n补充说明。\n", encoding="utf-8")
    changed = _ingest(str(path), env=env)
    assert changed.exit_code == 0 and ": changed: 2014 legacy 泸州市" in changed.stdout, changed.output
    assert _rows(store_url, "SELECT COUNT(*) FROM reports") == [(6,)]
    assert _rows(store_url, "SELECT COUNT(*) FROM report_versions") == [(1,)]


def test_ingest_takes_the_agency_from_the_record_or_the_catalog_pin(
    files: Path, tmp_path: Path, store_url: str
) -> None:
    catalog = tmp_path / "sources.yaml"
    catalog.write_text(
        "sources:\n"
        "  - key: pingtan-zone\n    name: 平潭综合实验区\n    adapter: generic\n"
        "    start_urls: ['http://127.0.0.1:9/']\n    agency: 平潭综合实验区管委会\n",
        encoding="utf-8",
    )
    env = {**_env(tmp_path, store_url), "GOVREPORTS_SOURCES": str(catalog)}
    county, zone = files / "fujian_pingtan_county_2013.txt", files / "sub" / "pingtan_2022.html"
    assert _ingest(str(county), str(zone), env=env).exit_code == 0
    ids = _rows(store_url, "SELECT a.key FROM reports r JOIN agencies a ON a.id = r.agency_id ORDER BY r.year")
    assert ids == [("平潭县",), ("平潭综合实验区",)]  # from each record: a county is not the zone
    pinned = tmp_path / "pinned"
    pinned.mkdir()
    shutil.copy(county, pinned / "county.txt")
    out = _ingest("--source", "pingtan-zone", str(pinned), env=env)
    assert out.exit_code == 0, out.output
    assert _rows(
        store_url,
        "SELECT r.source_key, a.key FROM reports r JOIN agencies a ON a.id = r.agency_id "
        "WHERE r.source_key = 'pingtan-zone'",
    ) == [("pingtan-zone", "平潭综合实验区")]
    unknown = _ingest("--source", "nope", str(pinned), env=env)
    assert unknown.exit_code == 2 and "no source 'nope'" in unknown.output


def test_ingest_names_unreadable_and_missing_files(tmp_path: Path) -> None:
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'g.db'}")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    out = _ingest(str(empty), str(tmp_path / "missing.txt"), env=env)
    assert out.exit_code == 2
    assert f"{empty}: failed: empty: " in out.stderr
    assert f"{tmp_path / 'missing.txt'}: failed: read: cannot read: No such file or directory" in out.stderr
    (tmp_path / "nothing").mkdir()
    nothing = _ingest(str(tmp_path / "nothing"), env=env)
    assert nothing.exit_code == 2 and "no files in" in nothing.stderr
