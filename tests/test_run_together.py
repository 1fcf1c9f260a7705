"""Table 三 from text whose cells ran together, solved as a whole: every split of every row that
makes its own total, then the one choice whose result rows add up to （七）总计 column by column
(and 一 + 二 = （七） + 四). Only a unique reading is taken; otherwise null, never a wrong number."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from variants import archived_run_together, run_together

from extract import form, parse_bytes
from extract.stream import rows as stream_rows

SEEDS = Path(__file__).parent / "seeds"
HERE_REAL = Path(__file__).parent / "real" / "rewritten" / "docs"


def _seed_report(fmt_seed: str = "001_70dbf32ff745fb63") -> dict:
    gold = json.loads((SEEDS / "gold" / f"{fmt_seed}.json").read_text(encoding="utf-8"))
    return {k: gold[k] for k in ("agency", "year", "published", "format", "sections", "active", "requests", "appeals")}


def _with_requests(report: dict, rows: dict[str, list[int]]) -> dict:
    out = copy.deepcopy(report)
    zero = [0] * 7
    out["requests"] = {k: list(rows.get(k, zero)) for k in form.request_keys(report["format"])}
    return out


# 予以公开 270020130 reads 27 0 0 2 0 1 30 or 2 7 0 0 20 1 30; only the first adds up with the rows below
GRANTED = [27, 0, 0, 2, 0, 1, 30]
NOT_HELD = [22, 0, 0, 0, 0, 3, 25]
DUPLICATE = [15, 0, 0, 0, 0, 0, 15]
TOTAL = [64, 0, 0, 2, 0, 4, 70]
TABLE = {"new_received": TOTAL, "granted": GRANTED, "unavailable_not_held": NOT_HELD,
         "rejected_duplicate": DUPLICATE, "total_processed": TOTAL}


def _parse(text: str, name: str = "archived.txt") -> dict:
    return parse_bytes(text.encode("utf-8"), name)


def test_held_out_archived_text_is_solved_whole() -> None:
    report = _with_requests(_seed_report(), TABLE)
    text = archived_run_together(report)
    assert "申请数量640020470" in text and "予以公开270020130" in text
    assert "不掌握相关政府信息2200003252.没有现成" in text  # the next row's 2. glued to the last cell
    result = _parse(text)
    assert result["requests"] == report["requests"]
    cells = result["cells"]
    assert cells["requests.granted.0"] == "split" and cells["requests.granted.4"] == "split"
    assert cells["requests.unavailable_not_held.6"] == "split"


def test_one_row_per_line_is_solved_whole() -> None:
    report = _with_requests(_seed_report(), TABLE)
    result = _parse(run_together(report, set(report["requests"])), "glued.txt")
    assert result["requests"] == report["requests"]


def test_two_readings_that_both_add_up_leave_their_cells_null() -> None:
    # only 予以公开 has numbers, so 总计 and 一 are the same glued digits: both splits fit every sum
    rows = {"new_received": GRANTED, "granted": GRANTED, "total_processed": GRANTED}
    report = _with_requests(_seed_report(), rows)
    got = _parse(archived_run_together(report))["requests"]
    for key in rows:
        # 27 0 0 2 0 1 30 or 2 7 0 0 20 1 30: the cells both readings agree on are known
        assert got[key] == [None, None, 0, None, None, 1, 30], key
    assert got["withheld_state_secret"] == [0] * 7


def test_the_next_rows_number_belongs_to_its_label() -> None:
    found = stream_rows("1.本机关不掌握相关政府信息2200003252.没有现成信息需要另行制作0000000")
    assert [r.numbers for r in found] == [["220000325"], ["0000000"]]
    assert found[1].label.startswith("2.没有现成")


def test_eleven_digits_after_a_label_are_cells_a_named_telephone_is_not() -> None:
    found = stream_rows("（七）总计14300000143四、结转下年度继续办理0000000")
    assert [r.numbers for r in found] == [["14300000143"], ["0000000"]]
    assert [r.numbers for r in stream_rows("联系电话：13912345678，邮箱") if r.numbers] == []
    assert [r.numbers for r in stream_rows("电话 13912345678 或 15912345678") if r.numbers] == []


def test_seed_rewrites_with_run_together_rows_parse_at_their_figures() -> None:
    for seed in ("000_d00dabea609a4446", "001_70dbf32ff745fb63", "003_1e1d37345e448265"):
        report = _seed_report(seed)
        got = _parse(archived_run_together(report))["requests"]
        assert got == report["requests"], seed


def test_table_two_run_settled_by_last_years_in_force_count() -> None:
    from extract.active import active_runs
    from extract.run_together import settle_by_last_year

    text = (HERE_REAL / "001-run-together.txt").read_text(encoding="utf-8")
    runs = active_runs(text)
    assert runs == {"normative": "41735"}
    # the report's own numbers are 4 17 35: last year 48 in force, +4 issued, -17 repealed
    assert settle_by_last_year(runs["normative"], 48) == {"issued": 4, "repealed": 17, "in_force": 35}
    assert settle_by_last_year("693665", 599) == {"issued": 69, "repealed": 3, "in_force": 665}
    assert settle_by_last_year("693665", 752) == {"issued": 6, "repealed": 93, "in_force": 665}
    assert settle_by_last_year("693665", 1000) is None  # no reading fits: left open
    assert settle_by_last_year("1111", 11) is None  # 1 1 11 and 1 11 1 both fit: neither is taken


def test_rows_with_some_separators_lost_are_solved_whole() -> None:
    # 予以公开 printed "27 0020 130": 0020 cannot be one cell; 27 0 0 2 0 1 30 or 2 7 0 0 20 1 30
    # (and 27 0 0 20 …) are weighed with the other rows as for a row fully run together
    report = _with_requests(_seed_report(), TABLE)
    text = run_together(report, set())
    text = text.replace("予以公开 27 0 0 2 0 1 30", "予以公开 27 0020 130")
    text = text.replace("本机关不掌握相关政府信息 22 0 0 0 0 3 25", "本机关不掌握相关政府信息 2200 00 325")
    assert "27 0020 130" in text and "2200 00 325" in text
    assert _parse(text, "partial.txt")["requests"] == report["requests"]
