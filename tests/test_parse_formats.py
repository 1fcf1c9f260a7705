"""The 2019 format (国办公开办函〔2019〕60号, reports on 2019–2020) and legacy free-form reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract import parse_bytes, parse_file

TEXTS = Path(__file__).parent / "texts"
SEEDS = Path(__file__).parent / "seeds"


def test_2019_format_report() -> None:
    r = parse_file(TEXTS / "2019_format_tab_rows.txt")
    assert (r["agency"], r["year"], r["published"], r["format"]) == ("伊宁市住房和城乡建设局", 2020, "2021-01-29", "2019")
    assert r["sections"] == ["1", "2", "3", "4", "5", "6"]
    assert r["active"] == {
        "rules": {"new_made": 0, "new_published": 0, "total_published": 0},
        "normative": {"new_made": 3, "new_published": 3, "total_published": 27},
        "licensing": {"prev_items": 12, "change": -2, "decisions": 835},
        "other_services": {"prev_items": 4, "change": 1, "decisions": 96},
        "punishment": {"prev_items": 31, "change": 0, "decisions": 58},
        "coercion": {"prev_items": 2, "change": 0, "decisions": 3},
        "fees": {"prev_items": 3, "change": -1},
        "procurement": {"items": 7, "amount_yuan": 251000, "amount_text": "251000元"},
    }
    req = r["requests"]
    assert "other" in req and "other_other" not in req  # 其他处理 is one row in 2019
    assert req["other"] == [0] * 7
    assert req["new_received"] == [5, 1, 0, 0, 0, 0, 6]
    assert req["granted"] == [2, 1, 0, 0, 0, 0, 3]
    assert req["partially_granted"] == [1, 0, 0, 0, 0, 0, 1]
    assert req["unavailable_not_held"] == [1, 0, 0, 0, 0, 0, 1]
    assert req["total_processed"] == [4, 1, 0, 0, 0, 0, 5]
    assert req["carried_over_out"] == [1, 0, 0, 0, 0, 0, 1]
    assert r["appeals"] == {"review": [1, 0, 0, 0, 1], "suit_direct": [0, 0, 0, 1, 1], "suit_after_review": [0] * 5}
    assert all(c["ok"] is True for c in r["checks"]), r["checks"]


def test_legacy_report() -> None:
    r = parse_file(TEXTS / "legacy_2012.txt")
    assert r["agency"] == "武陟县人民政府"
    assert r["year"] == 2012
    assert r["published"] == "2013-02-20"  # printed 二○一三年二月二十日
    assert r["format"] == "legacy"
    assert r["sections"] == ["1", "2", "3", "4", "5", "6"]
    assert r["active"] is None and r["requests"] is None and r["appeals"] is None


def test_format_comes_from_the_tables_not_the_cited_document_number() -> None:
    text = (SEEDS / "003_1e1d37345e448265.txt").read_text(encoding="utf-8")
    text = text.replace("现将甘河子镇", "依据《关于政府信息公开工作年度报告有关事项的通知》（国办公开办函〔2019〕60号），现将甘河子镇")
    r = parse_bytes(text.encode("utf-8"), "cites-60.txt")
    assert "60号" in text
    assert r["format"] == "2021"


def test_gbk_text_is_decoded() -> None:
    text = (SEEDS / "000_d00dabea609a4446.txt").read_text(encoding="utf-8")
    r = parse_bytes(text.encode("gb18030"), "gbk.txt")
    assert r["agency"] == "伊宁市潘津镇人民政府"
    assert r["requests"]["new_received"] == [0] * 7


def test_empty_tab_cells_do_not_hang_the_text_reader() -> None:
    # a region made only of empty cells once sent the reader into an endless loop
    r = parse_bytes("报告\n\t\n\t\n\n\t\n".encode(), "tabs.txt")
    assert r["requests"] is None


@pytest.mark.parametrize("heading", ["收到和处理政府信息公开申请情况", "、收到和处理政府信息公开申请情况",
                                     "三收到和处理政府信息公开申请情况"])
def test_heading_without_its_number_still_opens_its_section(heading: str) -> None:
    """OCR drops a lone 三 or 、 at times: the form's own title is still the heading, while
    a sub-heading such as （二）依申请公开 does not open section 三."""
    import json

    from extract import Paragraph, read_document
    from extract.parser import parse_document

    gold = json.loads(next((SEEDS / "gold").glob("001_*.json")).read_text(encoding="utf-8"))
    doc = read_document((Path(__file__).parent / "fixtures" / "001.docx").read_bytes(), "001.docx")
    headings = [k for k, b in enumerate(doc.blocks) if isinstance(b, Paragraph) and b.text == "三、收到和处理政府信息公开申请情况"]
    assert len(headings) == 1
    doc.blocks[headings[0]] = Paragraph(heading)
    r = parse_document(doc)
    assert r["sections"] == gold["sections"]
    assert r["requests"] == gold["requests"]
    assert any(isinstance(b, Paragraph) and b.text.startswith("（二）依申请公开") for b in doc.blocks)
