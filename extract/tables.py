"""Read tables 三 and 四 of the form from what the readers give: grids of cells (HTML,
Word, PDF, markdown, tab text) or, where a table lost its structure, the stream of label text
and numbers (extract/stream.py).

Cells are mapped to the form's columns by the header, never by grid index: a value in a
colspan cell is one value (readers say which grid positions one physical cell covers), a header
split over two rows reads as one, an extra column is left out. Rows are matched to the form by
their labels, tolerant of cut, wrapped and garbled labels, and by their order where labels are
missing. A blank cell of a printed row is kept as blank (extract/infer.py makes it 0 unless the
totals fix it); a number that cannot be placed is None, never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import extract.form as form
import extract.stream as stream
from extract.cells import UNREAD, Cell, CellRef, Span, is_blank, is_value, table_spans
from extract.document import Table
from extract.normalize import is_number, label_score, leaf, norm, parse_number
from extract.run_together import readings, split_columns, unique_split

LABEL_THRESHOLD = 0.6
HEADER_WORDS = ("自然人", "申请人情况", "商业企业", "科研机构", "法人或其他组织", "勾稽", "信息内容")


def _dedupe(cells: Iterable[str]) -> list[str]:
    """Merged cells are repeated by readers; a label repeated side by side is one label."""
    out: list[str] = []
    for c in cells:
        if c and (not out or out[-1] != c):
            out.append(c)
    return out


def _header_texts(header: list[list[Span]]) -> list[str]:
    """Per grid column, the texts of the header cells above it, top to bottom (a header split
    over two rows reads as one: 商业 / 企业 → 商业企业)."""
    width = max((s.hi for row in header for s in row), default=-1) + 1
    out = []
    for j in range(width):
        parts: list[str] = []
        for row in header:
            s = next((s for s in row if s.lo <= j <= s.hi), None)
            t = norm(s.text) if s is not None else ""
            if t and (not parts or parts[-1] != t):
                parts.append(t)
        out.append("".join(parts))
    return out


def _find_columns(texts: list[str], wanted: list[list[str]], parents: tuple[str, ...]) -> list[tuple[int, int]] | None:
    """The grid columns (lo, hi) of each wanted header, in order, or None if one is missing."""
    cleaned = []
    for t in texts:
        for p in parents:
            t = t.replace(p, "")
        cleaned.append(t)
    out: list[tuple[int, int]] = []
    j = 0
    for names in wanted:
        while j < len(cleaned) and not any(cleaned[j] == n or (n and cleaned[j].endswith(n)) for n in names):
            j += 1
        if j == len(cleaned):
            return None
        lo = j
        while j + 1 < len(cleaned) and cleaned[j + 1] == cleaned[lo]:
            j += 1
        out.append((lo, j))
        j += 1
    return out


def _values_by_columns(row: list[Span], columns: list[tuple[int, int]]) -> tuple[list[Span], list[str | None]]:
    """The label cells and the value of each column: as many value cells as columns are read in
    order (a colspan that differs from the header's); otherwise by the columns they cover."""
    first = columns[0][0]
    label = [s for s in row if s.hi < first]
    cells = [s for s in row if s.hi >= first and s.lo <= columns[-1][1]]
    if len(cells) == len(columns):
        return label, [s.text for s in cells]
    vals: list[str | None] = []
    used: set[int] = set()
    for lo, hi in columns:
        cover = [s for s in cells if s.lo <= hi and s.hi >= lo]
        s = cover[0] if cover else None
        if s is None:
            vals.append(None)
        elif id(s) in used:
            vals.append(None)  # one cell over two columns: its number is the first column's
        else:
            used.add(id(s))
            vals.append(s.text)
    return label, vals


def _as_value(text: str | None) -> str | None:
    """A value cell: its text when a number or a blank; None (not read) when anything else."""
    if text is None:
        return None
    return text if is_number(text) or is_blank(text) else None


# ----------------------------------------------------------------------------- table 三


@dataclass
class RequestTable:
    """Table 三 as read: rows found (values may hold None), and what the reader could not place."""

    rows: dict[str, list[Cell]] = field(default_factory=dict)
    # cells without a number (blank or not read), to be solved for
    unknown: set[CellRef] = field(default_factory=set)
    # the subset printed blank (0 unless the totals fix them)
    blank: set[CellRef] = field(default_factory=set)
    # rows whose numbers were printed but whose positions could not be read: key -> readings;
    # readings made by splitting run-together cells name the columns split
    candidates: dict[str, list[tuple[list[Cell], frozenset[int]]]] = field(default_factory=dict)
    split_other: bool = True
    notes: list[str] = field(default_factory=list)


@dataclass
class Row:
    label: str
    values: list[str | None]  # value cells as printed: "" blank, None not read
    width_ok: bool  # exactly 7 value cells placed by the header or by count
    missing: int = 0  # cells the row stops short of (an OCR row broken in two goes on below)


REQUEST_HEADERS = [[lab] for lab in form.REQUEST_COLUMN_LABELS[:-1]] + [["总计", "合计"]]
ROW_LEAVES = {norm(lab) for _, lab, _ in [*form.REQUEST_ROWS, form.OTHER_SINGLE]}
REQUEST_PARENTS = ("申请人情况", "法人或其他组织")


def _request_columns(header: list[list[Span]]) -> list[tuple[int, int]] | None:
    texts = [t if "勾稽" not in t and "本列数据" not in t else "" for t in _header_texts(header)]
    found = _find_columns(texts, REQUEST_HEADERS, REQUEST_PARENTS)
    if found is None:
        # 自然人 … 总计 six columns apart on a regular grid, whatever the labels between
        nat = next((j for j, t in enumerate(texts) if t.endswith("自然人")), None)
        tot = next((j for j, t in enumerate(texts) if t.endswith(("总计", "合计"))), None)
        if nat is not None and tot is not None and tot - nat == 6:
            found = [(j, j) for j in range(nat, tot + 1)]
    return found


def _value_run(cells: list[str]) -> tuple[int, list[str]]:
    """Where a row's trailing run of value cells (numbers or blanks) starts, and the run."""
    cells = list(cells)
    while cells and not cells[-1].strip():
        cells.pop()
    i = len(cells)
    while i > 0 and is_value(cells[i - 1]):
        i -= 1
    return i, cells[i:]


def _trailing_values(cells: list[str]) -> tuple[str, list[str]]:
    """Split a row without a usable header into its label and its trailing value cells."""
    end = len(cells)
    while end > 0 and is_value(cells[end - 1]):
        end -= 1
    if len(cells) - end == 7 and end > 0:
        # exactly the form's seven cells after the label: blank ones at the end are cells too
        return " ".join(_dedupe(cells[:end])), cells[end:]
    i, values = _value_run(cells)
    # leading blanks of a long run belong to the label area (merged label cells)
    while len(values) > 7 and not values[0].strip():
        values.pop(0)
        i += 1
    return " ".join(_dedupe(cells[:i])), values


def grid_request_rows(tables: list[Table]) -> list[Row]:
    out: list[Row] = []
    columns: list[tuple[int, int]] | None = None
    width: int | None = None
    header: list[list[Span]] = []
    in_header = False
    pending: list[str] = []
    for table in tables:
        w = max((len(r) for r in table.rows), default=0)
        if columns and width != w:
            columns = None  # a different grid: fall back to reading numbers from the right
        for row in table_spans(table):
            texts = [s.text for s in row]
            joined = norm("".join(texts))
            numbers = any(is_number(t) for t in texts)
            header_row = any(word in joined for word in HEADER_WORDS)
            if not header_row and in_header and not numbers:
                # a header over several rows (商业 / 企业) goes on until a row of the form
                header_row = leaf(" ".join(texts)) not in ROW_LEAVES
                if header_row and any(is_blank(t) for t in texts):
                    found = _request_columns(header)
                    header_row = not (found and _blank_row(row, found))
            if header_row:
                if not numbers:
                    header.append(row)
                    in_header = True
                pending = []
                continue
            if header:
                found = _request_columns(header)
                if found:
                    columns, width = found, w
                header, in_header = [], False
            blank_row = None if numbers or columns else _blank_form_row(texts)
            if blank_row is not None:
                label, trailing = blank_row
                out.append(Row(" ".join([*pending, label]).strip(), trailing, True))
                pending = []
                continue
            if not numbers and not (columns and _blank_row(row, columns)):
                label = " ".join(_dedupe(t for t in texts if t.strip()))
                if label:
                    pending.append(label)
                continue
            prev = out[-1] if out else None
            if prev and prev.missing and not any(stream.has_cjk(t) for t in texts):
                # the rest of a row an OCR markdown table broke in two
                rest = [t for t in texts if is_number(t)]
                if len(rest) <= prev.missing:
                    keep = len(prev.values) - prev.missing
                    prev.values = prev.values[:keep] + rest + [None] * (prev.missing - len(rest))
                    prev.width_ok = len(prev.values) == 7
                    prev.missing = 0
                    continue
            if columns:
                label_spans, raw = _values_by_columns(row, columns)
                label_cells = [s.text for s in label_spans]
                first = raw[0]
                if first and not is_number(first) and not is_blank(first):
                    label_cells.append(first)  # a label overflowing into the first column: a lost number
                label = " ".join(_dedupe(label_cells))
                vals = [_as_value(v) for v in raw]
                width_ok = True
                short = sum(1 for lo, _ in columns if lo > row[-1].hi)
            else:
                label, printed = _trailing_values(texts)
                vals = list[str | None](printed)
                width_ok = len(vals) == 7
                short = max(0, 7 - len(vals)) if vals else 0
            out.append(Row(" ".join([*pending, label]).strip(), vals, width_ok, short))
            pending = []
    return out


def _blank_row(row: list[Span], columns: list[tuple[int, int]]) -> bool:
    """A printed row whose cells are all blank (a row of zeros printed as &nbsp;)."""
    first = columns[0][0]
    label = [s for s in row if s.hi < first and s.text.strip()]
    cells = [s for s in row if s.hi >= first]
    return bool(label) and bool(cells) and all(is_blank(s.text) for s in cells)


def _blank_form_row(texts: list[str]) -> tuple[str, list[str | None]] | None:
    """(label, cells) of a row of the form (by its label) followed by exactly its seven cells, all
    blank; None for any other row."""
    label, values = _trailing_values(texts)
    if len(values) == 7 and all(is_blank(v) for v in values) and leaf(label) in ROW_LEAVES:
        return label, list[str | None](values)
    return None


def stream_request_rows(text: str) -> list[Row]:
    return [Row(r.label, list(r.numbers), len(r.numbers) == 7) for r in stream.rows(text) if r.numbers]


def _align(rows: list[Row], keys: list[str], labels: dict[str, str]) -> dict[int, int]:
    """Monotonic best match of observed rows to form rows by label (dynamic programming)."""
    leaves = tuple(leaf(r.label) if r.label else "" for r in rows)
    return dict(_align_leaves(leaves, tuple(labels[k] for k in keys)))


@lru_cache(maxsize=1024)
def _align_leaves(leaves: tuple[str, ...], wanted: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    # cached: most reports print the form's labels exactly, so the same alignment recurs
    n, m = len(leaves), len(wanted)
    score = [[0.0] * m for _ in range(n)]
    for i in range(n):
        for j in range(m):
            s = label_score(leaves[i], wanted[j])
            score[i][j] = s if s >= LABEL_THRESHOLD else 0.0
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            take = score[i][j] + best[i + 1][j + 1] if score[i][j] > 0 else -1.0
            best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
    match: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if score[i][j] > 0 and best[i][j] == score[i][j] + best[i + 1][j + 1]:
            match.append((i, j))
            i += 1
            j += 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return tuple(match)


def read_requests(rows: list[Row], fmt: str) -> RequestTable | None:
    if not rows:
        return None
    labels = {key: lab for key, lab, _ in form.REQUEST_ROWS}
    labels["other"] = form.OTHER_SINGLE[1]
    i_other = form.REQUEST_KEYS.index("other_no_correction")
    all_keys = form.REQUEST_KEYS[:i_other] + ["other"] + form.REQUEST_KEYS[i_other:]
    match = _align(rows, all_keys, labels)
    if not match:
        return None
    matched_keys = {all_keys[j] for j in match.values()}
    split = not ("other" in matched_keys and not matched_keys & set(form.OTHER_SPLIT_KEYS))
    if fmt == "2019" and not matched_keys & set(form.OTHER_SPLIT_KEYS):
        split = False
    keys = form.request_keys(fmt, split_other=split)
    # keep the matches to the chosen variant's keys; a stray match to the other one is dropped
    match = {i: keys.index(all_keys[j]) for i, j in match.items() if all_keys[j] in keys}
    table = RequestTable(split_other=split)

    def place(key: str, vals: Sequence[str | None]) -> None:
        vec: list[Cell] = []
        for c, v in enumerate(vals):
            num = parse_number(v) if v is not None else None
            if num is None:
                table.unknown.add((key, c))
                if is_blank(v):
                    table.blank.add((key, c))
            vec.append(num)
        table.rows[key] = vec

    def place_short(key: str, vals: list[str | None]) -> None:
        printed = [v for v in vals if v is not None and is_number(v)]
        table.rows[key] = [None] * 7
        for c in range(7):
            table.unknown.add((key, c))
        if not any(v is not None and v.strip() == UNREAD for v in vals):  # else where they go is unknown
            table.candidates[key] = readings(printed, 7)

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
        full = [r for r in gap_rows if r.width_ok]
        fragments = [r for r in gap_rows if not r.width_ok]
        if len(full) == len(gap_keys) and all(not r.label for r in fragments):
            # one full row for each form row between the anchors; an unlabelled fragment beside
            # them (a numbering mark a dump left on a line of its own) belongs to none of them
            for key, row in zip(gap_keys, full, strict=True):
                place(key, row.values)
            if fragments:
                table.notes.append(f"{len(fragments)} stray number line(s) between rows {gap_keys[0]}…{gap_keys[-1]} left out")
            continue
        flat = [v for r in gap_rows for v in r.values if v is not None and is_number(v)]
        unread = any(v is not None and v.strip() == UNREAD for r in gap_rows for v in r.values)
        if len(flat) == 7 * len(gap_keys) and not unread:
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
                table.unknown.add((key, c))
    return table


# ----------------------------------------------------------------------------- table 四


@dataclass
class AppealTable:
    groups: dict[str, list[Cell]]
    unknown: set[CellRef] = field(default_factory=set)
    blank: set[CellRef] = field(default_factory=set)
    split: set[CellRef] = field(default_factory=set)


def grid_appeal_rows(tables: list[Table]) -> list[list[str]]:
    """The value cells of each row of table 四 that holds numbers."""
    out: list[list[str]] = []
    for table in tables:
        after_header = False
        for row in table_spans(table):
            texts = [s.text for s in row]
            blank_row = after_header and len(texts) == 15 and all(is_blank(t) for t in texts)
            after_header = "尚未审结" in norm("".join(texts))
            if not any(is_number(t) for t in texts) and not blank_row:
                continue
            cells = list(texts)
            if cells and cells[0].strip() and not is_value(cells[0]):
                cells = cells[1:]  # a label cell in front of the numbers
            if len(cells) == 15:
                out.append(cells)
                continue
            run = _value_run(cells)[1]
            while len(run) > 15 and not run[0].strip():
                run.pop(0)  # blanks of merged label cells in front of the numbers
            out.append(run)
    return out


def stream_appeal_rows(text: str) -> list[list[str]]:
    return [list(r.numbers) for r in stream.rows(text) if r.numbers]


def read_appeals(rows: list[list[str]]) -> AppealTable | None:
    """Table 四: the 15 numbers of its one data row (or spread over rows), as three groups of five."""
    row = next((c for c in rows if len(c) == 15), None)
    split: set[int] = set()
    if row is None:
        flat = [v for c in rows for v in c if is_value(v)]
        if len(flat) == 15:
            row = flat
        else:
            printed = [v for v in flat if is_number(v)]
            # an unread cell among them: where the others go cannot be told
            unsure = any(v.strip() == UNREAD for v in flat)
            reading = unique_split(printed, [5, 5, 5]) if 0 < len(printed) < 15 and not unsure else None
            if reading is None:
                return None
            split = set(split_columns(printed, reading))
            row = [str(v) for v in reading]
    out = AppealTable({})
    for g, (key, _) in enumerate(form.APPEAL_GROUPS):
        vec: list[Cell] = []
        for c, v in enumerate(row[5 * g : 5 * g + 5]):
            num = parse_number(v)
            if num is None:
                out.unknown.add((key, c))
                if is_blank(v):
                    out.blank.add((key, c))
            if 5 * g + c in split:
                out.split.add((key, c))
            vec.append(num)
        out.groups[key] = vec
    return out
