"""One PDF page as glyph boxes and ruling edges, read by PDFium (pypdfium2).

PDFium reads content streams and fonts in C, so a report page costs a few milliseconds. The
reports need five things per glyph and the straight lines, in pdfplumber's coordinates (points
from the top left corner of the page as it is shown, /Rotate applied) so its table finder works
on the edges unchanged; extract.readers.ofd builds the same PageContent from OFD pages.

- a glyph's box runs from its origin to its advance, and from its baseline one font size up
  (its loose box when it is turned); spaces and line ends are left out (PDFium infers some
  itself): the reader finds words and lines from where the glyphs are;
- a glyph PDFium cannot map to Unicode (a font without a ToUnicode map) is U+FFFD: a page of
  them goes to OCR;
- every axis-parallel piece of a painted path is a possible ruling line: borders come as
  stroked lines, thin filled rectangles or rectangle outlines; paths inside form XObjects are
  placed through the form's matrix.
"""

from __future__ import annotations

import ctypes
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

# The most glyphs one page may draw: a dense A4 page has under 8000, twice that when WPS paints
# bold headings twice.
MAX_PAGE_GLYPHS = 30_000
# The most one content stream may inflate to: 160 times the largest report page.
MAX_CONTENT_BYTES = 2 << 20


class ContentTooLarge(Exception):
    """A page drawing more than MAX_PAGE_GLYPHS glyphs, or a content stream inflating to more
    than MAX_CONTENT_BYTES."""


@dataclass
class PageContent:
    width: float
    height: float
    chars: list[dict[str, Any]] = field(default_factory=list)  # text, x0, x1, top, bottom, upright
    edges: list[dict[str, Any]] = field(default_factory=list)  # edge dicts as pdfplumber's
    images: int = 0

    def add_line(self, x0: float, top0: float, x1: float, top1: float) -> None:
        """A straight piece of a painted path, from (x0, top0) to (x1, top1) in points from the
        top left: kept when it is horizontal or vertical, a possible ruling line."""
        if abs(x0 - x1) < 0.01:
            orientation = "v"
        elif abs(top0 - top1) < 0.01:
            orientation = "h"
        else:
            return
        top = min(top0, top1)
        self.edges.append({
            "object_type": "line_edge", "orientation": orientation,
            "x0": min(x0, x1), "x1": max(x0, x1), "top": top, "doctop": top,
            "bottom": max(top0, top1), "width": abs(x1 - x0), "height": abs(top1 - top0),
        })

    def table_cells(self) -> list[list[tuple[float, float, float, float]]]:
        """Ruled tables (extract.readers.ruled): each a list of cell boxes."""
        from extract.readers.ruled import ruled_tables

        return ruled_tables(self.edges + _closing_edges(self.edges)) if self.edges else []


def _closing_edges(edges: list[dict[str, Any]], tol: float = 2.0) -> list[dict[str, Any]]:
    """Lines closing a table cut by a page break. A row that runs over the break is drawn
    open: its cells' sides stop at the page's edge with no line under them (and on the
    next page start with no line above). Where several vertical lines end at the same
    height, a horizontal line is added there, so the open cells are cells."""
    verticals = [e for e in edges if e["orientation"] == "v" and e["height"] >= 3]
    out: list[dict[str, Any]] = []
    for end in ("top", "bottom"):
        groups: list[list[dict[str, Any]]] = []
        for e in sorted(verticals, key=lambda e: e[end]):
            if groups and e[end] - groups[-1][-1][end] <= tol:
                groups[-1].append(e)
            else:
                groups.append([e])
        for group in groups:
            if len(group) < 2:
                continue
            y = group[0][end]
            x0, x1 = min(e["x0"] for e in group), max(e["x0"] for e in group)
            out.append({"object_type": "line_edge", "orientation": "h", "x0": x0, "x1": x1,
                        "top": y, "doctop": y, "bottom": y, "width": x1 - x0, "height": 0.0})
    return out


Matrix = tuple[float, float, float, float, float, float]
_TEXT, _PATH, _IMAGE, _FORM = (pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_PATH,
                               pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM)
_MOVETO, _BEZIERTO = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_BEZIERTO
_BLANK = frozenset(map(ord, " \t\r\n\x0b\x0c\u00a0\u3000"))
# Form XObjects nested deeper than this are not looked into (a form may draw itself).
MAX_FORM_DEPTH = 12


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF's row-vector convention: a point is p × m × n)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def page_matrix(page: pdfium.PdfPage) -> tuple[Matrix, float, float]:
    """User space → the page as shown (mediabox corner at the origin, /Rotate applied, y up), and
    the shown page's width and height."""
    x0, y0, x1, y1 = page.get_mediabox()
    rotate = page.get_rotation() % 360
    if rotate == 90:
        return (0, -1, 1, 0, -y0, x1), abs(y1 - y0), abs(x1 - x0)
    if rotate == 180:
        return (-1, 0, 0, -1, x1, y1), abs(x1 - x0), abs(y1 - y0)
    if rotate == 270:
        return (0, 1, -1, 0, y1, -x0), abs(y1 - y0), abs(x1 - x0)
    return (1, 0, 0, 1, -x0, -y0), abs(x1 - x0), abs(y1 - y0)


def read_page(page: pdfium.PdfPage) -> PageContent:
    """The glyphs, ruling edges and image count of one page. Raises ContentTooLarge for a page
    drawing more than MAX_PAGE_GLYPHS glyphs."""
    ctm, width, height = page_matrix(page)
    content = PageContent(width, height)
    _walk_objects(page, ctm, content)
    textpage = page.get_textpage()
    try:
        _read_glyphs(textpage, ctm, content)
    finally:
        textpage.close()
    return content


def _read_glyphs(textpage: pdfium.PdfTextPage, ctm: Matrix, content: PageContent) -> None:
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    if count > MAX_PAGE_GLYPHS:
        raise ContentTooLarge(f"a page drawing more than {MAX_PAGE_GLYPHS} glyphs")
    get_unicode = pdfium_c.FPDFText_GetUnicode
    map_error, loose_box = pdfium_c.FPDFText_HasUnicodeMapError, pdfium_c.FPDFText_GetLooseCharBox
    get_matrix, get_origin = pdfium_c.FPDFText_GetMatrix, pdfium_c.FPDFText_GetCharOrigin
    get_size = pdfium_c.FPDFText_GetFontSize
    rect, matrix = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    rect_p, matrix_p, ox_p, oy_p = ctypes.byref(rect), ctypes.byref(matrix), ctypes.byref(ox), ctypes.byref(oy)
    a, b, c, d, e, f = ctm
    height = content.height
    append = content.chars.append
    turned = (a, b, c, d) != (1, 0, 0, 1)  # /Rotate: the page is shown turned
    for k in range(count):
        code = get_unicode(raw, k)
        if code in _BLANK:
            continue  # spaces and line ends (those PDFium infers too): a line's words come from the gaps
        text = "\ufffd" if map_error(raw, k) == 1 or not code else chr(code)
        loose_box(raw, k, rect_p)
        get_matrix(raw, k, matrix_p)
        ga, gb, gc, gd = matrix.a, matrix.b, matrix.c, matrix.d
        if not gb and not gc and ga > 0 and gd > 0:
            # level text: one font size high from its baseline, whatever the glyph's own
            # extent, so that the glyphs of a line (punctuation in another font included) align
            get_origin(raw, k, ox_p, oy_p)
            y0 = oy.value
            y1 = y0 + get_size(raw, k)
            if not turned:  # the usual glyph: no turning to work out
                append({"text": text, "x0": rect.left + e, "x1": rect.right + e,
                        "top": height - (y1 + f), "bottom": height - (y0 + f), "upright": True})
                continue
        else:
            y0, y1 = rect.bottom, rect.top
        x0, x1 = rect.left, rect.right
        # the box's corners as shown: the page matrix turns by a multiple of 90°
        xs = (a * x0 + c * y0 + e, a * x1 + c * y1 + e)
        ys = (b * x0 + d * y0 + f, b * x1 + d * y1 + f)
        # upright: the glyph's matrix as shown keeps x right and y up
        ma, mb, mc, md = ga * a + gb * c, ga * b + gb * d, gc * a + gd * c, gc * b + gd * d
        append({
            "text": text,
            "x0": min(xs), "x1": max(xs),
            "top": height - max(ys), "bottom": height - min(ys),
            "upright": ma * md > 0 and mb * mc <= 0,
        })


def _walk_objects(page: pdfium.PdfPage, ctm: Matrix, content: PageContent) -> None:
    """Ruling edges and images of the page's objects, forms included; counts text objects
    against the glyph limit (PDFium merges a glyph drawn many times at one place)."""
    texts = 0
    stack: list[tuple[object, int, Matrix, int]] = []  # (form or None, object count, matrix, depth)
    stack.append((None, pdfium_c.FPDFPage_CountObjects(page.raw), ctm, 0))
    fs = pdfium_c.FS_MATRIX()
    while stack:
        form, n, outer, depth = stack.pop()
        for i in range(n):
            obj = (pdfium_c.FPDFFormObj_GetObject(form, i) if form is not None
                   else pdfium_c.FPDFPage_GetObject(page.raw, i))
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == _TEXT:
                texts += 1
                if texts > MAX_PAGE_GLYPHS:
                    raise ContentTooLarge(f"a page drawing more than {MAX_PAGE_GLYPHS} glyphs")
            elif kind == _IMAGE:
                content.images += 1
            elif kind in (_PATH, _FORM):
                pdfium_c.FPDFPageObj_GetMatrix(obj, fs)
                m = _multiply((fs.a, fs.b, fs.c, fs.d, fs.e, fs.f), outer)
                if kind == _PATH:
                    _path_edges(obj, m, content)
                elif depth < MAX_FORM_DEPTH:
                    stack.append((obj, pdfium_c.FPDFFormObj_CountObjects(obj), m, depth + 1))


def _path_edges(path: object, m: Matrix, content: PageContent) -> None:
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if pdfium_c.FPDFPath_GetDrawMode(path, fill, stroke) and not fill.value and not stroke.value:
        return  # a path that paints nothing (only clips)
    a, b, c, d, e, f = m
    height = content.height
    x, y = ctypes.c_float(), ctypes.c_float()
    start = last = None
    pending = 0  # control points of a Bézier curve still to come: only its end point counts
    for s in range(pdfium_c.FPDFPath_CountSegments(path)):
        seg = pdfium_c.FPDFPath_GetPathSegment(path, s)
        pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
        point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        if kind == _MOVETO:
            start = last = point
            pending = 0
            continue
        if kind == _BEZIERTO:
            pending = pending - 1 if pending else 2
            if pending:
                continue
        if last is not None:
            content.add_line(last[0], height - last[1], point[0], height - point[1])
        last = point
        if pdfium_c.FPDFPathSegment_GetClose(seg) and start is not None:
            content.add_line(last[0], height - last[1], start[0], height - start[1])
            last = start


def page_contents(pdf: pdfium.PdfDocument) -> Iterator[tuple[int, PageContent | Exception]]:
    """Yield (index, PageContent or the exception that page raised), page by page."""
    for i in range(len(pdf)):
        try:
            page = pdf[i]
        except pdfium.PdfiumError as e:  # one broken page should not lose the report
            yield i, e
            continue
        try:
            yield i, read_page(page)
        finally:
            page.close()


# A stream's dictionary, just before its data: which streams are content (text and lines drawn),
# and which are images, fonts, cross-reference or object streams that PDFium inflates as it needs.
_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")
_NOT_CONTENT = re.compile(rb"/Subtype\s*/(?:Image|Type1C|CIDFontType0C|OpenType)|/Length[123]\b"
                          rb"|/Type\s*/(?:XRef|ObjStm|EmbeddedFile|Metadata)")
_DICT_REACH = 1000  # how far before `stream` its dictionary is looked for


def check_content_streams(data: bytes) -> None:
    """Refuse a PDF with a compressed content stream inflating beyond MAX_CONTENT_BYTES (a zlib
    bomb) before PDFium inflates it whole. The raw file is scanned: every stream lies there as
    itself, never inside another one; each is inflated only up to the limit."""
    for m in _STREAM_START.finditer(data):
        head = data[max(0, m.start() - _DICT_REACH):m.start()]
        head = head[head.rfind(b" obj") + 1:]
        if b"Flate" not in head or _NOT_CONTENT.search(head):
            continue
        stop = data.find(b"endstream", m.end())
        raw = data[m.end():stop if stop >= 0 else len(data)]
        try:
            size = len(zlib.decompressobj().decompress(raw, MAX_CONTENT_BYTES + 1))
        except zlib.error:
            continue  # damaged: PDFium salvages what it can
        if size > MAX_CONTENT_BYTES:
            raise ContentTooLarge(f"a content stream inflates to more than {MAX_CONTENT_BYTES >> 20} MB"
                                  f" ({len(raw) >> 10} kB compressed)")
