"""One PDF page as glyph boxes and ruling edges, straight from pdfminer.six's interpreter.

pdfplumber builds a dict of some twenty attributes (colours, matrices, font names) for
every glyph and line through pdfminer's layout objects; the reports need five per glyph
and the straight lines. This device records just those while pdfminer interprets the
page (extract.readers.pdfcontent reads the content streams faster). Coordinates are
pdfplumber's: points from the top left corner, so its table finder works on the edges
unchanged. Together: 0.076 → 0.03 s a page (bench/extract_speed.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from pdfminer.converter import PDFLayoutAnalyzer
from pdfminer.pdffont import PDFFont, PDFUnicodeNotDefined
from pdfminer.pdfinterp import PDFGraphicState, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.utils import apply_matrix_pt, apply_matrix_rect

from extract.readers.pdfcontent import MAX_PAGE_GLYPHS, ContentTooLarge, FastInterpreter

# Ruling lines closer than 3 pt are one line; cells come from where lines cross.
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "snap_tolerance": 3,
                  "join_tolerance": 3, "intersection_tolerance": 3}


@dataclass
class PageContent:
    width: float
    height: float
    chars: list[dict[str, Any]] = field(default_factory=list)  # text, x0, x1, top, bottom, upright
    edges: list[dict[str, Any]] = field(default_factory=list)  # pdfplumber's edge dicts
    images: int = 0

    def table_cells(self) -> list[list[tuple[float, float, float, float]]]:
        """Ruled tables found by pdfplumber's table finder: each a list of cell boxes."""
        from pdfplumber.table import TableFinder

        if not self.edges:
            return []
        edges = self.edges + _closing_edges(self.edges)
        page = SimpleNamespace(edges=edges, bbox=(0, 0, self.width, self.height))
        # the finder reads only its page's edges and bbox: a stand-in, not a pdfplumber Page
        return [t.cells for t in TableFinder(page, TABLE_SETTINGS).tables]  # type: ignore[arg-type]


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


class _Collector(PDFLayoutAnalyzer):
    """A pdfminer device keeping glyph boxes, axis-parallel path segments and an image count.

    It subclasses the layout analyzer only for its handling of form XObjects (the figure
    stack and its matrices); no layout objects are built for text or paths."""

    def __init__(self, rsrcmgr: PDFResourceManager) -> None:
        super().__init__(rsrcmgr, laparams=None)
        self.content = PageContent(0, 0)

    def begin_page(self, page: PDFPage, ctm) -> None:
        super().begin_page(page, ctm)
        self.content = PageContent(self.cur_item.width, self.cur_item.height)

    def end_page(self, page: PDFPage) -> None:
        pass  # no layout analysis

    def render_image(self, name: str, stream) -> None:
        self.content.images += 1

    def render_char(self, matrix, font: PDFFont, fontsize: float, scaling: float, rise: float,
                    cid: int, ncs, graphicstate: PDFGraphicState) -> float:
        try:
            text = font.to_unichr(cid)
        except PDFUnicodeNotDefined:
            text = f"(cid:{cid})"
        adv = font.char_width(cid) * fontsize * scaling
        # the glyph's box, as pdfminer's LTChar computes it
        if font.is_vertical():
            vx, vy = font.char_disp(cid)  # type: ignore[misc]
            vx = fontsize * 0.5 if vx is None else vx * fontsize * 0.001
            vy = (1000 - vy) * fontsize * 0.001
            box = (-vx, vy + rise + adv, -vx + fontsize, vy + rise)
        else:
            descent = font.get_descent() * fontsize
            box = (0, descent + rise, adv, descent + rise + fontsize)
        a, b, c, d, _, _ = matrix
        x0, y0, x1, y1 = apply_matrix_rect(matrix, box)
        height = self.content.height
        if len(self.content.chars) >= MAX_PAGE_GLYPHS:
            raise ContentTooLarge(f"a page drawing more than {MAX_PAGE_GLYPHS} glyphs")
        self.content.chars.append({
            "text": text,
            "x0": min(x0, x1), "x1": max(x0, x1),
            "top": height - max(y0, y1), "bottom": height - min(y0, y1),
            "upright": a * d * scaling > 0 and b * c <= 0,
        })
        return adv

    def paint_path(self, gstate: PDFGraphicState, stroke: bool, fill: bool, evenodd: bool,
                   path: Sequence[tuple]) -> None:
        # Every horizontal or vertical piece of a painted path is a possible ruling line:
        # borders come as stroked lines, thin filled rectangles or rectangle outlines.
        height = self.content.height
        start = last = None
        for seg in path:
            op = seg[0]
            if op == "m":
                start = last = apply_matrix_pt(self.ctm, (seg[-2], seg[-1]))
                continue
            if last is None:
                continue
            point = start if op == "h" else apply_matrix_pt(self.ctm, (seg[-2], seg[-1]))
            if point is None:
                continue
            self._edge(last, point, height)
            last = point

    def _edge(self, p: tuple[float, float], q: tuple[float, float], height: float) -> None:
        (x0, y0), (x1, y1) = p, q
        if abs(x0 - x1) < 0.01:
            orientation = "v"
        elif abs(y0 - y1) < 0.01:
            orientation = "h"
        else:
            return
        top = height - max(y0, y1)
        self.content.edges.append({
            "object_type": "line_edge", "orientation": orientation,
            "x0": min(x0, x1), "x1": max(x0, x1), "top": top, "doctop": top,
            "bottom": height - min(y0, y1), "width": abs(x1 - x0), "height": abs(y1 - y0),
        })


def page_contents(pages: Sequence[PDFPage]):
    """Yield (index, PageContent or the exception that page raised), page by page."""
    rsrc = PDFResourceManager(caching=True)  # fonts are parsed once per document
    device = _Collector(rsrc)
    interpreter = FastInterpreter(rsrc, device)
    for i, page in enumerate(pages):
        try:
            interpreter.process_page(page)
        except ContentTooLarge:
            raise  # not a broken page: a hostile one (OCR would draw it all again)
        except Exception as e:  # one broken page should not lose the report
            yield i, e
            continue
        yield i, device.content

