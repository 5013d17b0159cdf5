"""What the server sends for one URL, independent of how it is sent.

A ``Resource`` holds the body (or how to stream a huge one), its type and the
validators (ETag, Last-Modified). Rendered resources are cached, gzip variants
are computed once, so repeated requests cost a dictionary lookup.
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field

__all__ = ["LRU", "Resource", "gzip_bomb", "http_date"]


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


@dataclass(slots=True)
class Resource:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    last_modified: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    compressible: bool = True
    #: stream this many bytes of filler instead of ``body`` (oversized pages)
    stream_size: int = 0
    #: body is already gzip-compressed (a gzip bomb): always send with Content-Encoding: gzip
    pre_gzipped: bool = False
    etag: str | None = None
    _gz: bytes | None = None

    def __post_init__(self) -> None:
        if self.etag is None and self.status == 200 and not self.stream_size:
            self.etag = '"' + hashlib.blake2b(self.body, digest_size=10).hexdigest() + '"'

    def gzipped(self) -> bytes:
        if self._gz is None:
            co = zlib.compressobj(6, zlib.DEFLATED, 31)
            self._gz = co.compress(self.body) + co.flush()
        return self._gz


class LRU:
    """A small thread-safe LRU cache (the server thread and test threads share it)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[object, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: object, value: object) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_bombs: dict[int, bytes] = {}
_bomb_lock = threading.Lock()


def gzip_bomb(megabytes: int) -> bytes:
    """A gzip stream inflating to ``megabytes`` MB of HTML-ish filler (built once per size)."""
    with _bomb_lock:
        if megabytes not in _bombs:
            chunk = b"<p>" + b" " * (1024 * 1024 - 7) + b"</p>\n"
            co = zlib.compressobj(9, zlib.DEFLATED, 31)
            parts = [co.compress(b"<!DOCTYPE html><html><body>")]
            parts += [co.compress(chunk) for _ in range(megabytes)]
            parts.append(co.compress(b"</body></html>") + co.flush())
            _bombs[megabytes] = b"".join(parts)
        return _bombs[megabytes]
