"""Whose report is this: names as real titles write them, matched to the registry (archive/bodies.py)."""

from __future__ import annotations

import pytest

from archive.bodies import BodyIndex, canonical
from crawler.titles import title_body

COUNTY = "霍城县人民政府"
REGISTRY = [
    {"name": COUNTY, "kind": "government", "parent": "伊犁哈萨克自治州人民政府"},
    {"name": "霍城县人民政府办公室", "kind": "department", "parent": COUNTY},
    {"name": "霍城县教育局", "kind": "department", "parent": COUNTY},
    {"name": "霍城县发展和改革委员会", "kind": "department", "parent": COUNTY},
    {"name": "霍城县文化体育广播电视和旅游局", "kind": "department", "parent": COUNTY},
    {"name": "霍城县住房和城乡建设局", "kind": "department", "parent": COUNTY},
    {"name": "霍城县卫生健康委员会", "kind": "department", "parent": COUNTY},
    {"name": "霍城县三宫乡人民政府", "kind": "town", "parent": COUNTY},
    {"name": "伊宁市人民政府", "kind": "government", "parent": "伊犁哈萨克自治州人民政府"},
    {"name": "伊宁市教育局", "kind": "department", "parent": "伊宁市人民政府"},
    {"name": "伊宁市市场监督管理局", "kind": "department", "parent": "伊宁市人民政府"},
    {"name": "伊宁市潘津镇人民政府", "kind": "town", "parent": "伊宁市人民政府", "aliases": ["潘津乡人民政府"]},
    {"name": "中国（福建）自由贸易试验区福州片区管理委员会", "kind": "institution", "parent": None},
]


@pytest.fixture(scope="module")
def index() -> BodyIndex:
    return BodyIndex(REGISTRY)


@pytest.mark.parametrize("printed, context, body", [
    # the full name, and its variants
    ("霍城县教育局", COUNTY, "霍城县教育局"),
    ("霍城县 人民 政府", COUNTY, COUNTY),
    ("霍城县政府", COUNTY, COUNTY),
    ("霍城县发改委", COUNTY, "霍城县发展和改革委员会"),
    ("霍城县文旅局", COUNTY, "霍城县文化体育广播电视和旅游局"),
    ("霍城县住建局", COUNTY, "霍城县住房和城乡建设局"),
    ("霍城县卫健委", COUNTY, "霍城县卫生健康委员会"),
    ("霍城县政府办", COUNTY, "霍城县人民政府办公室"),
    # without the county prefix, on the county's own column
    ("教育局", COUNTY, "霍城县教育局"),
    ("发改委", COUNTY, "霍城县发展和改革委员会"),
    ("县政府办公室", COUNTY, "霍城县人民政府办公室"),
    ("县人民政府", COUNTY, COUNTY),
    ("市场监管局", "伊宁市人民政府", "伊宁市市场监督管理局"),
    # 撤乡设镇, and a town by its own name
    ("三宫镇", COUNTY, "霍城县三宫乡人民政府"),
    ("霍城县三宫镇人民政府", COUNTY, "霍城县三宫乡人民政府"),
    ("潘津镇", "伊宁市人民政府", "伊宁市潘津镇人民政府"),
    ("潘津乡人民政府", None, "伊宁市潘津镇人民政府"),  # an alias
    # brackets half- or full-width
    ("中国(福建)自由贸易试验区福州片区管理委员会", None, "中国（福建）自由贸易试验区福州片区管理委员会"),
])
def test_registry_names_in_their_real_variants(index: BodyIndex, printed: str, context: str | None, body: str) -> None:
    m = index.lookup(printed, index.context_places([context] if context else []))
    assert m is not None and m.registered and m.name == body


@pytest.mark.parametrize("printed", ["人民政府", "政府", "镇", "乡", "局", "委员会", "办公室", "霍城县", "伊宁市", ""])
def test_generic_words_and_place_names_name_no_body(index: BodyIndex, printed: str) -> None:
    assert index.lookup(printed, index.context_places([COUNTY])) is None


def test_a_body_is_never_found_by_containment(index: BodyIndex) -> None:
    # 霍城县水利局 contains 霍城县 and ends like 霍城县教育局: it is a body of its own, not in the registry
    m = index.lookup("霍城县水利局", index.context_places([COUNTY]))
    assert m is not None and not m.registered and m.name == "霍城县水利局"
    short = index.lookup("水利局", index.context_places([COUNTY]))
    assert short is not None and not short.registered and short.name == "霍城县水利局"
    # another county's report on a city platform keeps its own name
    other = index.lookup("漳县人民政府", index.context_places(["伊宁市人民政府"]))
    assert other is not None and not other.registered and other.name == "漳县人民政府"


def test_two_bodies_that_fit_equally_get_neither() -> None:
    idx = BodyIndex(REGISTRY + [{"name": "霍城县教育和科学技术局", "kind": "department", "parent": COUNTY,
                                 "aliases": ["霍城县教育局"]}])
    m = idx.lookup("霍城县教育局", idx.context_places([COUNTY]))
    assert m is not None and m.name is None and m.how == "ambiguous"
    assert m.candidates == ["霍城县教育和科学技术局", "霍城县教育局"]


def test_canonical_spellings() -> None:
    assert canonical("伊宁市文化体育广播电视和旅游局") == canonical("伊宁市文旅局")
    assert canonical("汉宾乡人民政府") == canonical("汉宾镇") == "汉宾镇"
    assert canonical("琼科瑞克街道办事处") == "琼科瑞克街道"
    assert title_body("霍城县教育局2025年政府信息公开工作年度报告") == "霍城县教育局"
    assert title_body("2025年政府信息公开工作年度报告") == ""
