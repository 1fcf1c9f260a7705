"""Read the three standard tables (二, 三, 四) from table rows, whatever reader produced them.

Rows are matched to the form by their labels, tolerant of cut, wrapped and garbled labels,
and by their order where labels are missing. A number that cannot be placed is None, never 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extract import form
from extract.normalize import is_number, label_score, leaf, norm, parse_number

Cell = int | float | None
LABEL_THRESHOLD = 0.6
HEADER_WORDS = ("自然人", "申请人情况", "商业企业", "科研机构", "法人或其他组织", "勾稽", "信息内容")


@dataclass
class RequestTable:
    """Table 三 as read: rows found (values may hold None), and what the reader could not place."""

    rows: dict[str, list[Cell]] = field(default_factory=dict)
    # cells that were blank in the document (candidates for inference)
    blanks: set[tuple[str, int]] = field(default_factory=set)
    # rows whose numbers were printed but whose positions could not be read: key -> candidate vectors
    candidates: dict[str, list[list[Cell]]] = field(default_factory=dict)
    split_other: bool = True
    notes: list[str] = field(default_factory=list)


@dataclass
class _Row:
    label: str
    values: list[str]  # the value cells, as text ("" = blank)
    width_ok: bool  # exactly 7 value cells placed by the header or by count


def _dedupe(cells: list[str]) -> list[str]:
    """Merged cells are repeated by readers; a label repeated side by side is one label."""
    out: list[str] = []
    for c in cells:
        if c and (not out or out[-1] != c):
            out.append(c)
    return out


def _header_columns(rows: list[list[str]]) -> tuple[int, int] | None:
    """Grid columns of 自然人 and 总计 in a table's header rows, when the grid is regular."""
    natural = total = None
    for row in rows:
        if any(is_number(c) for c in row):
            break
        for i, c in enumerate(row):
            n = norm(c)
            if n == "自然人" and natural is None:
                natural = i
            if n == "总计" and total is None:
                total = i
    if natural is not None and total is not None and total - natural == 6:
        return natural, total
    return None


def _value_run(cells: list[str]) -> tuple[int, list[str]]:
    """Where a row's trailing run of value cells (numbers or blanks) starts, and the run."""
    cells = list(cells)
    while cells and not cells[-1].strip():
        cells.pop()
    i = len(cells)
    while i > 0 and (is_number(cells[i - 1]) or not cells[i - 1].strip()):
        i -= 1
    return i, cells[i:]


def _trailing_values(cells: list[str]) -> tuple[str, list[str]]:
    """Split a row without a usable header into its label and its trailing value cells."""
    i, values = _value_run(cells)
    # leading blanks of a long run belong to the label area (merged label cells)
    while len(values) > 7 and not values[0].strip():
        values.pop(0)
        i += 1
    return " ".join(_dedupe(cells[:i])), values


def _request_rows(tables: list[list[list[str]]]) -> list[_Row]:
    out: list[_Row] = []
    columns: tuple[int, int] | None = None
    width: int | None = None
    pending: list[str] = []
    for rows in tables:
        found = _header_columns(rows)
        if found:
            columns, width = found, max(len(r) for r in rows)
        elif columns and width is not None and max((len(r) for r in rows), default=0) != width:
            columns = None  # a different grid: fall back to reading numbers from the right
        for cells in rows:
            joined = norm("".join(cells))
            if any(w in joined for w in HEADER_WORDS):
                pending = []
                continue
            if not any(is_number(c) for c in cells):
                label = " ".join(_dedupe([c for c in cells if c.strip()]))
                if label:
                    pending.append(label)
                continue
            if columns:
                lo, hi = columns
                vals = [cells[j] if j < len(cells) else "" for j in range(lo, hi + 1)]
                # a label overflowing into the first data column is a lost number, not text
                vals = [v if is_number(v) or not v.strip() else "" for v in vals]
                label_cells = cells[:lo]
                if lo < len(cells) and cells[lo].strip() and not is_number(cells[lo]):
                    label_cells = label_cells + [cells[lo]]
                label = " ".join(_dedupe(label_cells))
                width_ok = True
            else:
                label, vals = _trailing_values(cells)
                width_ok = len(vals) == 7
            out.append(_Row(" ".join(pending + [label]).strip(), vals, width_ok))
            pending = []
    return out


def _align(rows: list[_Row], keys: list[str], labels: dict[str, str]) -> dict[int, int]:
    """Monotonic best match of observed rows to form rows by label (dynamic programming)."""
    n, m = len(rows), len(keys)
    leaves = [leaf(r.label) if r.label else "" for r in rows]
    score = [[0.0] * m for _ in range(n)]
    for i in range(n):
        for j in range(m):
            s = label_score(leaves[i], labels[keys[j]])
            score[i][j] = s if s >= LABEL_THRESHOLD else 0.0
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            take = score[i][j] + best[i + 1][j + 1] if score[i][j] > 0 else -1.0
            best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
    match: dict[int, int] = {}
    i = j = 0
    while i < n and j < m:
        if score[i][j] > 0 and best[i][j] == score[i][j] + best[i + 1][j + 1]:
            match[i] = j
            i += 1
            j += 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return match


def read_requests(tables: list[list[list[str]]], fmt: str) -> RequestTable | None:
    rows = _request_rows(tables)
    if not rows:
        return None
    labels = {key: lab for key, lab, _ in form.REQUEST_ROWS}
    labels["other"] = form.OTHER_SINGLE[1]
    i_other = form.REQUEST_KEYS.index("other_no_correction")
    all_keys = form.REQUEST_KEYS[:i_other] + ["other"] + form.REQUEST_KEYS[i_other:]
    match = _align(rows, all_keys, labels)
    matched_keys = {all_keys[j] for j in match.values()}
    split = not ("other" in matched_keys and not matched_keys & set(form.OTHER_SPLIT_KEYS))
    if fmt == "2019" and not matched_keys & set(form.OTHER_SPLIT_KEYS):
        split = False
    keys = form.request_keys(fmt, split_other=split)
    # keep the matches to the chosen variant's keys; a stray match to the other one is dropped
    match = {i: keys.index(all_keys[j]) for i, j in match.items() if all_keys[j] in keys}
    table = RequestTable(split_other=split)

    def place(key: str, vals: list[str]) -> None:
        vec: list[Cell] = []
        for c, v in enumerate(vals):
            num = parse_number(v)
            if num is None:
                table.blanks.add((key, c))
            vec.append(num)
        table.rows[key] = vec

    def place_short(key: str, vals: list[str]) -> None:
        nums = [parse_number(v) for v in vals if is_number(v)]
        table.rows[key] = [None] * 7
        table.candidates[key] = _insertions(nums, 7)
        for c in range(7):
            table.blanks.add((key, c))

    anchors = sorted(match.items())
    bounds = [(-1, -1)] + anchors + [(len(rows), len(keys))]
    for (i0, j0), (i1, j1) in zip(bounds, bounds[1:], strict=False):
        if i1 < len(rows):
            row = rows[i1]
            if row.width_ok:
                place(keys[j1], row.values)
            else:
                place_short(keys[j1], row.values)
        gap_rows = rows[i0 + 1 : i1]
        gap_keys = keys[j0 + 1 : j1]
        if not gap_rows or not gap_keys:
            continue
        if len(gap_rows) == len(gap_keys) and all(r.width_ok for r in gap_rows):
            for key, row in zip(gap_keys, gap_rows, strict=True):
                place(key, row.values)
            continue
        flat = [v for r in gap_rows for v in r.values if is_number(v)]
        if len(flat) == 7 * len(gap_keys):
            for k, key in enumerate(gap_keys):
                place(key, flat[7 * k : 7 * k + 7])
            continue
        # numbers printed without labels in a count that does not fit: they exist, positions unknown
        table.notes.append(
            f"{len(flat)} numbers without readable labels where rows {gap_keys[0]}…{gap_keys[-1]} expected"
        )
        for key in gap_keys:
            table.rows[key] = [None] * 7
            for c in range(7):
                table.blanks.add((key, c))
    return table


def _insertions(nums: list[Cell], width: int) -> list[list[Cell]]:
    """Every way to put the printed numbers, in order, into `width` cells (None where one was lost)."""
    if len(nums) > width:
        return []
    out: list[list[Cell]] = []

    def rec(prefix: list[Cell], rest: list[Cell]) -> None:
        if len(prefix) == width:
            if not rest:
                out.append(prefix)
            return
        if len(rest) < width - len(prefix):
            rec(prefix + [None], rest)
        if rest:
            rec(prefix + [rest[0]], rest[1:])

    rec([], list(nums))
    unique: list[list[Cell]] = []
    for v in out:
        if v not in unique:
            unique.append(v)
    return unique


def read_appeals(tables: list[list[list[str]]]) -> tuple[dict[str, list[Cell]] | None, set[tuple[str, int]]]:
    """Table 四: the 15 numbers of its one data row (or spread over rows), as three groups of five."""
    candidates: list[list[str]] = []
    for rows in tables:
        for cells in rows:
            if any(is_number(c) for c in cells):
                run = _value_run(cells)[1]
                while len(run) > 15 and not run[0].strip():
                    run.pop(0)  # blanks of merged label cells in front of the numbers
                candidates.append(run)
    row = next((c for c in candidates if len(c) == 15), None)
    if row is None:
        flat = [v for c in candidates for v in c if is_number(v)]
        if len(flat) != 15:
            return None, set()
        row = flat
    blanks: set[tuple[str, int]] = set()
    out: dict[str, list[Cell]] = {}
    for g, (key, _) in enumerate(form.APPEAL_GROUPS):
        vec = [parse_number(v) for v in row[5 * g : 5 * g + 5]]
        for c, v in enumerate(vec):
            if v is None:
                blanks.add((key, c))
        out[key] = vec
    return out, blanks


_ACTIVE_LABELS = {
    # key -> labels that name the row (after norm), most specific first
    "rules": ["规章"],
    "normative": ["行政规范性文件", "规范性文件"],
    "licensing": ["行政许可"],
    "other_services": ["其他对外管理服务事项", "对外管理服务"],
    "punishment": ["行政处罚"],
    "coercion": ["行政强制"],
    "fees": ["行政事业性收费"],
    "procurement": ["政府集中采购"],
}


def _active_row(rows: list[list[str]], names: list[str]) -> list[str] | None:
    for cells in rows:
        texts = [norm(c) for c in cells if c.strip() and not is_number(c)]
        if not texts:
            continue
        label = texts[0]
        if any(label == n or label.endswith(n) for n in names) and any(is_number(c) for c in cells):
            start = next(i for i, c in enumerate(cells) if norm(c) == label)
            return cells[start + 1 :]
    return None


def read_active(tables: list[list[list[str]]], fmt: str) -> dict | None:
    rows = [cells for t in tables for cells in t]
    if not rows:
        return None
    spec = form.ACTIVE_2019 if fmt == "2019" else form.ACTIVE_2021
    out: dict = {}
    found = False
    for key, _label, columns in spec:
        lookup = "fees" if key == "fees_wan" else key
        vals = _active_row(rows, _ACTIVE_LABELS[lookup])
        width = max(len(columns), 1)
        nums: list[Cell] = [None] * width
        if vals is not None:
            found = True
            vals = list(vals)
            while len(vals) > width and not vals[-1].strip():
                vals.pop()
            if width == 1:  # one value under a wide header: wherever it sits in the row
                vals = [v for v in vals if v.strip()][:1] or vals
            # fewer cells than columns: a number was lost and the others' places are unknown;
            # more: a value cell spanning several columns is repeated by readers, keep the first
            if len(vals) >= width:
                nums = [parse_number(v) for v in vals[:width]]
        if columns:
            out[key] = dict(zip(columns, nums, strict=True))
        else:
            out[key] = nums[0]
    if fmt == "2019" and isinstance(out.get("procurement"), dict):
        amount = out["procurement"].get("amount_yuan")
        if isinstance(amount, float) and amount.is_integer():
            out["procurement"]["amount_yuan"] = int(amount)
    return out if found else None


def detect_format(text: str) -> str | None:
    """The table format named by section 二's column headers, if any."""
    t = norm(text)
    if re.search(r"本年新制作数量|本年新公开数量|对外公开总数量|上一年项目数量|政府集中采购", t):
        return "2019"
    if re.search(r"本年制发件数|本年废止件数|现行有效件数|本年收费金额", t):
        return "2021"
    return None
