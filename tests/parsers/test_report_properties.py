"""Property: any text either becomes a schema-valid Record or raises ParseError.

Three kinds of input: arbitrary Unicode, real corpus reports mutated (slices
cut, duplicated, digits changed, noise inserted, truncated), and soups of the
very words and numbers the table parser keys on, which reach its deepest paths.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.errors import ParseError
from parsers.record import ExtractedDoc
from parsers.report import build_record

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "spec" / "report.schema.json").read_text(encoding="utf-8"))
TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus" / "text").glob("*.txt"))]
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

VOCAB = [
    "一、", "二、", "三、", "四、", "（一）", "(二)", "1.", "2、", "\t", "\n", " ", "本年新收政府信息公开申请数量",
    "上年结转", "予以公开", "部分公开", "国家秘密", "三安全一稳定", "第三方", "内部事务", "过程性", "执法案卷",
    "行政查询", "不掌握", "另行制作", "补正后", "信访", "重复申请", "出版物", "大量反复", "重新出具", "其他处理",
    "逾期不补正", "未按收费", "其他", "总计", "结转下年度", "行政复议", "行政诉讼", "结果维持", "第二十条第（一）项",
    "规章", "规范性文件", "行政许可", "行政处罚", "行政强制", "事业性收费", "集中采购", "本年制发", "万元", "元",
    "/", "—", "-", "+16", "-32", "0", "7", "89", "898989", "713000074", "2021年", "政府信息公开工作年度报告",
    "统计期限自2020年1月1日至2020年12月31日", "地址：", "电话：023-1234567", "主动公开政府信息", "条", "件",
    "指标名称", "历年累计", "未发生", "不予公开", "收取", "费", "支出", "20万元", "余条",
]


def _check(text: str) -> None:
    start = time.perf_counter()
    try:
        record = build_record(ExtractedDoc(kind="text", text=text))
    except ParseError as exc:
        assert exc.kind in ("empty", "not_a_report") and exc.reason
        return
    finally:
        assert time.perf_counter() - start < 2.0, "parsing must stay bounded"
    data: dict[str, Any] = record.to_dict()
    errors = sorted(VALIDATOR.iter_errors(data), key=str)
    assert not errors, errors[0].message


@given(st.text(max_size=2000))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_arbitrary_text(text: str) -> None:
    _check(text)


@st.composite
def mutated_report(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        n = len(text)
        a = draw(st.integers(0, n))
        b = draw(st.integers(a, min(n, a + 400)))
        op = draw(st.sampled_from(["cut", "dup", "insert", "digits", "truncate", "flatten"]))
        if op == "cut":
            text = text[:a] + text[b:]
        elif op == "dup":
            text = text[:b] + text[a:b] + text[b:]
        elif op == "insert":
            text = text[:a] + draw(st.text(max_size=40)) + text[a:]
        elif op == "digits":
            text = text[:a] + "".join(draw(st.sampled_from("0123456789")) if c.isdigit() else c for c in text[a:b]) + text[b:]
        elif op == "truncate":
            text = text[:a]
        else:
            text = text[:a] + text[a:b].replace("\t", "").replace("\n", "").replace(" ", "") + text[b:]
    return text


@given(mutated_report())
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_corpus_text(text: str) -> None:
    _check(text)


@given(st.lists(st.sampled_from(VOCAB) | st.from_regex(r"\d{1,12}", fullmatch=True), max_size=300))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_report_vocabulary_soup(parts: list[str]) -> None:
    _check("某某区2020年政府信息公开工作年度报告\n" + "".join(parts))


@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00\x01"])
def test_empty_text_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError) as info:
        build_record(ExtractedDoc(kind="text", text=text))
    assert info.value.kind in ("empty", "not_a_report")


def test_text_that_is_not_a_report() -> None:
    with pytest.raises(ParseError) as info:
        build_record(ExtractedDoc(kind="text", text="登录 | 注册\n欢迎访问本网站，今日天气晴。联系电话：0591-1234567"))
    assert info.value.kind == "not_a_report"
    assert "annual report" in info.value.reason


def test_report_without_any_year_is_not_a_report() -> None:
    with pytest.raises(ParseError) as info:
        build_record(ExtractedDoc(kind="text", text="政府信息公开工作年度报告\n一、总体情况\n我单位认真开展工作。"))
    assert info.value.kind == "not_a_report" and "year" in info.value.reason


def test_long_runs_of_digits_stay_fast() -> None:
    text = "某市2021年政府信息公开工作年度报告\n本年新收政府信息公开申请数量 " + "1" * 55 + " 上年结转 " + "0" * 59
    start = time.perf_counter()
    _check(text * 20)
    assert time.perf_counter() - start < 1.0


def test_a_work_plan_listed_beside_the_reports_is_not_a_report() -> None:
    text = "2022年政务公开工作要点\n一、深化政府信息公开\n各单位要做好政府信息公开年度报告的编制和发布工作。"
    with pytest.raises(ParseError) as info:
        build_record(ExtractedDoc(kind="html", text=text, title="关于印发2022年政务公开工作要点的通知"))
    assert info.value.kind == "not_a_report"
    with pytest.raises(ParseError):
        build_record(ExtractedDoc(kind="text", text=text))
