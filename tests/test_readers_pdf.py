"""The PDF reader's own parts: glyphs and ruling lines as PDFium gives them (rotated pages,
forms, lines mixing fonts), tables without ruling lines, rows cut by a page break."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import A4

from extract import Table, read_document
from extract.readers.pdf import _read_page
from extract.readers.pdfpage import _closing_edges, page_contents
from extract.readers.ruled import ruled_tables

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TITLE = "政府信息公开工作年度报告"


def _canvas(buf: io.BytesIO):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return canvas.Canvas(buf, pagesize=A4)


def _grid(c, x: float, y: float, rows: list[list[str]], w: float = 90, h: float = 20) -> None:
    """A ruled table with its top left corner at (x, y), one text per cell."""
    c.setFont("STSong-Light", 10)
    for i in range(len(rows) + 1):
        c.line(x, y - i * h, x + w * len(rows[0]), y - i * h)
    for j in range(len(rows[0]) + 1):
        c.line(x + j * w, y, x + j * w, y - h * len(rows))
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            c.drawString(x + j * w + 4, y - (i + 1) * h + 6, text)


CELLS = [["项目", "自然人", "总计"], ["（一）新收", "12", "15"]]


def _pages(data: bytes):
    return [_read_page(content, i + 1) for i, content in page_contents(pdfium.PdfDocument(data))]


def _tables(page) -> list[list[list[str]]]:
    return [item.rows for item in page.items if hasattr(item, "rows")]


# /Rotate N shows the page turned N° clockwise: the drawing that then shows upright, as
# (a, b, c, d, e, f) from the shown page to the page's own space (reportlab's A4 mediabox is
# swapped for 90 and 270, so the shown page is always 595 × 842)
W, H = A4
UPRIGHT_WHEN_SHOWN = {0: (1, 0, 0, 1, 0, 0), 90: (0, 1, -1, 0, H, 0), 180: (-1, 0, 0, -1, W, H),
                      270: (0, -1, 1, 0, 0, W)}


@pytest.mark.parametrize("rotate", sorted(UPRIGHT_WHEN_SHOWN))
def test_a_rotated_page_reads_as_shown(rotate: int) -> None:
    """A landscape scan or table page is drawn turned and shown upright by /Rotate: it reads as
    shown, lines and ruled tables upright, the same as the page drawn straight."""
    buf = io.BytesIO()
    c = _canvas(buf)
    c.setPageRotation(rotate)
    c.transform(*UPRIGHT_WHEN_SHOWN[rotate])
    c.setFont("STSong-Light", 14)
    c.drawString(72, 780, TITLE)
    _grid(c, 72, 700, CELLS)
    c.showPage()
    c.save()
    (page,) = _pages(buf.getvalue())
    assert (round(page.width), round(page.height)) == (595, 842)
    assert page.items[0].text == TITLE
    assert _tables(page) == [CELLS]
    assert round(page.items[1].x0) == 72 and round(page.items[1].top) == 842 - 700


def test_a_mediabox_away_from_the_origin_reads_from_its_corner() -> None:
    buf = io.BytesIO()
    c = _canvas(buf)
    c.translate(100, 200)
    _grid(c, 72, 700, CELLS)
    c.showPage()
    c.save()
    data = buf.getvalue()
    box = re.search(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", data)
    assert box is not None
    moved = f"/MediaBox[100 200 {float(box[1]) + 100:g} {float(box[2]) + 200:g}]".encode()
    assert len(moved) <= len(box[0])
    data = data.replace(box[0], moved.ljust(len(box[0])))  # the same length: the xref offsets hold
    (page,) = _pages(data)
    (table,) = [item for item in page.items if hasattr(item, "rows")]
    assert table.rows == CELLS and round(table.x0) == 72 and round(table.top) == 842 - 700


def test_lines_and_text_inside_a_form_are_placed_through_its_matrix() -> None:
    buf = io.BytesIO()
    c = _canvas(buf)
    c.beginForm("table")
    _grid(c, 0, 0, CELLS)
    c.endForm()
    c.saveState()
    c.translate(100, 500)
    c.doForm("table")
    c.restoreState()
    c.showPage()
    c.save()
    (page,) = _pages(buf.getvalue())
    (table,) = [item for item in page.items if hasattr(item, "rows")]
    assert table.rows == CELLS
    assert round(table.x0) == 100 and round(table.top) == 842 - 500


def test_a_line_mixing_fonts_is_one_line() -> None:
    """Punctuation set in another font (Helvetica's comma here) is read into its line. (Fonts whose
    glyphs have boxes of their own heights: test_punctuation_stays_on_its_line.)"""
    buf = io.BytesIO()
    c = _canvas(buf)
    x = 72.0
    for text, font in [("现将", "STSong-Light"), (",", "Helvetica"), ("2024年度", "STSong-Light"),
                       (".", "Helvetica-Bold")]:
        c.setFont(font, 12)
        c.drawString(x, 700, text)
        x += c.stringWidth(text, font, 12)
    c.showPage()
    c.save()
    (page,) = _pages(buf.getvalue())
    assert [item.text for item in page.items] == ["现将,2024年度."]


def test_page_with_an_inline_image_still_reads_its_text() -> None:
    from PIL import Image

    buf = io.BytesIO()
    c = _canvas(buf)
    c.drawInlineImage(Image.new("L", (4, 4), 128), 50, 700, 20, 20)
    c.setFont("STSong-Light", 12)
    c.drawString(72, 650, TITLE)
    c.showPage()
    c.save()
    doc = read_document(buf.getvalue(), "inline.pdf")
    assert TITLE in doc.text()


# ----------------------------------------------------------------------------- ruled tables


def pdfplumber_tables(edges: list[dict], width: float = 595, height: float = 842) -> list[list[tuple]]:
    """The cells pdfplumber's own table finder (lines strategy, the same tolerances) finds."""
    from types import SimpleNamespace

    from pdfplumber.table import TableFinder

    page = SimpleNamespace(edges=edges, bbox=(0, 0, width, height))
    settings = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "snap_tolerance": 3,
                "join_tolerance": 3, "intersection_tolerance": 3}
    return [t.cells for t in TableFinder(page, settings).tables]


def _ruled_pdfs() -> list[tuple[str, bytes]]:
    real = sorted((FIXTURES.parent / "real").rglob("*.pdf"))
    return ([(p.name, p.read_bytes()) for p in sorted(FIXTURES.glob("*.pdf")) + real]
            + [(f"split-{v}.pdf", split_row_pdf(v)[0]) for v in ("TOP", "BOTTOM")])


def test_ruled_tables_are_pdfplumbers_on_every_page() -> None:
    pages = 0
    for name, data in _ruled_pdfs():
        for i, content in page_contents(pdfium.PdfDocument(data)):
            edges = content.edges + _closing_edges(content.edges)
            assert ruled_tables(edges) == pdfplumber_tables(edges), f"{name} page {i + 1}"
            pages += bool(edges)
    assert pages >= 20


def _edge(orientation: str, at: float, start: float, length: float) -> dict:
    if orientation == "v":
        return {"object_type": "line_edge", "orientation": "v", "x0": at, "x1": at, "top": start, "doctop": start,
                "bottom": start + length, "width": 0.0, "height": length}
    return {"object_type": "line_edge", "orientation": "h", "x0": start, "x1": start + length, "top": at,
            "doctop": at, "bottom": at, "width": length, "height": 0.0}


_step = st.integers(0, 60).map(lambda n: n * 1.5)  # gaps of exactly a tolerance (3 = 2 × 1.5) come up
_jitter = st.sampled_from([0.0, 0.0, 0.0, 1.5, -1.5, 3.0, -3.0, 4.5])


@st.composite
def _ruling(draw: st.DrawFn) -> list[dict]:
    """Lines ruling a grid, as PDFs draw them: pieces per cell, a little off, some missing, some
    gaps; and a few stray lines."""
    xs = sorted(draw(st.sets(_step, min_size=2, max_size=5)))
    ys = sorted(draw(st.sets(_step, min_size=2, max_size=5)))
    edges = []
    for orientation, at, along in (("v", xs, ys), ("h", ys, xs)):
        for a in at:
            for start, end in zip(along, along[1:], strict=False):
                if draw(st.integers(0, 9)) == 0:
                    continue  # a missing piece
                s0, s1 = start + draw(_jitter), end + draw(_jitter)
                if s1 > s0:
                    edges.append(_edge(orientation, a + draw(_jitter), s0, s1 - s0))
    strays = draw(st.lists(st.builds(_edge, st.sampled_from("vh"), _step, _step, _step), max_size=4))
    return edges + strays


@settings(max_examples=300, deadline=None)
@given(_ruling())
def test_ruled_tables_are_pdfplumbers_on_random_lines(edges: list[dict]) -> None:
    assert ruled_tables(edges) == pdfplumber_tables(edges)


# ----------------------------------------------------------------------------- unruled tables


def test_unruled_table_columns_come_from_the_numbers() -> None:
    doc = read_document((FIXTURES / "001.nr.pdf").read_bytes(), "001.nr.pdf")
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    requests = next(t for t in tables if any("（七）总计" in r[0] for r in t.rows))
    assert {len(r) for r in requests.rows} == {8}  # label + the seven applicant columns
    total = next(r for r in requests.rows if "（七）总计" in r[0])
    assert total[1:] == ["15", "0", "0", "0", "6", "0", "21"]
    # a label wrapped around its numbers (cells centred vertically) is joined to its row
    assert any(r[0].startswith("5.要求行政机关确认或重新出具已获取信息") for r in requests.rows)
    # the table ran over a page break and is one table
    assert "a table continued from page 2 onto page 3" in doc.notes


def test_prose_with_numbers_is_not_a_table() -> None:
    doc = read_document((FIXTURES / "001.nr.pdf").read_bytes(), "001.nr.pdf")
    prose = " ".join(b.text for b in doc.blocks if not isinstance(b, Table))
    assert "共收到政府信息公开申请21件" in prose.replace(" ", "")


# ----------------------------------------------------------------------------- rows cut by a page break


LONG_LABEL = ("（五）不予处理：申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请，"
              "以及申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请的情形")


def split_row_pdf(valign: str) -> tuple[bytes, int]:
    """A ruled table whose one tall row runs over the page break (cells split, drawn open)."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    cell = ParagraphStyle("c", fontName="STSong-Light", fontSize=10, leading=13, wordWrap="CJK")

    def rows(k: int) -> list:
        out = [[Paragraph(t, cell) for t in ["项目", "自然人", "法人或其他组织", "总计"]]]
        for i in range(60):
            out.append([Paragraph(LONG_LABEL if i == k else f"（{i}）第{i}项申请", cell), str(i), "0", str(i)])
        return out

    frame = A4[1] - 2 * 72 - 12  # the page's frame: margins and reportlab's frame padding
    for k in range(60):  # place the tall row across the break
        table = Table(rows(k), colWidths=[150, 80, 80, 80], splitInRow=1)
        table.wrap(390, 10**6)
        start, height = sum(table._rowHeights[:k + 1]), table._rowHeights[k + 1]
        if start < frame - 20 < frame + 20 < start + height:
            break
    else:
        raise AssertionError("no row position runs over the page break")
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.6, colors.black), ("VALIGN", (0, 0), (-1, -1), valign)]))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, topMargin=72, bottomMargin=72).build([table])
    return buf.getvalue(), k


@pytest.mark.parametrize("valign", ["TOP", "MIDDLE", "BOTTOM"])
def test_row_cut_by_a_page_break_is_one_row(valign: str) -> None:
    data, k = split_row_pdf(valign)
    doc = read_document(data, f"split-{valign}.pdf")
    assert "a table continued from page 1 onto page 2" in doc.notes
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    assert len(tables) == 1
    rows = tables[0].rows
    assert len(rows) == 61  # header + 60 rows: nothing lost, nothing split
    assert rows[k + 1] == [LONG_LABEL, str(k), "0", str(k)]
    assert rows[k][0] == f"（{k - 1}）第{k - 1}项申请" and rows[k + 2][0] == f"（{k + 1}）第{k + 1}项申请"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.lo.pdf")), ids=lambda p: p.name)
def test_punctuation_stays_on_its_line(path: Path) -> None:
    """LibreOffice embeds fonts whose glyphs have boxes of their own heights: read by those, a
    line's commas fall onto a line of their own."""
    lines = [item.text for page in _pages(path.read_bytes()) for item in page.items if hasattr(item, "text")]
    assert lines and not [t for t in lines if set(t) <= set("，、。：；,.:; ")], lines


# a glyph 1 pt from another across the side of a cell of the grid _dedupe hashes into
_glyph_at = st.sampled_from([0.0, 1.0, 7.0, 8.0, 15.0, 16.0]) | st.floats(-5, 40)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("一0"), _glyph_at, _glyph_at), max_size=40))
def test_a_glyph_drawn_again_within_a_point_is_dropped(glyphs: list[tuple[str, float, float]]) -> None:
    """WPS's fake bold: the same glyph again within 1 pt of one kept is dropped, any other is kept
    (checked against comparing every pair)."""
    from extract.readers.pdf import _dedupe

    chars = [{"text": t, "x0": x, "top": y} for t, x, y in glyphs]
    kept: list[dict] = []
    for c in chars:
        if not any(k["text"] == c["text"] and abs(k["x0"] - c["x0"]) <= 1 and abs(k["top"] - c["top"]) <= 1
                   for k in kept):
            kept.append(c)
    assert _dedupe(chars) == kept
