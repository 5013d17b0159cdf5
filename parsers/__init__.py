"""parsers: bytes of any published format → ExtractedDoc → Record.

``extract`` knows formats (HTML, PDF, DOCX, DOC/WPS, plain text), detected from
content; ``build_record`` (``parsers.report``) knows reports. Both are pure:
bytes or text in, data out; no network, database or Prefect. Every failure is a
``ParseError(kind, reason)`` naming the file or URL; nothing else escapes, and
every reader is bounded in size, time and memory (``parsers.limits``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parsers.errors import ParseError
from parsers.limits import DEFAULT_LIMITS, Limits
from parsers.record import ExtractedDoc

if TYPE_CHECKING:
    from parsers.record import Record

__all__ = ["ExtractedDoc", "Limits", "ParseError", "build_record", "extract", "parse_bytes"]


def _extract(
    data: bytes, filename: str | None, content_type: str | None, charset: str | None, url: str | None,
    limits: Limits,
) -> ExtractedDoc:
    from parsers.limits import check_size
    from parsers.sniff import sniff

    check_size(len(data), limits)
    kind = sniff(data, filename, content_type)
    if kind == "html":
        from parsers.decode import decode_bytes
        from parsers.html import extract_html
        from parsers.sniff import challenge_reason

        decoded = decode_bytes(data, charset)
        wall = challenge_reason(decoded.text)
        if wall is not None:
            raise ParseError("blocked", wall)
        doc = extract_html(decoded.text, encoding=decoded.encoding, replacements=decoded.replacements, url=url)
    elif kind == "pdf":
        from parsers.pdf import extract_pdf

        doc = extract_pdf(data, limits)
    elif kind == "docx":
        from parsers.docx import extract_docx

        doc = extract_docx(data, limits)
    elif kind in ("doc", "wps"):
        from parsers.doc import extract_doc

        doc = extract_doc(data, limits, kind=kind)
    elif kind == "text":
        from parsers.text import extract_text

        doc = extract_text(data, charset=charset)
    elif kind == "binary":
        raise ParseError("corrupt", "corrupt: unrecognised binary data (not HTML, PDF, DOCX, DOC or text)")
    elif kind == "zip":
        raise ParseError("corrupt", "corrupt: a zip archive that is not a DOCX")
    else:
        raise ParseError("unsupported", f"unsupported: {kind.upper()} documents are not read")
    if not doc.text.strip():
        raise ParseError("not_a_report", "not a report: the document has no text")
    return doc


def extract(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    charset: str | None = None,
    url: str | None = None,
    limits: Limits | None = None,
) -> ExtractedDoc:
    """Bytes of any supported format → ExtractedDoc (text with tables in place, grids, metadata).

    The format comes from the content (magic bytes), the file name and
    Content-Type only break ties; ``charset`` is the HTTP header's. Raises
    ParseError naming ``url`` or ``filename``, and nothing else.
    """
    source = url or filename
    try:
        return _extract(data, filename, content_type, charset, url, limits or DEFAULT_LIMITS)
    except ParseError as exc:
        raise (exc.with_source(source) if source and not exc.source else exc) from None
    except (MemoryError, RecursionError) as exc:
        raise ParseError("too_large", f"too large: {type(exc).__name__} while reading", source=source) from None
    except Exception as exc:  # a reader bug must not take the crawler down: report it as data
        raise ParseError(
            "corrupt", f"corrupt: internal error reading the document ({type(exc).__name__}: {exc})", source=source
        ) from exc


def build_record(doc: ExtractedDoc) -> Record:
    """ExtractedDoc → Record (``parsers.report.build_record``, re-exported here)."""
    from parsers.report import build_record as _build_record

    return _build_record(doc)


def parse_bytes(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    charset: str | None = None,
    url: str | None = None,
    limits: Limits | None = None,
) -> Record:
    """``build_record(extract(...))``: bytes → checked Record, or ParseError naming the source."""
    doc = extract(data, filename=filename, content_type=content_type, charset=charset, url=url, limits=limits)
    source = url or filename
    try:
        return build_record(doc)
    except ParseError as exc:
        raise (exc.with_source(source) if source and not exc.source else exc) from None
    except (MemoryError, RecursionError) as exc:
        raise ParseError("too_large", f"too large: {type(exc).__name__} while parsing", source=source) from None
    except Exception as exc:
        raise ParseError(
            "corrupt", f"corrupt: internal error parsing the report ({type(exc).__name__}: {exc})", source=source
        ) from exc
