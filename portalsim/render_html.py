"""HTML as government CMSs serve it: Word-pasted report bodies inside full portal pages.

The report body copies the markup Word leaves when a report is pasted into a
CMS editor (corpus/html/pingtan_2022.html): ``MsoNormalTable`` tables with
rowspan/colspan headers, every cell's text inside nested ``<span>`` with a
trailing ``&nbsp;``, paragraphs indented with a ``white-space:pre`` tab. The page
around it carries the chrome a parser must ignore: nav, sidebar, footer, scripts.
"""

from __future__ import annotations

import re
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
            style = _P_STYLE + ("font-weight: bold;" if b.heading else "")
            parts.append(f'<p class="MsoNormal" style="{style}">{tab}{_runs(b.text)}</p>')
    return "".join(parts)


_P_STYLE = (
    "text-align:left;text-indent: 32pt; line-height: 27pt; background-color: white; "
    "background-position: initial initial; background-repeat: initial initial;"
)
_RUN_CJK = '<span style="font-size:16.0pt;font-family:仿宋_GB2312;color:#444444;background:white;\nmso-font-kerning:0pt">'
_RUN_ASCII = '<span style="font-size:16.0pt;color:#444444;background:white;mso-font-kerning:0pt">'
_ASCII_RUN = re.compile(r"[\x00-\x7f]+")


def _runs(text: str) -> str:
    """A paragraph's text as Word pastes it: one styled ``<span>`` per run of the same
    script (Word switches fonts between Chinese and ASCII), as in the corpus's pingtan
    pages, where markup is ~10 bytes per character of text."""
    out: list[str] = []
    pos = 0
    for m in _ASCII_RUN.finditer(text):
        if m.start() > pos:
            out.append(f"{_RUN_CJK}{escape(text[pos:m.start()])}</span>")
        out.append(f"{_RUN_ASCII}{escape(m.group())}</span>")
        pos = m.end()
    if pos < len(text):
        out.append(f"{_RUN_CJK}{escape(text[pos:])}</span>")
    return "".join(out)


def charset_meta(site: Site) -> str:
    if site.encoding == "utf-8":
        return '<meta charset="utf-8" name="viewport" content="width=device-width, initial-scale=1.0" />'
    if site.encoding == "gbk-meta":
        return '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />'
    return ""


#: the top menu and its drop-downs, as TRS portal templates carry them on every page
_MENU: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/", "首页", ()),
    ("/zwgk/", "政务公开", ("政府信息公开", "政策文件", "政策解读", "规划计划", "财政信息", "人事信息", "重点领域信息公开", "建议提案办理")),
    ("/jdhy/", "解读回应", ("文件解读", "图文解读", "视频解读", "回应关切", "新闻发布会", "在线访谈")),
    ("/bsfw/", "办事服务", ("个人办事", "法人办事", "部门服务", "便民服务", "办事指南", "表格下载", "网上办事大厅")),
    ("/hdjl/", "互动交流", ("领导信箱", "咨询投诉", "意见征集", "网上调查", "留言选登", "12345热线")),
    ("/zjdq/", "走进本地", ("概况", "历史文化", "自然资源", "旅游景点", "投资环境", "行政区划")),
)
#: the footer's link tabs (other government sites); on-site paths, so nothing here leaves loopback
_OUT_LINKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("省市政府网站", ("省人民政府", "福州市政府网站", "厦门市政府网站", "泉州市政府网站", "漳州市政府网站", "莆田市政府网站",
                 "三明市政府网站", "南平市政府网站", "龙岩市政府网站", "宁德市政府网站", "平潭综合实验区")),
    ("区县政府网站", ("鼓楼区", "台江区", "仓山区", "马尾区", "晋安区", "长乐区", "闽侯县", "连江县", "罗源县", "闽清县", "永泰县",
                 "福清市")),
    ("市直部门网站", ("发展和改革委员会", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局", "财政局",
                 "人力资源和社会保障局", "自然资源和规划局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局")),
    ("其他网站", ("中国政府网", "国务院部门网站", "地方政府网站", "驻港澳机构网站", "驻外机构", "新华网", "人民网")),
)
#: the avalon/stat bootstrap real TRS pages inline at the end of the body (~3 kB)
_BOOT_SCRIPT = (
    '<script type="text/javascript">\n'
    "\tvar windowRoot = avalon.define({$id: 'windowRoot', detailFont: 'middle', isStatic: false, curr: 1,\n"
    "\t\tsearchAction: '/search/index.html', historyList: [], keyword: '',\n"
    "\t\t$tog2: function (i) { windowRoot.curr = i; },\n"
    "\t\t$togLinkkey: function () { setTimeout(function () { windowRoot.showHistory = false; }, 200); },\n"
    "\t\t$setHistoryList: function () { var k = windowRoot.keyword.replace(/^\\s+|\\s+$/g, '');\n"
    "\t\t\tif (!k) { return false; } var h = windowRoot.historyList.filter(function (x) { return x !== k; });\n"
    "\t\t\th.unshift(k); windowRoot.historyList = h.slice(0, 8);\n"
    "\t\t\ttry { localStorage.setItem('searchHistory', JSON.stringify(windowRoot.historyList)); } catch (e) {}\n"
    "\t\t\treturn true; }});\n"
    "\tavalon.ready(function () { try { windowRoot.historyList = JSON.parse(localStorage.getItem('searchHistory')) || []; }\n"
    "\t\tcatch (e) { windowRoot.historyList = []; } avalon.scan(document.body); });\n"
    "\tfunction setFont(size) { windowRoot.detailFont = size; }\n"
    "\tfunction printPage() { window.print(); }\n"
    "\tfunction closeWindow() { window.opener = null; window.open('', '_self'); window.close(); }\n"
    "\tvar _hmt = _hmt || []; (function () { var hm = document.createElement('script');\n"
    "\t\thm.src = '/images/stat.js'; var s = document.getElementsByTagName('script')[0];\n"
    "\t\ts.parentNode.insertBefore(hm, s); })();\n"
    "\t(function () { var ua = navigator.userAgent.toLowerCase(); var isIE = ua.indexOf('msie') > -1;\n"
    "\t\tif (isIE && parseInt(ua.match(/msie ([\\d.]+)/)[1], 10) < 10) {\n"
    "\t\t\tdocument.getElementById('browser_tip').style.display = 'block'; } })();\n"
    "</script>\n"
)


def _nav(site: Site) -> str:
    """The header: logo, login links, the two-level menu and the search box (~8 kB, as on
    the corpus's pingtan pages)."""
    items = []
    for n, (href, label, subs) in enumerate(_MENU):
        drop = "".join(
            f'\n\t\t\t\t\t\t\t<li class="trt-col-ave-4"><a href="{href}{k:02d}/" target="_blank" title="{t}">{t}</a></li>'
            for k, t in enumerate(subs, 1)
        )
        sub = f'\n\t\t\t\t\t\t<div class="menu_sub menu_sub_{n}"><ul class="trt-row">{drop}\n\t\t\t\t\t\t</ul></div>' if subs else ""
        items.append(f'\n\t\t\t\t\t<li class="menu_item" ms-mouseenter="$hover({n})"><a href="{href}">{label}</a>{sub}</li>')
    name = escape(site.name)
    return (
        '<div class="header menu_hov">\n\t<div class="row">\n\t\t<div class="logo">'
        f'<a href="/"><img src="/images/site_logo.png" alt="{name}" /></a></div>\n'
        '\t\t<div class="header_link_02"><a id="logined" href="javascript:void(0);">登录</a>'
        '<a id="registered" href="javascript:void(0);">注册</a><a href="/wza/">无障碍</a><a href="/en/">English</a>'
        '<span>网站支持IPV6</span></div>\n'
        f'\t\t<div class="menu_base">\n\t\t\t<ul class="clearflx" role="navigation">{"".join(items)}\n\t\t\t</ul>\n\t\t</div>\n'
        '\t</div>\n</div>\n'
        '<div class="banner_header">\n\t<div class="row">\n\t\t<div class="trt-row">\n'
        '\t\t\t<div class="trt-col-7 trt-col-sm-0"><div class="area_weather"><p><font ms-text="now|date(\'yyyy年MM月dd日 EEEE\')"></font></p>'
        '<p ms-text="weather+\'\'+temp"></p></div></div>\n'
        '\t\t\t<div class="trt-col-10 trt-col-sm-18" role="interaction" des="搜索">\n'
        '\t\t\t\t<div class="search_area" id="header"><form method="get" action="/search/index.html" target="_blank">'
        f'<input type="text" class="search_input" placeholder="请输入搜索内容" name="key" ms-duplex="keyword" /><button>搜索</button></form>\n'
        '\t\t\t\t<div class="hot_words"><span>热词：</span><a href="/search/index.html?key=年报">年报</a>'
        '<a href="/search/index.html?key=政务公开">政务公开</a><a href="/search/index.html?key=依申请公开">依申请公开</a>'
        '<a href="/search/index.html?key=财政预决算">财政预决算</a></div></div>\n'
        '\t\t\t</div>\n\t\t</div>\n\t</div>\n</div>'
    )


def _sidebar() -> str:
    items = ("政府信息公开指南", "政府信息公开制度", "法定主动公开内容", "政府信息公开年报", "政府信息公开申请")
    lis = "".join(f'<li><h3><a href="javascript:;"><span>{t}</span></a></h3></li>' for t in items)
    return f'<div class="trt-col-5 left_nav none_sm"><div class="left_nav_tit">政府信息公开</div><ul>{lis}</ul></div>'


def _footer(site: Site) -> str:
    """The footer: link tabs to other government sites, site identifiers, scripts (~12 kB)."""
    tabs = []
    for n, (label, names) in enumerate(_OUT_LINKS, 1):
        links = "".join(
            f'\n\t\t\t\t\t\t<li class="trt-col-ave-7 trt-col-sm-24">\n\t\t\t\t\t\t\t'
            f'<a href="/wzlj/{n}_{k}.html" target="_blank" title="{t}">{t}</a>\n\t\t\t\t\t\t</li>'
            for k, t in enumerate(names, 1)
        )
        tabs.append(
            f'\n\t\t\t<li class="trt-col-6" ms-click="$tog2({n})" ms-class="on:curr==={n}">\n\t\t\t\t<p>{label}</p>'
            f'\n\t\t\t\t<div class="shadow_base" Id="yqlj_{n}">\n\t\t\t\t\t<ul class="trt-row">{links}'
            "\n\t\t\t\t\t</ul>\n\t\t\t\t</div>\n\t\t\t</li>"
        )
    return (
        '<div class="footer">\n\t<div class="border_t_solid_01"></div>\n\t<div class="row">\n'
        f'\t\t<div class="out_links" role="navigation" des="网站链接">\n\t\t\t<ul class="trt-row" ms-controller="tabYqlj">{"".join(tabs)}'
        "\n\t\t\t</ul>\n\t\t</div>\n\t</div>\n"
        '\t<div class="row"><div class="footer_link">'
        '<a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/sybz/">使用帮助</a> | <a href="/wzsm/">网站声明</a></div>\n'
        f'\t<p>主办单位：{escape(site.name)}办公室　　网站标识码：{3500000000 + site.index * 17}</p>\n'
        f'\t<p>ICP备案号：X ICP备{10000000 + site.index}号　　公安机关备案号：{35010202000000 + site.index}</p>\n'
        '\t<p>建议使用1024×768分辨率，IE10以上版本浏览器</p><p id="browser_tip" style="display:none">您的浏览器版本过低</p></div>\n'
        '</div>\n'
        '<script type="text/javascript" src="/images/avalon.min.js"></script>\n'
        '<script type="text/javascript" src="/images/model.min.js"></script>\n'
        f"{_BOOT_SCRIPT}"
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
