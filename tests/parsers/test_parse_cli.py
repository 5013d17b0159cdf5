"""``govreports parse``: one record, JSON Lines, one stderr line and exit 2 per unreadable file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

pytestmark = pytest.mark.timeout(120)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    # the real console entry point, in a child process, as a user runs it
    code = "from govreports.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "parse", *args], capture_output=True, text=True, timeout=100,
        env={**os.environ, "COLUMNS": "120"},
    )


def test_one_file_pretty_json(corpus_dir: Path, report_schema: dict[str, Any]) -> None:
    proc = _run(str(corpus_dir / "html" / "pingtan_2022.html"), "--json")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert proc.stdout.startswith("{\n")  # pretty, one object
    jsonschema.validate(record, report_schema)
    assert record["title"] == "平潭综合实验区2022年度政府信息公开工作年度报告"
    assert record["stats"]["requests.table.total.total"] == 75


def test_several_files_json_lines_with_failures(corpus_dir: Path, tmp_path: Path, report_schema: dict[str, Any]) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    big = tmp_path / "huge.pdf"
    with big.open("wb") as f:  # a sparse 200 MB file: never read, refused from its size
        f.truncate(200 * 1024 * 1024)
    text = tmp_path / "dadukou.txt"
    shutil.copy(corpus_dir / "text" / "chongqing_dadukou_2020.txt", text)
    proc = _run(str(corpus_dir / "html" / "pingtan_2013_county.html"), str(empty), str(big), str(text), "--json")
    assert proc.returncode == 2
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["year"] for r in records] == [2013, 2020]
    for record in records:
        jsonschema.validate(record, report_schema)
    errors = proc.stderr.strip().splitlines()
    assert errors == [
        f"govreports: {empty}: empty document",
        f"govreports: {big}: too large: {200 * 1024 * 1024} bytes, over the cap of {50 * 1024 * 1024} bytes",
    ]


def test_readable_summary_without_json(corpus_dir: Path) -> None:
    proc = _run(str(corpus_dir / "text" / "chongqing_dadukou_2020.txt"))
    assert proc.returncode == 0, proc.stderr
    assert "2020 / 2019" in proc.stdout
    assert "checks" in proc.stdout and "failed" in proc.stdout


def test_blank_template_is_refused_not_a_record_of_zeros(corpus_dir: Path) -> None:
    """The real blank 政务公开年报模版: headings and empty statutory tables, no year."""
    proc = _run(str(corpus_dir / "docx" / "blank_template.docx"), "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == (
        f"govreports: {corpus_dir / 'docx' / 'blank_template.docx'}: "
        "not a report: a blank template (no year, no number in the statistics tables)")
