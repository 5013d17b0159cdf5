"""List pages and list APIs, one paging scheme per CMS family.

- TRS WCM: ``index.html``, ``index_1.html`` … announced by
  ``createPageHTML(pages, current, "index", "html")`` in an inline script.
- Hanweb JCMS: ``/col/col<N>/index.html`` carries the first records inline in a
  ``<script type="text/xml"><datastore>``; the rest come from
  ``/module/web/jpage/dataproxy.jsp?startrecord=&endrecord=&perpage=`` (XML).
- gkmlpt: an HTML shell whose script reads ``/gkmlpt/api/all/<col>?page=N&sid=<site>`` (JSON).
- generic: ``index.shtml``, ``index_2.shtml`` … with 下一页 links, and ``/sitemap.xml``.
"""

from __future__ import annotations

import json
import math
from html import escape

from portalsim.render_html import page_shell
from portalsim.sites import Item, Site

__all__ = [
    "generic_list",
    "hanweb_dataproxy",
    "hanweb_index",
    "jsonapi_page",
    "jsonapi_shell",
    "sitemap",
    "trs_list",
]


def _pages(n: int, size: int) -> int:
    return max(1, math.ceil(n / size))


def _trs_href(site: Site, item: Item) -> str:
    root = site.trs_root
    return "./" + item.path[len(root) :] if item.path.startswith(root) else item.path


def trs_list(site: Site, page: int, size: int) -> str | None:
    """``index.html`` (page 0) or ``index_<page>.html``; None past the last page."""
    items = site.listed()
    pages = _pages(len(items), size)
    if page >= pages:
        return None
    rows = "".join(
        '<dl><dd class="trt-col-sm-24 text_align_left">'
        f'<a href="{escape(_trs_href(site, it))}" target="_blank" title="{escape(it.title)}">{escape(it.title)}</a></dd>'
        f'<dd class="trt-col-4 trt-col-sm-24 text_align_left">{it.published:%Y-%m-%d}</dd></dl>\n'
        for it in items[page * size : (page + 1) * size]
    )
    main = (
        '<div class="tabs info_tabs"><div class="tabs_header"><ul><li class="on">'
        '<a class="cur_def" href="javascript:;">政府信息公开年报</a></li></ul></div>'
        '<div class="rules_tabs_01"><dl><dt>标题</dt><dt>发布日期</dt></dl></div>'
        f'<div class="rules_tabs_01 rules_tabs_no_bg">\n{rows}</div>'
        '<div class="pagination" id="page_div"><script type="text/javascript">\n'
        f'createPageHTML({pages}, {page}, "index", "html");\n</script></div></div>'
    )
    return page_shell(site, f"政府信息公开年报_{site.name}", main)


def _hanweb_record(it: Item) -> str:
    return (
        f'<li><a href="{escape(it.path)}" target="_blank" title="{escape(it.title)}">{escape(it.title)}</a>'
        f"<span>{it.published:%Y-%m-%d}</span></li>"
    )


def hanweb_index(site: Site, perpage: int) -> str:
    """The column page: the first ``perpage`` records inline, the unit/web ids for the proxy."""
    items = site.listed()
    records = "".join(f"<record><![CDATA[\n{_hanweb_record(it)}\n]]></record>" for it in items[:perpage])
    main = (
        f'<div class="lm_name">政府信息公开年报</div><div class="default_pgContainer" id="{site.column}">'
        '<script type="text/xml"><datastore>'
        f"<nextgroup><![CDATA[<a href=\"{site.proxy_path}?page=1&appid=1&webid={site.webid}"
        f'&path=/&columnid={site.column}&unitid={site.column + 7}&webname={escape(site.name)}&permissiontype=0"></a>]]></nextgroup>'
        f"<recordset>{records}</recordset></datastore></script></div>"
        '<script language="javascript" src="/module/web/jpage/jpage.js"></script>\n'
        "<script>var pageConfig = {"
        f'"columnid":"{site.column}","unitid":"{site.column + 7}","webid":"{site.webid}",'
        f'"perpage":{perpage},"totalRecord":{len(items)},'
        f'"proxyUrl":"{site.proxy_path}"}};</script>'
    )
    return page_shell(site, f"政府信息公开年报_{site.name}", main)


def hanweb_dataproxy(site: Site, start: int, end: int) -> str:
    """XML for records ``start``..``end`` (1-based, inclusive), as dataproxy.jsp answers."""
    items = site.listed()
    start = max(1, start)
    chosen = items[start - 1 : max(start - 1, end)]
    records = "".join(f"<record><![CDATA[\n{_hanweb_record(it)}\n]]></record>\n" for it in chosen)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
        f"<totalrecord>{len(items)}</totalrecord>\n<totalpage>0</totalpage>\n"
        f"<recordset>\n{records}</recordset>\n</datastore>\n"
    )


def jsonapi_shell(site: Site, sid: str) -> str:
    main = (
        '<div id="app" class="gkmlpt-annualreport"><div class="list-loading">加载中…</div></div>'
        "<script>window.GKMLPT_CONFIG = "
        + json.dumps({"sid": sid, "column": site.column, "api": site.api_path}, ensure_ascii=False)
        + ";</script>\n<script src=\"/gkmlpt/static/js/annualreport.js\"></script>"
    )
    return page_shell(site, f"政府信息公开年度报告_{site.name}", main)


def jsonapi_page(site: Site, page: int, size: int, base: str) -> dict[str, object]:
    """One page (1-based) of the gkmlpt JSON list."""
    items = site.listed()
    chosen = items[(page - 1) * size : page * size] if page >= 1 else []
    return {
        "total": len(items),
        "page": page,
        "page_size": size,
        "articles": [
            {
                "id": it.docid,
                "title": it.title,
                "url": base + it.path,
                "first_publish_time": int(it.published.timestamp()),
                "date": it.published.strftime("%Y-%m-%d"),
                "publisher": it.office or site.name,
            }
            for it in chosen
        ],
    }


def _generic_name(page: int) -> str:
    return "index.shtml" if page == 0 else f"index_{page + 1}.shtml"


def generic_list(site: Site, page: int, size: int) -> str | None:
    """``index.shtml`` (page 0), ``index_2.shtml`` (page 1) … with 上一页/下一页 links."""
    items = site.listed()
    pages = _pages(len(items), size)
    if page >= pages:
        return None
    lis = "".join(
        f'<li><a href="{escape(it.path)}" title="{escape(it.title)}">{escape(it.title)}</a>'
        f"<span class=\"date\">{it.published:%Y-%m-%d}</span></li>\n"
        for it in items[page * size : (page + 1) * size]
    )
    nav = []
    root = site.generic_root
    if page > 0:
        nav.append(f'<a href="{root}{_generic_name(0)}">首页</a>')
        nav.append(f'<a href="{root}{_generic_name(page - 1)}">上一页</a>')
    if page + 1 < pages:
        nav.append(f'<a href="{root}{_generic_name(page + 1)}">下一页</a>')
        nav.append(f'<a href="{root}{_generic_name(pages - 1)}">尾页</a>')
    main = (
        f'<div class="list_box"><div class="list_tit">政府信息公开年报</div><ul class="list">\n{lis}</ul>'
        f'<div class="page">共{len(items)}条 第{page + 1}/{pages}页 {" ".join(nav)}</div></div>'
    )
    return page_shell(site, f"政府信息公开年报_{site.name}", main)


def sitemap(site: Site, base: str, size: int) -> str:
    """A column's sitemap.xml: its list pages and every item page (robots-disallowed ones excluded)."""
    pages = _pages(len(site.listed()), size)
    urls = [f"{base}{site.generic_root}{_generic_name(p)}" for p in range(pages)]
    urls += [f"{base}{it.path}" for it in site.listed() if it.trap is None]
    body = "".join(f"<url><loc>{escape(u)}</loc></url>\n" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{body}</urlset>\n'
    )
