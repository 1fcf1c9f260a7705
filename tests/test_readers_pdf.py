"""The PDF reader's own parts: the content-stream tokenizer, tables without ruling lines,
rows cut by a page break."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFContentParser
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import PSEOF

from extract import Table, read_document
from extract.readers.pdfcontent import Unsupported, content_objects

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pdfminer_objects(data: bytes) -> list:
    """What pdfminer's own content parser makes of a content stream."""
    parser = PDFContentParser([PDFStream({}, data)])
    out = []
    while True:
        try:
            out.append(parser.nextobject()[1])
        except PSEOF:
            return out


# ----------------------------------------------------------------------------- tokenizer


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.pdf")), ids=lambda p: p.name)
def test_tokenizer_equals_pdfminer_on_every_fixture_page(path: Path) -> None:
    document = PDFDocument(PDFParser(io.BytesIO(path.read_bytes())))
    for page in PDFPage.create_pages(document):
        data = b"".join(resolve1(c).get_data() for c in page.contents)
        assert content_objects(data) == pdfminer_objects(data)


def test_tokenizer_plain_and_nested_forms() -> None:
    data = (b"BT /F1 12 Tf 1 0 0 1 62.5 709.4 Tm [<0102>-3.5(a\\(b\\)c)12 (x(y)z)]TJ ET\n"
            b"% a comment\n/P <</MCID 3 /Lang (zh)>> BDC 0.5 g .25 -1 +2 re f EMC true false")
    objects = content_objects(data)
    assert objects == pdfminer_objects(data)
    assert [b"\x01\x02", -3.5, b"a(b)c", 12, b"x(y)z"] in objects


@pytest.mark.parametrize("data", [
    b"q 10 0 0 10 0 0 cm BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI Q",  # inline image
    b"{ 1 2 add } exec",  # PostScript procedure
    b"/A#20B gs",  # name with # escape
    b"<123> Tj",  # hex string of odd length
    b"(a\\qb) Tj",  # unusual escape
    b"[1 2 Tj",  # unclosed array
])
def test_tokenizer_leaves_unusual_streams_to_pdfminer(data: bytes) -> None:
    with pytest.raises(Unsupported):
        content_objects(data)


_operand = st.recursive(
    st.one_of(
        st.integers(-10**6, 10**6).map(lambda n: str(n).encode()),
        st.floats(-1000, 1000, allow_nan=False).map(lambda f: f"{f:.3f}".encode()),
        st.sampled_from([b"/F1", b"/Span", b"/MCID", b"true", b"false"]),
        st.binary(max_size=8).map(lambda b: b"<" + b.hex().encode() + b">"),
        st.text(alphabet="abc ()\\\n\r\t", max_size=8).map(
            lambda t: b"(" + t.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode() + b")"),
        st.integers(0, 255).map(lambda n: b"(\\%o)" % n),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: b"[" + b" ".join(xs) + b"]"),
        st.lists(inner, max_size=3).map(lambda xs: b"<<" + b"".join(b"/K%d %s " % (i, x) for i, x in enumerate(xs)) + b">>"),
    ),
    max_leaves=6,
)
_operator = st.sampled_from([b"Tj", b"TJ", b"Td", b"Tf", b"re", b"f*", b"T*", b"'", b'"', b"BDC", b"q", b"Q"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(_operand, max_size=4), _operator), max_size=12),
       st.sampled_from([b" ", b"\n", b"\r\n", b"  "]))
def test_tokenizer_equals_pdfminer_on_random_streams(ops: list, sep: bytes) -> None:
    data = sep.join(b" ".join([*args, op]) for args, op in ops)
    try:
        fast = content_objects(data)
    except Unsupported:
        return  # left to pdfminer: nothing to compare
    assert fast == pdfminer_objects(data)


def test_page_with_an_inline_image_still_reads_its_text() -> None:
    """An inline image sends the page to pdfminer's own parser; the text is still read."""
    from PIL import Image
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawInlineImage(Image.new("L", (4, 4), 128), 50, 700, 20, 20)
    c.setFont("STSong-Light", 12)
    c.drawString(72, 650, "政府信息公开工作年度报告")
    c.showPage()
    c.save()
    page = next(PDFPage.create_pages(PDFDocument(PDFParser(io.BytesIO(buf.getvalue())))))
    with pytest.raises(Unsupported):  # the fast path steps aside for this page
        content_objects(b"".join(resolve1(c).get_data() for c in page.contents))
    doc = read_document(buf.getvalue(), "inline.pdf")
    assert "政府信息公开工作年度报告" in doc.text()


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
    from reportlab.lib.pagesizes import A4
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
