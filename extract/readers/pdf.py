"""PDF reports into the document model, with pdfminer.six (extract.readers.pdfpage).

What real PDFs of these reports do, and what this reader does about it:
- WPS draws bold headings by painting each glyph twice → duplicate chars are removed;
- tables are ruled: cells come from the ruling lines (pdfplumber's table finder), merged
  cells are expanded into a full grid, text goes to the cell under its centre;
- a table runs over two or three pages without repeating its header → a table that ends a
  page and a table that starts the next one with the same column edges are one table;
  a merged label cell cut by the page break is repeated into the continuation;
- vertical row headers (三、本年度办理结果 one character per line) → lines in a cell are
  joined without spaces;
- page footers/headers (`- 3 -`, `— 3 —`, `第 3 页`) are dropped, also between the parts
  of a table;
- fonts without a Unicode map extract as `(cid:123)`; such pages (and pages that are only
  an image: scans) are rendered and sent to OCR (extract.readers.ocr).
"""

from __future__ import annotations

import io
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from extract.document import Document, ExtractError, Paragraph, Table
from extract.readers.grid import clean_text, collapse, join_lines

if TYPE_CHECKING:
    from extract.readers.pdfpage import PageContent

MAX_PAGES = 300
OCR_DPI = 150
# A page is unreadable when this share of its characters are (cid:N), private-use or U+FFFD.
UNREADABLE_SHARE = 0.1
CELL_GAP = 1.5  # a gap wider than this many character widths separates table columns
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


def read_pdf(data: bytes, source: str) -> Document:
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    from extract.readers.pdfpage import page_contents

    notes: list[str] = []
    truncated = b"%%EOF" not in data[-2048:]
    if truncated:
        notes.append("the PDF does not end with %%EOF: truncated?")
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        page_list = list(PDFPage.create_pages(document))
    except (PDFPasswordIncorrect, PDFEncryptionError) as e:
        raise ExtractError(source, f"an encrypted PDF that cannot be opened without its password ({type(e).__name__})") from e
    except Exception as e:  # pdfminer raises all kinds of errors on garbage
        raise ExtractError(source, _damaged(e, truncated)) from e
    if not page_list:
        raise ExtractError(source, "a damaged PDF: no pages found" + (" (truncated: no %%EOF at its end)" if truncated else ""))
    if len(page_list) > MAX_PAGES:
        raise ExtractError(source, f"refused: {len(page_list)} pages (a report has at most {MAX_PAGES})")

    pages: list[Page] = []
    ocr_needed: list[int] = []
    for i, content in page_contents(page_list):
        if isinstance(content, Exception):
            notes.append(f"page {i + 1}: unreadable ({type(content).__name__}: {content})")
            x0, y0, x1, y1 = page_list[i].mediabox
            p = Page(i + 1, abs(x1 - x0), abs(y1 - y0), ocr=True)
        else:
            p = _read_page(content, i + 1)
        if p.ocr:
            ocr_needed.append(i)
        pages.append(p)

    if ocr_needed:
        from extract.readers.ocr import ocr_pdf_pages

        for i, items in ocr_pdf_pages(data, ocr_needed, source, dpi=OCR_DPI):
            pages[i].items = items
        notes.append("pages read by OCR: " + ", ".join(str(i + 1) for i in ocr_needed))

    _drop_running_lines(pages)
    blocks = assemble(pages, notes)
    if not blocks:
        raise ExtractError(source, "a PDF with no readable text (empty pages, or images OCR found no text in)")
    title = _title(document)
    if not title:
        title = next((b.text for b in blocks if isinstance(b, Paragraph)), None)
    kind = "scan" if ocr_needed and len(ocr_needed) == len(pages) else "pdf"
    return Document(source=source, kind=kind, blocks=blocks, title=title, notes=notes)


def _title(document) -> str | None:
    """The Title of the document's Info dictionary, when it is readable text."""
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    for info in document.info:
        title = resolve1(info.get("Title"))
        if isinstance(title, bytes):
            title = decode_text(title)
        if isinstance(title, str) and _readable(title):
            return clean_text(title) or None
    return None


def _damaged(e: Exception, truncated: bool) -> str:
    # the encryption errors deserve their own sentence, also when wrapped in another one
    inner = e.args[0] if e.args and isinstance(e.args[0], Exception) else e.__cause__ or e.__context__
    if "Password" in type(inner).__name__ or "Encrypt" in type(inner).__name__ or "password" in str(e).lower():
        return "an encrypted PDF that cannot be opened without its password"
    if truncated:
        return f"a truncated PDF: the file stops before its end (no %%EOF marker; {type(e).__name__}: {e})"
    return f"a damaged PDF ({type(e).__name__}: {e})"


def _readable(text: str) -> bool:
    return bool(text.strip()) and "(cid:" not in text and "\ufffd" not in text


# ----------------------------------------------------------------------------- one page


def _bad_char(text: str) -> bool:
    if text.startswith("(cid:") or text == "\ufffd":
        return True
    o = ord(text[0]) if text else 0
    return 0xE000 <= o <= 0xF8FF or (o < 32 and text not in "\t\n\r")


def _read_page(content: PageContent, number: int) -> Page:
    out = Page(number, content.width, content.height)
    chars = _dedupe([c for c in content.chars if c["text"].strip()])
    if not chars:
        out.ocr = content.images > 0  # a scanned page; a blank page stays blank
        return out
    bad = sum(1 for c in chars if _bad_char(c["text"]))
    if bad / len(chars) > UNREADABLE_SHARE:
        out.ocr = True
        return out

    tables = [t for t in map(_table_item, content.table_cells()) if t is not None]
    # chars to table cells, the rest to lines
    free: list[dict] = []
    cell_chars: list[dict[int, list[dict]]] = [dict() for _ in tables]
    for c in chars:
        cx, cy = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
        for k, t in enumerate(tables):
            if t.x0 <= cx <= t.x1 and t.top <= cy <= t.bottom:
                cid = _owner_at(t, cx, cy)
                if cid is not None:
                    cell_chars[k].setdefault(cid, []).append(c)
                break
        else:
            free.append(c)
    for k, t in enumerate(tables):
        texts = {cid: _cell_text(cs) for cid, cs in cell_chars[k].items()}
        t.rows = [[texts.get(cid, "") if cid >= 0 else "" for cid in row] for row in t.owners]
        if any(any(c for c in row) for row in t.rows):
            out.items.append(t)
    out.items.extend(_unruled_tables(_lines(free)))
    out.items.sort(key=lambda it: it.top)
    return out


def _dedupe(chars: list[dict], tol: float = 1.0) -> list[dict]:
    """Drop a glyph drawn again at (almost) the same place: WPS's fake bold. A hashed grid
    makes this linear (pdfplumber's dedupe_chars sorts and groups, and costs more than
    reading the page)."""
    seen: dict[tuple[str, int, int], list[dict]] = {}
    out: list[dict] = []
    for c in chars:
        gx, gy = int(c["x0"] // 2), int(c["top"] // 2)
        dup = False
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for o in seen.get((c["text"], gx + dx, gy + dy), ()):
                    if abs(o["x0"] - c["x0"]) <= tol and abs(o["top"] - c["top"]) <= tol:
                        dup = True
                        break
                if dup:
                    break
            if dup:
                break
        if not dup:
            seen.setdefault((c["text"], gx, gy), []).append(c)
            out.append(c)
    return out


def _cluster(values: list[float], tol: float = 2.0) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _index(edges: list[float], v: float, tol: float = 2.0) -> int:
    i = bisect_right(edges, v + tol) - 1
    return max(0, i)


def _table_item(cells: list[tuple[float, float, float, float]]) -> TableItem | None:
    """Cell boxes (x0, top, x1, bottom) into a grid of cell ids (merged cells cover several)."""
    if len(cells) < 2:
        return None
    xs = _cluster([v for c in cells for v in (c[0], c[2])])
    ys = _cluster([v for c in cells for v in (c[1], c[3])])
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    if n_rows < 1 or n_cols < 1 or n_rows * n_cols > 200_000:
        return None
    owners = [[-1] * n_cols for _ in range(n_rows)]
    for cid, (x0, top, x1, bottom) in enumerate(cells):
        c0, c1 = _index(xs, x0), _index(xs, x1)
        r0, r1 = _index(ys, top), _index(ys, bottom)
        for r in range(r0, max(r1, r0 + 1)):
            for c in range(c0, max(c1, c0 + 1)):
                if r < n_rows and c < n_cols:
                    owners[r][c] = cid
    return TableItem(ys[0], ys[-1], xs[0], xs[-1], [], owners, xs, ys)


def _owner_at(t: TableItem, x: float, y: float) -> int | None:
    c = min(bisect_right(t.xs, x) - 1, len(t.xs) - 2)
    r = min(bisect_right(t.ys, y) - 1, len(t.ys) - 2)
    if r < 0 or c < 0:
        return None
    cid = t.owners[r][c]
    return cid if cid >= 0 else None


def _cell_text(chars: list[dict]) -> str:
    upright = sum(1 for c in chars if c.get("upright", True))
    if upright * 2 >= len(chars):
        return join_lines(line.text for line in _lines(chars, spaces=False))
    # rotated text (vertical direction): read down the column
    chars = sorted(chars, key=lambda c: (round(c["x0"] / 4), c["top"]))
    return clean_text("".join(c["text"] for c in chars))


def _lines(chars: list[dict], spaces: bool = True) -> list[Line]:
    """Group chars into text lines (same baseline band), left to right."""
    lines: list[list[dict]] = []
    for c in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        size = c["bottom"] - c["top"]
        if lines:
            last = lines[-1]
            ref = last[0]
            if abs(c["top"] - ref["top"]) <= max(2.0, 0.4 * size):
                last.append(c)
                continue
        lines.append([c])
    out: list[Line] = []
    for group in lines:
        group.sort(key=lambda c: c["x0"])
        text = ""
        prev = None
        pieces: list[list[dict]] = []
        for c in group:
            size = prev["bottom"] - prev["top"] if prev is not None else 0
            if prev is not None and spaces and c["x0"] - prev["x1"] > 0.6 * size:
                text += " "
            if prev is None or c["x0"] - prev["x1"] > CELL_GAP * size:
                pieces.append([])
            pieces[-1].append(c)
            text += c["text"]
            prev = c
        text = clean_text(text)
        if text:
            out.append(Line(
                top=min(c["top"] for c in group), bottom=max(c["bottom"] for c in group),
                x0=group[0]["x0"], x1=group[-1]["x1"], text=text,
                size=Counter(round(c["bottom"] - c["top"], 1) for c in group).most_common(1)[0][0],
                cells=[(p[0]["x0"], p[-1]["x1"], clean_text("".join(c["text"] for c in p))) for p in pieces],
            ))
    return out


# ----------------------------------------------------------------------------- tables without lines


def _unruled_tables(lines: list[Line]) -> list[Line | TableItem]:
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
    numbers = sum(1 for c in cells if _is_number(c[2]))
    return numbers >= 2 or (len(cells) >= 2 and numbers == 1 and _is_number(cells[-1][2]) and not _is_number(cells[0][2]))


def _belongs(line: Line, neighbour: Line, size: float, above: bool) -> bool:
    """A header line above the rows, or a wrapped label between them: the table's type size,
    close to its neighbour, and not a heading."""
    gap = (neighbour.top - line.bottom) if above else (line.top - neighbour.bottom)
    return abs(line.size - size) <= 0.6 and gap <= 1.6 * size and not (len(line.cells) == 1 and len(line.text) > 40)


def _table_from_lines(lines: list[Line], strong: list[bool]) -> TableItem | None:
    # number columns: where the numbers of the table rows sit (overlapping spans are one column)
    spans = sorted((c[0], c[1]) for li, s in zip(lines, strong, strict=True) if s for c in li.cells if _is_number(c[2]))
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
            if k == 0 or not _is_number(text):  # labels left of the numbers, headers anywhere
                k = 0 if x1 <= xs[1] + 1.0 else k
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

    numeric = [k for k, r in enumerate(rows) if any(_is_number(c) for c in r[1:])]
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


# ----------------------------------------------------------------------------- the document


def _drop_running_lines(pages: list[Page]) -> None:
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


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?\d[\d,]*(\.\d+)?%?", text.strip()))


def _join(a: TableItem, b: TableItem) -> TableItem:
    """Append continuation b to table a; a label cell merged over the page break (drawn again,
    empty, on the next page) gets its text back."""
    last_rows = a.rows[-1]
    rows = [list(r) for r in b.rows]
    if rows and a.ruled:
        for j, label in enumerate(last_rows):
            if not label or _is_number(label) or rows[0][j]:
                continue
            cid = b.owners[0][j]
            # every position of that merged cell in the continuation is blank
            spots = [(r, c) for r, row in enumerate(b.owners) for c, v in enumerate(row) if v == cid and cid >= 0]
            if spots and all(not rows[r][c] for r, c in spots):
                for r, c in spots:
                    rows[r][c] = label
    a_rows, b_owners = a.rows, b.owners
    joined = _split_row(a.rows[-1], rows[0]) if rows and a.rows else None
    if joined is not None:
        a_rows, rows, b_owners = [*a.rows[:-1], joined], rows[1:], b.owners[1:]
    offset = max((v for row in a.owners for v in row), default=0) + 1
    owners = a.owners + [[v + offset if v >= 0 else -1 for v in row] for row in b_owners]
    return TableItem(a.top, b.bottom, a.x0, a.x1, a_rows + rows, owners, a.xs, ruled=a.ruled)


def _split_row(last: list[str], first: list[str]) -> list[str] | None:
    """The row a page break cut in two, joined; None when `first` is a row of its own.

    The two parts complement each other: no column has a number in both, the continuation
    holds only the rest of the label text or the numbers the first part lacks, and its
    label does not start like a new row's (一、 （三） 2.)."""
    def number(c: str) -> bool:
        return bool(c) and _is_number(c)

    if not any(number(c) for c in last + first) or any(number(a) and number(c) for a, c in zip(last, first, strict=True)):
        return None
    if not any(c and not number(c) and c != a for a, c in zip(last, first, strict=True)) and not (
        any(number(c) for c in first) and not any(number(c) for c in last)
    ):
        return None  # nothing continues: the label is not cut and no numbers moved
    text = next((c for c in first if c and not number(c)), "")
    if text and START.match(text) and text not in last:
        return None
    out = []
    for a, c in zip(last, first, strict=True):
        if not c or c == a:
            out.append(a)  # (a label merged over the break is given back to both parts)
        elif not a:
            out.append(c)
        elif number(a) or number(c):
            return None  # a header or caption across the columns: a row of its own
        else:
            out.append(join_lines([a, c]))
    return out


def assemble(pages: list[Page], notes: list[str]) -> list[Paragraph | Table]:
    """Pages of lines and tables into paragraphs and tables, joining what a page break cut."""
    items: list[tuple[int, Line | TableItem]] = []
    for p in pages:
        for it in p.items:
            if isinstance(it, TableItem) and items and isinstance(items[-1][1], TableItem):
                prev_page, prev = items[-1]
                first_on_page = not any(isinstance(x, Line) for x in p.items if x.top < it.top)
                xs = _column_union(prev, it) if prev_page == p.number - 1 and first_on_page else None
                if xs is not None:
                    items[-1] = (prev_page, _join(_regrid(prev, xs), _regrid(it, xs)))
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
            rows = _drop_blank(collapse(it.rows, it.owners))
            if rows:
                blocks.append(Table(rows))
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


def _drop_blank(rows: list[list[str]]) -> list[list[str]]:
    """Rows with no text at all are ruling artefacts (a cell cut by a page break)."""
    return [r for r in rows if any(c.strip() for c in r)]
