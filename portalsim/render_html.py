"""HTML as government CMSs serve it: Word-pasted report bodies inside full portal pages.

The report body copies the markup Word leaves when a report is pasted into a
CMS editor (corpus/html/pingtan_2022.html): ``MsoNormalTable`` tables with
rowspan/colspan headers, every cell's text inside nested ``<span>`` with a
trailing ``&nbsp;``, paragraphs indented with a ``white-space:pre`` tab. The page
around it carries the chrome a parser must ignore: nav, sidebar, footer, scripts.
"""

from __future__ import annotations

from html import escape

from portalsim.document import Para, ReportDoc, Table
from portalsim.sites import Item, Site

__all__ = ["charset_meta", "detail_page", "page_shell", "report_body_html"]

_TD_STYLE = (
    "width:{w}pt;padding:0.0000pt 0.0000pt 0.0000pt 0.0000pt ;border-left:1.0000pt solid windowtext;\n"
    "mso-border-left-alt:0.5000pt solid windowtext;border-right:1.0000pt solid windowtext;"
    "mso-border-right-alt:0.5000pt solid windowtext;\nborder-top:none;mso-border-top-alt:0.5000pt solid windowtext;"
    "border-bottom:1.0000pt solid windowtext;\nmso-border-bottom-alt:0.5000pt solid windowtext;"
)
_SPAN = '<span style="font-family: 仿宋_GB2312; letter-spacing: -0.3pt; font-size: 14pt;">'


def _cell_text(text: str) -> str:
    if text.replace(".", "").replace("-", "").replace("+", "").isdigit():
        return f'{_SPAN}{escape(text)}</span>{_SPAN}</span>'
    # labels: Word splits runs and leaves a non-breaking space at the end
    if len(text) == 4 and text in {"商业企业", "科研机构"}:
        inner = f'<span style="font-family:仿宋_GB2312">{text[:2]}</span><span style="font-family:仿宋_GB2312">{text[2:]}</span>'
    else:
        inner = f'<span style="font-family:仿宋_GB2312">{escape(text)}</span>'
    return f'{_SPAN}{inner}<span style="font-family:仿宋_GB2312">&nbsp;</span></span>{_SPAN}</span>'


def _table_html(t: Table) -> str:
    out = [
        '<table class="MsoNormalTable" border="1" cellspacing="0" style="border-collapse:collapse;border:none;\n'
        "mso-border-left-alt:0.5000pt solid windowtext;mso-border-top-alt:0.5000pt solid windowtext;\n"
        'mso-padding-alt:0.0000pt 0.0000pt 0.0000pt 0.0000pt ;"><tbody>'
    ]
    for r, row in enumerate(t.rows):
        out.append('<tr class="firstRow">' if r == 0 else '<tr style="height:22.2500pt;">')
        for cell in row:
            w = 30 * cell.colspan
            spans = (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "") + (
                f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else ""
            )
            out.append(
                f'<td width="{w}" valign="center"{spans} style="{_TD_STYLE.format(w=w * 0.75)}">'
                f'<p class="p" style="margin: 0pt; text-align: justify; line-height: 20pt;">{_cell_text(cell.text)}</p></td>'
            )
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def report_body_html(doc: ReportDoc) -> str:
    """The report as it sits inside the CMS editor div."""
    parts: list[str] = []
    for b in doc.blocks:
        if isinstance(b, Table):
            parts.append(_table_html(b))
        elif isinstance(b, Para):
            tab = '<span style="white-space: pre;">\t</span>' if b.heading else '<span style="white-space:pre">\t</span>'
            style = ' style="font-weight: bold;"' if b.heading else ""
            parts.append(f'<p{style}><span style="font-size: 16px;">{tab}{escape(b.text)}</span></p>')
    return "".join(parts)


def charset_meta(site: Site) -> str:
    if site.encoding == "utf-8":
        return '<meta charset="utf-8" name="viewport" content="width=device-width, initial-scale=1.0" />'
    if site.encoding == "gbk-meta":
        return '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />'
    return ""


def _nav(site: Site) -> str:
    links = "".join(
        f'<li><a href="{href}">{label}</a></li>'
        for href, label in (
            ("/", "首页"), ("/zwgk/", "政务公开"), ("/jdhy/", "解读回应"), ("/bsfw/", "办事服务"),
            ("/hdjl/", "互动交流"), ("/zjdq/", "走进本地"),
        )
    )
    return (
        '<div class="header menu_hov"><div class="row"><div class="logo">'
        f'<a href="/"><img src="/images/site_logo.png" alt="{escape(site.name)}" /></a></div>'
        '<div class="header_link_02"><a id="logined" href="javascript:void(0);">登录</a>'
        '<a id="registered" href="javascript:void(0);">注册</a><span>网站支持IPV6</span></div>'
        f'<div class="menu_base"><ul class="clearflx" role="navigation">{links}</ul></div>'
        '<div class="search_fixed"><form method="get" action="/search/index.html">'
        '<input type="text" placeholder="请输入搜索内容" name="key" /><button>搜索</button></form></div></div></div>'
    )


def _sidebar() -> str:
    items = ("政府信息公开指南", "政府信息公开制度", "法定主动公开内容", "政府信息公开年报", "政府信息公开申请")
    lis = "".join(f'<li><h3><a href="javascript:;"><span>{t}</span></a></h3></li>' for t in items)
    return f'<div class="trt-col-5 left_nav none_sm"><div class="left_nav_tit">政府信息公开</div><ul>{lis}</ul></div>'


def _footer(site: Site) -> str:
    return (
        '<div class="footer"><div class="row"><div class="footer_link">'
        '<a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/sybz/">使用帮助</a></div>'
        f'<p>主办单位：{escape(site.name)}办公室　　网站标识码：{3500000000 + site.index * 17}</p>'
        f'<p>ICP备案号：X ICP备{10000000 + site.index}号　　公安机关备案号：{35010202000000 + site.index}</p>'
        '<p>建议使用1024×768分辨率，IE10以上版本浏览器</p></div></div>'
        '<script type="text/javascript" src="/images/model.min.js"></script>'
        '<script type="text/javascript">var _hmt = _hmt || [];(function(){var hm=document.createElement("script");'
        'hm.src="/images/stat.js";var s=document.getElementsByTagName("script")[0];s.parentNode.insertBefore(hm,s);})();</script>'
    )


def page_shell(site: Site, title: str, main: str, metas: str = "", scripts: str = "") -> str:
    """A full portal page: head with charset declaration and metadata, chrome, ``main``."""
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n'
        f"{charset_meta(site)}\n"
        '<meta http-equiv="X-UA-Compatible" content="IE=Edge" />\n'
        f'<meta name="SiteName" content="{escape(site.name)}"/>\n'
        f'<meta name="SiteDomain" content="{site.ip}"/>\n'
        f"{metas}"
        f"<title>{escape(title)}</title>\n"
        '<link rel="stylesheet" type="text/css" href="/images/trt_ui_v2.css">\n'
        '</head>\n<body>\n<div class="warp info_public_bg">\n'
        f"{_nav(site)}\n"
        f'<div class="row content_bg_02">{_sidebar()}<div class="trt-col-19">{main}</div></div>\n'
        f"{_footer(site)}\n{scripts}</div>\n</body>\n</html>\n"
    )


def _attachment_link(site: Site, item: Item) -> str:
    assert item.attachment is not None
    ext = item.attachment.rsplit(".", 1)[-1]
    href = item.attachment
    if site.family == "trs":
        # TRS writes attachment links relative to the detail page, with the original name in OLDSRC
        href = "./" + item.attachment.rsplit("/", 1)[-1]
    name = escape(f"{item.title}.{ext}")
    return (
        f'<div class="article_attachment"><p>附件：<a href="{escape(href)}" OLDSRC="{escape(item.attachment)}" '
        f'target="_blank" title="{name}">{name}</a></p></div>'
    )


def detail_page(site: Site, item: Item, body_html: str | None) -> str:
    """A detail page for ``item`` in its family's template.

    ``body_html`` is the rendered report for HTML bodies; None gives the stub page
    ("详见附件") that real sites put in front of PDF/Word reports.
    """
    title = item.title
    pub = item.published.strftime("%Y-%m-%d %H:%M")
    if body_html is None:
        body_html = (
            f'<p style="text-indent:2em;"><span style="font-size: 16px;">{escape(title)}详见附件。</span></p>'
            if item.is_report
            else f'<p style="text-indent:2em;">{escape(title)}。</p>'
        )
    attach = _attachment_link(site, item) if item.attachment else ""
    metas = (
        '<meta name="ColumnName" content="政府信息公开年报"/>\n'
        '<meta name="ColumnType" content="政府信息公开年报"/>\n'
        f'<meta name="ArticleTitle" content="{escape(title)}"/>\n'
        f'<meta name="PubDate" content="{pub}"/>\n'
        f'<meta name="ContentSource" content="{escape(item.office or site.name)}"/>\n'
        f'<meta name="Url" content="http://{site.ip}{escape(item.path)}"/>\n'
        f'<meta name="DocId" content="{item.docid}"/>\n'
    )
    info = (
        f'<div class="article_time"><span>发布时间：{pub}</span>'
        f'<span>来源：{escape(item.office or site.name)}</span><span>浏览次数：<em id="view_count"></em></span></div>'
    )
    if site.family == "trs":
        main = (
            '<div class="article_title_group"><div class="article_title">'
            f"<h1>{escape(title)}</h1></div>{info}</div>"
            '<div class="article_area"><div class="article_content article_content_01 font_family_cn">'
            f"<div class=TRS_Editor>{body_html}</div></div>{attach}</div>"
        )
        scripts = f'<script>var docid="{item.docid}";var channelid="{site.column}";</script>\n'
    elif site.family == "hanweb":
        main = (
            f'<table width="100%" class="xxgk_table"><tr><td class="title">{escape(title)}</td></tr>'
            f'<tr><td class="info">发布日期：{item.published:%Y-%m-%d}　信息来源：{escape(item.office or site.name)}</td></tr></table>'
            f'<div id="zoom">{body_html}</div>{attach}'
        )
        scripts = f'<script language="javascript" src="/script/0/{site.column}.js"></script>\n'
    elif site.family == "jsonapi":
        main = (
            '<div class="classify"><table><tr><td>索引号：</td>'
            f"<td>{site.webid:06d}/{item.published:%Y}-{item.docid}</td><td>分类：</td><td>政府信息公开年报</td></tr>"
            f"<tr><td>发布机构：</td><td>{escape(item.office or site.name)}</td><td>成文日期：</td>"
            f"<td>{item.published:%Y-%m-%d}</td></tr></table></div>"
            f'<div class="content-box"><h1 class="content-title">{escape(title)}</h1>'
            f'<div class="article-content">{body_html}</div>{attach}</div>'
        )
        scripts = '<script src="/gkmlpt/static/js/post.js"></script>\n'
    else:
        main = (
            f'<div class="main"><h1 class="arc_title">{escape(title)}</h1>{info}'
            f'<div class="arc_content">{body_html}</div>{attach}</div>'
        )
        scripts = ""
    return page_shell(site, f"{title}_政府信息公开年报_{site.name}", main, metas, scripts)
