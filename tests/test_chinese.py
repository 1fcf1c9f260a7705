"""Dates, Chinese numerals and body names: the crawler and the report parser read them alike."""

from __future__ import annotations

from datetime import date

import pytest

from archive.bodies import BodyIndex
from crawler.titles import report_year, title_body
from extract.chinese import DATE, cn_number, cn_year, fold_title, official_name, to_date

# every way reports write the zero of a year: 〇 ○ 零, a Latin O or o, a Greek Ο, a full-width Ｏ
ZEROS = ["〇", "○", "零", "O", "o", "Ο", "Ｏ"]


@pytest.mark.parametrize("zero", ZEROS)
def test_a_year_in_numerals_reads_the_same_in_a_list_title_and_in_a_report(zero: str) -> None:
    # the crawler recognises the list entry by its year ...
    assert report_year(f"XX县人民政府二{zero}二三年政府信息公开工作年度报告") == 2023
    # ... and the parser reads the same year under the signature
    m = DATE.search(f"XX县人民政府\n二{zero}二四年一月五日")
    assert m is not None and to_date(m) == date(2024, 1, 5)


def test_numerals() -> None:
    assert [cn_number(s) for s in ("五", "十", "十二", "二十", "二十一", "31")] == [5, 10, 12, 20, 21, 31]
    assert cn_year("二〇一九") == 2019 and cn_year("2019") == 2019
    m = DATE.search("二〇二〇年二月三十日")
    assert m is not None and to_date(m) is None  # no such day: no date rather than an error


def test_fold_title() -> None:
    assert fold_title("关于 二〇二〇 年度 政府信息公开工作年度报告") == "关于2020年度政府信息公开工作年度报告"
    assert fold_title("２０２１年 ⻓沙市") == "2021年长沙市"  # full-width digits, a radical for 长


def test_title_body_and_official_name() -> None:
    assert title_body("关于霍城县教育局二〇二五年政府信息公开工作年度报告") == "霍城县教育局"
    assert title_body("2025年政府信息公开工作年度报告") == ""
    assert official_name("中国 (福建) 自由贸易试验区") == "中国（福建）自由贸易试验区"


def test_an_unregistered_body_is_named_as_an_official_text_writes_it() -> None:
    index = BodyIndex([{"name": "霍城县人民政府", "kind": "government"}])
    found = index.lookup("中国 (福建) 水利局", ["霍城县"])
    assert found is not None and not found.registered
    assert found.name == "霍城县中国（福建）水利局"
