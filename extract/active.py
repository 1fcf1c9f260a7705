"""Table 二 (主动公开政府信息情况): its rows from grids or from the stream of text, in the
form's columns of the report's format (2019 or 2021), and the format its headers name."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import extract.form as form
import extract.stream as stream
from extract.cells import Span, is_blank, table_spans
from extract.document import Table
from extract.normalize import is_number, norm, parse_number
from extract.run_together import zeros_run_together

_ACTIVE_LABELS = {
    # key -> labels that name the row (after norm), most specific first
    "rules": ["规章"],
    "normative": ["行政规范性文件", "规范性文件"],
    "licensing": ["行政许可"],
    "other_services": ["其他对外管理服务事项", "对外管理服务事项"],
    "punishment": ["行政处罚"],
    "coercion": ["行政强制"],
    "fees": ["行政事业性收费"],
    "procurement": ["政府集中采购"],
}
# header text -> the column key it names (both formats)
_ACTIVE_HEADERS = {
    "本年制发件数": "issued", "本年废止件数": "repealed", "现行有效件数": "in_force",
    "本年新制作数量": "new_made", "本年新公开数量": "new_published", "对外公开总数量": "total_published",
    "上一年项目数量": "prev_items", "本年增/减": "change", "本年增减": "change", "处理决定数量": "decisions",
    "采购项目数量": "items", "采购总金额": "amount_yuan",
}
_CAPTION = re.compile(r"第二十条")


@dataclass
class ActiveTable:
    values: dict
    cells: dict[str, str] = field(default_factory=dict)  # "active.rules.issued" -> blank | split


def _header_keys(row: list[Span]) -> list[tuple[Span, str | None]] | None:
    """A table 二 header row (信息内容 | 本年制发件数 | …): its value cells and the keys they name."""
    texts = [norm(s.text) for s in row]
    if not texts or any(is_number(s.text) for s in row):
        return None
    keys: list[tuple[Span, str | None]] = []
    named = 0
    for s, t in zip(row, texts, strict=True):
        if not t or t == "信息内容":
            continue
        key = next((k for h, k in _ACTIVE_HEADERS.items() if h in t), None)
        if key is None and ("数量" in t or "金额" in t or "件数" in t):
            key = ""  # a column of numbers the form does not name this way (本年处理决定数量 …)
        named += key is not None
        keys.append((s, key))
    return keys if named and (texts[0] == "信息内容" or named == len(keys)) else None


def _row_label(row: list[Span]) -> tuple[int, str] | None:
    for i, s in enumerate(row):
        t = norm(s.text)
        if t and not is_number(t) and not is_blank(t):
            return i, t
    return None


def _active_key(label: str, spec_keys: list[str]) -> str | None:
    for key in spec_keys:
        names = _ACTIVE_LABELS["fees" if key == "fees_wan" else key]
        if any(label == n or label.endswith(n) for n in names):
            return key
    return None


def _amount(text: str, header_unit: str, want: str) -> int | float | None:
    """A money cell as printed (251000元, 25.1万元, 0.5) in 元 (want="元") or 万元."""
    t = norm(text)
    unit = "万元" if t.endswith("万元") else "元" if t.endswith("元") else header_unit
    num = parse_number(t)
    if num is None or unit == want:
        return num
    value = num * 10000 if unit == "万元" else num / 10000
    return int(value) if isinstance(value, float) and value.is_integer() and want == "元" else value


class _ActiveReader:
    """Collects table 二's rows, from grids and from the stream, into the parse contract."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.spec = form.ACTIVE_2019 if fmt == "2019" else form.ACTIVE_2021
        self.columns = {key: cols for key, _, cols in self.spec}
        self.found: dict[str, list[str | None]] = {}  # key -> cell texts in the spec's column order
        self.split: dict[str, set[int]] = {}
        self.header_unit: dict[str, str] = {}

    def width(self, key: str) -> int:
        return max(len(self.columns[key]), 1)

    def add(self, key: str, vals: list[str | None], split: Iterable[int] = (), replace: bool = False) -> None:
        # the first reading of a row stands, unless it left cells unread and this one (`replace`:
        # each cell printed apart, not split from one token) reads them all
        if key not in self.found or (replace and None in self.found[key] and None not in vals):
            self.found[key] = vals
            self.split[key] = set(split)

    def complete(self) -> bool:
        return len(self.found) == len(self.spec) and not any(None in v for v in self.found.values())

    def grid(self, tables: list[Table]) -> None:
        spec_keys = [k for k, _, _ in self.spec]
        for table in tables:
            header: list[tuple[Span, str | None]] | None = None
            for row in table_spans(table):
                joined = norm("".join(s.text for s in row))
                if _CAPTION.search(joined) and not any(is_number(s.text) for s in row):
                    header = None
                    continue
                h = _header_keys(row)
                if h is not None:
                    header = h
                    continue
                lab = _row_label(row)
                if lab is None:
                    continue
                i, label = lab
                key = _active_key(label, spec_keys)
                if key is None:
                    continue
                cells = [s for s in row[i + 1 :] if norm(s.text) != label]
                if not any(is_number(s.text) or is_blank(s.text) for s in cells):
                    continue  # no value cells: a label alone (its numbers elsewhere, or none)
                self.add(key, self._place(key, cells, header))
                if header and any("万元" in norm(s.text) for s, _ in header):
                    self.header_unit[key] = "万元"

    def _place(self, key: str, cells: list[Span], header: list[tuple[Span, str | None]] | None) -> list[str | None]:
        width = self.width(key)
        cols = self.columns[key]
        while cells and not cells[-1].text.strip() and len(cells) > width:
            cells = cells[:-1]
        if width == 1:  # one value under a wide header: wherever it sits in the row
            nonblank = [s.text for s in cells if s.text.strip()]
            return [nonblank[0] if nonblank else (cells[0].text if cells else None)]
        if header and len(header) >= width:
            keyed = [(s, k) for s, k in header if k]
            if len(cells) == len(header):
                by = {k: c.text for (_, k), c in zip(header, cells, strict=True) if k}
            else:
                by = {}
                for s, k in keyed:
                    cover = [c for c in cells if c.lo <= s.hi and c.hi >= s.lo]
                    if cover and k not in by:
                        by[k] = cover[0].text
            if all(c in by for c in cols):
                return [by[c] for c in cols]
        if len(cells) >= width:
            return [s.text for s in cells[:width]]
        numbers = [s.text for s in cells if is_number(s.text)]
        if len(numbers) == 1 and (reading := zeros_run_together(numbers[0], width)) is not None:
            self.split.setdefault(key, set()).update(range(width))  # "000": cells run together
            return [str(v) for v in reading]
        return [None] * width  # fewer cells than columns: the places of the others are unknown

    def stream(self, text: str) -> None:
        spec_keys = [k for k, _, _ in self.spec]
        for r in stream.rows(text, amounts=True):
            key = _active_key(norm(r.label).strip("|"), spec_keys)
            if key is None or (key in self.found and None not in self.found[key]) or not r.numbers:
                continue
            width = self.width(key)
            nums = r.numbers
            if len(nums) >= width:
                self.add(key, list(nums[:width]), replace=True)
            elif len(nums) == 1:
                reading = zeros_run_together(nums[0], width)
                if reading is not None:
                    self.add(key, [str(v) for v in reading], range(width))
                else:
                    self.add(key, [None] * width)

    def result(self) -> ActiveTable | None:
        if not self.found:
            return None
        out: dict = {}
        cells: dict[str, str] = {}
        for key, _label, cols in self.spec:
            vals = self.found.get(key)
            names: list[str | None] = [*cols] if cols else [None]
            nums: list = []
            for c, name in enumerate(names):
                text = vals[c] if vals is not None and c < len(vals) else None
                path = f"active.{key}" + (f".{name}" if name else "")
                if text is None:
                    nums.append(None)
                    continue
                if is_blank(text):
                    nums.append(0)
                    cells[path] = "blank"
                    continue
                if key == "procurement" and name == "amount_yuan":
                    value = _amount(text, self.header_unit.get(key, "元"), "元")
                elif key == "fees_wan":
                    value = _amount(text, "万元", "万元")
                else:
                    value = parse_number(text)
                nums.append(value)
                if value is not None and c in self.split.get(key, ()):
                    cells[path] = "split"
            if cols:
                out[key] = dict(zip(cols, nums, strict=True))
            else:
                out[key] = nums[0]
            if key == "procurement" and vals is not None and len(vals) > 1 and vals[1] and not is_blank(vals[1]):
                out[key]["amount_text"] = norm(vals[1])
        return ActiveTable(out, cells)


def active_runs(text: str) -> dict[str, str]:
    """Rows 规章 / 行政规范性文件 of a 2021 table 二 whose three numbers (issued, repealed, in
    force) ran together into one run of digits ("693665"): row key -> the digits. Table 二 has
    no totals of its own; `settle_by_last_year` reads such a run with last year's report."""
    out: dict[str, str] = {}
    for r in stream.rows(text):
        key = _active_key(norm(r.label).strip("|"), ["rules", "normative"])
        if key is None or key in out or len(r.numbers) != 1:
            continue
        token = r.numbers[0]
        if token.isdigit() and len(token) >= 3 and token != "0" * len(token):
            out[key] = token
    return out


def read_active(tables: list[Table], fmt: str, text: str | None = None) -> ActiveTable | None:
    reader = _ActiveReader(fmt)
    reader.grid(tables)
    if text is not None and not reader.complete():
        reader.stream(text)
    return reader.result()


def detect_format(text: str) -> str | None:
    """The table format named by section 二's column headers, if any."""
    t = norm(text)
    if re.search(r"本年新制作数量|本年新公开数量|对外公开总数量|上一年项目数量|政府集中采购", t):
        return "2019"
    if re.search(r"本年制发件数|本年废止件数|现行有效件数|本年收费金额", t):
        return "2021"
    return None
