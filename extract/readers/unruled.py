"""Tables drawn without ruling lines, found from where their text sits on the page.

Some reports print the national tables without borders (typed with tabs, or exported
from a spreadsheet without grid lines). A line whose text falls into pieces apart by wide
gaps, several of them numbers, is a table row; the numbers' positions give the columns;
header lines above and labels wrapped in their cells belong to the table.
"""

from __future__ import annotations

from bisect import bisect_right

from extract.readers.grid import join_lines
from extract.readers.layout import Line, TableItem, is_number

CELL_GAP = 1.5  # a gap wider than this many character widths separates table columns


def unruled_tables(lines: list[Line]) -> list[Line | TableItem]:
    """Tables drawn without ruling lines, found from where the text sits: lines holding
    several numbers apart by wide gaps are table rows; the numbers' positions give the
    columns; header lines above and wrapped labels between them belong to the table."""
    strong = [_is_table_row(li) for li in lines]
    out: list[Line | TableItem] = []
    i = 0
    while i < len(lines):
        if not strong[i]:
            out.append(lines[i])
            i += 1
            continue
        size = lines[i].size
        start = i
        while start > 0 and _belongs(lines[start - 1], lines[start], size, above=True) and lines[start - 1] is out[-1]:
            start -= 1
            out.pop()
        end = i + 1
        while end < len(lines) and (strong[end] or _belongs(lines[end], lines[end - 1], size, above=False)):
            end += 1
        # a region ends with a table row: trailing loose lines go back to the text
        while end - 1 > i and not strong[end - 1] and len(lines[end - 1].cells) < 2:
            end -= 1
        table = _table_from_lines(lines[start:end], [strong[k] for k in range(start, end)])
        if table is None:
            out.extend(lines[start:end])
        else:
            out.append(table)
        i = end
    return out


def _is_table_row(line: Line) -> bool:
    """Numbers in cells apart by wide gaps: several of them, or a label and its number."""
    cells = line.cells
    numbers = sum(1 for c in cells if is_number(c[2]))
    return numbers >= 2 or (len(cells) >= 2 and numbers == 1 and is_number(cells[-1][2]) and not is_number(cells[0][2]))


def _belongs(line: Line, neighbour: Line, size: float, above: bool) -> bool:
    """A header line above the rows, or a wrapped label between them: the table's type size,
    close to its neighbour, and not a heading."""
    gap = (neighbour.top - line.bottom) if above else (line.top - neighbour.bottom)
    return abs(line.size - size) <= 0.6 and gap <= 1.6 * size and not (len(line.cells) == 1 and len(line.text) > 40)


def _table_from_lines(lines: list[Line], strong: list[bool]) -> TableItem | None:
    # number columns: where the numbers of the table rows sit (overlapping spans are one column)
    spans = sorted((c[0], c[1]) for li, s in zip(lines, strong, strict=True) if s for c in li.cells if is_number(c[2]))
    columns: list[list[float]] = []
    for x0, x1 in spans:
        if columns and x0 <= columns[-1][1] + 1.0:
            columns[-1][1] = max(columns[-1][1], x1)
        else:
            columns.append([x0, x1])
    if not columns or sum(strong) < 2 and len(columns) < 4:
        return None  # one label and its number is not a table yet
    # column edges: the left of the text, midway between number columns, the right of the text
    left = min(li.x0 for li in lines)
    right = max(max(li.x1 for li in lines), columns[-1][1])
    xs = [left, columns[0][0] - 1.0]
    xs += [(a[1] + b[0]) / 2 for a, b in zip(columns, columns[1:], strict=False)]
    xs.append(right)
    if xs[1] <= xs[0]:
        xs[1] = xs[0] + 0.1  # numbers from the left edge on: an empty label column
    rows: list[list[str]] = []
    tops: list[tuple[float, float]] = []
    for li in lines:
        row = [""] * (len(xs) - 1)
        for x0, x1, text in li.cells:
            k = min(max(bisect_right(xs, (x0 + x1) / 2) - 1, 0), len(row) - 1)
            if not is_number(text) and x1 <= xs[1] + 1.0:  # a label: left of the numbers
                k = 0
            row[k] = f"{row[k]} {text}".strip() if row[k] else text
        rows.append(row)
        tops.append((li.top, li.bottom))
    rows, tops = _join_wrapped_labels(rows, tops, lines[0].size)
    n = len(xs) - 1
    owners = [[r * n + c for c in range(n)] for r in range(len(rows))]
    ys = [t for t, _ in tops] + [tops[-1][1]]
    return TableItem(ys[0], ys[-1], xs[0], xs[-1], rows, owners, xs, ys, ruled=False)


def _join_wrapped_labels(rows: list[list[str]], spans: list[tuple[float, float]], size: float):
    """A line holding only label text near a row of numbers is part of that row's label,
    wrapped in its cell (above and below the numbers when cells are centred vertically):
    it joins the nearest such row within 1.6 lines. Captions between sub-tables are farther
    and stay rows of their own."""
    def centre(k: int) -> float:
        return (spans[k][0] + spans[k][1]) / 2

    numeric = [k for k, r in enumerate(rows) if any(is_number(c) for c in r[1:])]
    pieces: dict[int, list[tuple[float, str]]] = {k: [(spans[k][0], rows[k][0])] for k in numeric}
    keep: list[int] = []
    for k, r in enumerate(rows):
        if k in pieces or not r[0] or any(r[1:]):
            keep.append(k)
            continue
        near = min(numeric, key=lambda j: (abs(centre(j) - centre(k)), j > k), default=None)
        if near is None or abs(centre(near) - centre(k)) > 1.6 * size:
            keep.append(k)
            continue
        pieces[near].append((spans[k][0], r[0]))
    out_rows, out_spans = [], []
    for k in keep:
        row = list(rows[k])
        top, bottom = spans[k]
        if k in pieces and len(pieces[k]) > 1:
            parts = sorted(pieces[k])
            row[0] = join_lines(t for _, t in parts if t)
            top = min(top, parts[0][0])
        out_rows.append(row)
        out_spans.append((top, bottom))
    return out_rows, out_spans


