"""Plain-text reports → ExtractedDoc: decode, normalise line endings, hand over.

Page artefacts (``PAGE 7``, ``-3-``) and hard line breaks inside sentences are
left in place on purpose: the report parser decides what is an artefact with
the context it has (a ``-3-`` line between table rows is noise, a ``3`` in a
table cell is data), and the same text also arrives from PDFs and DOC files.
"""

from __future__ import annotations

import re

from parsers.decode import decode_bytes
from parsers.errors import ParseError
from parsers.record import ExtractedDoc

__all__ = ["extract_text", "normalise_text"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
#: trailing blanks, but not tabs: a tab-separated row keeps its empty last cells
_TRAILING = re.compile(r"[ \u3000\u00a0]+$", re.M)


def normalise_text(text: str) -> str:
    """Unix line ends, form feeds as line breaks, trailing blanks and control characters removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").lstrip("\ufeff")
    return _TRAILING.sub("", _CONTROL.sub("", text)).strip("\n")


def extract_text(data: bytes, *, charset: str | None = None) -> ExtractedDoc:
    """A text file: decoded by ``decode_bytes``; mostly-garbage bytes are refused as corrupt."""
    decoded = decode_bytes(data, charset)
    raw = decoded.text
    sample = raw[:20000]
    bad = decoded.replacements + len(_CONTROL.findall(sample))
    if sample and bad > max(3, len(sample) // 50):
        raise ParseError("corrupt", f"corrupt: not text ({bad} undecodable or control characters)")
    text = normalise_text(raw)
    warnings = []
    if decoded.replacements:
        warnings.append(f"decoding: {decoded.replacements} replacement characters ({decoded.encoding})")
    return ExtractedDoc(kind="text", text=text, encoding=decoded.encoding, warnings=warnings)
