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


@pytest.mark.parametrize("name", [
    "NUL.tar.gz", "nul .txt", "NUL  .pdf", "COM¹", "com².pdf", "LPT³.txt", "COM0.doc", "lpt0",
    "CONIN$", "conout$.log", "Con.Report.pdf", "aux", "PRN.",
])
def test_windows_device_names_in_every_form_are_renamed(name: str) -> None:
    out = safe_filename(name)
    assert out.startswith("_") and out.split(".", 1)[0].rstrip(" ").lower().lstrip("_") == (
        name.split(".", 1)[0].rstrip(" ").lower())


@pytest.mark.parametrize("name", ["COMET.pdf", "console.txt", "nullable.pdf", "com10.pdf", "lpt.pdf", "auxiliary"])
def test_names_that_only_start_like_a_device_are_kept(name: str) -> None:
    assert safe_filename(name) == name


@pytest.mark.parametrize(("name", "ext"), [
    ("年" * 300 + ".pdf", ".pdf"),  # 3 bytes a character
    ("😀" * 300 + ".docx", ".docx"),  # 4 bytes a character
    ("2023年度报告" * 40 + ".pdf", ".pdf"),
    ("a" * 400, ""),
])
def test_long_names_are_cut_in_bytes_at_a_character_boundary_keeping_the_extension(name: str, ext: str) -> None:
    out = safe_filename(name)
    assert len(out.encode("utf-8")) <= 200 and out.endswith(ext)
    assert name.startswith(out.removesuffix(ext))  # a prefix of whole characters, nothing mangled


@pytest.mark.parametrize("name", ["ab " * 100 + ".pdf", "年 " * 150 + ".pdf", "a" * 199 + " b.pdf", "报告 " * 80])
def test_a_name_cut_at_a_space_loses_the_trailing_space(name: str) -> None:
    out = safe_filename(name)
    stem = out.rsplit(".", 1)[0] if "." in out else out
    assert not stem.endswith((" ", ".")) and len(out.encode("utf-8")) <= 200


def test_line_and_paragraph_separators_are_dropped() -> None:
    assert safe_filename("2023\u2028年度\u2029报告.pdf") == "2023年度报告.pdf"
    assert safe_filename("\u2029\u2028.pdf") == "pdf"


def test_names_write_on_this_filesystem(tmp_path: Path) -> None:
    """Each cut name is one creatable path component here (ext4/xfs: 255 bytes)."""
    for name in ["年" * 300 + ".pdf", "😀" * 300 + ".docx", "nul .txt", "a\u2028b.pdf", "ab " * 100 + ".pdf"]:
        (tmp_path / safe_filename(name)).write_bytes(b"x")
    assert len(list(tmp_path.iterdir())) == 5


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_safe_filename_never_escapes_a_directory(name: str) -> None:
    out = safe_filename(name)
    assert out and len(out.encode("utf-8")) <= 200
    assert "\u2028" not in out and "\u2029" not in out and not out.endswith((" ", "."))
    assert out.split(".", 1)[0].rstrip(" ").lower() not in {"con", "prn", "aux", "nul", "conin$", "conout$"}
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
