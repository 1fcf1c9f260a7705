"""OFD reports (GB/T 33190, 版式文档) into the document model.

An OFD file is a ZIP: OFD.xml names the document's root (Doc_0/Document.xml), which lists the
pages (Pages/Page_N/Content.xml), the page templates and the resource files. A page's content
is layers of graphic objects placed in millimetres from the top left corner:

- TextObject: a Boundary (its origin), an optional CTM, a font Size and TextCode runs, each a
  start point (X, Y on the baseline) and DeltaX / DeltaY, the advances between characters
  ("g 4 3.175": four times 3.175). Where a producer stores glyph ids (CGTransform), the text
  is the font's characters for those glyphs;
- PathObject: AbbreviatedData (M, L, B, Q, A, C); its straight pieces are ruling lines;
- ImageObject: pictures; a page that is only a picture (a scan) is read by OCR.

Each page becomes what the PDF reader's page model holds (glyph boxes and ruling edges, in
points from the top left), so tables are found and read exactly as in a PDF
(extract.readers.pdf). Signatures, seals (Signs/, stamp annotations) and other annotations
are not page content and are not read.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field, replace

from lxml import etree

from extract.document import Document, ExtractError, Paragraph
from extract.readers.grid import clean_text
from extract.readers.layout import Line, Page, TableItem, assemble, drop_running_lines
from extract.readers.pdfpage import PageContent

MM = 72 / 25.4  # points per millimetre: the PDF page model's unit
MAX_PAGES = 300
MAX_PART = 64 * 2**20  # one XML part or font of a report is far smaller: larger is a ZIP bomb
MAX_TOTAL = 256 * 2**20
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el: etree._Element | None, name: str) -> etree._Element | None:
    if el is None:
        return None
    return next((c for c in el if _local(c.tag) == name), None)


def _children(el: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if el is None else [c for c in el if _local(c.tag) == name]


def _floats(text: str | None) -> list[float]:
    return [float(m) for m in NUMBER.findall(text or "")]


def _physical_box(el: etree._Element | None, area: str) -> list[float]:
    """The numbers of `<area><PhysicalBox>` under el (x, y, width, height in mm), [] when absent."""
    box = _child(_child(el, area), "PhysicalBox")
    return _floats(box.text if box is not None else None)


def _deltas(text: str | None, limit: int = 100_000) -> list[float]:
    """DeltaX / DeltaY with the "g N v" shorthand (N times v) expanded, the first `limit` of
    them (a TextCode has one fewer than its characters; "g 1000000000 1" is not expanded)."""
    out: list[float] = []
    parts = (text or "").split()
    i = 0
    while i < len(parts) and len(out) < limit:
        if parts[i] == "g" and i + 2 < len(parts):
            try:
                n, v = int(float(parts[i + 1])), float(parts[i + 2])
            except ValueError:
                break
            out += [v] * max(0, min(n, limit - len(out)))
            i += 3
            continue
        try:
            out.append(float(parts[i]))
        except ValueError:
            pass
        i += 1
    return out


def _matrix(text: str | None) -> Matrix:
    v = _floats(text)
    return (v[0], v[1], v[2], v[3], v[4], v[5]) if len(v) == 6 else IDENTITY


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _then(m: Matrix, dx: float, dy: float) -> Matrix:
    """`m` followed by a move (the object's Boundary origin)."""
    a, b, c, d, e, f = m
    return a, b, c, d, e + dx, f + dy


@dataclass
class _Package:
    zf: zipfile.ZipFile
    source: str
    names: dict[str, str] = field(default_factory=dict)  # lower-case path -> name in the ZIP
    read_bytes: int = 0

    def __post_init__(self) -> None:
        self.names = {n.lower().lstrip("/"): n for n in self.zf.namelist()}

    def resolve(self, base: str, loc: str) -> str:
        """A BaseLoc: absolute from the package root ("/Doc_0/…") or relative to `base`'s folder."""
        loc = loc.strip().replace("\\", "/")
        path = loc.lstrip("/") if loc.startswith("/") else posixpath.join(posixpath.dirname(base), loc)
        return posixpath.normpath(path)

    def read(self, path: str) -> bytes | None:
        name = self.names.get(path.lower().lstrip("/"))
        if name is None:
            return None
        info = self.zf.getinfo(name)
        if info.file_size > MAX_PART or self.read_bytes + info.file_size > MAX_TOTAL:
            raise ExtractError(self.source, f"refused: the OFD part {name} unpacks to {info.file_size // 2**20} MB "
                                            "(a ZIP bomb, not a report)")
        self.read_bytes += info.file_size
        try:
            return self.zf.read(name)
        except RuntimeError as e:  # zipfile's error for an encrypted member
            raise ExtractError(self.source, f"an encrypted OFD file: its part {name} needs a password") from e
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError) as e:
            raise ExtractError(self.source, f"a damaged OFD file: its part {name} cannot be unpacked ({e})") from e

    def xml(self, path: str) -> etree._Element | None:
        data = self.read(path)
        if data is None:
            return None
        try:
            return etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError:
            return None


def read_ofd(data: bytes, source: str) -> Document:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise ExtractError(source, f"a damaged OFD file: not a readable ZIP ({e})") from e
    pkg = _Package(zf, source)
    root = pkg.xml("OFD.xml")
    body = _child(root, "DocBody")
    doc_root = _child(body, "DocRoot")
    if doc_root is None or not (doc_root.text or "").strip():
        raise ExtractError(source, "a damaged OFD file: OFD.xml names no document (DocBody/DocRoot)")
    doc_path = pkg.resolve("", doc_root.text or "")
    document = pkg.xml(doc_path)
    if document is None:
        raise ExtractError(source, f"a damaged OFD file: its document {doc_path} is missing or not XML")
    info = _child(body, "DocInfo")
    title_el = _child(info, "Title")
    title = clean_text(title_el.text or "") if title_el is not None and title_el.text else None

    common = _child(document, "CommonData")
    default_box = _physical_box(common, "PageArea") or [0, 0, 210, 297]
    templates = {t.get("ID"): pkg.resolve(doc_path, t.get("BaseLoc", "")) for t in _children(common, "TemplatePage")}
    res = _Resources(pkg, doc_path, common)
    page_refs = _children(_child(document, "Pages"), "Page")
    if not page_refs:
        raise ExtractError(source, "an OFD file without pages")
    if len(page_refs) > MAX_PAGES:
        raise ExtractError(source, f"refused: more than {MAX_PAGES} pages (a report has at most {MAX_PAGES})")

    from extract.readers.pdf import _read_page  # the PDF reader's page model: tables found the same way

    notes: list[str] = []
    pages: list[Page] = []
    images_only: list[int] = []
    scans: list[tuple[Page, bytes, tuple[float, float, float, float]]] = []
    for n, ref in enumerate(page_refs, start=1):
        path = pkg.resolve(doc_path, ref.get("BaseLoc", ""))
        page_xml = pkg.xml(path)
        if page_xml is None:
            notes.append(f"page {n}: its content {path} is missing or not XML")
            pages.append(Page(n, default_box[2] * MM, default_box[3] * MM))
            continue
        box = _physical_box(page_xml, "Area") or default_box
        for page_res in _children(page_xml, "PageRes"):
            res.add(pkg.resolve(path, page_res.text or ""))
        content = PageContent(box[2] * MM, box[3] * MM)
        walker = _Walker(content, res, (-box[0], -box[1]))
        for tref in _children(page_xml, "Template"):
            tpl = pkg.xml(templates.get(tref.get("TemplateID"), "")) if tref.get("TemplateID") in templates else None
            walker.walk(_child(tpl, "Content"))
        walker.walk(_child(page_xml, "Content"))
        page = _read_page(content, n)
        if page.ocr:
            page.ocr = False
            scan = _page_scan(walker.images, content, res)
            if scan is None:
                images_only.append(n)
            else:
                scans.append((page, *scan))
        pages.append(page)
    if scans:
        _ocr(scans, len(pages), source, notes)
    if images_only:
        notes.append("pages without readable text (images, or glyphs without a character map): "
                     + ", ".join(map(str, images_only)))
    drop_running_lines(pages)
    blocks = assemble(pages, notes)
    if not blocks:
        raise ExtractError(source, "an OFD file with no readable text (empty pages, or pages that are only images)")
    if not title:
        title = next((b.text for b in blocks if isinstance(b, Paragraph)), None)
    kind = "scan" if scans and len(scans) == len(pages) else "ofd"  # as for a PDF of page images
    return Document(source=source, kind=kind, blocks=blocks, title=title, notes=notes)


def _page_scan(images: list[tuple[str, tuple[float, float, float, float]]], content: PageContent,
               res: _Resources) -> tuple[bytes, tuple[float, float, float, float]] | None:
    """The picture of a scanned page: its largest image, when it covers half the page or more."""
    if not images:
        return None
    rid, box = max(images, key=lambda im: (im[1][2] - im[1][0]) * (im[1][3] - im[1][1]))
    area = (box[2] - box[0]) * (box[3] - box[1])
    if area < 0.5 * content.width * content.height or rid not in res.media:
        return None
    data = res.pkg.read(res.media[rid])
    return (data, box) if data else None


def _ocr(scans: list[tuple[Page, bytes, tuple[float, float, float, float]]], n_pages: int, source: str,
         notes: list[str]) -> None:
    """OCR the pictures of scanned pages into their pages, in place."""
    from PIL import Image, UnidentifiedImageError

    from extract.readers.ocr import MAX_PIXELS, engine, ocr_page

    try:
        engine(source)
    except ExtractError as e:
        if len(scans) == n_pages:
            raise
        notes.append(f"pages {', '.join(str(p.number) for p, _, _ in scans)} not read: {e.reason}")
        return
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    read: list[int] = []
    for page, data, (x0, top, x1, _bottom) in scans:
        try:
            img = Image.open(io.BytesIO(data)).convert("L")
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
            notes.append(f"page {page.number}: its picture cannot be read")
            continue
        items = ocr_page(img, (x1 - x0) / img.width, source)
        page.items = [_moved(it, x0, top) for it in items]
        read.append(page.number)
    if read:
        notes.append("pages read by OCR: " + ", ".join(map(str, read)))


def _moved(item: Line | TableItem, dx: float, dy: float) -> Line | TableItem:
    """A page item moved by (dx, dy): from its picture's corner to the page's."""
    if isinstance(item, Line):
        return replace(item, x0=item.x0 + dx, x1=item.x1 + dx, top=item.top + dy, bottom=item.bottom + dy,
                       cells=[(a + dx, b + dx, t) for a, b, t in item.cells])
    return replace(item, x0=item.x0 + dx, x1=item.x1 + dx, top=item.top + dy, bottom=item.bottom + dy,
                   xs=[x + dx for x in item.xs], ys=[y + dy for y in item.ys])


class _Resources:
    """Fonts (for text stored as glyph ids, the character each glyph draws, from the embedded
    font's own character map) and images (a scanned page's picture, for OCR)."""

    def __init__(self, pkg: _Package, doc_path: str, common: etree._Element | None) -> None:
        self.pkg = pkg
        self.files: dict[str, str] = {}  # font ID -> path of its font file
        self.media: dict[str, str] = {}  # image ID -> path of its file
        self.maps: dict[str, dict[int, str] | None] = {}
        self.seen: set[str] = set()
        for tag in ("PublicRes", "DocumentRes"):
            for el in _children(common, tag):
                self.add(pkg.resolve(doc_path, el.text or ""))

    def add(self, res_path: str) -> None:
        """The fonts of one resource file (the document's, or a page's own PageRes)."""
        if res_path in self.seen:
            return
        self.seen.add(res_path)
        res = self.pkg.xml(res_path)
        if res is None:
            return
        base = res.get("BaseLoc", "")
        folder = self.pkg.resolve(res_path, base) if base else posixpath.dirname(res_path)
        for media in _children(_child(res, "MultiMedias"), "MultiMedia"):
            file_el = _child(media, "MediaFile")
            if file_el is not None and (file_el.text or "").strip():
                self.media[media.get("ID", "")] = self.pkg.resolve(folder + "/x", file_el.text or "")
        for font in _children(_child(res, "Fonts"), "Font"):
            file_el = _child(font, "FontFile")
            if file_el is not None and (file_el.text or "").strip():
                self.files[font.get("ID", "")] = self.pkg.resolve(folder + "/x", file_el.text or "")

    def glyph_map(self, font_id: str | None) -> dict[int, str] | None:
        if font_id is None or font_id not in self.files:
            return None
        if font_id not in self.maps:
            self.maps[font_id] = _reverse_cmap(self.pkg.read(self.files[font_id]))
        return self.maps[font_id]


def _reverse_cmap(data: bytes | None) -> dict[int, str] | None:
    """glyph id -> character, from a TrueType/OpenType font's cmap (None if it cannot be read)."""
    if not data:
        return None
    try:
        from fontTools.ttLib import TTFont
    except ImportError:
        return None
    try:
        font = TTFont(io.BytesIO(data), lazy=True)
        order = font.getGlyphOrder()
        index = {name: i for i, name in enumerate(order)}
        out: dict[int, str] = {}
        for code, name in sorted((font.getBestCmap() or {}).items(), reverse=True):
            if name in index:
                out[index[name]] = chr(code)  # the lowest code point wins where two map to one glyph
        return out
    except Exception:  # noqa: BLE001 - a broken embedded font loses its glyph text, not the page
        return None


def _unreadable(ch: str) -> bool:
    o = ord(ch)
    return 0xE000 <= o <= 0xF8FF or ch == "\ufffd" or o < 32


def _glyph_width(ch: str, size: float) -> float:
    return size * (0.5 if ord(ch) < 0x2E80 else 1.0)


class _Walker:
    """Collects a page's glyph boxes and straight path pieces into a PageContent (points)."""

    def __init__(self, content: PageContent, fonts: _Resources, origin: tuple[float, float]) -> None:
        self.content = content
        self.fonts = fonts
        self.origin = origin
        self.images: list[tuple[str, tuple[float, float, float, float]]] = []  # resource ID, box (pt)

    def walk(self, el: etree._Element | None, depth: int = 0) -> None:
        if el is None or depth > 32:
            return
        for child in el:
            name = _local(child.tag)
            if child.get("Visible", "true").lower() == "false":
                continue
            if name == "TextObject":
                self.text(child)
            elif name == "PathObject":
                self.path(child)
            elif name == "ImageObject":
                self.content.images += 1
                # the image fills the unit square of its CTM, placed at its Boundary
                m = self._place(child)
                corners = [_apply(m, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
                self.images.append((child.get("ResourceID", ""), (
                    min(p[0] for p in corners) * MM, min(p[1] for p in corners) * MM,
                    max(p[0] for p in corners) * MM, max(p[1] for p in corners) * MM)))
            elif name == "CompositeObject":
                self.content.images += 1
            elif name in ("Layer", "PageBlock", "Content"):
                self.walk(child, depth + 1)

    def _place(self, el: etree._Element) -> Matrix:
        bx = _floats(el.get("Boundary"))
        x0, y0 = (bx[0], bx[1]) if len(bx) >= 2 else (0.0, 0.0)
        return _then(_matrix(el.get("CTM")), x0 + self.origin[0], y0 + self.origin[1])

    def text(self, el: etree._Element) -> None:
        m = self._place(el)
        size = (_floats(el.get("Size")) or [3.5])[0]
        turned = el.get("CharDirection", "0") not in ("0", "") or el.get("ReadDirection", "0") not in ("0", "")
        glyph_text = self._glyph_text(el)
        x = y = 0.0
        for code in _children(el, "TextCode"):
            text = code.text or ""
            if glyph_text is not None:
                text = glyph_text.pop(0) if glyph_text else text
            xs, ys = _floats(code.get("X")), _floats(code.get("Y"))
            x = xs[0] if xs else x
            y = ys[0] if ys else y
            dx, dy = _deltas(code.get("DeltaX"), len(text)), _deltas(code.get("DeltaY"), len(text))
            for i, ch in enumerate(text):
                adv = dx[i] if i < len(dx) else _glyph_width(ch, size)
                width = min(_glyph_width(ch, size), adv) if adv > 0 else _glyph_width(ch, size)
                if not ch.isspace():
                    self._char(m, ch, x, y, width, size, turned)
                x += adv
                y += dy[i] if i < len(dy) else 0.0

    def _glyph_text(self, el: etree._Element) -> list[str] | None:
        """Each TextCode's text rebuilt from its glyph ids, where the stored text is unreadable
        and the font is embedded (CGTransform maps code positions to glyphs)."""
        transforms = _children(el, "CGTransform")
        codes = _children(el, "TextCode")
        if not transforms or not any(any(_unreadable(c) for c in (t.text or "")) or not (t.text or "").strip()
                                     for t in codes):
            return None
        cmap = self.fonts.glyph_map(el.get("Font"))
        if not cmap:
            return None
        # the glyphs, in code order, of all TextCodes of the object
        glyphs: dict[int, list[int]] = {}  # code position -> the glyphs it draws
        for t in transforms:
            pos = int((_floats(t.get("CodePosition")) or [0])[0])
            count = int((_floats(t.get("CodeCount")) or [1])[0])
            glyphs_el = _child(t, "Glyphs")
            ids = [int(v) for v in _floats(glyphs_el.text if glyphs_el is not None else "")]
            if count == len(ids):
                glyphs.update({pos + k: [g] for k, g in enumerate(ids)})
            else:  # codes drawn by several glyphs, or glyphs shared by several codes (ligatures)
                glyphs[pos] = ids
                glyphs.update({pos + k: [] for k in range(1, count)})
        out: list[str] = []
        at = 0
        for code in codes:
            text = code.text or ""
            chars = []
            for p in range(at, at + len(text)):
                drawn = glyphs.get(p)
                chars.append(text[p - at] if drawn is None else "".join(cmap.get(g, "\ufffd") for g in drawn))
            out.append("".join(chars))
            at += len(text)
        return out

    def _char(self, m: Matrix, ch: str, x: float, y: float, width: float, size: float, turned: bool) -> None:
        corners = [_apply(m, px, py) for px, py in
                   ((x, y - 0.88 * size), (x + width, y - 0.88 * size), (x, y + 0.12 * size), (x + width, y + 0.12 * size))]
        a, b, c, d = m[:4]
        self.content.chars.append({
            "text": ch,
            "x0": min(p[0] for p in corners) * MM, "x1": max(p[0] for p in corners) * MM,
            "top": min(p[1] for p in corners) * MM, "bottom": max(p[1] for p in corners) * MM,
            "upright": not turned and a * d > 0 and b * c <= 0,
        })

    def path(self, el: etree._Element) -> None:
        if el.get("Stroke", "true").lower() == "false" and el.get("Fill", "false").lower() != "true":
            return  # neither stroked nor filled: not drawn
        data = _child(el, "AbbreviatedData")
        if data is None or not data.text:
            return
        m = self._place(el)
        tokens = data.text.split()
        start = last = None
        i = 0
        counts = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}
        while i < len(tokens):
            op = tokens[i]
            n = counts.get(op)
            if n is None:
                i += 1
                continue
            try:
                args = [float(v) for v in tokens[i + 1 : i + 1 + n]]
            except ValueError:
                return
            i += 1 + n
            if len(args) < n:
                return
            if op in ("M", "S"):
                start = last = _apply(m, args[0], args[1])
                continue
            if last is None:
                continue
            point = start if op == "C" else _apply(m, args[-2], args[-1])
            if point is None:
                continue
            if op in ("L", "C"):
                self.content.add_line(last[0] * MM, last[1] * MM, point[0] * MM, point[1] * MM)
            last = point

