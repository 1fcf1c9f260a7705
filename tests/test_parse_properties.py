"""Random consistent reports, rendered in each seed text layout, parse back exactly; a lost
cell is either restored exactly from the totals or reported null, never wrong."""

from __future__ import annotations

import os
from typing import Any

import pytest
from gold import differences
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from render import LAYOUTS, render
from reports import reports

from extract import form, parse_bytes

SETTINGS = settings(max_examples=int(os.environ.get("GONGKAI_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("layout", LAYOUTS)
@SETTINGS
@given(report=reports())
def test_round_trip(layout: str, report: dict) -> None:
    result = parse_bytes(render(report, layout).encode("utf-8"), f"random.{layout}")
    assert differences(result, report) == []
    assert result["cells"] == {}
    assert all(c["ok"] is not False for c in result["checks"]), result["checks"]


def _cells(report: dict) -> list[tuple[str, str, int]]:
    out = []
    for key, vec in report["requests"].items():
        out += [("requests", key, c) for c in range(len(vec))]
    for key, vec in report["appeals"].items():
        out += [("appeals", key, c) for c in range(len(vec))]
    for key, _label, cols in _active_spec(report):
        out += [("active", key, c) for c in range(max(len(cols), 1))]
    return out


def _active_spec(report: dict) -> list[tuple[str, str, list[str]]]:
    return form.ACTIVE_2019 if report["format"] == "2019" else form.ACTIVE_2021


def _never_wrong(got: Any, want: Any, path: str, errors: list[str]) -> None:
    if got is None:
        return
    if isinstance(want, dict):
        for k in want:
            _never_wrong(got.get(k) if isinstance(got, dict) else None, want[k], f"{path}.{k}", errors)
    elif isinstance(want, list):
        for i, w in enumerate(want):
            _never_wrong(got[i] if isinstance(got, list) else None, w, f"{path}[{i}]", errors)
    elif got != want:
        errors.append(f"{path}: read {got!r}, truth {want!r}")


@pytest.mark.parametrize("layout", LAYOUTS)
@SETTINGS
@given(data=st.data())
def test_a_lost_cell_is_restored_exactly_or_null(layout: str, data: st.DataObject) -> None:
    report = data.draw(reports())
    lost = data.draw(st.sampled_from(_cells(report)))
    result = parse_bytes(render(report, layout, blank={lost}).encode("utf-8"), f"lost.{layout}")
    table, key, col = lost
    truth = report
    if table == "active" and layout != "pdf_text":
        # a blank cell of table 二 is printed blank: 0 as the table says (no total fixes it)
        value = report["active"][key]
        name = next(cols[col] if cols else None for k, _, cols in _active_spec(report) if k == key)
        path = f"active.{key}" + (f".{name}" if name else "")
        got = result["active"][key][name] if name else result["active"][key]
        assert got == 0 and result["cells"].get(path) == "blank", (got, result["cells"])
        truth = {**report, "active": {**report["active"], key: {**value, name: 0} if name else 0}}
    errors: list[str] = []
    for k in ("active", "requests", "appeals"):
        _never_wrong(result[k], truth[k], k, errors)
    assert errors == []
    if table in ("requests", "appeals") and result[table] and result[table].get(key):
        value = result[table][key][col]
        if value is not None and layout != "pdf_text":
            # a blank cell the totals restored is listed as inferred
            assert result["cells"].get(f"{table}.{key}.{col}") == "inferred"
    if table == "requests" and layout != "pdf_text":
        # one blank in a consistent table is always fixed by its row total
        assert result["requests"][key][col] == report["requests"][key][col]

