"""Legacy reports: headline numbers stated in prose, and the appended statistics table.

Each sentence is in the style of the corpus reports (泸州, 长寿, 万盛, 宽城, 平潭县);
the rule under test is in the test name.
"""

from __future__ import annotations

import pytest

from parsers.numbers import prose_numbers
from parsers.prose import fees_and_proactive, legacy_headlines, legacy_table
from parsers.record import ExtractedDoc
from parsers.report import build_record


def test_exact_proactive_total() -> None:
    assert fees_and_proactive("全市各级行政机关全年主动公开政府信息80165条，比2013年增加11935条。").stats == {
        "proactive.total": 80165}


def test_approximate_proactive_total_is_omitted_not_replaced() -> None:
    res = fees_and_proactive("全区主动公开政府信息2万余条。政府网站公开各类信息15117条。")
    assert "proactive.total" not in res.stats
    assert res.warnings and "approximately" in res.warnings[0]
    assert "proactive.total" not in fees_and_proactive("市政府网站主动公开各类政府信息 5500 余条").stats


def test_proactive_total_in_a_published_count_sentence() -> None:
    text = "共发布“某某”等头条信息 125 条；共发布公开信息 7656 条，总点击量达到 105 万余次"
    assert fees_and_proactive(text).stats["proactive.total"] == 7656


def test_fees_none_charged_is_zero() -> None:
    for sentence in ("均未实行信息收费制度。", "在提供政府信息时，未进行收费。",
                     "未收取与政府信息公开工作相关的复印、邮寄等成本费用。", "2022年，无收取信息处理费情况。"):
        assert fees_and_proactive(sentence).stats == {"fees.total_yuan": 0}, sentence


def test_fees_amount_in_yuan_and_wan() -> None:
    assert fees_and_proactive("全年收取政府信息公开信息处理费 3940 元。").stats == {"fees.total_yuan": 3940}
    assert fees_and_proactive("全年收取信息处理费1.2万元。").stats == {"fees.total_yuan": 12000}


def test_fees_not_stated_stay_absent() -> None:
    assert fees_and_proactive("2012年用于网站改版和更新等费用是20万元。").stats == {}


def test_requests_and_outcomes() -> None:
    text = ("全市共受理政府信息公开申请528件，共办理答复528件。已办理答复件中，同意公开433件，占82%；"
            "部分公开46件，占8.71%；不予公开49件，占9.28％。")
    st = legacy_headlines(text).stats
    assert (st["requests.received"], st["requests.granted"], st["requests.partially_granted"],
            st["requests.denied"]) == (528, 433, 46, 49)


def test_no_requests_and_no_denials_are_zero() -> None:
    st = legacy_headlines("全年未收到公民、法人和其他组织依申请公开政府信息。全年未发生不予公开政府信息情况。").stats
    assert st == {"requests.received": 0, "requests.denied": 0}


def test_review_with_outcomes_and_litigation() -> None:
    text = ("全市收到政府信息公开行政复议申请174件，维持具体行政行为93件，被依法纠错3件，其他情形78件；"
            "收到行政诉讼18件，维持具体行政行为或者驳回原告诉讼请求7件，被依法纠错3件，其他情形8件。")
    st = legacy_headlines(text).stats
    assert st == {"review.total": 174, "review.upheld": 93, "review.corrected": 3, "review.other": 78,
                  "litigation.total": 18}


def test_no_review_or_litigation_is_zero() -> None:
    st = legacy_headlines("2014 年，全区未发生因政府信息公开申请行政复议、提起行政诉讼的案件。").stats
    assert st == {"review.total": 0, "litigation.total": 0}


def test_review_only_leaves_litigation_absent() -> None:
    st = legacy_headlines("2017年,青年镇人民政府发生因政府信息公开申请行政复议1件。").stats
    assert st == {"review.total": 1}


def test_staff_and_spending() -> None:
    text = ("(一)工作人员情况\n全区从事政府信息公开工作的人员为93人,其中全职69人,兼职24人。\n"
            "(二)政府信息公开事务支出情况\n2012年用于政府信息公开申请受理点等费用是20万元。")
    st = legacy_headlines(text).stats
    assert st == {"staff.total": 93, "staff.full_time": 69, "staff.part_time": 24, "spending_wan": 20}
    st = legacy_headlines("全区42个部门(镇街)295名工作人员从事信息公开工作。").stats
    assert st == {"staff.total": 295}


def test_approximate_spending_is_omitted() -> None:
    assert "spending_wan" not in legacy_headlines("信息公开经费支出约 55 万元。").stats


def test_flattened_statistics_table_reads_this_years_column() -> None:
    text = ("主动公开政府信息1853条。附件1：统计表 指标名称计量单位2013年度历年累计主动公开信息数条18535395其中：1.网站公开条"
            "171350172.政府公报公开条07受理依申请公开信息总数条728对申请的答复数条324其中：1.同意公开答复数条2192.同意部分公开"
            "答复数条133.否决公开答复数条02行政复议数条00行政诉讼数条00行政申诉数条00")
    st = legacy_table(text, prose_numbers(text[:20])).stats
    assert st == {"proactive.total": 1853, "requests.received": 7, "requests.granted": 2,
                  "requests.partially_granted": 1, "requests.denied": 0, "review.total": 0, "litigation.total": 0}


def test_tab_separated_statistics_table() -> None:
    text = ("指标名称\t计量单位\t2013年度\t历年累计\n主动公开信息数\t条\t1853\t5395\n受理依申请公开信息总数\t条\t7\t28\n"
            "同意部分公开答复数\t条\t/\t3\n行政复议数\t条\t0\t0\n")
    st = legacy_table(text, frozenset()).stats
    assert st == {"proactive.total": 1853, "requests.received": 7, "review.total": 0}


def test_legacy_report_end_to_end_has_no_table_keys() -> None:
    text = ("某某县2013年政府信息公开工作年度报告\n一、概述\n2013年，我县…\n二、主动公开政府信息情况\n全年主动公开政府信息120条。\n"
            "三、依申请公开情况\n共受理政府信息公开申请3件，同意公开2件，不予公开1件。未收取任何费用。\n"
            "四、行政复议和诉讼情况\n未发生因政府信息公开申请行政复议、提起行政诉讼的案件。")
    rec = build_record(ExtractedDoc(kind="text", text=text))
    assert rec.format == "legacy"
    assert rec.stats == {"proactive.total": 120, "requests.received": 3, "requests.granted": 2,
                         "requests.denied": 1, "fees.total_yuan": 0, "review.total": 0, "litigation.total": 0}
    assert rec.checks == []


def test_reworded_legacy_sentences() -> None:
    text = ("全年共受理申请12件，其中同意公开10件，同意部分公开1件，不予以公开1件。"
            "因政府信息公开申请提起行政复议的案件2件，提起行政诉讼的案件1起。"
            "全县从事政府信息公开工作的专职人员5人，兼职人员20人。")
    st = legacy_headlines(text).stats
    assert st == {"requests.received": 12, "requests.granted": 10, "requests.partially_granted": 1,
                  "requests.denied": 1, "review.total": 2, "litigation.total": 1, "staff.full_time": 5, "staff.part_time": 20}
    assert fees_and_proactive("全年主动公开政府信息数1234条。").stats == {"proactive.total": 1234}


def test_hard_line_breaks_inside_sentences_are_joined() -> None:
    text = ("全市共受理政府信息公开申\n请528件，共办理答复528件。\n全年未发生不予公\n开政府信息情况。\n"
            "收到行政\n诉讼18件。\n五、存在问题\n全年主动公开政府信息\n 80165 条。")
    st = legacy_headlines(text).stats
    assert st["requests.received"] == 528 and st["requests.denied"] == 0 and st["litigation.total"] == 18
    assert fees_and_proactive(text).stats == {"proactive.total": 80165}


def test_statistics_table_with_staff_fees_and_spending_rows() -> None:
    text = ("政府信息公开情况统计表\n统计指标\t单位\t本年度\n主动公开政府信息数\t条\t512\n受理政府信息公开申请总数\t件\t9\n"
            "行政复议申请总数\t件\t1\n依申请公开收取费用\t万元\t0.012\n从事政府信息公开工作人员数\t人\t30\n"
            "其中：专职人员数\t人\t4\n兼职人员数\t人\t26\n政府信息公开事务经费支出\t万元\t12.5\n")
    st = legacy_table(text, frozenset()).stats
    assert st == {"proactive.total": 512, "requests.received": 9, "review.total": 1, "fees.total_yuan": 120,
                  "staff.total": 30, "staff.full_time": 4, "staff.part_time": 26, "spending_wan": 12.5}


def test_requests_received_with_object_words() -> None:
    st = legacy_headlines("全年共受理依申请公开政府信息12件，已全部办结。").stats
    assert st == {"requests.received": 12}


# --- issue 21, class 7: the variants real legacy reports use ---

@pytest.mark.parametrize(
    "sentence",
    [
        "我区配备政府信息公开专职工作人员3名，兼职工作人员25名。",
        "全区共有专职人员3人、兼职人员25人从事政府信息公开工作。",
        "政府信息公开工作专职人员有3人，兼职人员有25人。",
        "配备专职信息公开工作人员3人，兼职信息公开工作人员25人。",
        "政务公开工作现有专兼职人员28名，其中专职3名，兼职25名。",
        "信息公开工作专职工作人员为3人，兼职工作人员为25人。",
        "明确政务公开专职人员共计3人，兼职人员共计25人。",
    ],
)
def test_staff_counts_in_their_variants(sentence: str) -> None:
    st = legacy_headlines(sentence).stats
    assert (st.get("staff.full_time"), st.get("staff.part_time")) == (3, 25)


def test_staff_of_other_work_is_not_disclosure_staff() -> None:
    st = legacy_headlines("我区法律顾问团队有专职律师3名，兼职律师5名。本年度新招聘专职人员3人。").stats
    assert "staff.full_time" not in st and "staff.part_time" not in st


@pytest.mark.parametrize(
    ("sentence", "total"),
    [
        ("全年主动公开各类政府信息1,200条，其中通过网站公开1100条。", 1200),
        ("本年度主动公开政府信息总计1200条（其中机构职能类100条）。", 1200),
        ("2012年，全区累计主动公开政府信息1200条，其中政策法规类300条。", 1200),
        ("全年通过政府网站主动公开信息800条，政府公报公开50条。", None),  # channel counts, no total stated
    ],
)
def test_proactive_total_beside_category_and_channel_counts(sentence: str, total: int | None) -> None:
    assert fees_and_proactive(sentence).stats.get("proactive.total") == total
