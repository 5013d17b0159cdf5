"""Raw archive (content-addressed, atomic) and the attachment-name sanitiser."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrapers.archive import RawArchive, safe_filename


def test_put_get_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    arch = RawArchive(tmp_path / "raw")
    sha, path = arch.put(b"hello")
    assert sha == hashlib.sha256(b"hello").hexdigest()
    assert path == tmp_path / "raw" / sha[:2] / sha[2:4] / sha
    assert arch.put(b"hello") == (sha, path)
    assert arch.get(sha) == b"hello" and sha in arch
    assert not list(path.parent.glob(".tmp-*"))  # no temp files left behind


def test_get_rejects_non_hashes_and_names_missing_objects(tmp_path: Path) -> None:
    arch = RawArchive(tmp_path)
    with pytest.raises(ValueError, match="not a sha256"):
        arch.get("../../etc/passwd")
    with pytest.raises(FileNotFoundError, match=r"0{64}"):
        arch.get("0" * 64)


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("/etc/shadow", "shadow"),
    ("C:\\Windows\\system32\\cmd.exe", "cmd.exe"),
    ("report\x00.pdf", "report.pdf"),
    ("..", "attachment"),
    ("", "attachment"),
    ("%2e%2e%2fsecret.pdf", "secret.pdf"),
    ("2020å¹´åº¦æ\x8a¥å\x91\x8a.pdf", "2020年度报告.pdf"),  # UTF-8 read as Latin-1
    ("CON.pdf", "_CON.pdf"),
    (".hidden", "hidden"),
    ("平潭综合实验区2022年度政府信息公开工作年度报告.pdf", "平潭综合实验区2022年度政府信息公开工作年度报告.pdf"),
])
def test_safe_filename_examples(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_safe_filename_never_escapes_a_directory(name: str) -> None:
    out = safe_filename(name)
    assert out and len(out) <= 140
    assert "/" not in out and "\\" not in out and "\x00" not in out
    assert out not in (".", "..") and not out.startswith(".")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_safe_name_joined_to_a_directory_stays_inside(name: str) -> None:
    root = Path("/srv/archive")
    target = (root / safe_filename(name)).resolve()
    assert target.parent == root.resolve()


def test_deferred_sync_keeps_files_readable_and_flushes_them_together(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path, defer_sync=True)
    bodies = [f"report {i}".encode() * 100 for i in range(40)]
    stored = [archive.put(b) for b in bodies]
    assert len(archive.pending) == 40
    assert [archive.get(sha) for sha, _ in stored] == bodies  # readable before the sync
    assert archive.put(bodies[0])[1] == stored[0][1] and len(archive.pending) == 40  # known bytes: no new file
    assert archive.sync() == 40
    assert archive.pending == [] and archive.sync() == 0
    assert not list(tmp_path.rglob(".tmp-*"))
