"""Bytes → str for web pages and text files, done by us rather than by a library.

Measured on real GBK portal pages: httpx's ``.text`` without a header charset,
lxml on bytes and selectolax's own decoding all garble or silently truncate.
Order: BOM, then the HTTP charset, then a ``<meta>`` charset in the first bytes,
then strict UTF-8, then GB18030, then charset-normalizer. GB2312/GBK/CP936 are
decoded as GB18030 (a superset: sites that declare gb2312 use GBK characters).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["Decoded", "decode_bytes", "normalise_charset"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_CHINESE = {"gb2312", "gbk", "cp936", "gb_2312-80", "x-gbk", "gb18030", "euc-cn", "hz-gb-2312"}
_SNIFF_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    #: U+FFFD characters produced by decoding: a quality warning when > 0
    replacements: int


def normalise_charset(name: str | None) -> str | None:
    """A Python codec name for a declared charset, or None if unknown/absent."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _CHINESE:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _decode(data: bytes, encoding: str) -> Decoded:
    text = data.decode(encoding, errors="replace")
    return Decoded(text, encoding, text.count("\ufffd"))


def decode_bytes(data: bytes, http_charset: str | None = None) -> Decoded:
    """Decode a page or text file; never raises, counts what it had to replace."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom) :], "utf-8" if enc == "utf-8-sig" else enc)
    declared = normalise_charset(http_charset)
    if declared is None:
        m = _META_RE.search(data[:_SNIFF_BYTES])
        declared = normalise_charset(m.group(1).decode("ascii", "ignore")) if m else None
    if declared is not None:
        try:
            return Decoded(data.decode(declared), declared, 0)
        except UnicodeDecodeError:
            # A page that lies about its charset: try the honest candidates first.
            pass
    try:
        return Decoded(data.decode("utf-8"), "utf-8", 0)
    except UnicodeDecodeError:
        pass
    try:
        return Decoded(data.decode("gb18030"), "gb18030", 0)
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20]).best()
    guess = normalise_charset(best.encoding) if best is not None else None
    return _decode(data, guess or declared or "gb18030")
