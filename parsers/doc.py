"""Legacy Word (.doc) and WPS attachments → text, through an external converter.

There is no maintained pure-Python reader for the Word 97 binary format, so
we use ``antiword`` (small, fast, in Debian) and fall back to LibreOffice when
that is what the machine has. With neither, the error says what to install
rather than failing obscurely. Converters run with a timeout
(``parsers.limits.run_command``) on a private temporary copy of the bytes.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from parsers.errors import ParseError
from parsers.limits import Limits, run_command
from parsers.record import ExtractedDoc

__all__ = ["antiword_table_lines", "converter", "extract_doc"]

_ANTIWORD_ROW = re.compile(r"^\s*\|(.*)\|\s*$")


def converter() -> str | None:
    """Which converter this machine has: "antiword", "soffice" or None."""
    if shutil.which("antiword"):
        return "antiword"
    if shutil.which("soffice") or shutil.which("libreoffice"):
        return "soffice"
    return None


def antiword_table_lines(text: str) -> tuple[str, list[list[list[str]]]]:
    """antiword draws table rows as ``|a |b |c |``: make them tab-separated grid rows."""
    out: list[str] = []
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in text.splitlines():
        m = _ANTIWORD_ROW.match(line)
        if m:
            cells = [re.sub(r"\s+", " ", c).strip() for c in m.group(1).split("|")]
            current.append(cells)
            out.append("\t".join(cells))
            continue
        if current:
            tables.append(current)
            current = []
        out.append(line.rstrip())
    if current:
        tables.append(current)
    return "\n".join(out), tables


def extract_doc(data: bytes, limits: Limits, *, kind: str = "doc") -> ExtractedDoc:
    """A .doc/.wps file's text via antiword, else LibreOffice, else ParseError("unsupported")."""
    tool = converter()
    if tool is None:
        raise ParseError("unsupported", f"unsupported: install antiword to read .{kind} files")
    with tempfile.TemporaryDirectory(prefix="govreports-doc-") as tmp:
        src = Path(tmp) / f"input.{kind}"
        src.write_bytes(data)
        if tool == "antiword":
            try:
                raw = run_command(
                    ["antiword", "-m", "UTF-8.txt", "-w", "0", str(src)],
                    timeout=limits.timeout,
                    what="antiword",
                )
            except ParseError as exc:
                soffice = shutil.which("soffice") or shutil.which("libreoffice")
                if exc.kind != "corrupt" or soffice is None:
                    raise
                raw = _soffice(soffice, src, limits)  # WPS files antiword does not know
        else:
            raw = _soffice(shutil.which("soffice") or shutil.which("libreoffice") or "soffice", src, limits)
    text, tables = antiword_table_lines(raw)
    if not text.strip():
        raise ParseError("corrupt", f"corrupt: the .{kind} file has no text")
    return ExtractedDoc(kind="doc", text=text, tables=tables, encoding="utf-8")


def _soffice(binary: str, src: Path, limits: Limits) -> str:
    outdir = src.parent / "out"
    outdir.mkdir()
    env_home = src.parent / "home"  # LibreOffice needs a writable, private profile
    env_home.mkdir()
    run_command(
        [binary, "--headless", f"-env:UserInstallation=file://{env_home}", "--convert-to", "txt:Text (encoded):UTF8",
         "--outdir", str(outdir), str(src)],
        timeout=limits.timeout,
        what="LibreOffice",
    )
    produced = [p for p in outdir.iterdir() if p.suffix == ".txt"]
    if not produced:
        raise ParseError("corrupt", "corrupt: LibreOffice could not convert the file")
    return produced[0].read_text(encoding="utf-8", errors="replace")
