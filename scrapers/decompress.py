"""Incremental, bounded Content-Encoding decoding (gzip, deflate, brotli).

httpx decodes whole network chunks at once, so a 64 KiB chunk of a gzip bomb becomes
64 MiB before anyone can count it. Here every decoder is asked for at most ``limit``
bytes per call (zlib ``max_length``, brotli ``output_buffer_limit``), so decoding stops
within one small step of the cap whatever the compression ratio.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import brotli

__all__ = ["BoundedDecoder", "DecodeFailure", "make_decoder"]

_STEP = 64 * 1024


class DecodeFailure(Exception):
    """A body whose Content-Encoding does not match its bytes (or that ended early)."""

    def __init__(self, reason: str, *, truncated: bool = False):
        super().__init__(reason)
        self.truncated = truncated


class BoundedDecoder:
    """Feed raw chunks, get decoded chunks of at most ``step`` bytes each."""

    def feed(self, data: bytes) -> Iterator[bytes]:
        yield data

    def flush(self) -> Iterator[bytes]:
        yield from ()

    def finish(self) -> None:
        """Raise ``DecodeFailure(truncated=True)`` if the compressed stream did not end."""


class _Zlib(BoundedDecoder):
    def __init__(self, wbits: int, step: int):
        self._wbits = wbits
        self._step = step
        self._d = zlib.decompressobj(wbits)
        self._started = False
        self._deflate = wbits == zlib.MAX_WBITS

    def _drain(self, data: bytes) -> Iterator[bytes]:
        d = self._d
        try:
            out = d.decompress(data, self._step)
            while True:
                if out:
                    yield out
                if not d.unconsumed_tail:
                    break
                out = d.decompress(d.unconsumed_tail, self._step)
        except zlib.error as exc:
            raise DecodeFailure(str(exc)) from None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        if not self._started and self._deflate:
            # "deflate" is meant to be zlib-wrapped but servers send raw deflate too.
            self._started = True
            try:
                probe = zlib.decompressobj(zlib.MAX_WBITS)
                probe.decompress(data[:2], 1)
            except zlib.error:
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        self._started = True
        yield from self._drain(data)

    def flush(self) -> Iterator[bytes]:
        while True:
            try:
                out = self._d.flush(self._step)
            except zlib.error as exc:
                raise DecodeFailure(str(exc)) from None
            if not out:
                return
            yield out
            if len(out) < self._step:
                return

    def finish(self) -> None:
        if self._started and not self._d.eof:
            raise DecodeFailure("compressed stream ended early", truncated=True)


class _Brotli(BoundedDecoder):
    def __init__(self, step: int):
        self._d = brotli.Decompressor()
        self._step = step

    def feed(self, data: bytes) -> Iterator[bytes]:
        d = self._d
        try:
            out = d.process(data, output_buffer_limit=self._step)
            while True:
                if out:
                    yield out
                if d.can_accept_more_data() or d.is_finished():
                    break
                out = d.process(b"", output_buffer_limit=self._step)
        except brotli.error as exc:
            raise DecodeFailure(f"brotli: {exc}") from None

    def finish(self) -> None:
        if not self._d.is_finished():
            raise DecodeFailure("brotli stream ended early", truncated=True)


def make_decoder(content_encoding: str | None, *, step: int = _STEP) -> BoundedDecoder:
    """A decoder for a Content-Encoding header; identity when absent.

    Raises ``DecodeFailure`` for encodings we do not speak (stacked encodings included):
    we never ask for them, so a server sending them is misbehaving.
    """
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return BoundedDecoder()
    if len(codings) > 1:
        raise DecodeFailure(f"stacked content encodings {content_encoding!r} are not supported")
    coding = codings[0]
    if coding in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS, step)
    if coding == "deflate":
        return _Zlib(zlib.MAX_WBITS, step)
    if coding == "br":
        return _Brotli(step)
    raise DecodeFailure(f"unsupported content encoding {coding!r}")
