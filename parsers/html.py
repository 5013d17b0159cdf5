"""Portal pages → ExtractedDoc: the report body in reading order, tables as grids.

Fast path: government CMSs put the article in a known container (TRS WCM
``.TRS_Editor``, gov.cn ``#UCAP-CONTENT``, Hanweb ``#zoom`` …). selectolax
(lexbor) parses a 250 kB page and finds it in 1–3 ms, where trafilatura takes
65–125 ms, so trafilatura is only the fallback for pages without a known
container. Either way the text comes from our own DOM walk, because tables must
be read as grids (rowspan/colspan resolved): flattening a table's text turns
the cells 89 | 89 | 89 into "898989".

The caller decodes (``parsers.decode``): this module only ever sees ``str``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from parsers.errors import ParseError
from parsers.grid import Cell, build_grid, clean_cell, grid_lines
from parsers.record import ExtractedDoc

__all__ = ["CONTAINERS", "StubScan", "extract_html", "find_attachments", "may_link_attachments", "page_meta", "scan_stub"]

#: content containers of the CMSs behind Chinese portals, most specific first
CONTAINERS: tuple[str, ...] = (
    ".TRS_Editor",  # TRS WCM (most provincial and municipal portals)
    ".TRS_UEDITOR",
    "#UCAP-CONTENT",  # 国务院 and gov.cn templates (开普云 UCAP)
    ".pages_content",
    "#zoom",  # Hanweb JCMS, many TRS templates
    "#Zoom",
    ".article_content",
    ".article-content",
    ".bt-article",
    "#ContentRegion",
    ".content_text",
    ".view",  # Chongqing 区县 templates
    "#content",
    ".zw",
    "#zw",
)
#: a container with less visible text than this is an empty template shell
_MIN_CONTAINER_CHARS = 10

_SKIP = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "embed", "button",
     "select", "input", "textarea", "svg", "head", "title", "-comment"}
)
_BLOCK = frozenset(
    {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
     "section", "article", "header", "footer", "blockquote", "pre", "center", "hr", "form",
     "address", "figure", "figcaption", "main", "nav", "aside", "tr", "table", "caption", "body"}
)
_WS = re.compile(r"[\s\u00a0\u200b\ufeff]+")
_DATE = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_PAGE_DATE = re.compile(
    r"(?:发布(?:日期|时间)|成文日期|日期|时间)\s*[:：]\s*((?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})"
)
_TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜| - | — |——|－)\s*")
_ATTACHMENT_EXT = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd", ".zip", ".rar")
_TRS_ATTACHMENT = re.compile(r"(?:^|/)P0\d{2}\d*\w*\.\w+$", re.I)
#: bytes any attachment link must contain (an extension above, or a TRS ``P0…`` name),
#: searched in the page's ASCII-lowercased bytes: a page without them cannot link a
#: document, whatever its encoding (links are ASCII). Two patterns, each starting with a
#: literal, let ``re`` skip ahead by byte search; one alternation with ``re.I`` tested
#: every position (1.6 → 0.2 ms on a 98 kB page).
_ATTACHMENT_EXT_BYTES = re.compile(
    rb"\.(?:" + b"|".join(re.escape(e[1:].encode()) for e in _ATTACHMENT_EXT) + rb")(?![a-z0-9])"
)
_TRS_NAME_BYTES = re.compile(rb"p0\d\d")
#: the same two tests on a lowercased link (``_attachments``' prefilter)
_ATTACHMENT_EXT_TEXT = re.compile(_ATTACHMENT_EXT_BYTES.pattern.decode())
_TRS_NAME_TEXT = re.compile(r"p0\d\d")
#: a table that is page layout rather than data: one column, or a huge cell
_LAYOUT_CELL_CHARS = 600


def page_meta(tree: LexborHTMLParser) -> tuple[str | None, str | None]:
    """(title, published_at) from page metadata: TRS ``ArticleTitle``/``PubDate``, else ``<title>``, else h1."""
    metas: dict[str, str] = {}
    for node in tree.css("meta[name], meta[property]"):
        attrs = node.attributes
        key = (attrs.get("name") or attrs.get("property") or "").strip().lower()
        value = (attrs.get("content") or "").strip()
        if key and value and key not in metas:
            metas[key] = value
    title = metas.get("articletitle") or metas.get("og:title") or metas.get("title")
    if not title:
        title_node = tree.css_first("title")
        raw = title_node.text(deep=True) if title_node is not None else ""
        parts = [p for p in _TITLE_SPLIT.split(_WS.sub(" ", raw).strip()) if p]
        title = max(parts[:1] + [p for p in parts if "报告" in p], key=lambda p: "报告" in p) if parts else None
    if not title:
        for selector in ("h1", "h2", ".article_title", ".title"):
            heading = tree.css_first(selector)
            if heading is not None and heading.text(deep=True).strip():
                title = heading.text(deep=True)
                break
    title = _WS.sub(" ", title).strip() if title else None
    published = None
    for key in ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "maketime"):
        if key in metas and (m := _DATE.search(metas[key])):
            published = _iso(m)
            break
    return title or None, published


def _iso(m: re.Match[str]) -> str | None:
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _hidden(node: LexborNode) -> bool:
    style = node.attributes.get("style") or ""
    return "display" in style and bool(re.search(r"display\s*:\s*none", style, re.I))


def _word_body(tree: LexborHTMLParser) -> LexborNode | None:
    """The body of a Word "save as web page" document (what many ``.doc`` reports really are).

    Such a file is the document alone, with no site chrome, so its body is the content; its
    ``WordSection1``, ``WordSection2``… divs are page-layout sections, and taking only the
    largest one would drop the others. Recognised by Word's own marks: the ``Generator``
    meta or the ``urn:schemas-microsoft-com:office:word`` namespace.
    """
    generator = next((m.attributes.get("content") or "" for m in tree.css('meta[name="Generator"]')), "")
    html = tree.css_first("html")
    office_ns = html is not None and any(
        (v or "").startswith("urn:schemas-microsoft-com:office:word") for v in html.attributes.values()
    )
    if "Microsoft Word" in generator or office_ns:
        return tree.body
    return None


def _find_container(tree: LexborHTMLParser) -> LexborNode | None:
    word = _word_body(tree)
    if word is not None and len(_WS.sub("", word.text(deep=True, separator=""))) >= _MIN_CONTAINER_CHARS:
        return word
    for selector in CONTAINERS:
        best: LexborNode | None = None
        best_len = _MIN_CONTAINER_CHARS - 1
        for node in tree.css(selector):
            n = len(_WS.sub("", node.text(deep=True, separator="")))
            if n > best_len:
                best, best_len = node, n
        if best is not None:
            return best
    return None


class _Walker:
    """Renders a DOM subtree to lines, tables in place as tab-separated grid rows.

    Iterative (an explicit stack), because hostile or generated pages nest
    thousands of levels deep and recursion would overflow.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.tables: list[list[list[str]]] = []

    def newline(self) -> None:
        if self.buf:
            line = _WS.sub(" ", "".join(self.buf)).strip()
            if line:
                self.lines.append(line)
            self.buf = []

    def walk(self, root: LexborNode) -> None:
        stack: list[tuple[LexborNode, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            tag = node.tag
            if leaving:
                self.newline()
                continue
            if tag == "-text":
                self.buf.append(node.text_content or "")
                continue
            if tag in _SKIP or tag is None or tag.startswith("-"):
                continue
            if _hidden(node):
                continue
            if tag == "br":
                self.newline()
                continue
            if tag == "table" and self.table(node):
                continue
            if tag in _BLOCK:
                self.newline()
                stack.append((node, True))
            children = list(node.iter(include_text=True))
            stack.extend((child, False) for child in reversed(children))
        self.newline()

    def table(self, node: LexborNode) -> bool:
        """Render a data table as a grid; False for a layout table (walked as blocks)."""
        # css() matches the node itself too: more than one means nested tables,
        # and then the outer table is page layout, walked as blocks.
        if len(node.css("table")) > 1:
            return False
        rows = _table_rows(node)
        if not rows:
            return False
        cells: list[list[Cell]] = []
        for tr in rows:
            row: list[Cell] = []
            for td in tr.iter():
                if td.tag not in ("td", "th"):
                    continue
                text = clean_cell(td.text(deep=True, separator=" "))
                if len(text) > _LAYOUT_CELL_CHARS:
                    return False
                attrs = td.attributes
                row.append((text, _span(attrs.get("rowspan")), _span(attrs.get("colspan"))))
            cells.append(row)
        grid = build_grid(cells)
        if not grid or len(grid[0]) < 2:
            return False
        self.newline()
        self.lines.extend(grid_lines(grid))
        self.tables.append(grid)
        return True


def _table_rows(table: LexborNode) -> list[LexborNode]:
    rows: list[LexborNode] = []
    for child in table.iter():
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(tr for tr in child.iter() if tr.tag == "tr")
    return rows


_SPAN = re.compile(r"\s*(\d{1,5})")


def _span(raw: str | None) -> int:
    if not raw:
        return 1
    digits = _SPAN.match(raw)
    return int(digits.group(1)) if digits else 1


def _render(root: LexborNode) -> tuple[str, list[list[list[str]]]]:
    walker = _Walker()
    walker.walk(root)
    return "\n".join(walker.lines), walker.tables


def _trafilatura_body(html: str) -> LexborNode | None:
    """The main content as trafilatura sees it, re-parsed so tables still come out as grids."""
    import trafilatura

    out: Any = trafilatura.extract(
        html, output_format="html", include_tables=True, include_comments=False,
        include_images=False, favor_recall=True, deduplicate=False,
    )
    if not out:
        return None
    return LexborHTMLParser(out).body


def _is_link_list(tree: LexborHTMLParser, text: str) -> bool:
    """A column/index page: most substantial lines of the main text are link texts."""
    links = {_WS.sub(" ", a.text(deep=True)).strip() for a in tree.css("a")}
    lines = [line for line in text.splitlines() if len(line) >= 6]
    linked = sum(1 for line in lines if line in links)
    return linked >= 5 and linked >= 0.4 * len(lines)


def extract_html(
    html: str, *, encoding: str | None = None, replacements: int = 0, url: str | None = None
) -> ExtractedDoc:
    """The report body of a portal page (pure: str in, ExtractedDoc out)."""
    tree = LexborHTMLParser(html)
    title, published = page_meta(tree)
    warnings: list[str] = []
    if replacements:
        warnings.append(f"decoding: {replacements} replacement characters ({encoding})")
    container = _find_container(tree)
    if container is not None:
        text, tables = _render(container)
    else:
        body = _trafilatura_body(html)
        text, tables = _render(body) if body is not None else ("", [])
        if not text.strip() and tree.body is not None:
            text, tables = _render(tree.body)
        warnings.append("html: no known content container, main text by trafilatura")
        if _is_link_list(tree, text):
            raise ParseError("not_a_report", "not a report: a list of links (a column or index page)")
    if published is None and (m := _PAGE_DATE.search(tree.body.text(deep=True) if tree.body else "")):
        published = _iso(_DATE.search(m.group(1)))  # type: ignore[arg-type]
    if title is None and text:
        title = text.split("\n", 1)[0][:200]
    # Only a short body can be an attachment stub; a full report is not re-scanned.
    attachments = find_attachments(html, url or "") if len(_WS.sub("", text)) < 300 else []
    if attachments:
        warnings.append(
            "attachment stub: the page body links to "
            + ", ".join(u for u, _ in attachments[:5])
        )
    return ExtractedDoc(
        kind="html", text=text, tables=tables, title=title, published_at=published,
        table_source="html" if tables else None,
        encoding=encoding, warnings=warnings,
    )


def _is_attachment(href: str) -> bool:
    path = urlsplit(href).path.lower()
    return path.endswith(_ATTACHMENT_EXT) or bool(_TRS_ATTACHMENT.search(path))


def find_attachments(html_text: str, base_url: str) -> list[tuple[str, str]]:
    """Linked documents (PDF/DOC/DOCX/WPS/XLS(X), TRS ``P0200…`` files) as (absolute URL, link text).

    For the crawler: a report page whose body is only a link to the real report
    (an attachment stub) is followed to the attachment. Viewer links
    (``viewer.html?file=…pdf``) yield the file they show; download scripts
    (Hanweb ``downfile.jsp?filename=….pdf``) yield the script URL, which serves the file.
    """
    return _attachments(LexborHTMLParser(html_text), base_url)


#: query parameters whose value is the URL of the document itself (PDF viewers)
_URL_PARAMS = ("file", "url")


def _attachments(tree: LexborHTMLParser, base_url: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    seen: set[str] = set()

    def keep(url: str, text: str) -> None:
        absolute = urljoin(base_url, url) if base_url else url
        if absolute not in seen:
            seen.add(absolute)
            found.append((absolute, _WS.sub(" ", text).strip()))

    def add(href: str, node: LexborNode | None) -> None:
        href = href.strip()
        if not href or href.startswith(("javascript:", "mailto:", "#", "{{")):
            return
        low = href.lower()
        # a link that names no document anywhere (not even percent-encoded) is none: most
        # links on a page are menus and footers, so they skip the URL parsing below
        if "%" not in low and not _ATTACHMENT_EXT_TEXT.search(low) and not _TRS_NAME_TEXT.search(low):
            return
        text = (node.text(deep=True) or node.attributes.get("title") or "") if node is not None else ""
        if _is_attachment(href):
            keep(href, text)
            return
        query = parse_qs(urlsplit(href).query)
        for name, values in query.items():
            for value in values:
                if not _is_attachment(value):
                    continue
                # a viewer names the file's URL; a download script names only the file
                keep(value if name.lower() in _URL_PARAMS else href, text)
                return

    for node in tree.css("a[href]"):
        add(node.attributes.get("href") or "", node)
    for node in tree.css("iframe[src], embed[src]"):
        add(node.attributes.get("src") or "", None)
    for node in tree.css("object[data]"):
        add(node.attributes.get("data") or "", None)
    return found


@dataclass(frozen=True, slots=True)
class StubScan:
    """What the crawler needs to decide whether a page is an attachment stub."""

    #: linked documents, as ``find_attachments`` returns them
    attachments: list[tuple[str, str]]
    #: visible characters of the page's main text (whitespace removed); None when no
    #: attachment is linked or the page is a list of links (it cannot be a stub, so the
    #: body was not measured)
    body_chars: int | None


def may_link_attachments(data: bytes) -> bool:
    """False when raw page bytes cannot contain an attachment link: the crawler then skips
    decoding and parsing the page for stub detection. UTF-16 pages are always scanned
    (their ASCII is not single bytes)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    low = data.lower()
    return _ATTACHMENT_EXT_BYTES.search(low) is not None or _TRS_NAME_BYTES.search(low) is not None


def scan_stub(html_text: str, base_url: str, *, short: int = 400) -> StubScan:
    """Linked documents and the size of the main text, from ONE parse of the page.

    Runs on the crawler's event loop for every report page, so it does the least that
    decides: no attachments, stop; a known content container, measure its text (rendering
    it, which drops scripts and styles, only when the raw text is near ``short``); no
    container, the full ``extract_html``.
    """
    tree = LexborHTMLParser(html_text)
    links = _attachments(tree, base_url)
    if not links:
        return StubScan(links, None)
    container = _find_container(tree)
    if container is None:
        try:
            text = extract_html(html_text, url=base_url).text
        except ParseError:  # a list of links, not a page with a body: not a stub either
            return StubScan(links, None)
        return StubScan(links, len(_WS.sub("", text)))
    raw = len(_WS.sub("", container.text(deep=True, separator="")))
    if raw < short or raw > 10 * short:
        return StubScan(links, raw)
    return StubScan(links, len(_WS.sub("", _render(container)[0])))
