"""PDF reports into the document model, with PDFium (extract.readers.pdfpage).

What real PDFs of these reports do, and what this reader does about it:
- WPS draws bold headings by painting each glyph twice → duplicate chars are removed;
- tables are ruled: cells come from the ruling lines (extract.readers.ruled), merged
  cells are expanded into a full grid, text goes to the cell under its centre; a row that
  runs over a page break is drawn open, and is closed (extract.readers.pdfpage);
- some tables have no ruling lines: their columns come from where the numbers sit
  (extract.readers.unruled);
- a table runs over two or three pages without repeating its header, a row is cut by the
  page break → joined again (extract.readers.layout);
- vertical row headers (三、本年度办理结果 one character per line) → lines in a cell are
  joined without spaces;
- page footers/headers (`- 3 -`, `— 3 —`, `第 3 页`) are dropped, also between the parts
  of a table;
- glyphs of fonts without a Unicode map read as U+FFFD (`(cid:123)` in other tools); pages
  of them (and pages that are only an image: scans) are rendered and sent to OCR
  (extract.readers.ocr).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from extract.document import Document, ExtractError, Paragraph
from extract.readers.grid import clean_text, join_lines
from extract.readers.layout import Line, Page, TableItem, assemble, drop_running_lines
from extract.readers.pdfpage import ContentTooLarge, PageContent, check_content_streams, page_contents
from extract.readers.unruled import CELL_GAP, unruled_tables

MAX_PAGES = 300
OCR_DPI = 150
# A page is unreadable when this share of its characters are U+FFFD (no Unicode) or private-use.
UNREADABLE_SHARE = 0.1


def read_pdf(data: bytes, source: str) -> Document:
    notes: list[str] = []
    truncated = b"%%EOF" not in data[-2048:]
    if truncated:
        notes.append("the PDF does not end with %%EOF: truncated?")
    try:
        check_content_streams(data)
        pdf = _open(data, source, truncated)
        try:
            return _read(pdf, data, source, notes, truncated)
        finally:
            pdf.close()
    except ContentTooLarge as e:  # a content stream or a page's glyphs: a hostile file, not a report
        raise ExtractError(source, f"refused: {e}, more than a report page can have") from None


def _open(data: bytes, source: str, truncated: bool) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise ExtractError(source, _damaged(e, truncated)) from e


def _read(pdf: pdfium.PdfDocument, data: bytes, source: str, notes: list[str], truncated: bool) -> Document:
    count = len(pdf)
    if not count:
        raise ExtractError(source, "a damaged PDF: no pages found" + (" (truncated: no %%EOF at its end)" if truncated else ""))
    if count > MAX_PAGES:
        raise ExtractError(source, f"refused: more than {MAX_PAGES} pages (a report has at most {MAX_PAGES})")

    pages: list[Page] = []
    ocr_needed: list[int] = []
    for i, content in list(page_contents(pdf)):
        if isinstance(content, Exception):
            notes.append(f"page {i + 1}: unreadable ({type(content).__name__}: {content})")
            p = Page(i + 1, *_page_size(pdf, i), ocr=True)
        else:
            p = _read_page(content, i + 1)
        if p.ocr:
            ocr_needed.append(i)
        pages.append(p)

    read_by_ocr = _ocr(data, pages, ocr_needed, source, notes) if ocr_needed else []

    drop_running_lines(pages)
    blocks = assemble(pages, notes)
    if not blocks:
        raise ExtractError(source, "a PDF with no readable text (empty pages, or images OCR found no text in)")
    title = _title(pdf)
    if not title:
        title = next((b.text for b in blocks if isinstance(b, Paragraph)), None)
    kind = "scan" if read_by_ocr and len(read_by_ocr) == len(pages) else "pdf"
    return Document(source=source, kind=kind, blocks=blocks, title=title, notes=notes)


def _ocr(data: bytes, pages: list[Page], indices: list[int], source: str, notes: list[str]) -> list[int]:
    """OCR the pages without readable text, in place; the indices of the pages it read."""
    from extract.readers.ocr import Sheet, ocr_pdf_pages

    read: list[int] = []
    lost: list[int] = []
    spreads: dict[int, list[Page]] = {}
    try:
        for i, items in ocr_pdf_pages(data, indices, source, dpi=OCR_DPI):
            if items is None:
                lost.append(i + 1)
                continue
            if isinstance(items, Sheet):  # notes; the page's size as found; maybe two pages on one sheet
                notes.extend(items.notes)
                split = [Page(i + 1, w, h, list(its), ocr=True) for w, h, its in items.pages]
                if len(split) > 1:
                    spreads[i] = split
                else:
                    pages[i] = split[0]
            else:
                pages[i].items = items
            read.append(i)
    except ExtractError as e:  # OCR not installed: fatal for a scan, a note when text was read
        if len(indices) == len(pages):
            raise
        notes.append(f"pages {', '.join(str(i + 1) for i in indices)} not read: {e.reason}")
        return []
    if read:
        notes.append("pages read by OCR: " + ", ".join(str(i + 1) for i in read))
    for i in sorted(spreads, reverse=True):  # a sheet of two pages becomes two pages
        pages[i:i + 1] = spreads[i]
        read += [-1] * (len(spreads[i]) - 1)
    if spreads:
        for n, p in enumerate(pages):
            p.number = n + 1
    if lost:
        notes.append("pages that cannot be rendered (damaged): " + ", ".join(map(str, lost)))
    return read


def _page_size(pdf: pdfium.PdfDocument, i: int) -> tuple[float, float]:
    """A page's size from its dictionary, when the page itself cannot be read (A4 if not that)."""
    try:
        return pdf.get_page_size(i)
    except pdfium.PdfiumError:
        return 595.0, 842.0


def _title(pdf: pdfium.PdfDocument) -> str | None:
    """The Title of the document's Info dictionary, when it is readable text."""
    try:
        title = pdf.get_metadata_value("Title")
    except pdfium.PdfiumError:
        return None
    return (clean_text(title) or None) if _readable(title) else None


def _damaged(e: pdfium.PdfiumError, truncated: bool) -> str:
    # err_code is pypdfium2 5's; 4 says it in the message only ("Incorrect password error")
    if (getattr(e, "err_code", None) in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY)
            or "password" in str(e).lower() or "security" in str(e).lower()):
        return "an encrypted PDF that cannot be opened without its password"
    if truncated:
        return f"a truncated PDF: the file stops before its end (no %%EOF marker; {e})"
    return f"a damaged PDF ({e})"


def _readable(text: str) -> bool:
    return bool(text.strip()) and "\ufffd" not in text


# ----------------------------------------------------------------------------- one page


def _bad_char(text: str) -> bool:
    if text == "\ufffd":
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
    out.items.extend(unruled_tables(_lines(free)))
    out.items.sort(key=lambda it: it.top)
    return out


def _dedupe(chars: list[dict], tol: float = 1.0) -> list[dict]:
    """Drop a glyph drawn again at (almost) the same place: WPS's fake bold. A hashed grid
    makes this linear (pdfplumber's dedupe_chars sorts and groups, and costs more than
    reading the page); a neighbouring cell is looked in only when the glyph is within
    `tol` of its side."""
    size = 8.0 * tol
    seen: dict[tuple[str, int, int], list[dict]] = {}
    out: list[dict] = []
    for c in chars:
        x, y, text = c["x0"], c["top"], c["text"]
        gx, gy = int(x // size), int(y // size)
        fx, fy = x - gx * size, y - gy * size
        dxs = (0, -1) if fx <= tol else (0, 1) if fx >= size - tol else (0,)
        dys = (0, -1) if fy <= tol else (0, 1) if fy >= size - tol else (0,)
        if not any(abs(o["x0"] - x) <= tol and abs(o["top"] - y) <= tol
                   for dx in dxs for dy in dys for o in seen.get((text, gx + dx, gy + dy), ())):
            seen.setdefault((text, gx, gy), []).append(c)
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


