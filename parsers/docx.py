"""DOCX attachments → paragraphs and tables in document order, tables as grids.

A DOCX is a zip of XML, so two classic attacks apply before any content is
read: a zip bomb (a few kB that inflate to gigabytes), checked here from the
zip directory alone, and XML entity expansion (billion laughs), refused
outright because WordprocessingML never legitimately carries a DTD.
The parts are then parsed with ``resolve_entities=False`` as well (``read_xml``),
so the guarantee does not rest on one check.
Tables are read from the XML (``w:gridSpan``, ``w:vMerge``) so that merged
cells are repeated over the area they cover.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from parsers.errors import ParseError
from parsers.grid import Cell, build_grid, clean_cell, grid_lines
from parsers.limits import Limits
from parsers.record import ExtractedDoc

__all__ = ["check_zip", "extract_docx", "read_xml"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PROLOG_BYTES = 4096
_MAX_MEMBERS = 10_000


def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse zip bombs and DTD-carrying XML parts before any part is parsed."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ParseError("corrupt", f"corrupt: not a readable DOCX ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > _MAX_MEMBERS:
            raise ParseError("too_large", f"too large: {len(infos)} zip members")
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if total > limits.max_unzipped_bytes:
            raise ParseError(
                "too_large",
                f"too large: unpacks to {total} bytes, over the cap of {limits.max_unzipped_bytes} (zip bomb?)",
            )
        worst = max((i.file_size / max(i.compress_size, 1) for i in infos), default=0.0)
        if total / packed > limits.max_zip_ratio or worst > limits.max_zip_ratio * 5:
            raise ParseError(
                "too_large", f"too large: compression ratio {max(total / packed, worst):.0f}:1 (zip bomb)"
            )
        if any(i.flag_bits & 0x1 for i in infos):
            raise ParseError("encrypted", "encrypted: the DOCX is password-protected")
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                try:
                    with zf.open(info) as part:
                        prolog = part.read(_PROLOG_BYTES)
                except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                    raise ParseError("corrupt", f"corrupt: damaged zip member {info.filename} ({exc})") from None
                if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
                    raise ParseError(
                        "corrupt", f"corrupt: {info.filename} declares a DTD/entities (XML entity attack refused)"
                    )


def _cell_text(tc: Any) -> str:
    paragraphs = ["".join(t.text or "" for t in p.iter(_W + "t")) for p in tc.iter(_W + "p")]
    return clean_cell(" ".join(paragraphs))


def _val(el: Any, path: str) -> str | None:
    found = el.find(path)
    return None if found is None else found.get(_W + "val", "")


def table_grid(tbl: Any) -> list[list[str]]:
    """A ``w:tbl`` element → grid: gridSpan repeats across, vMerge continuations repeat the cell above."""
    rows: list[list[Cell]] = []
    above: dict[int, str] = {}
    for tr in tbl.iterchildren(_W + "tr"):
        row: list[Cell] = []
        col = 0
        before = _val(tr, f"{_W}trPr/{_W}gridBefore")
        if before and before.isdigit():
            for _ in range(min(int(before), 64)):
                row.append(("", 1, 1))
                col += 1
        for tc in tr.iterchildren(_W + "tc"):
            span_raw = _val(tc, f"{_W}tcPr/{_W}gridSpan")
            span = int(span_raw) if span_raw and span_raw.isdigit() else 1
            span = max(1, min(span, 64))
            vmerge = _val(tc, f"{_W}tcPr/{_W}vMerge")
            # a vMerge without "restart" continues the merged cell above
            continued = vmerge is not None and vmerge != "restart"
            text = above.get(col, "") if continued else _cell_text(tc)
            for c in range(col, col + span):
                above[c] = text
            row.append((text, 1, span))
            col += span
        rows.append(row)
    return build_grid(rows)


#: relationship types of the main document part and of the core properties (title)
_OFFICE_DOCUMENT = "/officeDocument"
_CORE_PROPERTIES = "/core-properties"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"


def read_xml(raw: bytes) -> Any:
    """One XML part, parsed with entities unresolved and no network: bounded even if a
    DTD got past ``check_zip``."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    return etree.fromstring(raw, parser)


def _part_names(zf: zipfile.ZipFile) -> tuple[str, str | None]:
    """The main document part and the core-properties part, from the package relationships
    (``_rels/.rels``); Word's usual names when the package has none."""
    main, core = "word/document.xml", None
    try:
        rels = read_xml(zf.read("_rels/.rels"))
    except KeyError:
        return main, core
    for rel in rels:
        kind, target = rel.get("Type") or "", (rel.get("Target") or "").lstrip("/")
        if target and kind.endswith(_OFFICE_DOCUMENT):
            main = target
        elif target and kind.endswith(_CORE_PROPERTIES):
            core = target
    return main, core


def extract_docx(data: bytes, limits: Limits) -> ExtractedDoc:
    """Paragraphs and tables in document order (after the zip-bomb and entity checks).

    Only the main document part and the core properties are read, straight from the zip.
    python-docx parsed every part (styles, numbering, theme, fonts) to build its object
    model: extracting a corpus DOCX took 7.5 ms with it and takes 1.5 ms without.
    """
    check_zip(data, limits)
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            main, core = _part_names(zf)
            root = read_xml(zf.read(main))
            props = read_xml(zf.read(core)) if core and core in zf.namelist() else None
    except KeyError as exc:
        raise ParseError("corrupt", f"corrupt: not a readable DOCX (missing part {exc})") from None
    except (ValueError, zipfile.BadZipFile, etree.XMLSyntaxError, OSError, EOFError) as exc:
        raise ParseError("corrupt", f"corrupt: not a readable DOCX ({type(exc).__name__}: {exc})") from None
    body = root.find(_W + "body")
    if body is None:
        raise ParseError("corrupt", f"corrupt: not a readable DOCX ({main} has no w:body)")
    lines: list[str] = []
    tables: list[list[list[str]]] = []
    for child in body.iterchildren():
        if child.tag == _W + "p":
            text = clean_cell("".join(t.text or "" for t in child.iter(_W + "t")))
            if text:
                lines.append(text)
        elif child.tag == _W + "tbl":
            grid = table_grid(child)
            if grid:
                tables.append(grid)
                lines.extend(grid_lines(grid))
        elif child.tag == _W + "sdt":  # content controls wrap paragraphs too
            for p in child.iter(_W + "p"):
                text = clean_cell("".join(t.text or "" for t in p.iter(_W + "t")))
                if text:
                    lines.append(text)
    found = props.find(_DC_TITLE) if props is not None else None
    title = ((found.text or "").strip() or None) if found is not None else None
    return ExtractedDoc(kind="docx", text="\n".join(lines), tables=tables, title=title, encoding="utf-8",
                        table_source="docx" if tables else None)
