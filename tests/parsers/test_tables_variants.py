"""The statutory tables as real reports vary them, modelled on the corpus.

Each test writes the table the way one kind of source renders it (Word/HTML
tab rows, PDF layout text, flattened page text) and with the deviations seen in
real reports: other numbering styles, spaces inside labels, a 2021 table with a
single （六） row, blank and "/" cells, stray cells, run-together digits.
"""

from __future__ import annotations

import json
from pathlib import Path

from parsers.record import ExtractedDoc, Record
from parsers.report import build_record
from parsers.tables import COLUMNS

HEAD = "某某县人民政府2021年政府信息公开工作年度报告\n一、总体情况\n2021年，我县认真贯彻落实《条例》。\n"

# (key, label) in template order; the 2021 （六） rows are added per test
ROWS_2019 = [
    ("new_received", "一、本年新收政府信息公开申请数量"),
    ("carried_over", "二、上年结转政府信息公开申请数量"),
    ("granted", "三、本年度办理结果\t（一）予以公开"),
    ("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("denied.state_secret", "（三）不予公开\t1.属于国家秘密"),
    ("denied.prohibited_by_law", "2.其他法律行政法规禁止公开"),
    ("denied.three_safeties", "3.危及“三安全一稳定”"),
    ("denied.third_party", "4.保护第三方合法权益"),
    ("denied.internal_affairs", "5.属于三类内部事务信息"),
    ("denied.process_info", "6.属于四类过程性信息"),
    ("denied.enforcement_files", "7.属于行政执法案卷"),
    ("denied.admin_inquiry", "8.属于行政查询事项"),
    ("unable.not_held", "（四）无法提供\t1.本机关不掌握相关政府信息"),
    ("unable.needs_creation", "2.没有现成信息需要另行制作"),
    ("unable.unclear", "3.补正后申请内容仍不明确"),
    ("not_processed.petition", "（五）不予处理\t1.信访举报投诉类申请"),
    ("not_processed.repeated", "2.重复申请"),
    ("not_processed.publication", "3.要求提供公开出版物"),
    ("not_processed.excessive", "4.无正当理由大量反复申请"),
    ("not_processed.confirmation", "5.要求行政机关确认或重新出具已获取信息"),
    ("other", "（六）其他处理"),
    ("total", "（七）总计"),
    ("carried_forward", "四、结转下年度继续办理"),
]
SPLIT_OTHER = [
    ("other.overdue_correction", "（六）其他处理\t1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("other.overdue_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other.other", "3.其他"),
]
ROWS_2021 = [r for r in ROWS_2019 if r[0] != "other"]
ROWS_2021[20:20] = SPLIT_OTHER

REVIEW_HEAD = (
    "四、政府信息公开行政复议、行政诉讼情况\n"
    "行政复议\t\t\t\t\t行政诉讼\n"
    "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉\n"
)
TAIL = "\n五、存在的主要问题及改进情况\n一是公开质量有待提高。\n六、其他需要报告的事项\n无。\n"


def _values(rows: list[tuple[str, str]]) -> dict[str, list[int]]:
    """A consistent table: every row, column and balance check holds."""
    v = {key: [0] * 7 for key, _ in rows}
    v["new_received"] = [5, 1, 0, 0, 2, 0, 8]
    v["carried_over"] = [1, 0, 0, 0, 0, 0, 1]
    v["granted"] = [3, 1, 0, 0, 1, 0, 5]
    v["partially_granted"] = [1, 0, 0, 0, 0, 0, 1]
    v["unable.not_held"] = [1, 0, 0, 0, 1, 0, 2]
    v["total"] = [5, 1, 0, 0, 2, 0, 8]
    v["carried_forward"] = [1, 0, 0, 0, 0, 0, 1]
    return v


def _tab_table(rows: list[tuple[str, str]], values: dict[str, list[int]]) -> str:
    lines = ["三、收到和处理政府信息公开申请情况",
             "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况\t\t\t\t\t\t总计"]
    for key, label in rows:
        lines.append(label + "\t" + "\t".join(str(x) for x in values[key]))
    return "\n".join(lines) + "\n"


def _parse(text: str) -> Record:
    return build_record(ExtractedDoc(kind="text", text=text))


def _table_stats(rec: Record) -> dict[str, float | int]:
    return {k: v for k, v in rec.stats.items() if k.startswith("requests.table.")}


def _expect(values: dict[str, list[int]]) -> dict[str, int]:
    return {f"requests.table.{k}.{c}": x for k, row in values.items() for c, x in zip(COLUMNS, row, strict=True)}


REVIEW_OK = "0\t1\t1\t0\t2\t1\t0\t0\t0\t1\t0\t0\t0\t0\t0\n"


def test_2019_tab_table_reads_every_cell_and_passes_checks() -> None:
    values = _values(ROWS_2019)
    rec = _parse(HEAD + "二、主动公开政府信息情况\n" + _tab_table(ROWS_2019, values) + REVIEW_HEAD + REVIEW_OK + TAIL)
    assert rec.format == "2019"
    assert _table_stats(rec) == _expect(values)
    assert not [c.rule for c in rec.checks if not c.ok]
    assert rec.stats["review.total"] == 2 and rec.stats["litigation.total"] == 1
    assert [s.heading for s in rec.sections] == ["总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况",
                                                 "政府信息公开行政复议、行政诉讼情况", "存在的主要问题及改进情况",
                                                 "其他需要报告的事项"]


def test_2021_table_with_split_other_rows() -> None:
    values = _values(ROWS_2021)
    values["other.overdue_correction"] = [0, 0, 0, 0, 0, 0, 0]
    rec = _parse(HEAD + "第二十条第（一）项\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t1\t0\t11\n"
                 + _tab_table(ROWS_2021, values) + TAIL)
    assert rec.format == "2021"
    assert _table_stats(rec) == _expect(values)
    assert "requests.table.other.total" not in rec.stats


def test_2021_table_with_a_single_other_row_uses_the_2019_key() -> None:
    values = _values(ROWS_2019)
    values["other"] = [1, 0, 0, 0, 0, 0, 1]
    values["total"] = [6, 1, 0, 0, 2, 0, 9]
    values["carried_forward"] = [0, 0, 0, 0, 0, 0, 0]
    rec = _parse(HEAD + "第二十条第（一）项\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t0\t0\t3\n"
                 + _tab_table(ROWS_2019, values) + TAIL)
    assert rec.format == "2021"
    assert rec.stats["requests.table.other.total"] == 1
    assert not any(k.startswith("requests.table.other.overdue") for k in rec.stats)
    assert not [c.rule for c in rec.checks if not c.ok]
    assert "outcomes.total" in {c.rule for c in rec.checks}


def test_numbering_styles_spaces_and_reworded_labels() -> None:
    restyled = []
    for key, label in ROWS_2019:
        label = (label.replace("（一）", "(一) ").replace("（二）", "(二)").replace("1.", "1、").replace("2.", "２．")
                 .replace("3.", "(3)").replace("国家秘密", "国 家 秘 密").replace("“三安全一稳定”", '"三安全一稳定"')
                 .replace("其他法律行政法规禁止公开", "其他法律、行政法规禁止公开"))
        restyled.append((key, label))
    values = _values(ROWS_2019)
    rec = _parse(HEAD + _tab_table(restyled, values) + TAIL)
    assert _table_stats(rec) == _expect(values)


def test_blank_slash_and_dash_cells_are_absent_not_zero() -> None:
    values = _values(ROWS_2019)
    text = _tab_table(ROWS_2019, values)
    text = text.replace("2.重复申请\t0\t0\t0\t0\t0\t0\t0", "2.重复申请\t0\t/\t—\t\t0\t0\t0")
    rec = _parse(HEAD + text + TAIL)
    key = "requests.table.not_processed.repeated."
    assert rec.stats[key + "natural_person"] == 0
    assert key + "commercial" not in rec.stats
    assert key + "research" not in rec.stats
    assert key + "social_welfare" not in rec.stats
    assert rec.stats[key + "legal_services"] == 0 and rec.stats[key + "total"] == 0


def test_layout_text_with_wrapped_rows_and_page_numbers() -> None:
    text = HEAD + (
        "      三、收到和处理政府信息公开申请情况\n"
        "                                     申请人情况\n"
        "                    自然人      商业企业   科研机构   社会公益组织   法律服务机构   其他   总计\n"
        "一、本年新收政府信息公开申请数量                3001        53       0        0    61       4   3119\n"
        "二、上年结转政府信息公开申请数量                34          0        0        0        0    0    34\n"
        "      （一）予以公开                   1288        21       0        0    50       3   1362\n"
        "      （二）部分公开（区分处理的，只计这一情\n"
        "                                447         7        0        0        0    0   454\n"
        "      形，不计其他情形）\n"
        "             1.属于国家秘密            2          0        0        0        0    0    2\n"
        "三、\n"
        "                                           -4-\n"
        "本            2.其他法律行政法规禁止公开     30          1        0        0        0    0    31\n"
        "               5.要求行政机关确认或重新出\n"
        "                                        1         0        0         0        0         0    1\n"
        "               具已获取信息\n"
        "               1、申请人无正当理由逾期不补\n\n"
        "               正、行政机关不再处理其政府信           67        3        0         0        1         0    71\n"
        "               息公开申请\n"
        "     （七）总计                           2932        53        0         0        61        4   3050\n"
        "四、结转下年度继续办理                          103          0        0         0        0         0    103\n"
    ) + TAIL
    rec = _parse(text)
    s = rec.stats
    assert [s[f"requests.table.partially_granted.{c}"] for c in COLUMNS] == [447, 7, 0, 0, 0, 0, 454]
    assert [s[f"requests.table.denied.prohibited_by_law.{c}"] for c in COLUMNS] == [30, 1, 0, 0, 0, 0, 31]
    assert [s[f"requests.table.not_processed.confirmation.{c}"] for c in COLUMNS] == [1, 0, 0, 0, 0, 0, 1]
    assert [s[f"requests.table.other.overdue_correction.{c}"] for c in COLUMNS] == [67, 3, 0, 0, 1, 0, 71]
    assert [s[f"requests.table.carried_forward.{c}"] for c in COLUMNS] == [103, 0, 0, 0, 0, 0, 103]
    assert s["requests.received"] == 3119 and s["requests.carried_forward"] == 103


def _flat(rows: list[tuple[str, str]], values: dict[str, list[int]]) -> str:
    return " ".join(label.replace("\t", " ") + " " + "".join(str(x) for x in values[key]) for key, label in rows)


def test_flattened_cells_are_split_by_row_arithmetic() -> None:
    values = _values(ROWS_2021)
    values["new_received"] = [71, 3, 0, 0, 0, 0, 74]
    values["carried_over"] = [1, 0, 0, 0, 0, 0, 1]
    values["granted"] = [21, 0, 0, 0, 0, 0, 21]
    values["partially_granted"] = [8, 1, 0, 0, 0, 0, 9]
    values["unable.not_held"] = [37, 0, 0, 0, 0, 0, 37]
    values["other.other"] = [0, 2, 0, 0, 0, 0, 2]
    values["total"] = [72, 3, 0, 0, 0, 0, 75]
    values["carried_forward"] = [0, 0, 0, 0, 0, 0, 0]
    values["other.overdue_correction"] = [2, 0, 0, 0, 0, 0, 2]
    values["denied.internal_affairs"] = [1, 0, 0, 0, 0, 0, 1]
    values["denied.process_info"] = [2, 0, 0, 0, 0, 0, 2]
    values["denied.enforcement_files"] = [1, 0, 0, 0, 0, 0, 1]
    flat = HEAD.replace("\n", " ") + "三、收到和处理政府信息公开申请情况 申请人情况 自然人 总计 " + _flat(ROWS_2021, values)
    rec = _parse(flat + " 四、政府信息公开行政复议、行政诉讼情况 结果维持 总计 0 1 1 0 2 1 0 0 0 1 0 0 0 0 0 五、存在的主要问题")
    assert _table_stats(rec) == _expect(values)
    assert not [c.rule for c in rec.checks if not c.ok]


def test_ambiguous_flattened_rows_are_chosen_by_column_arithmetic() -> None:
    # "112323122" reads as 1|12|3|2|3|1|22 or 11|2|3|2|3|1|22; only the second balances the columns
    values = _values(ROWS_2019)
    values["new_received"] = [11, 2, 3, 2, 3, 1, 22]
    values["carried_over"] = [0, 0, 0, 0, 0, 0, 0]
    values["granted"] = [10, 2, 3, 2, 3, 1, 21]
    values["partially_granted"] = [1, 0, 0, 0, 0, 0, 1]
    values["unable.not_held"] = [0] * 7
    values["total"] = [11, 2, 3, 2, 3, 1, 22]
    values["carried_forward"] = [0] * 7
    rec = _parse(HEAD.replace("\n", " ") + _flat(ROWS_2019, values) + " 五、存在的主要问题")
    assert _table_stats(rec) == _expect(values)
    assert any("column arithmetic" in w for w in rec.warnings)


def test_review_row_with_a_stray_cell_keeps_totals_adding_up() -> None:
    values = _values(ROWS_2019)
    stray = "0\t0\t3\t0\t3\t0\t0\t0\t0\t0\t0\t0\t0\t0\t2\t2\n"
    rec = _parse(HEAD + _tab_table(ROWS_2019, values) + REVIEW_HEAD + stray + TAIL)
    assert (rec.stats["review.other"], rec.stats["review.total"]) == (3, 3)
    assert rec.stats["litigation.direct.total"] == 0
    assert (rec.stats["litigation.after_review.pending"], rec.stats["litigation.after_review.total"]) == (2, 2)
    assert any("16 numbers under 15 columns" in w for w in rec.warnings)


def test_missing_tables_give_only_headline_keys() -> None:
    text = (HEAD + "二、主动公开政府信息情况\n2021年全县共主动公开政府信息1234条。\n"
            "三、收到和处理政府信息公开申请情况\n全年共收到政府信息公开申请12件，均已按时答复（表格见附件图片）。\n" + TAIL)
    rec = _parse(text)
    assert rec.format == "2021"
    assert rec.stats == {"proactive.total": 1234, "requests.received": 12}
    assert any("no statutory tables" in w for w in rec.warnings)


def test_printed_arithmetic_errors_are_kept_and_reported() -> None:
    values = _values(ROWS_2019)
    values["granted"] = [3, 1, 0, 0, 1, 0, 4]  # 3 + 1 + 1 printed as 4
    rec = _parse(HEAD + _tab_table(ROWS_2019, values) + TAIL)
    assert rec.stats["requests.table.granted.total"] == 4
    failed = {c.rule for c in rec.checks if not c.ok}
    assert failed == {"row_total.granted", "outcomes.total"}
    detail = next(c.detail for c in rec.checks if c.rule == "row_total.granted")
    assert "!=" in detail


ART20_2019 = (
    "二、主动公开政府信息情况\n按照《条例》第二十条规定，主动公开规章2件。\n"
    "第二十条第（一）项\n信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量\n规章\t0\t0\t0\n规范性文件\t10\t10\t35\n"
    "第二十条第（五）项\n信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n行政许可\t696\t-32\t15718\n"
    "其他对外管理服务事项\t98\t+16\t103878\n"
    "第二十条第（六）项\n信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n行政处罚\t1406\t+1599\t364\n行政强制\t40\t/\t1\n"
    "第二十条第（八）项\n信息内容\t上一年项目数量\t本年增/减\t\n行政事业性收费\t54\t-18\t\n"
    "第二十条第（九）项\n信息内容\t采购项目数量\t采购总金额\t\n政府集中采购\t3080\t63508600元\t\n"
)


def test_art20_2019_signs_blanks_and_yuan_converted_to_wan() -> None:
    values = _values(ROWS_2019)
    rec = _parse(HEAD + ART20_2019 + _tab_table(ROWS_2019, values) + TAIL)
    art20 = {k: v for k, v in rec.stats.items() if k.startswith("art20.")}
    assert art20 == {
        "art20.rules.made": 0, "art20.rules.published": 0, "art20.rules.public_total": 0,
        "art20.normative.made": 10, "art20.normative.published": 10, "art20.normative.public_total": 35,
        "art20.licensing.prior": 696, "art20.licensing.change": -32, "art20.licensing.decisions": 15718,
        "art20.other_services.prior": 98, "art20.other_services.change": 16, "art20.other_services.decisions": 103878,
        "art20.penalty.prior": 1406, "art20.penalty.change": 1599, "art20.penalty.decisions": 364,
        "art20.enforcement.prior": 40, "art20.enforcement.decisions": 1,
        "art20.fees.prior": 54, "art20.fees.change": -18,
        "art20.procurement.items": 3080, "art20.procurement.amount_wan": 6350.86,
    }


def test_art20_2021_flattened_cells_chosen_with_the_prose() -> None:
    text = ("某某区2022年政府信息公开工作年度报告 一、总体情况 集中公开现行有效行政规范性文件698件，本年度制发的规范性文件88件。"
            " 二、主动公开政府信息情况第二十条第（一）项 信息内容 本年制发件数 本年废止件数 现行有效件数 规章000"
            "行政规范性文件8855698第二十条第（五）项信息内容本年处理决定数量行政许可10690第二十条第（六）项信息内容"
            "本年处理决定数量行政处罚2113行政强制0第二十条第（八）项信息内容本年收费金额（单位：万元）行政事业性收费9116.36"
            " 三、收到和处理政府信息公开申请情况")
    rec = _parse(text)
    assert rec.format == "2021"
    assert {k: v for k, v in rec.stats.items() if k.startswith("art20.")} == {
        "art20.rules.issued": 0, "art20.rules.repealed": 0, "art20.rules.in_force": 0,
        "art20.normative.issued": 88, "art20.normative.repealed": 55, "art20.normative.in_force": 698,
        "art20.licensing.decisions": 10690, "art20.penalty.decisions": 2113, "art20.enforcement.decisions": 0,
        "art20.fees.amount_wan": 9116.36,
    }


def test_label_wrapped_around_its_cells_in_layout_text() -> None:
    values = _values(ROWS_2019)
    text = _tab_table(ROWS_2019, values).replace(
        "1.本机关不掌握相关政府信息\t1\t0\t0\t0\t1\t0\t2",
        "1.本机关不掌\n            1     0     0     0     1     0     2\n        握相关政府信息",
    )
    rec = _parse(HEAD + text + TAIL)
    assert _table_stats(rec) == _expect(values)


def _layout_with_vertical_groups(rows: list[tuple[str, str]], values: dict[str, list[int]]) -> str:
    """``pdftotext -layout`` of a table whose merged group cells print one character per line:
    each row line starts with a stray character of 三、本年度办理结果 / （六）其他处理 …, and
    a wrapped label gets one in front of its second line, inside a keyword (逾期不补 | 六 正)."""
    stray = iter("三、本年度办理结果（三）不予公开（四）无法提供（五）不予处理（六）其他处理" * 2)
    lines = ["三、收到和处理政府信息公开申请情况",
             "                     自然人   商业企业   科研机构   社会公益组织   法律服务机构   其他   总计"]
    for key, label in rows:
        own = label.split("\t")[-1]
        cells = "".join(f"{x:>9}" for x in values[key])
        if len(own) > 14:
            lines.append(f"{next(stray)}     {own[:14]}")
            lines.append(f"{next(stray)}     {own[14:]:<30}{cells}")
        else:
            lines.append(f"{next(stray)}     {own:<30}{cells}")
    return "\n".join(lines) + "\n"


def test_layout_text_tolerates_stray_characters_in_front_of_row_labels() -> None:
    values = _values(ROWS_2021)
    values["other.overdue_correction"] = [2, 0, 0, 0, 0, 0, 2]
    values["granted"] = [1, 1, 0, 0, 1, 0, 3]
    text = HEAD + _layout_with_vertical_groups(ROWS_2021, values) + TAIL
    assert "逾期不补\n）     正、行政机关" in text  # the keyword 不补正 is cut by a stray character
    rec = _parse(text)
    assert _table_stats(rec) == _expect(values)
    assert rec.table_source == "text"


def test_2019_tables_flattened_with_cells_run_together(corpus_dir: Path) -> None:
    """The real 大渡口 2020 report (2019 format) as a portal page flattens it: every line run
    into the next, the cells of a row run together ("行政许可696-3215718"). Rows whose own
    arithmetic is misprinted are read by the columns; a 第二十条 row that splits more than one
    way keeps only the cells every reading agrees on: never a shifted cell."""
    expected = json.loads((corpus_dir / "expected" / "chongqing_dadukou_2020.json").read_text("utf-8"))
    source = (corpus_dir / "text" / "chongqing_dadukou_2020.txt").read_text("utf-8")
    flat = "".join(line.replace("\t", "") for line in source.splitlines())
    rec = _parse(flat)
    skip = set(expected.get("not_graded", []))
    want = {k: v for k, v in expected["stats"].items() if k not in skip}
    got = {k: v for k, v in rec.stats.items() if k not in skip}
    assert rec.format == "2019"
    assert not {k: v for k, v in got.items() if k in want and want[k] != v}  # nothing shifted
    assert not set(got) - set(want)
    missing = set(want) - set(got)
    assert missing and all(k.startswith("art20.") for k in missing)  # only ambiguous 第二十条 cells left out
    assert rec.stats["art20.licensing.prior"] == 696 and rec.stats["art20.rules.public_total"] == 0
    assert any("split more than one way" in w for w in rec.warnings)
    assert [s.heading for s in rec.sections] == expected["section_headings"]
