"""A small OFD (GB/T 33190) writer for the tests: a seed report laid out on A4 pages the way
OFD producers write them, from the same blocks that make the PDF and Word fixtures
(tests/fixtures/make_fixtures.py: the seed's paragraphs and the national form's tables).

What it writes, as real producers do: the `ofd:` namespace (http://www.ofdspec.org/2016),
OFD.xml → Doc_0/Document.xml → Pages/Page_N/Content.xml, a PublicRes.xml with the fonts,
one TextObject per line of text with its Boundary, Font and Size and a TextCode whose DeltaX
uses the "g N v" shorthand, table borders as PathObjects (AbbreviatedData), "— N —" page
footers, a seal (a stamp annotation and Signs/) that is not page content. Styles:

- "plain"     coordinates in millimetres, a PathObject per cell rectangle
- "ctm"       text placed through a CTM (Size and positions in points, scaled to mm), each
              border line a PathObject of its own, text cut into one TextCode per character
- "boxes"     a TextObject per character, borders as thin filled rectangles placed in page
              coordinates (what PDF-to-OFD converters write)
- "glyphs"    text stored as glyph ids of an embedded font (CGTransform), the TextCode's
              own characters private-use code points (needs fontTools and a CJK font)
"""

from __future__ import annotations

import io
import sys
import zipfile
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "fixtures"))

from make_fixtures import SEEDS, TableSpec, blocks, is_heading, load_seed  # noqa: E402

NS = "http://www.ofdspec.org/2016"
PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT, TOP, BOTTOM = 25.0, 25.0, 25.0, 25.0
BODY, HEAD, TITLE, CELL = 4.2, 4.5, 5.6, 2.8  # font sizes (mm)
PT = 25.4 / 72


def width_of(ch: str, size: float) -> float:
    return size * (0.5 if ord(ch) < 0x2E80 else 1.0)


def wrap(text: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    cur, w = "", 0.0
    for ch in text:
        cw = width_of(ch, size)
        if cur and w + cw > width:
            lines.append(cur)
            cur, w = "", 0.0
        cur += ch
        w += cw
    if cur:
        lines.append(cur)
    return lines or [""]


def deltas(text: str, size: float) -> str:
    """DeltaX with runs of equal advances written "g N v", as producers compress them."""
    adv = [round(width_of(ch, size), 4) for ch in text[:-1]]
    out: list[str] = []
    i = 0
    while i < len(adv):
        j = i
        while j < len(adv) and adv[j] == adv[i]:
            j += 1
        n = j - i
        out.append(f"g {n} {adv[i]:g}" if n > 2 else " ".join(f"{adv[i]:g}" for _ in range(n)))
        i = j
    return " ".join(out)


@dataclass
class _Page:
    objects: list[str] = field(default_factory=list)


@dataclass
class _Writer:
    style: str
    glyphs: dict[str, int] | None = None  # char -> glyph id ("glyphs" style)
    pages: list[_Page] = field(default_factory=list)
    y: float = TOP
    next_id: int = 10

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def page(self) -> _Page:
        if not self.pages:
            self.new_page()
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append(_Page())
        self.y = TOP

    def text(self, x: float, top: float, text: str, size: float, page: _Page | None = None) -> None:
        """One line of text whose box starts at (x, top)."""
        if not text:
            return
        page = page or self.page()
        width = sum(width_of(ch, size) for ch in text)
        oid = self._id()
        if self.style == "ctm":
            # Size and positions in points, the CTM scales them to millimetres
            s = size / PT
            codes = []
            at = 0.0
            for ch in text:
                codes.append(f'<ofd:TextCode X="{at:.3f}" Y="{0.88 * s:.3f}">{escape(ch)}</ofd:TextCode>')
                at += width_of(ch, s)
            page.objects.append(
                f'<ofd:TextObject ID="{oid}" Boundary="{x:.3f} {top:.3f} {width + 1:.3f} {size * 1.2:.3f}" '
                f'Font="2" Size="{s:.3f}" CTM="{PT:.5f} 0 0 {PT:.5f} 0 0"><ofd:FillColor Value="0 0 0"/>'
                + "".join(codes) + "</ofd:TextObject>")
            return
        if self.style == "boxes":
            # a TextObject per character, its Boundary the glyph's box (PDF-to-OFD converters)
            at = x
            for ch in text:
                cw = width_of(ch, size)
                page.objects.append(
                    f'<ofd:TextObject ID="{self._id()}" Boundary="{at:.3f} {top:.3f} {cw:.3f} {size * 1.2:.3f}" '
                    f'Font="2" Size="{size:g}"><ofd:TextCode X="0" Y="{0.88 * size:.4f}">{escape(ch)}'
                    "</ofd:TextCode></ofd:TextObject>")
                at += cw
            return
        code_text = escape(text)
        transform = ""
        if self.style == "glyphs" and self.glyphs is not None:
            ids = [self.glyphs.get(ch, 0) for ch in text]
            transform = (f'<ofd:CGTransform CodePosition="0" CodeCount="{len(text)}" GlyphCount="{len(text)}">'
                         f'<ofd:Glyphs>{" ".join(map(str, ids))}</ofd:Glyphs></ofd:CGTransform>')
            code_text = "".join(chr(0xE000 + i % 6000) for i in ids)  # what a subsetting producer leaves
        dx = deltas(text, size)
        page.objects.append(
            f'<ofd:TextObject ID="{oid}" Boundary="{x:.3f} {top:.3f} {width + 1:.3f} {size * 1.2:.3f}" '
            f'Font="2" Size="{size:g}">{transform}<ofd:TextCode X="0" Y="{0.88 * size:.4f}"'
            + (f' DeltaX="{dx}"' if dx else "") + f">{code_text}</ofd:TextCode></ofd:TextObject>")

    def rect(self, page: _Page, x: float, top: float, w: float, h: float) -> None:
        if self.style == "ctm":
            for ax, ay, bx, by in ((0, 0, w, 0), (w, 0, w, h), (0, h, w, h), (0, 0, 0, h)):
                page.objects.append(
                    f'<ofd:PathObject ID="{self._id()}" Boundary="{x:.3f} {top:.3f} {w + 0.5:.3f} {h + 0.5:.3f}" '
                    f'LineWidth="0.353"><ofd:AbbreviatedData>M {ax:.3f} {ay:.3f} L {bx:.3f} {by:.3f}'
                    "</ofd:AbbreviatedData></ofd:PathObject>")
            return
        if self.style == "boxes":
            # borders as thin filled rectangles in page coordinates (Boundary the whole page)
            t = 0.2
            for bx, by, bw, bh in ((x, top, w, t), (x, top + h - t, w, t), (x, top, t, h), (x + w - t, top, t, h)):
                page.objects.append(
                    f'<ofd:PathObject ID="{self._id()}" Boundary="0 0 {PAGE_W:g} {PAGE_H:g}" Fill="true" Stroke="false">'
                    f'<ofd:FillColor Value="0 0 0"/><ofd:AbbreviatedData>M {bx:.3f} {by:.3f} L {bx + bw:.3f} {by:.3f} '
                    f"L {bx + bw:.3f} {by + bh:.3f} L {bx:.3f} {by + bh:.3f} C</ofd:AbbreviatedData></ofd:PathObject>")
            return
        page.objects.append(
            f'<ofd:PathObject ID="{self._id()}" Boundary="{x:.3f} {top:.3f} {w:.3f} {h:.3f}" LineWidth="0.25">'
            f"<ofd:StrokeColor Value=\"0 0 0\"/><ofd:AbbreviatedData>M 0 0 L {w:.3f} 0 L {w:.3f} {h:.3f} "
            f"L 0 {h:.3f} C</ofd:AbbreviatedData></ofd:PathObject>")

    def paragraph(self, text: str, size: float, indent: float = 0.0, gap: float = 1.5) -> None:
        lines = wrap(text, size, PAGE_W - LEFT - RIGHT - indent)
        for k, line in enumerate(lines):
            if self.y + size * 1.6 > PAGE_H - BOTTOM:
                self.new_page()
            self.text(LEFT + (indent if k == 0 else 0), self.y, line, size)
            self.y += size * 1.6
        self.y += gap

    def table(self, spec: TableSpec) -> None:
        total = sum(spec.widths)
        usable = PAGE_W - LEFT - RIGHT
        xs = [LEFT]
        for w in spec.widths:
            xs.append(xs[-1] + usable * w / total)
        heights = [6.0] * spec.n_rows
        lines_of: dict[int, list[str]] = {}
        for k, c in enumerate(spec.cells):
            w = xs[c.col + c.colspan] - xs[c.col] - 1.6
            lines_of[k] = wrap(c.text, CELL, w) if c.text else []
            need = len(lines_of[k]) * CELL * 1.3 + 2.0
            have = sum(heights[c.row : c.row + c.rowspan])
            if need > have:
                heights[c.row + c.rowspan - 1] += need - have
        # rows onto pages: a row that does not fit starts a new page (the header is not repeated)
        row_page: list[tuple[int, float]] = []
        for h in heights:
            if self.y + h > PAGE_H - BOTTOM:
                self.new_page()
            row_page.append((len(self.pages) - 1, self.y))
            self.y += h
        self.y += 4
        for k, c in enumerate(spec.cells):
            x0, x1 = xs[c.col], xs[c.col + c.colspan]
            rows = range(c.row, c.row + c.rowspan)
            # the cell's part on each page it runs over
            parts: dict[int, list[int]] = {}
            for r in rows:
                parts.setdefault(row_page[r][0], []).append(r)
            left = list(lines_of[k])
            for n, (pno, rs) in enumerate(parts.items()):
                page = self.pages[pno]
                top = row_page[rs[0]][1]
                h = sum(heights[r] for r in rs)
                self.rect(page, x0, top, x1 - x0, h)
                # the lines that fit in this page's part of the cell; the rest go on with it
                room = len(left) if n == len(parts) - 1 else max(0, int((h - 1.6) // (CELL * 1.3)))
                here, left = left[:room], left[room:]
                block = len(here) * CELL * 1.3
                ty = top + max(0.8, (h - block) / 2)
                for line in here:
                    lw = sum(width_of(ch, CELL) for ch in line)
                    self.text(x0 + (x1 - x0 - lw) / 2, ty, line, CELL, page)
                    ty += CELL * 1.3

    def package(self, title: str, agency: str) -> bytes:
        n = len(self.pages)
        for i, page in enumerate(self.pages, start=1):
            foot = f"— {i} —"
            w = sum(width_of(ch, 3.5) for ch in foot)
            self.text((PAGE_W - w) / 2, PAGE_H - 15, foot, 3.5, page)
        files: dict[str, bytes] = {}
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        files["OFD.xml"] = (head + f'<ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD"><ofd:DocBody>'
                            f"<ofd:DocInfo><ofd:DocID>6f1d2a0c9e8b4d7fa1b2c3d4e5f60718</ofd:DocID>"
                            f"<ofd:Title>{escape(title)}</ofd:Title><ofd:Author>{escape(agency)}</ofd:Author>"
                            "<ofd:CreationDate>2025-01-20</ofd:CreationDate></ofd:DocInfo>"
                            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
                            "<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures>"
                            "</ofd:DocBody></ofd:OFD>").encode()
        pages = "".join(f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(n))
        files["Doc_0/Document.xml"] = (head + f'<ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
                                       f"<ofd:MaxUnitID>{self.next_id + 1}</ofd:MaxUnitID>"
                                       f"<ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W:g} {PAGE_H:g}</ofd:PhysicalBox></ofd:PageArea>"
                                       "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
                                       f"<ofd:Pages>{pages}</ofd:Pages>"
                                       "<ofd:Annotations>Annots/Annotations.xml</ofd:Annotations>"
                                       "</ofd:Document>").encode()
        font_file = '<ofd:FontFile>font_2.ttf</ofd:FontFile>' if self.style == "glyphs" else ""
        files["Doc_0/PublicRes.xml"] = (head + f'<ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
                                        f'<ofd:Font ID="2" FontName="宋体" FamilyName="宋体">{font_file}</ofd:Font>'
                                        "</ofd:Fonts></ofd:Res>").encode()
        for i, page in enumerate(self.pages):
            files[f"Doc_0/Pages/Page_{i}/Content.xml"] = (
                head + f'<ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer ID="{1000 + i}" Type="Body">'
                + "".join(page.objects) + "</ofd:Layer></ofd:Content></ofd:Page>").encode()
        # the seal: a stamp annotation on the last page and a signature; neither is page content
        files["Doc_0/Annots/Annotations.xml"] = (
            head + f'<ofd:Annotations xmlns:ofd="{NS}"><ofd:Page PageID="{n}">'
            f"<ofd:FileLoc>Page_{n - 1}/Annotation.xml</ofd:FileLoc></ofd:Page></ofd:Annotations>").encode()
        files[f"Doc_0/Annots/Page_{n - 1}/Annotation.xml"] = (
            head + f'<ofd:PageAnnot xmlns:ofd="{NS}"><ofd:Annot ID="9001" Type="Stamp">'
            '<ofd:Appearance Boundary="120 200 40 40"><ofd:TextObject ID="9002" Boundary="0 15 40 8" Font="2" Size="4">'
            f'<ofd:TextCode X="0" Y="3.5" DeltaX="g 7 4">{escape(agency[:8])}印章</ofd:TextCode></ofd:TextObject>'
            "</ofd:Appearance></ofd:Annot></ofd:PageAnnot>").encode()
        files["Doc_0/Signs/Signatures.xml"] = (
            head + f'<ofd:Signatures xmlns:ofd="{NS}"><ofd:Signature ID="1" Type="Seal" '
            'BaseLoc="/Doc_0/Signs/Sign_0/Signature.xml"/></ofd:Signatures>').encode()
        files["Doc_0/Signs/Sign_0/Signature.xml"] = (
            head + f'<ofd:Signature xmlns:ofd="{NS}"><ofd:SignedInfo><ofd:Seal><ofd:BaseLoc>/Doc_0/Signs/Sign_0/'
            "Seal.esl</ofd:BaseLoc></ofd:Seal><ofd:StampAnnot ID=\"1\" PageRef=\"1\" Boundary=\"120 200 40 40\"/>"
            "</ofd:SignedInfo><ofd:SignedValue>/Doc_0/Signs/Sign_0/SignedValue.dat</ofd:SignedValue>"
            "</ofd:Signature>").encode()
        files["Doc_0/Signs/Sign_0/SignedValue.dat"] = b"\x30\x82\x01\x00" + bytes(64)
        if self.style == "glyphs" and self.font is not None:
            files["Doc_0/Res/font_2.ttf"] = self.font
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
        return out.getvalue()

    font: bytes | None = None


def seed_ofd(seed_txt: Path, style: str = "plain") -> bytes:
    """The seed report as an OFD file."""
    seed = load_seed(seed_txt)
    w = _Writer(style)
    if style == "glyphs":
        w.font, w.glyphs = glyph_font(seed_txt)
    w.paragraph(seed.title, TITLE, indent=(PAGE_W - LEFT - RIGHT - len(seed.title) * TITLE) / 2
                if len(seed.title) * TITLE < PAGE_W - LEFT - RIGHT else 0, gap=4)
    for b in blocks(seed):
        if isinstance(b, str):
            w.paragraph(b, HEAD if is_heading(b) else BODY, indent=0 if is_heading(b) or len(b) <= 20 else 2 * BODY)
        else:
            w.table(b)
    return w.package(seed.title, seed.gold["agency"])


def glyph_font(seed_txt: Path) -> tuple[bytes, dict[str, int]]:
    """A subset of a system CJK font with the seed's characters, and each character's glyph id."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    source = next((p for p in (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
                               Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
                               Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")) if p.exists()), None)
    if source is None:
        raise FileNotFoundError("no CJK font found (apt-get install fonts-noto-cjk)")
    text = seed_txt.read_text(encoding="utf-8") + "—0123456789（）、。：；“”"
    font = TTFont(str(source), fontNumber=0, lazy=False)
    options = subset.Options()
    options.retain_gids = False
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(text=text)
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    cmap = font.getBestCmap()
    order = {name: i for i, name in enumerate(font.getGlyphOrder())}
    return buf.getvalue(), {chr(code): order[name] for code, name in cmap.items()}


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    for txt in sorted(SEEDS.glob("*.txt")):
        for style in ("plain", "ctm", "boxes"):
            (out / f"{txt.name[:3]}.{style}.ofd").write_bytes(seed_ofd(txt, style))


def scan_ofd(lines: list[str], font_path: Path, dpi: int = 150) -> bytes:
    """A one-page OFD that is only a picture of `lines` (a scanned page, as scanners write OFD)."""
    from PIL import Image, ImageDraw, ImageFont

    px = dpi / 25.4
    img = Image.new("L", (round(PAGE_W * px), round(PAGE_H * px)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(font_path), round(BODY * px))
    y = TOP * px
    for line in lines:
        draw.text((LEFT * px, y), line, font=font, fill=0)
        y += BODY * 2 * px
    png = io.BytesIO()
    img.save(png, "PNG")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    files = {
        "OFD.xml": f'{head}<ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD"><ofd:DocBody>'
                   "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f'{head}<ofd:Document xmlns:ofd="{NS}"><ofd:CommonData><ofd:MaxUnitID>5</ofd:MaxUnitID>'
                              f"<ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W:g} {PAGE_H:g}</ofd:PhysicalBox></ofd:PageArea>"
                              "<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData>"
                              '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>',
        "Doc_0/DocumentRes.xml": f'{head}<ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:MultiMedias>'
                                 '<ofd:MultiMedia ID="4" Type="Image" Format="PNG"><ofd:MediaFile>Image_4.png</ofd:MediaFile>'
                                 "</ofd:MultiMedia></ofd:MultiMedias></ofd:Res>",
        "Doc_0/Pages/Page_0/Content.xml": f'{head}<ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer ID="2">'
                                          f'<ofd:ImageObject ID="3" ResourceID="4" Boundary="0 0 {PAGE_W:g} {PAGE_H:g}" '
                                          f'CTM="{PAGE_W:g} 0 0 {PAGE_H:g} 0 0"/></ofd:Layer></ofd:Content></ofd:Page>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in files.items():
            z.writestr(name, body)
        z.writestr("Doc_0/Res/Image_4.png", png.getvalue())
    return out.getvalue()
