"""Real documents generated for the extraction tests: PDFs (reportlab, the built-in
STSong-Light CID font), DOCX (python-docx) built from the corpus texts, and the
hostile ones (encrypted, image-only, truncated PDFs; zip-bomb and billion-laughs
DOCX). Generated rather than checked in, so each test shows how its input was made.
"""

from __future__ import annotations

import io
import re
import time
import zipfile

_FONT = "STSong-Light"


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))


def _cells(line: str) -> list[str]:
    return [c for c in re.split(r"\t| {2,}", line.strip())] if line.strip() else []


def pdf_from_text(text: str, *, encrypt_password: str | None = None, font_size: float = 9) -> bytes:
    """A text-layer PDF: one text line per line, table cells (tabs / runs of spaces) at column positions."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _register_font()
    buf = io.BytesIO()
    encrypt = None
    if encrypt_password is not None:
        from reportlab.lib import pdfencrypt

        encrypt = pdfencrypt.StandardEncryption(encrypt_password, ownerPassword="owner", strength=128)
    c = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt)
    width, height = A4
    y = height - 50
    for line in text.splitlines():
        if y < 50:
            c.showPage()
            y = height - 50
        c.setFont(_FONT, font_size)
        cells = _cells(line)
        if len(cells) <= 1:
            # long prose lines wrap at the page width, as a word processor would
            body = line.strip()
            per_line = int((width - 100) / font_size)
            for start in range(0, max(len(body), 1), per_line):
                c.drawString(50, y, body[start : start + per_line])
                y -= font_size * 1.6
                if y < 50:
                    c.showPage()
                    c.setFont(_FONT, font_size)
                    y = height - 50
            continue
        # first cell is a label (wide), the rest are number columns
        x = 40.0
        label_width = min(230.0, (width - 80) / 2)
        step = (width - 80 - label_width) / max(len(cells) - 1, 1)
        for i, cell in enumerate(cells):
            c.drawString(x, y, cell[: int(label_width / font_size) - 1] if i == 0 else cell[:12])
            x = 40 + label_width + i * step
        y -= font_size * 1.8
    c.showPage()
    c.save()
    return buf.getvalue()


def pdf_image_only(pages: int = 2) -> bytes:
    """A scan: each page is one picture, no text layer at all."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for p in range(pages):
        img = Image.new("L", (300, 400), 255)
        draw = ImageDraw.Draw(img)
        for row in range(20):
            draw.rectangle((20, 20 + row * 18, 40 + (row * 37 + p * 11) % 240, 30 + row * 18), fill=0)
        c.drawImage(ImageReader(img), 50, 200, width=450, height=600)
        c.showPage()
    c.save()
    return buf.getvalue()


def docx_from_text(text: str, *, merge_labels: bool = True) -> bytes:
    """A DOCX: prose lines as paragraphs, runs of tab-separated lines as Word tables.

    Identical neighbouring cells are merged (horizontally and vertically), as in
    the real 2021-format tables, so the reader must repeat them again.
    """
    import docx

    document = docx.Document()
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if "\t" not in lines[i]:
            if lines[i].strip():
                document.add_paragraph(lines[i].strip())
            i += 1
            continue
        block: list[list[str]] = []
        while i < len(lines) and "\t" in lines[i]:
            block.append([c.strip() for c in lines[i].split("\t")])
            i += 1
        width = max(len(r) for r in block)
        rows = [r + [""] * (width - len(r)) for r in block]
        table = document.add_table(rows=len(rows), cols=width)
        for r, row in enumerate(rows):
            for col, value in enumerate(row):
                table.cell(r, col).text = value
        if merge_labels:
            for r, row in enumerate(rows):  # horizontal merges of repeated labels
                col = 0
                while col < width:
                    end = col
                    while end + 1 < width and row[end + 1] == row[col] and row[col] and not row[col].isdigit():
                        end += 1
                    if end > col:
                        merged = table.cell(r, col).merge(table.cell(r, end))
                        merged.text = row[col]
                    col = end + 1
            for col in range(min(width, 1)):  # vertical merges in the label column
                r = 0
                while r < len(rows):
                    end = r
                    while end + 1 < len(rows) and rows[end + 1][col] == rows[r][col] and rows[r][col]:
                        end += 1
                    if end > r:
                        merged = table.cell(r, col).merge(table.cell(end, col))
                        merged.text = rows[r][col]
                    r = end + 1
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_zip_bomb(inflated_mb: int = 8) -> bytes:
    """A valid DOCX plus one member of zeros that deflates ~1000:1 (written in chunks, never held whole)."""
    base = docx_from_text("一、总体情况\n本报告为测试。")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        chunk = b"\0" * (1 << 20)
        with dst.open("word/media/bomb.bin", "w", force_zip64=True) as member:
            for _ in range(inflated_mb):
                member.write(chunk)
    return out.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE w:document [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"""


def docx_billion_laughs() -> bytes:
    """A DOCX whose document.xml defines nested entities (10^9 'lol's if expanded)."""
    base = docx_from_text("一、总体情况\n本报告为测试。")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = BILLION_LAUGHS if info.filename == "word/document.xml" else src.read(info)
            dst.writestr(info, data)
    return out.getvalue()


def sleep_then_return(seconds: float) -> str:
    """For the worker-timeout test: module level so the spawned worker can import it."""
    time.sleep(seconds)
    return "done"


def allocate(megabytes: int) -> int:
    """For the worker-memory test: tries to allocate more than the worker's RLIMIT_AS."""
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


# --- walls: pages a crawler meets instead of content ---

#: the shape of a 瑞数 (Riversecurity) 412 page: a meta blob, an inline $_ts bootstrap, one external script
RUISHU_412 = """<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta id="9DhefwqGPrzGxEp9hPaoag" content="GtOJkKq1Ewf1jNnO3i5N9aQw0D3wY0GlQ4hQ" r='m'>
<script type="text/javascript" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=45318;$_ts.cd="qsxjrrAlDqEGrcAmoqqcrr";</script>
<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/d.FxJzG50F.dfe1675.js" r='m'></script>
</head><body></body></html>"""

JSL_PAGE = "<html><body><script>document.cookie='__jsl_clearance=1589;max-age=3600';location.reload();</script></body></html>"

LOGIN_PAGE = """<html><head><title>用户登录</title></head><body><form action="/login" method="post">
<label>用户名</label><input type="text" name="u"><label>密码</label><input type="password" name="p">
<button>登 录</button></form></body></html>"""
