"""``storage.agency.agency_key``: the name variants of one agency meet, different agencies stay apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storage.agency import agency_key

SAME = [
    # the variants
    ("平潭综合实验区", "平潭综合实验区管委会"),
    ("平潭综合实验区", "平潭综合实验区管理委员会"),
    ("平潭综合实验区", "福建省平潭综合实验区管委会"),
    ("洪泽区人民政府", "淮安市洪泽区人民政府"),
    ("洪泽区人民政府", "江苏省淮安市洪泽区人民政府办公室"),
    ("洪泽区人民政府", "洪泽区政府"),
    # typography: full-width forms and whitespace
    ("平潭综合实验区", "　平潭综合实验区 管委会 "),
    ("万盛经开区", "重庆市万盛经开区"),
    ("淮安市", "江苏省淮安市人民政府"),
    ("西湖区", "杭州市西湖区人民政府"),
    ("市中区", "济南市市中区人民政府"),
    ("康定市", "甘孜藏族自治州康定市人民政府"),
]

DIFFERENT = [
    ("平潭县人民政府", "平潭综合实验区"),  # a county government is not the zone
    ("平潭县人民政府", "平潭综合实验区管委会"),
    ("国家税务总局淮安市洪泽区税务局", "淮安市洪泽区人民政府"),  # a department is not its government
    ("淮安市洪泽区财政局", "洪泽区人民政府"),
    ("淮安市税务局", "淮安市人民政府"),
    ("淮安市人民政府", "淮安市洪泽区人民政府"),  # the city is not its district
    ("淮安市经济技术开发区", "泸州市经济技术开发区"),  # every city has one: the city stays
    ("杭州市", "杭州市西湖区"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_variants_of_one_agency_share_a_key(a: str, b: str) -> None:
    assert agency_key(a) == agency_key(b) is not None


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_agencies_keep_different_keys(a: str, b: str) -> None:
    assert agency_key(a) != agency_key(b)


def test_a_department_keeps_its_name() -> None:
    assert agency_key("国家税务总局淮安市洪泽区税务局") == "国家税务总局淮安市洪泽区税务局"
    assert agency_key("淮安市洪泽区财政局") == "洪泽区财政局"


def test_no_name_is_no_key() -> None:
    assert agency_key(None) is None
    assert agency_key("") is None
    assert agency_key(" 　") is None


def test_corpus_agencies_are_distinct_and_stable(corpus_dir: Path) -> None:
    """Every agency of the corpus keeps a key of its own, and a key is
    a fixed point: normalising it again changes nothing."""
    names = {json.loads(p.read_text(encoding="utf-8"))["agency"] for p in (corpus_dir / "expected").glob("*.json")}
    names.discard(None)
    assert {"平潭县人民政府", "平潭综合实验区", "淮安市人民政府"} <= names
    keys = {n: agency_key(n) for n in names}
    assert len(set(keys.values())) == len(names), keys
    for key in keys.values():
        assert agency_key(key) == key
    assert keys["平潭县人民政府"] == "平潭县"
    assert keys["长春市宽城区人民政府"] == "宽城区"
