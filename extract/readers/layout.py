"""Pages of positioned text into the document model, for the PDF and the OCR readers.

A reader turns each page into Lines (text with its box) and TableItems (a grid of cells
with its column and row edges); `assemble` makes paragraphs and tables of them, across
pages: running headers and page numbers are dropped, a table that a page break cut is
joined with its continuation (and a row that the break cut is one row again), and lines
become paragraphs by indent, line length and spacing.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from extract.document import Paragraph, Table
from extract.readers.grid import clean_text, collapse, join_lines

PAGE_NUMBER = re.compile(
    r"^[\s\-—–－~·•]*(?:第\s*)?[\dIVXivx]{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4})?(?:\s*[,，]?\s*共\s*\d{1,4}\s*页)?[\s\-—–－~·•]*$"
)
START = re.compile(r"^\s*([一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[.、．](?!\d))")


@dataclass
class Line:
    top: float
    bottom: float
    x0: float
    x1: float
    text: str
    size: float
    # pieces of the line apart by more than CELL_GAP: (x0, x1, text); columns of a table
    # drawn without ruling lines
    cells: list[tuple[float, float, str]] = field(default_factory=list)


@dataclass
class TableItem:
    top: float
    bottom: float
    x0: float
    x1: float
    rows: list[list[str]]
    owners: list[list[int]]  # grid position -> id of the (merged) cell covering it
    xs: list[float]  # column edges
    ys: list[float] = field(default_factory=list)  # row edges (of this page's part)
    ruled: bool = True  # False: columns found from the positions of the text


@dataclass
class Page:
    number: int
    width: float
    height: float
    items: list[Line | TableItem] = field(default_factory=list)
    ocr: bool = False


def drop_running_lines(pages: list[Page]) -> None:
    """Page numbers and running headers/footers: in the top or bottom 12 % of a page, a page
    number anywhere, or the same text on most pages."""
    margin_texts: Counter[str] = Counter()
    for p in pages:
        for it in p.items:
            if isinstance(it, Line) and _in_margin(it, p):
                margin_texts[re.sub(r"\d+", "#", it.text)] += 1
    repeated = {t for t, n in margin_texts.items() if len(pages) >= 3 and n >= max(2, len(pages) // 2)}
    for p in pages:
        p.items = [
            it for it in p.items
            if not (isinstance(it, Line) and (
                (PAGE_NUMBER.match(it.text) and (_in_margin(it, p) or len(it.text) <= 9))
                or (_in_margin(it, p) and re.sub(r"\d+", "#", it.text) in repeated)
            ))
        ]


def _in_margin(line: Line, page: Page) -> bool:
    return line.bottom < page.height * 0.12 or line.top > page.height * 0.88


def _column_union(a: TableItem, b: TableItem) -> list[float] | None:
    """The column edges of both parts when they are one table's: same outer edges, and the
    edges of one part among the other's (a part whose rows are all merged across some
    columns has fewer edges)."""
    if not a.ruled and not b.ruled:
        # columns found from text positions: the outer edges follow the longest label and
        # number on each page, the edges between the number columns are what must agree
        if len(a.xs) != len(b.xs):
            return None
        widths = [y - x for x, y in zip(a.xs[1:-1], a.xs[2:-1], strict=False)]  # number columns
        tol = max(3.0, 0.25 * min(widths, default=12.0))
        if all(abs(x - y) <= tol for x, y in zip(a.xs[1:-1], b.xs[1:-1], strict=True)):
            return [min(a.xs[0], b.xs[0]), *a.xs[1:-1], max(a.xs[-1], b.xs[-1])]
        return None
    tol = max(3.0, 0.01 * (a.x1 - a.x0))
    if abs(a.xs[0] - b.xs[0]) > tol or abs(a.xs[-1] - b.xs[-1]) > tol:
        return None
    small, big = (a.xs, b.xs) if len(a.xs) <= len(b.xs) else (b.xs, a.xs)
    if not all(any(abs(x - y) <= tol for y in big) for x in small):
        return None
    return list(big)


def _regrid(t: TableItem, xs: list[float]) -> TableItem:
    """The same table on finer column edges: a cell covering a new column repeats there."""
    if len(xs) == len(t.xs):
        return t  # same columns (unruled parts: the edges differ a little, the cells do not)
    cols = [min(max(bisect_right(t.xs, (x0 + x1) / 2) - 1, 0), len(t.xs) - 2) for x0, x1 in zip(xs, xs[1:], strict=False)]
    return TableItem(
        t.top, t.bottom, t.x0, t.x1,
        [[row[c] for c in cols] for row in t.rows],
        [[row[c] for c in cols] for row in t.owners],
        list(xs), t.ys,
    )


def is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?\d[\d,]*(\.\d+)?%?", text.strip()))


def _join(a: TableItem, b: TableItem) -> TableItem:
    """Append continuation b to table a; a label cell merged over the page break (drawn again,
    empty, on the next page) gets its text back."""
    last_rows = a.rows[-1]
    rows = [list(r) for r in b.rows]
    if rows and a.ruled:
        for j, label in enumerate(last_rows):
            if not label or is_number(label) or rows[0][j]:
                continue
            cid = b.owners[0][j]
            # every position of that merged cell in the continuation is blank
            spots = [(r, c) for r, row in enumerate(b.owners) for c, v in enumerate(row) if v == cid and cid >= 0]
            if spots and all(not rows[r][c] for r, c in spots):
                for r, c in spots:
                    rows[r][c] = label
    a_rows, a_owners, b_owners = a.rows, a.owners, b.owners
    offset = max((v for row in a.owners for v in row), default=0) + 1
    joined = _split_row(a.rows[-1], rows[0]) if rows and a.rows else None
    if joined is not None:
        a_rows, rows, b_owners = [*a.rows[:-1], joined], rows[1:], b.owners[1:]
        fresh = offset + max((v for row in b.owners for v in row), default=0) + 1  # ids used by neither page
        a_owners = [*a.owners[:-1], _joined_owners(a.owners[-1], b.owners[0], fresh)]
    owners = a_owners + [[v + offset if v >= 0 else -1 for v in row] for row in b_owners]
    return TableItem(a.top, b.bottom, a.x0, a.x1, a_rows + rows, owners, a.xs, ruled=a.ruled)


def _joined_owners(above: list[int], below: list[int], fresh: int) -> list[int]:
    """The cells of a row a page break cut: two columns are one cell only where they are one on
    both pages (a row drawn open at the page's foot is one wide box there, not one cell)."""
    out: list[int] = []
    ids: dict[tuple[int, int], int] = {}
    for a, b in zip(above, below, strict=False):
        if a < 0:
            out.append(-1)
            continue
        if (a, b) not in ids:
            ids[(a, b)] = a if all(y == b for x, y in zip(above, below, strict=False) if x == a) else fresh + len(ids)
        out.append(ids[(a, b)])
    return out + above[len(out):]


def _split_row(last: list[str], first: list[str]) -> list[str] | None:
    """The row a page break cut in two, joined; None when `first` is a row of its own.

    The two parts complement each other: no column has a number in both, the continuation
    holds only the rest of the label text or the numbers the first part lacks, and its
    label does not start like a new row's (一、 （三） 2.)."""
    pairs = list(zip(last, first, strict=True))
    last_numbers, first_numbers = any(map(is_number, last)), any(map(is_number, first))
    if not (last_numbers or first_numbers) or any(is_number(a) and is_number(c) for a, c in pairs):
        return None
    text_continues = any(c and not is_number(c) and c != a for a, c in pairs)
    numbers_moved = first_numbers and not last_numbers
    if not (text_continues or numbers_moved):
        return None  # nothing continues: the label is not cut and no numbers moved
    text = next((c for c in first if c and not is_number(c)), "")
    if text and START.match(text) and text not in last:
        return None
    out = []
    for a, c in pairs:
        if not c or c == a:
            out.append(a)  # (a label merged over the break is given back to both parts)
        elif not a:
            out.append(c)
        elif is_number(a) or is_number(c):
            return None  # a header or caption across the columns: a row of its own
        else:
            out.append(join_lines([a, c]))
    return out


def assemble(pages: list[Page], notes: list[str]) -> list[Paragraph | Table]:
    """Pages of lines and tables into paragraphs and tables, joining what a page break cut."""
    items: list[tuple[int, Line | TableItem]] = []
    for p in pages:
        for it in p.items:
            last = items[-1][1] if items else None
            if isinstance(it, TableItem) and isinstance(last, TableItem):
                prev_page = items[-1][0]
                first_on_page = not any(isinstance(x, Line) for x in p.items if x.top < it.top)
                xs = _column_union(last, it) if prev_page == p.number - 1 and first_on_page else None
                if xs is not None:
                    items[-1] = (prev_page, _join(_regrid(last, xs), _regrid(it, xs)))
                    notes.append(f"a table continued from page {prev_page} onto page {p.number}")
                    continue
            items.append((p.number, it))

    # geometry of the body text, for paragraph breaks
    body_lines = [it for _, it in items if isinstance(it, Line)]
    left = _mode([round(li.x0) for li in body_lines]) if body_lines else 0
    right = max((li.x1 for li in body_lines), default=0)
    page_of = {id(it): n for n, it in items}

    blocks: list[Paragraph | Table] = []
    para: list[str] = []
    prev: Line | None = None

    def flush() -> None:
        if para:
            text = clean_text(join_lines(para))
            if text:
                blocks.append(Paragraph(text))
            para.clear()

    for _, it in items:
        if isinstance(it, TableItem):
            flush()
            rows, owners = _drop_blank(*collapse(it.rows, it.owners))
            if rows:
                blocks.append(Table(rows, owners))
            prev = None
            continue
        new = (
            prev is None
            or it.x0 > left + 0.8 * it.size  # first-line indent, centred headings
            or prev.x1 < right - 1.5 * prev.size  # the previous line stopped short
            or bool(START.match(it.text))
            or abs(it.size - prev.size) > 1.0
            or (page_of[id(it)] == page_of[id(prev)] and it.top - prev.bottom > 1.2 * it.size)
        )
        if new:
            flush()
        para.append(it.text)
        prev = it
    flush()
    return blocks


def _mode(values: list[int]) -> int:
    return Counter(values).most_common(1)[0][0]


def _drop_blank(rows: list[list[str]], owners: list[list[int]]) -> tuple[list[list[str]], list[list[int]]]:
    """Rows with no text at all are ruling artefacts (a cell cut by a page break)."""
    keep = [i for i, r in enumerate(rows) if any(c.strip() for c in r)]
    return [rows[i] for i in keep], [owners[i] for i in keep]
