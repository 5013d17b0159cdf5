"""The parser's own errors: one type, a machine-readable kind, a human reason.

Errors are data. The crawler stores ``kind`` and ``reason`` with the document so
that a failure is visible in the database, not only in a log line.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["ErrorKind", "ParseError"]

ErrorKind = Literal[
    "empty",  # nothing to parse
    "unsupported",  # a format we cannot read here (e.g. .doc without antiword)
    "corrupt",  # truncated/damaged file, random bytes
    "encrypted",  # password-protected PDF/DOCX
    "no_text_layer",  # image-only PDF: OCR needed
    "too_large",  # over the size/page/expansion caps
    "timeout",  # over the time bound
    "blocked",  # an anti-bot challenge or login page, not content
    "not_a_report",  # a readable document that is not an annual report
]


class ParseError(Exception):
    """A document that cannot become a report record, and why."""

    def __init__(self, kind: ErrorKind, reason: str, *, source: str | None = None):
        self.kind: ErrorKind = kind
        self.reason = reason
        self.source = source
        super().__init__(f"{source}: {reason}" if source else reason)

    def with_source(self, source: str) -> ParseError:
        """The same error naming the file or URL it came from."""
        return ParseError(self.kind, self.reason, source=source)
