"""Title, year, agency, format, dates, contact block and sections, one variant at a time.

Snippets are modelled on the corpus and on the title and heading styles seen
on real portals.
"""

from __future__ import annotations

import pytest

from parsers.contact import find_contact
from parsers.meta import (
    agency_from_title,
    detect_format,
    find_period,
    find_published_at,
    find_title,
    year_from_title,
)
from parsers.numbers import compact, normalize_text
from parsers.record import ExtractedDoc
from parsers.report import build_record
from parsers.sections import split_sections


@pytest.mark.parametrize(
    ("title", "year", "agency"),
    [
        ("长春市宽城区人民政府2012年政府信息公开年度报告", 2012, "长春市宽城区人民政府"),
        ("2014年重庆市长寿区政府信息公开年度工作报告", 2014, "重庆市长寿区"),
        ("万盛经开区政府信息公开工作年度报告(2017年度)", 2017, "万盛经开区"),
        ("重庆市大渡口区 2020年政府信息公开工作年度报告", 2020, "重庆市大渡口区"),
        ("平潭综合实验区2022年度政府信息公开工作年度报告", 2022, "平潭综合实验区"),
        ("某某区人民政府关于2020年政府信息公开工作的年度报告", 2020, "某某区人民政府"),
        ("某某县教育局二〇一八年政府信息公开工作年度报告", 2018, "某某县教育局"),
        ("2021年度某某市市场监督管理局政府信息公开工作年度报告", 2021, "某某市市场监督管理局"),
    ],
)
def test_year_and_agency_come_from_the_title(title: str, year: int, agency: str) -> None:
    assert year_from_title(title) == year
    assert agency_from_title(title) == agency


def test_title_wrapped_over_two_layout_lines_is_joined() -> None:
    text = "            淮安市人民政府\n     2024 年政府信息公开工作年度报告\n\n\n   本报告由…编制。"
    assert find_title(text) == "淮安市人民政府2024年政府信息公开工作年度报告"


def test_title_run_together_with_the_body_is_cut() -> None:
    text = "平潭县人民政府2013年政府信息公开工作年度报告 本报告主要根据《条例》编制。"
    assert find_title(text) == "平潭县人民政府2013年政府信息公开工作年度报告"


def test_site_chrome_before_the_title_is_skipped() -> None:
    text = "登录| 注册\n\n长春市宽城区人民政府2012年政府信息公开年度报告\n\n发布日期:2013-03-26    点击数:\n"
    assert find_title(text) == "长春市宽城区人民政府2012年政府信息公开年度报告"
    assert find_published_at(text) == "2013-03-26"


def test_an_opening_sentence_is_not_a_title() -> None:
    assert find_title("本报告根据《中华人民共和国政府信息公开条例》和《政府信息公开工作年度报告格式》编制。") is None


def test_year_is_from_the_title_not_the_publication_date() -> None:
    text = "发布日期：2019-12-25\n万盛经开区政府信息公开工作年度报告(2017年度)\n一、政务公开工作概述\n2017年，我区…"
    rec = build_record(ExtractedDoc(kind="text", text=text, published_at="2019-12-25"))
    assert rec.year == 2017 and rec.published_at == "2019-12-25"


def test_page_metadata_title_is_used_when_the_text_has_none() -> None:
    text = "本报告根据《条例》编制。统计时限为2022年1月1日至2022年12月31日。一、总体情况 2022年，全区主动公开政府信息10条。"
    rec = build_record(ExtractedDoc(kind="html", text=text, title="平潭综合实验区2022年度政府信息公开工作年度报告"))
    assert rec.title == "平潭综合实验区2022年度政府信息公开工作年度报告"
    assert rec.agency == "平潭综合实验区" and rec.year == 2022
    assert not any("synthesised" in w for w in rec.warnings)


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("一、本年新收政府信息公开申请数量\t1\n（六）其他处理\t0\n", "2019"),
        ("第二十条第（一）项\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n", "2021"),
        ("1.申请人无正当理由逾期不\n补正、行政机关不再处理\n", "2021"),
        ("全年主动公开政府信息7656条。", "legacy"),
    ],
)
def test_format_from_the_tables_wording(text: str, fmt: str) -> None:
    assert detect_format(compact(text)) == fmt


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("报告所列统计期限自 2024 年 1 月 1 日至 2024 年 12 月 31 日。", ("2024-01-01", "2024-12-31")),
        ("统计日期自2012年3月31日起至2013年3月31日止", ("2012-03-31", "2013-03-31")),
        ("本报告中所列数据统计时限为2022年1月1日至2022年12月31日。", ("2022-01-01", "2022-12-31")),
        ("所列数据的统计期限自2020年1月1日起至12月31日止", ("2020-01-01", "2020-12-31")),
        ("本报告所列数据的统计期限自至。", (None, None)),
    ],
)
def test_statistics_period(text: str, period: tuple[str | None, str | None]) -> None:
    assert find_period(compact(text)) == period


def test_contact_block_wrapped_in_layout_text() -> None:
    text = ("如对本报告有疑问，请与淮安市人民政府办公室联系（地址：淮\n安市翔宇南道 1 号，邮编：223001，电话：0517-83605210，电\n"
            "子邮箱：hazwgkc@163.com）。")
    c = find_contact(text)
    assert (c.address, c.postcode, c.phone, c.fax, c.email, c.website) == (
        "淮安市翔宇南道1号", "223001", "0517-83605210", None, "hazwgkc@163.com", None)


def test_contact_phone_needs_its_label_and_keeps_printed_dashes() -> None:
    text = ("共受理市长公开电话 97 件。报告电子版在门户网站（www.luzhou.gov.cn）公开。如有疑问请联系（地址：泸州市江阳区江阳西路1号；"
            "邮编：646000；联系电话：0830—3115719；传真：0830-1234567）。")
    c = find_contact(text)
    assert c.phone == "0830—3115719" and c.fax == "0830-1234567" and c.website == "www.luzhou.gov.cn"


def test_email_domain_and_file_names_are_not_the_website() -> None:
    c = find_contact("电子邮箱：24336240@163.com。\n2012zfxxbg.doc")
    assert c.email == "24336240@163.com" and c.website is None


def test_sections_skip_table_rows_with_numerals() -> None:
    text = normalize_text(
        "一、总体情况\n正文。\n二、主动公开政府信息情况\n正文。\n三、收到和处理政府信息公开申请情况\n"
        "一、本年新收政府信息公开申请数量\t\t21\t0\t22\n四、结转下年度继续办理\t\t5\t0\t5\n"
        "四、政府信息公开行政法复议、行政诉讼情况\n0\t0\n五、存在的主要问题及改进情况\n2021年，我区将…"
    )
    headings = [(s.number, s.heading) for s in split_sections(text)]
    assert headings == [("一", "总体情况"), ("二", "主动公开政府信息情况"), ("三", "收到和处理政府信息公开申请情况"),
                        ("四", "政府信息公开行政法复议、行政诉讼情况"), ("五", "存在的主要问题及改进情况")]


def test_sections_in_flattened_text_are_cut_where_the_body_starts() -> None:
    text = ("报告编制说明。一、 概述推进政府信息公开工作是重要举措。二、主动公开政府信息情况（一）主动公开政府信息的数量…"
            "三、政府信息依申请公开工作情况2013年全县共收到申请7条。 四、政府信息公开工作存在的主要问题及改进情况目前，我县仍存在不足。")
    sections = split_sections(text)
    assert [s.heading for s in sections] == ["概述", "主动公开政府信息情况", "政府信息依申请公开工作情况",
                                             "政府信息公开工作存在的主要问题及改进情况"]
    assert sections[2].text.startswith("2013年全县共收到申请7条")


def test_page_artefacts_are_removed() -> None:
    text = normalize_text("第一段\n                                          -1-\n第二段\nPAGE  \n7\n第三段\n— 3 —\n")
    assert text.split() == ["第一段", "第二段", "第三段"]


def test_full_width_digits_read_as_numbers() -> None:
    rec = build_record(ExtractedDoc(kind="text", text="某某市２０１４年政府信息公开工作年度报告\n全市全年主动公开政府信息８０１６５条。"))
    assert rec.year == 2014 and rec.stats["proactive.total"] == 80165


def test_contact_prefers_the_reports_own_website_and_trims_the_address() -> None:
    text = ("登录国家政务服务平台（http://gjzwfw.www.gov.cn）办理。本报告电子版可在某某区人民政府门户网站（www.mmq.gov.cn）下载。"
            "如有疑问请联系（地址：某某区人民路1号（邮编：350000），联系方式：0591-87654321）。")
    c = find_contact(text)
    assert (c.website, c.address, c.postcode, c.phone) == ("www.mmq.gov.cn", "某某区人民路1号", "350000", "0591-87654321")


def test_inline_list_of_parts_is_not_taken_for_headings() -> None:
    text = ("本报告包括：一、总体情况；二、主动公开政府信息情况；三、收到和处理政府信息公开申请情况。\n"
            "一、总体情况\n正文一。\n二、主动公开政府信息情况\n正文二。\n")
    assert [s.heading for s in split_sections(text)] == ["总体情况", "主动公开政府信息情况"]


def test_a_sentence_citing_a_report_is_not_its_title() -> None:
    assert find_title("《2020年政府信息公开工作年度报告》已在网站发布\n正文") is None


def test_run_together_headings_rewrapped_at_arbitrary_points() -> None:
    text = ("编制说明。一、 概述推进政府信息公开工作是平潭县贯彻\n实施《条例》的重要举措。二、主动公开政\n府信息情况（一）数量…"
            "总计 723000075四、结转下年度继续办理 0000000四、政府信息公开行政法复议、行政\n诉讼情况行政复议 行政诉讼")
    headings = [s.heading for s in split_sections(text)]
    assert headings[:2] == ["概述", "主动公开政府信息情况"]


def test_a_phrase_naming_the_report_format_is_not_a_title() -> None:
    text = "本报告根据《国务院办公厅关于印\n发<中华人民共和国政府信息公开工作年度报告格式>的通知》编制。"
    assert find_title(text) is None


# --- flattened portal pages (issue 21, class 4): site chrome around the title, titles without 政府 ---

PORTAL_DEPT = (
    "当前位置：首页 > 政务公开 > 政府信息公开年报\n"
    "福州市地方税务局2013年信息公开年度报告\n"
    "来源：福州市地方税务局 时间：2014-01-20 11:20 浏览次数：123 【字体：大 中 小】\n"
    "福州市地方税务局2013年信息公开年度报告\n"
    "一、概述2013年，我局认真贯彻落实《中华人民共和国政府信息公开条例》，全年主动公开信息256条。\n"
    "二、主动公开政府信息情况2013年，我局共主动公开政府信息256条，其中机构职能12条。\n"
    "三、依申请公开政府信息情况2013年我局共受理申请3件。\n"
    "四、存在的不足及改进措施一是公开内容不够丰富。二是更新不够及时。\n"
)


def test_portal_text_with_breadcrumb_and_repeated_title() -> None:
    rec = build_record(ExtractedDoc(kind="text", text=PORTAL_DEPT))
    assert (rec.title, rec.agency, rec.year) == ("福州市地方税务局2013年信息公开年度报告", "福州市地方税务局", 2013)
    assert [s.heading for s in rec.sections] == ["概述", "主动公开政府信息情况", "依申请公开政府信息情况", "存在的不足及改进措施"]


def test_generic_body_heading_yields_to_the_title_naming_the_agency() -> None:
    text = ("2024年政府信息公开工作年度报告\n首页 > 政务公开 > 年报\n"
            "平潭综合实验区经济发展局2024年政府信息公开工作年度报告\n一、总体情况\n2024年，我局坚持公开为常态。\n")
    assert find_title(text) == "平潭综合实验区经济发展局2024年政府信息公开工作年度报告"
    body = "2024年政府信息公开工作年度报告\n一、总体情况\n2024年，我局坚持公开为常态。\n二、主动公开政府信息情况\n略。\n"
    rec = build_record(ExtractedDoc(kind="html", text=body, title="平潭综合实验区经济发展局2024年政府信息公开工作年度报告_平潭综合实验区"))
    assert (rec.title, rec.agency) == ("平潭综合实验区经济发展局2024年政府信息公开工作年度报告", "平潭综合实验区经济发展局")


def test_a_leading_group_name_is_not_part_of_the_title() -> None:
    rec = build_record(ExtractedDoc(kind="text", text="福清市政务公开工作领导小组\n福清市2012年政府信息公开工作年度报告\n一、概述\n2012年，我市稳步推进。\n"))
    assert (rec.title, rec.agency) == ("福清市2012年政府信息公开工作年度报告", "福清市")


@pytest.mark.parametrize(
    ("text", "agency"),
    [
        ("2016年政府信息公开工作年度报告\n本报告是根据《中华人民共和国政府信息公开条例》要求，由闽侯县卫生和计划生育局编制。\n"
         "一、概述\n2016年，我局稳步推进。\n", "闽侯县卫生和计划生育局"),
        ("2015年政府信息公开工作年度报告\n根据《条例》要求，现公布本局2015年度政府信息公开工作年度报告。\n一、概述\n2015年，我局稳步推进。\n"
         "二、主动公开情况\n本年共主动公开信息30条。\n\n永泰县财政局\n2016年3月20日\n", "永泰县财政局"),
    ],
    ids=["opening", "signature"],
)
def test_agency_from_the_opening_sentence_or_the_signature(text: str, agency: str) -> None:
    assert build_record(ExtractedDoc(kind="text", text=text)).agency == agency


@pytest.mark.parametrize(
    "text",
    [
        "第一部分 概述2017年，我县稳步推进。\n第二部分 主动公开政府信息情况全年共主动公开信息100条。\n"
        "第三部分 依申请公开政府信息情况全年收到申请5件。\n第四部分 存在的问题和改进措施一是培训不足。\n",
        "（一）概述\n2017年，我县稳步推进。\n（二）主动公开政府信息情况\n全年共主动公开信息100条。\n"
        "（三）依申请公开政府信息情况\n全年收到申请5件。\n（四）存在的问题和改进措施\n一是培训不足。\n",
    ],
    ids=["part", "bracket"],
)
def test_top_level_headings_numbered_by_part_or_bracket(text: str) -> None:
    sections = split_sections(text)
    assert [s.heading for s in sections] == ["概述", "主动公开政府信息情况", "依申请公开政府信息情况", "存在的问题和改进措施"]
    assert [s.number for s in sections] == ["一", "二", "三", "四"]


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("联系电话：0591-22033456、22033457。", "0591-22033456"),
        ("联系电话为0591-22033456。", "0591-22033456"),
        ("电话号码：0591-22033456", "0591-22033456"),
        ("咨询电话：0591-22033456转8012", "0591-22033456转8012"),
        ("联系电话：（0591）22033456，传真：0591-22033457", "（0591）22033456"),
        ("受理公开电话 97 件", None),
    ],
)
def test_phone_numbers_in_flattened_text(text: str, phone: str | None) -> None:
    assert find_contact(text).phone == phone
