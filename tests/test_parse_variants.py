"""Random consistent reports in the shapes real bodies publish (tests/variants.py) parse back:
every value exactly, blank cells as 0, and `cells` saying which numbers were not read as printed.
Cells run together are split where the sums allow exactly one reading, else null: never wrong."""

from __future__ import annotations

import os
from typing import Any

import pytest
from gold import differences
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reports import reports
from test_parse_properties import _never_wrong
from variants import (
    DATE_STYLES,
    TITLE_STYLES,
    expected,
    html_page,
    markdown_broken,
    one_line,
    pdf_dump,
    run_together,
)

from extract import form, parse_bytes

SETTINGS = settings(max_examples=int(os.environ.get("GONGKAI_EXAMPLES", 40)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
styles = st.tuples(st.sampled_from(TITLE_STYLES), st.sampled_from(DATE_STYLES))


def _parse(text: str, name: str) -> dict[str, Any]:
    return parse_bytes(text.encode("utf-8"), name)


def _meta_ok(result: dict, want: dict) -> None:
    for key in ("agency", "year", "published", "published_from", "format"):
        assert result[key] == want[key], (key, result[key], want[key])


@pytest.mark.parametrize("layout", ["one_line", "pdf_dump"])
@SETTINGS
@given(report=reports(), style=styles)
def test_text_without_line_structure_round_trips(layout: str, report: dict, style: tuple[str, str]) -> None:
    title, date = style
    text = (one_line if layout == "one_line" else pdf_dump)(report, title, date)
    result = _parse(text, f"{layout}.txt")
    want = expected(report, date)
    _meta_ok(result, want)
    assert differences(result, want) == []
    assert result["cells"] == {}


@SETTINGS
@given(report=reports(), style=styles, blanks=st.tuples(st.booleans(), st.booleans(), st.booleans()))
def test_portal_page_maps_cells_by_the_header(report: dict, style: tuple[str, str], blanks: tuple) -> None:
    title, date = style
    blank_zeros, blank_totals, extra_column = blanks
    page, blanked = html_page(report, blank_zeros, blank_totals, extra_column, title, date)
    result = _parse(page, "page.html")
    want = expected(report, date)
    if report["format"] == "2019":
        want["active"] = {**report["active"], "procurement": {
            **report["active"]["procurement"], "amount_text": f"{report['active']['procurement']['amount_yuan']}元"}}
    _meta_ok(result, want)
    assert differences(result, want) == []
    # exactly the blanked cells are listed: 0 as printed blank, or fixed by the totals
    assert set(result["cells"]) == set(blanked)
    for path, how in blanked.items():
        assert result["cells"][path] == how or (how == "blank" and result["cells"][path] == "inferred"), path


@SETTINGS
@given(report=reports(), data=st.data())
def test_ocr_markdown_rows_broken_in_two_join_again(report: dict, data: st.DataObject) -> None:
    keys = form.request_keys(report["format"], split_other="other" not in report["requests"])
    broken = set(data.draw(st.lists(st.sampled_from(keys), max_size=6)))
    result = _parse(markdown_broken(report, broken), "ocr.md")
    assert differences(result, expected(report, "end")) == []


@SETTINGS
@given(report=reports(), data=st.data())
def test_cells_run_together_are_split_or_null_never_wrong(report: dict, data: st.DataObject) -> None:
    keys = form.request_keys(report["format"], split_other="other" not in report["requests"])
    glued = set(data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4)))
    result = _parse(run_together(report, glued), "glued.txt")
    errors: list[str] = []
    _never_wrong(result["requests"], report["requests"], "requests", errors)
    assert errors == []
    for key in glued:
        vec = (result["requests"] or {}).get(key)
        if vec and all(v is not None for v in vec) and any(len(str(v)) > 0 for v in report["requests"][key]):
            # a row read back from its glued digits says so, unless it needed no splitting
            digits_per_cell = [len(str(v)) for v in report["requests"][key]]
            if sum(digits_per_cell) > 7:
                assert any(result["cells"].get(f"requests.{key}.{c}") in ("split", "inferred") for c in range(7))


def test_radical_code_points_read_as_characters() -> None:
    """PDFs (WPS, Quartz) map glyphs to Kangxi and supplement radicals: 国⼟, ⼀、本年新收… ⻓."""
    import json
    import unicodedata
    from pathlib import Path

    seeds = Path(__file__).parent / "seeds"
    kangxi = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0x2F00, 0x2FD6)}
    kangxi.update({"长": "⻓", "门": "⻔", "见": "⻅", "马": "⻢"})
    text = (seeds / "001_70dbf32ff745fb63.txt").read_text(encoding="utf-8")
    radicals = "".join(kangxi.get(ch, ch) for ch in text)
    assert sum(a != b for a, b in zip(text, radicals, strict=True)) > 100
    result = _parse(radicals, "radicals.txt")
    gold = json.loads((seeds / "gold" / "001_70dbf32ff745fb63.json").read_text(encoding="utf-8"))
    assert differences(result, gold) == []


@pytest.mark.parametrize(("head", "agency"), [
    # a special zone's full name keeps its full-width brackets (labels are matched NFKC-folded)
    ("中国（福建）自由贸易试验区福州片区管理委员会2022年政府信息公开工作年度报告\n", "中国（福建）自由贸易试验区福州片区管理委员会"),
    # the page's section name and its metadata lines run into the title
    ("政府信息公开\n福州市晋安区2022年政府信息公开工作年度报告\n时间:2023-01-12 10:01\n", "福州市晋安区人民政府"),
    ("公文生成日期:2023-01-04\n湖里区人民政府2022年政府信息公开工作年度报告\n", "湖里区人民政府"),
    # a portal's navigation before the title, with no line break between them
    ("专栏首页政府信息公开指南政府信息公开年度报告依申请公开政府信息公开意见箱 平潭综合实验区管委会办公室2022年度政府信息公开工作年度报告\n",
     "平潭综合实验区管委会办公室"),
    # the year in brackets after the title
    ("伊宁市民政局政府信息公开工作年度报告（2022年度）\n", "伊宁市民政局"),
    # a PDF dump printed the title's year (another font) on the line after it
    ("年上海市人民政府办公厅政府信息公开工作年度报告\n2022\n", "上海市人民政府办公厅"),
])
def test_agency_from_real_title_shapes(head: str, agency: str) -> None:
    body = "本报告中所列数据统计期限从2022年1月1日到12月31日止。\n一、总体情况\n2022年，我们认真贯彻落实条例。\n"
    result = _parse(head + body, "title.txt")
    assert (result["agency"], result["year"]) == (agency, 2022)
