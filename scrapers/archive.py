"""Content-addressed raw archive: every fetched body, stored once under its sha256.

Why: reparsing after a parser fix must never refetch, and two URLs serving the same
bytes cost one file. The path comes only from the hash (``aa/bb/<sha256>``), never from a
URL or an attachment name, so a hostile name cannot steer a write. Writes go to a temp
file in the target directory and are renamed into place, so a crash leaves either the
whole file or nothing (and a concurrent writer of the same bytes is harmless).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
import unicodedata
from pathlib import Path
from urllib.parse import unquote

__all__ = ["RawArchive", "safe_filename"]

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class RawArchive:
    """``put(bytes) -> (sha256, path)`` and ``get(sha256) -> bytes`` under one directory.

    ``defer_sync=True`` (the crawl pipeline): ``put`` does not fsync; the new files wait in
    ``pending`` until ``sync()`` flushes them all at once, concurrently. A crawl calls
    ``put`` from its event loop for every body, and one fsync each (~5–8 ms on this disk)
    blocked the loop for most of a crawl's wall time; many fsyncs issued together share
    journal commits (~0.3 ms each). The pipeline syncs a batch before the store records
    its hashes, so the database never names a file that a power cut could lose.
    """

    def __init__(self, root: Path | str, *, defer_sync: bool = False):
        self.root = Path(root)
        self.defer_sync = defer_sync
        self.pending: list[Path] = []
        self._pending_lock = threading.Lock()
        # held for a whole sync: a caller whose files another sync took waits for them
        self._sync_lock = threading.Lock()

    def path_for(self, sha256: str) -> Path:
        """Where a hash lives; refuses anything that is not a lowercase hex sha256."""
        if not _HEX64.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> tuple[str, Path]:
        """Store ``data`` (idempotent); return its sha256 and path."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_for(digest)
        if path.exists() and path.stat().st_size == len(data):
            return digest, path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                if not self.defer_sync:
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        if self.defer_sync:
            with self._pending_lock:
                self.pending.append(path)
        return digest, path

    def sync(self, threads: int = 16) -> int:
        """fsync every file ``put`` since the last call (and their directories), concurrently;
        returns how many files. Blocking: call it off the event loop."""
        with self._sync_lock:
            with self._pending_lock:
                paths, self.pending = self.pending, []
            if not paths:
                return 0
            from concurrent.futures import ThreadPoolExecutor

            dirs = sorted({p.parent for p in paths})
            with ThreadPoolExecutor(max_workers=max(1, min(threads, len(paths) + len(dirs)))) as pool:
                list(pool.map(_fsync_path, [*paths, *dirs]))
            return len(paths)

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``; ``FileNotFoundError`` naming the hash if absent."""
        path = self.path_for(sha256)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"raw archive {self.root}: no object {sha256}") from None

    def get_intact(self, sha256: str | None) -> bytes | None:
        """The bytes stored under ``sha256`` if they are there and still hash to it, else None
        (for callers that can fetch again instead: a lost or damaged file is not an error)."""
        if not sha256 or not _HEX64.match(sha256):
            return None
        try:
            data = self.path_for(sha256).read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == sha256 else None

    def __contains__(self, sha256: str) -> bool:
        return _HEX64.match(sha256 or "") is not None and self.path_for(sha256).exists()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
#: Windows device names, reserved whatever follows the first dot (``NUL.tar.gz``) and
#: with trailing spaces (``nul .txt``); ``COM¹``–``LPT³`` (superscript digits) and
#: ``CONIN$``/``CONOUT$`` are devices too. Written out rather than taken from
#: ``pathvalidate``: a new dependency for one set, and the superscript and console forms
#: are the ones the crawler's hostile-input suite found missing in such lists.
_WINDOWS_RESERVED = frozenset({
    "con", "prn", "aux", "nul", "conin$", "conout$", "clock$",
    *(f"{dev}{digit}" for dev in ("com", "lpt") for digit in "0123456789\u00b9\u00b2\u00b3"),
})
#: bytes of the UTF-8 name: ext4, XFS, btrfs allow 255 per component (NTFS 255 UTF-16 units,
#: never more than the UTF-8 bytes); 200 leaves room for a suffix a tool may add
_MAX_NAME_BYTES = 200
#: dropped besides the control/format/private/unassigned categories: line and paragraph
#: separators (Zl, Zp: U+2028, U+2029) break lines wherever a name is shown or logged
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _cut_to_bytes(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 form fits ``limit`` bytes (whole characters)."""
    return text.encode("utf-8")[:max(0, limit)].decode("utf-8", errors="ignore")


def _fix_mojibake(name: str) -> str:
    """Undo the commonest odd encoding: UTF-8/GBK bytes read as Latin-1 (Content-Disposition)."""
    try:
        raw = name.encode("latin-1")
    except UnicodeEncodeError:
        return name
    if all(b < 0x80 for b in raw):
        return name
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return name


def safe_filename(name: str | None, *, default: str = "attachment") -> str:
    """A file name that is safe to show and to use as one path component on any filesystem.

    Takes the last path component (so ``../../etc/passwd`` and ``C:\\x\\y.pdf`` lose their
    directories), percent-decodes, repairs Latin-1 mojibake, NFC-normalises, drops NUL,
    control, format and line/paragraph-separator characters and ``<>:"/\\|?*``, strips
    leading dots and spaces (no hidden files, no ``..``) and trailing ones (Windows drops
    them), avoids Windows device names, and bounds the name to ``_MAX_NAME_BYTES`` bytes of
    UTF-8 (a 300-character CJK name is ~900 bytes), cutting the stem at a character
    boundary and keeping the extension. Never returns an empty string.
    """
    if not name:
        return default
    text = unquote(str(name), errors="replace")
    text = _fix_mojibake(text)
    text = text.replace("\\", "/").split("/")[-1]
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROP_CATEGORIES)
    text = _UNSAFE.sub("_", text).strip().lstrip(". ").rstrip(". ")
    if not text or set(text) <= {"_", "."}:
        return default
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    ext = _cut_to_bytes(ext, 16).rstrip(". ")
    if text.split(".", 1)[0].rstrip(" ").lower() in _WINDOWS_RESERVED:
        stem = "_" + stem
    room = _MAX_NAME_BYTES - (len(ext.encode("utf-8")) + 1 if ext else 0)
    stem = _cut_to_bytes(stem, room).rstrip(". ") or default
    return f"{stem}.{ext}" if ext else stem
