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
from collections.abc import Callable

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


# --- a 2021-format report PDF laid out as real ones are: merged cells, wrapped labels, ruling lines ---

#: (group label, row label, stats row key) of the 2021 application table, in print order
APP_ROWS_2021: list[tuple[str, str, str]] = [
    ("", "一、本年新收政府信息公开申请数量", "new_received"),
    ("", "二、上年结转政府信息公开申请数量", "carried_over"),
    ("三、本年度办理结果", "（一）予以公开", "granted"),
    ("三、本年度办理结果", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partially_granted"),
    *[("三、本年度办理结果|（三）不予公开", label, key) for label, key in (
        ("1.属于国家秘密", "denied.state_secret"), ("2.其他法律行政法规禁止公开", "denied.prohibited_by_law"),
        ("3.危及“三安全一稳定”", "denied.three_safeties"), ("4.保护第三方合法权益", "denied.third_party"),
        ("5.属于三类内部事务信息", "denied.internal_affairs"), ("6.属于四类过程性信息", "denied.process_info"),
        ("7.属于行政执法案卷", "denied.enforcement_files"), ("8.属于行政查询事项", "denied.admin_inquiry"))],
    *[("三、本年度办理结果|（四）无法提供", label, key) for label, key in (
        ("1.本机关不掌握相关政府信息", "unable.not_held"), ("2.没有现成信息需要另行制作", "unable.needs_creation"),
        ("3.补正后申请内容仍不明确", "unable.unclear"))],
    *[("三、本年度办理结果|（五）不予处理", label, key) for label, key in (
        ("1.信访举报投诉类申请", "not_processed.petition"), ("2.重复申请", "not_processed.repeated"),
        ("3.要求提供公开出版物", "not_processed.publication"), ("4.无正当理由大量反复申请", "not_processed.excessive"),
        ("5.要求行政机关确认或重新出具已获取信息", "not_processed.confirmation"))],
    *[("三、本年度办理结果|（六）其他处理", label, key) for label, key in (
        ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other.overdue_correction"),
        ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other.overdue_fee"),
        ("3.其他", "other.other"))],
    ("三、本年度办理结果", "（七）总计", "total"),
    ("", "四、结转下年度继续办理", "carried_forward"),
]
APP_COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total")
REVIEW_KEYS = [f"{g}.{r}" for g in ("review", "litigation.direct", "litigation.after_review")
               for r in ("upheld", "corrected", "other", "pending", "total")]


def pdf_report_2021(
    stats: dict[str, float | int], *, rules: bool = True, number_line: str = "middle", label_chars: int = 14,
    vertical_step: str = "baseline", font_size: float = 7,
) -> bytes:
    """A 2021-format report whose statistics tables are drawn as Word exports them.

    ``stats`` gives the cells (a missing key is a blank cell). The group cells
    三、本年度办理结果 and （三）不予公开 … print one character per line down their
    merged cell (``vertical_step="baseline"`` puts each character on a row label's
    baseline, as the failing reports do); row labels wrap at ``label_chars``
    characters with their numbers on the ``first``, ``middle`` or ``last`` line;
    ``rules`` draws the ruling lines. The review/litigation row has 15 cells.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    fs = font_size
    lead = fs * 1.25
    y = height - 60

    def text(x: float, yy: float, s: str) -> None:
        c.setFont(_FONT, fs)
        c.drawString(x, yy, s)

    text(60, y, "示范市人民政府2023年政府信息公开工作年度报告")
    y -= 30
    text(60, y, "一、总体情况")
    y -= lead
    text(60, y, "本报告依据《中华人民共和国政府信息公开条例》编制。")
    y -= 30
    text(60, y, "三、收到和处理政府信息公开申请情况")
    y -= 20
    x_group, x_sub, x_label, x_cols = 40.0, 62.0, 100.0, 250.0
    col_w = (width - 40 - x_cols) / 7
    # header: parent cell over five leaves, leaves wrapped in two lines
    top = y
    text(x_cols + col_w * 1 + 10, y, "法人或其他组织")
    y -= lead
    for i, name in enumerate(("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")):
        text(x_cols + col_w * i + 4, y, name[:3])
        if len(name) > 3:
            text(x_cols + col_w * i + 4, y - lead, name[3:])
    y -= 2 * lead + 4
    bands: list[tuple[float, float]] = []
    if rules:
        c.line(x_group, top + lead, width - 40, top + lead)
        c.line(x_group, y + lead - 2, width - 40, y + lead - 2)
    for group, label, key in APP_ROWS_2021:
        lines = [label[i:i + label_chars] for i in range(0, len(label), label_chars)]
        at = {"first": 0, "middle": (len(lines) - 1) // 2, "last": len(lines) - 1}[number_line]
        row_top = y
        indent = x_label if group else x_group
        for i, part in enumerate(lines):
            text(indent, y, part)
            if i == at:
                for col, name in enumerate(APP_COLUMNS):
                    v = stats.get(f"requests.table.{key}.{name}")
                    if v is not None:
                        text(x_cols + col_w * col + 8, y, str(v))
            y -= lead
        y -= 4
        bands.append((row_top, y))
        if rules:
            c.line(x_label if group else x_group, y + lead - 2, width - 40, y + lead - 2)
    # group labels, one character per line down the rows they span
    _draw_groups(c, text, bands, x_group, x_sub, lead, vertical_step)
    c.showPage()
    y = height - 60
    text(60, y, "四、政府信息公开行政复议、行政诉讼情况")
    y -= 24
    x0 = 40.0
    w = (width - 80) / 15
    text(x0 + 2 * w, y, "行政复议")
    text(x0 + 8 * w, y, "行政诉讼")
    y -= lead
    text(x0 + 6 * w, y, "未经复议直接起诉")
    text(x0 + 11 * w, y, "复议后起诉")
    y -= lead
    for i in range(15):
        name = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")[i % 5]
        text(x0 + w * i + 2, y, name[:2])
        if len(name) > 2:
            text(x0 + w * i + 2, y - lead, name[2:])
    y -= 2 * lead + 6
    for i, key in enumerate(REVIEW_KEYS):
        v = stats.get(key)
        if v is not None:
            text(x0 + w * i + 6, y, str(v))
    y -= 40
    text(60, y, "五、存在的主要问题及改进情况")
    y -= lead
    text(60, y, "工作中还存在一些不足。")
    c.showPage()
    c.save()
    return buf.getvalue()


def _draw_groups(c: object, text: Callable[[float, float, str], None], bands: list[tuple[float, float]],
                 x_group: float, x_sub: float, lead: float, step: str) -> None:
    """Each merged group label, one character per line, over the rows it spans (the table fits one page)."""
    groups: dict[tuple[str, float], list[tuple[float, float]]] = {}
    for (top, bottom), (group, _label, _key) in zip(bands, APP_ROWS_2021, strict=True):
        for depth, name in enumerate(group.split("|") if group else []):
            groups.setdefault((name, x_group if depth == 0 else x_sub), []).append((top, bottom))
    for (name, x), spans in groups.items():
        top, bottom = spans[0][0], spans[-1][1]
        if step == "baseline":
            ys = [t for t, _b in spans]
            while len(ys) < len(name):
                ys = sorted({*ys, *(t - lead for t in ys)}, reverse=True)
            ys = ys[: len(name)]
        else:
            gap = (top - bottom) / (len(name) + 1)
            ys = [top - gap * (i + 1) for i in range(len(name))]
        for ch, yy in zip(name, ys, strict=False):
            text(x, yy, ch)
