"""OCR for scans and unreadable PDF pages: offline, on the CPU, reads Chinese.

rapidocr-onnxruntime (the `ocr` extra: pip install 'gongkai[ocr]') ships its detection and
recognition models in the wheel, so nothing is downloaded at run time.

A page scanned at a slant is first turned level (deskew: the angle at which the rows of ink
are sharpest). Tables are rebuilt from the page image, their grids from the ruling lines
(extract/readers/rules.py), and each recognised text box goes to the cell under its centre. Text outside tables becomes
lines for the same paragraph assembly the PDF reader uses. Coordinates are converted to PDF
points so a table continued on the next scanned page is joined like a text-layer one.
"""

from __future__ import annotations

import io
import math
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from extract.document import Document, ExtractError
from extract.readers.grid import join_lines
from extract.readers.layout import Line, Page, TableItem, assemble, drop_running_lines
from extract.readers.rules import find_tables

INSTALL_HINT = "OCR is not installed: pip install 'gongkai[ocr]' (rapidocr-onnxruntime, runs offline on the CPU)"
MAX_PIXELS = 60_000_000  # a 600 dpi A3 page; bigger images are refused, not decoded
MIN_SCORE = 0.5
# A number is read only when recognition is sure of it. The score alone does not tell: a lone
# "0" in a blurred cell scores 0.7 and is right, a "0" read as "6" scored 0.92. So a number
# scoring under SURE is read a second time at its own width (not squeezed, see REC_HEIGHT);
# when the two readings differ it is "?" (a value not read, which the table's totals may
# infer), never a guess.
SURE = 0.97
UNSURE = "?"
MAX_REREAD = 80  # empty-looking cells re-read per table (a bound on time per page)
MAX_DET_SIDE = 2000  # bigger pages are shrunk for detection (boxes are cut from the full image)
# Detection runs on the page at ¾ size (its cost is in proportion to the pixels): 8 pt table
# text at 150 dpi is still 12 px high, which it finds; a lone digit it misses in a table cell
# is read from the cell's crop (_reread_empty_cells). Measured on the seed scans: the same
# share of values right, a third less time per page.
DET_SCALE = 0.75
# Recognition costs time in proportion to the width of its input, a text box resized to the
# model's height. rapidocr pads every box to at least 320 px (a lone "0" costs as much as a
# line of seven characters) and keeps the box's aspect ratio. Here a box is as wide as its
# text, and narrowed: square Chinese characters stay legible at half their width (measured
# on the five seed scans: same values, less than half the time; see bench/extract_speed.py).
REC_HEIGHT = 48  # the input height PP-OCRv4's recognition model was trained on
SQUEEZE_SHORT = 0.7  # boxes up to LINE_RATIO heights wide: numbers, short labels
SQUEEZE_LINE = 0.5  # wider boxes: lines of text
LINE_RATIO = 6

_engine = None
_lock = threading.Lock()


def engine(source: str):
    """The OCR engine, loaded once per process (loading the models takes ~1 s)."""
    global _engine
    with _lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as e:
                raise ExtractError(source, INSTALL_HINT) from e
            # one thread per process: `gongkai extract` parallelises over documents instead
            _engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
        return _engine


def read_image(data: bytes, source: str) -> Document:
    """A photographed or scanned page (PNG, JPEG, TIFF…)."""
    engine(source)  # before numpy: without the ocr extra, the install hint, not "No module named numpy"
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    from extract.readers.scanprep import prepare

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    notes: list[str] = []
    try:
        img = Image.open(io.BytesIO(data))
        frames = getattr(img, "n_frames", 1)
        pages: list[Page] = []
        for k in range(min(frames, 50)):  # multi-page TIFF scans
            img.seek(k)
            frame = img.convert("RGB") if img.mode not in ("1", "L", "I;16", "I") else img.convert("L")
            dpi = float((img.info.get("dpi") or (150, 150))[0] or 150)
            dpi = dpi if 50 <= dpi <= 1200 else 150.0
            prepared = prepare(np.asarray(frame))
            notes += [f"image {k + 1}: {n}" for n in prepared.notes]
            for gray in prepared.pages:
                page = Page(len(pages) + 1, gray.shape[1] * 72 / dpi, gray.shape[0] * 72 / dpi, ocr=True)
                page.items = ocr_page(gray, 72 / dpi, source)
                pages.append(page)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as e:
        raise ExtractError(source, f"an image that cannot be read ({type(e).__name__}: {e})") from e
    notes.insert(0, f"read by OCR ({len(pages)} page{'s' if len(pages) > 1 else ''})")
    drop_running_lines(pages)
    blocks = assemble(pages, notes)
    if not blocks:
        raise ExtractError(source, "an image in which OCR found no text")
    title = next((b.text for b in blocks if hasattr(b, "text")), None)
    return Document(source=source, kind="image", blocks=blocks, title=title, notes=notes)


@dataclass
class Sheet:
    """A rendered PDF page that OCR read as more than one page (two pages scanned on one
    sheet), or about which it has something to say (stamped, photographed)."""

    pages: list[tuple[float, float, list]]  # (width, height in points, items) in reading order
    notes: list[str]


def ocr_pdf_pages(data: bytes, indices: list[int], source: str, dpi: int = 150) -> Iterator[tuple[int, list | Sheet | None]]:
    """Render the given PDF pages and OCR them; yields (page index, items in PDF points), a
    Sheet when the page held two pages or has notes, or (page index, None) for a page that
    cannot be rendered."""
    engine(source)  # fail early with the install hint (numpy and OpenCV come with the ocr extra)
    import numpy as np
    import pypdfium2 as pdfium

    from extract.readers.scanprep import prepare

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:  # damaged beyond what pdfium opens: no page can be rendered
        yield from ((i, None) for i in indices)
        return
    try:
        from tqdm import tqdm

        for i in tqdm(indices, desc="OCR", unit="page", disable=len(indices) < 3, leave=False):
            try:
                page = pdf[i]
                w, h = page.get_size()
                scale = dpi / 72
                if w * h * scale * scale > MAX_PIXELS:
                    scale = (MAX_PIXELS / (w * h)) ** 0.5
                # in colour: a red seal is told from the print by its colour
                img = np.asarray(page.render(scale=scale, rev_byteorder=True).to_pil().convert("RGB"))
                page.close()
            except pdfium.PdfiumError:  # a damaged page: the others are still read
                yield i, None
                continue
            prepared = prepare(img)
            read = [(g.shape[1] / scale, g.shape[0] / scale, ocr_page(g, 1 / scale, source)) for g in prepared.pages]
            if len(read) == 1 and not prepared.notes:
                yield i, read[0][2]
            else:
                yield i, Sheet(read, [f"page {i + 1}: {n}" for n in prepared.notes])
    finally:
        pdf.close()


# ----------------------------------------------------------------------------- one image


def ocr_page(img, to_pt: float, source: str) -> list[Line | TableItem]:
    """OCR one page image (grey: mode L or a uint8 array); coordinates of the result in points (pixels × to_pt)."""
    import numpy as np

    gray = deskew(np.asarray(img))
    boxes = read_text(gray, source)
    tables = find_tables(gray, boxes)

    items: list[Line | TableItem] = []
    free = []
    cell_boxes: list[dict[int, list]] = [dict() for _ in tables]
    for b in boxes:
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        for k, t in enumerate(tables):
            if t.x0 <= cx <= t.x1 and t.top <= cy <= t.bottom:
                for cid, piece in _split_box(t, b):
                    cell_boxes[k].setdefault(cid, []).append(piece)
                break
        else:
            free.append((*b[:4], _fix_digits(b[4])))
    for k, t in enumerate(tables):
        texts = {cid: _fix_digits(_cell_text(bs)) for cid, bs in cell_boxes[k].items()}
        # a "?" is a doubtful number, or a ruling line in the box read as one: the cell is read
        # again inside its rules
        texts = {cid: text for cid, text in texts.items() if text.strip("?？ ")}
        texts.update(_reread_empty_cells(gray, t, texts, source))
        t.rows = [[texts.get(cid, "") if cid >= 0 else "" for cid in row] for row in t.owners]
        if any(any(row) for row in t.rows):
            items.append(_scaled(t, to_pt))
    items.extend(_lines(free, to_pt))
    items.sort(key=lambda it: it.top)
    return items


def skew_angle(gray, limit: float = 5.0) -> float:
    """The angle (degrees, counter-clockwise) that makes a scanned page's lines level.

    Text lines and ruling lines are level when the page's row profile of ink is sharpest:
    rotations of a half-size copy are tried, every 0.25° and then every 0.05° around the
    best."""
    import cv2
    import numpy as np

    small = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    ink = (small < 160).astype(np.float32)
    if ink.sum() < 100:
        return 0.0
    h, w = ink.shape
    centre = (w / 2, h / 2)

    def sharpness(angle: float) -> float:
        turned = cv2.warpAffine(ink, cv2.getRotationMatrix2D(centre, angle, 1.0), (w, h), flags=cv2.INTER_NEAREST)
        rows = turned.sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    best = max(np.arange(-limit, limit + 1e-9, 0.25), key=sharpness)
    return float(max(np.arange(best - 0.25, best + 0.25 + 1e-9, 0.05), key=sharpness))


def deskew(gray):
    """A page scanned at a slant, turned level (ruling lines must be level to be found,
    and text boxes to be read). Slants under 0.15° (2 px over an A4 line) are left alone."""
    import cv2

    angle = skew_angle(gray)
    if abs(angle) < 0.15:
        return gray
    h, w = gray.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, turn, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def _split_box(t: TableItem, b: tuple) -> list[tuple[int, tuple]]:
    """A text box may run over a ruling line (OCR joins "0 0" in neighbouring cells): cut
    it at the column edges it crosses, a word to a cell; when its words do not match the
    cells, nothing (the cells are read one by one, _reread_empty_cells)."""
    from bisect import bisect_right

    x0, y0, x1, y1, text = b
    cy = (y0 + y1) / 2
    r = min(max(bisect_right(t.ys, cy) - 1, 0), len(t.ys) - 2)
    inner = [x for x in t.xs[1:-1] if x0 + 4 < x < x1 - 4]
    pieces: list[tuple[int, tuple]] = []
    if inner and len(text) > 1:
        # cut only at edges where the cells really differ (not inside a merged cell)
        cuts = []
        for x in inner:
            c = bisect_right(t.xs, x) - 1
            if 0 < c < len(t.owners[r]) and t.owners[r][c] != t.owners[r][c - 1]:
                cuts.append(x)
        if cuts:
            edges = [x0, *cuts, x1]
            tokens = text.split()
            if len(tokens) != len(edges) - 1:
                return []  # shared out by width would be a guess: each cell is read on its own
            parts = tokens
            for a, bb, part in zip(edges, edges[1:], parts, strict=False):
                c = min(max(bisect_right(t.xs, (a + bb) / 2) - 1, 0), len(t.xs) - 2)
                cid = t.owners[r][c]
                if cid >= 0 and part.strip():
                    pieces.append((cid, (a, y0, bb, y1, part.strip())))
            return pieces
    c = min(max(bisect_right(t.xs, (x0 + x1) / 2) - 1, 0), len(t.xs) - 2)
    cid = t.owners[r][c]
    return [(cid, b)] if cid >= 0 else []


def _fix_digits(text: str) -> str:
    """A numeric cell read with a letter for a digit (o for 0, l for 1, a small 0 as °)."""
    if text == "°":
        return "0"
    if text and len(text) <= 12 and re.fullmatch(r"[\d.,oOlI]+", text) and re.search(r"\d|^[oO]$", text):
        return text.translate(str.maketrans("oOlI", "0011"))
    if len(text) > 12 and re.fullmatch(r"[0oO]+", text) and text.count("0") * 2 > len(text):
        return text.translate(str.maketrans("oO", "00"))  # a row of zero cells read as one run
    return text


def _reread_empty_cells(gray, t: TableItem, texts: dict[int, str], source: str) -> dict[int, str]:
    """Cells the detector found no text in but that have ink: recognise the cell alone.

    Page-wide detection misses lone small glyphs (a "0" in a narrow cell); recognition on
    the cell's crop is cheap and reads them."""
    import numpy as np

    spans: dict[int, list[int]] = {}
    for r, row in enumerate(t.owners):
        for c, cid in enumerate(row):
            if cid < 0 or texts.get(cid):
                continue
            b = spans.setdefault(cid, [r, c, r, c])
            b[0], b[1], b[2], b[3] = min(b[0], r), min(b[1], c), max(b[2], r), max(b[3], c)
    found: dict[int, str] = {}
    for n, (cid, (r0, c0, r1, c1)) in enumerate(spans.items()):
        if n >= MAX_REREAD:
            break
        x0, x1 = int(t.xs[c0]) + 4, int(t.xs[c1 + 1]) - 3
        y0, y1 = int(t.ys[r0]) + 4, int(t.ys[r1 + 1]) - 3
        if x1 - x0 < 6 or y1 - y0 < 6:
            continue
        crop = gray[y0:y1, x0:x1]
        if int((crop < 128).sum()) < 8:
            continue  # a blank cell: blank is data, leave it ""
        ys, xs = np.nonzero(crop < 160)
        pad = 4
        crop = crop[max(ys.min() - pad, 0):ys.max() + pad + 1, max(xs.min() - pad, 0):xs.max() + pad + 1]
        crop = np.pad(crop, 6, constant_values=255)
        crop3 = np.stack([crop] * 3, axis=-1)
        text, score = recognise(engine(source), crop3)
        text = text.strip()
        if text and score < SURE and _lone_number(_fix_digits(text)):
            found[cid] = _fix_digits(_vote(engine(source), crop3, text))  # a lone glyph scores low even when right
        elif score >= MIN_SCORE and text:
            found[cid] = _fix_digits(text)
        elif ys.max() - ys.min() >= 8:  # ink the size of a digit, not read: a value unknown, not a blank
            found[cid] = UNSURE
    return found


def read_text(gray, source: str) -> list[tuple[float, float, float, float, str]]:
    """Text boxes of a page image: (x0, top, x1, bottom, text) in pixels.

    Detection runs on the page cropped to its ink (the blank margins are a third of an A4
    page), recognition on each box (see REC_HEIGHT)."""
    import cv2
    import numpy as np

    ocr = engine(source)
    ink_rows, ink_cols = np.nonzero(gray < 200)
    if not len(ink_rows):
        return []
    pad = 16
    top, left = max(int(ink_rows.min()) - pad, 0), max(int(ink_cols.min()) - pad, 0)
    area = gray[top:int(ink_rows.max()) + pad, left:int(ink_cols.max()) + pad]
    shrink = min(1.0, MAX_DET_SIDE / max(area.shape)) * DET_SCALE
    if shrink != 1:
        area = cv2.resize(area, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
    quads, _ = ocr.text_det(np.stack([area] * 3, axis=-1))
    if quads is None or not len(quads):
        return []
    quads = [np.asarray(q, dtype=np.float32) / shrink + np.array([left, top], dtype=np.float32) for q in quads]
    page = np.stack([gray] * 3, axis=-1)
    boxes: list[tuple[float, float, float, float, str]] = []
    doubtful: list[tuple[int, object]] = []  # (index in boxes, crop) of numbers to read again
    for quad, crop in zip(quads, ocr.get_crop_img_list(page, quads), strict=True):
        text, score = recognise(ocr, crop)
        if score >= MIN_SCORE and text.strip():
            text = text.strip()
            if score < SURE and _lone_number(_fix_digits(text)):
                # a lone number (a row of them, read across the rules between cells, would
                # read worse unsqueezed: the rules become 1s)
                doubtful.append((len(boxes), crop))
            boxes.append((float(quad[:, 0].min()), float(quad[:, 1].min()),
                          float(quad[:, 0].max()), float(quad[:, 1].max()), text))
    for k, crop in doubtful:
        boxes[k] = (*boxes[k][:4], _vote(ocr, crop, boxes[k][4]))
    return boxes


def _vote(ocr, crop, text: str) -> str:
    """A lone number recognised with doubt (its score says little: a right "0" alone in a
    cell scores 0.5–0.8, a "0" read as "6" 0.92): read again at its own width (not squeezed,
    as it was first), alone and as a run of three (the crop thrice side by side, which the
    recogniser reads far better than one glyph alone). The number is what two of the three
    readings agree on; else UNSURE, never a guess. (The run is read unsqueezed too: read
    squeezed, it repeats the first reading's slips.)"""
    import numpy as np

    plain = recognise_batch(ocr, [crop])[0][0]
    if _same_number(text, plain):
        return text  # most are settled here: the run (thrice as wide) only when they differ
    run = "".join(unicodedata.normalize("NFKC", recognise_batch(ocr, [np.concatenate([crop] * 3, axis=1)])[0][0]).split())
    n = len(run) // 3
    third = run[:n] if n and run == run[:n] * 3 else ""
    if third and _same_number(text, third):
        return text
    if third and _same_number(plain, third) and _lone_number(_fix_digits(third)):
        return third
    return _unsure(text)


_NUMBERS = re.compile(r"[\d.,oOlI]+(?:\s+[\d.,oOlI]+)*")


def _is_numbers(text: str) -> bool:
    return bool(_NUMBERS.fullmatch(text)) and bool(re.search(r"\d", text))


def _lone_number(text: str) -> bool:
    """One number, as long as a cell's can be (a longer run of digits is cells run together)."""
    return _is_numbers(text) and " " not in text and len(text) <= 12


def _same_number(a: str, b: str) -> bool:
    """Two readings of a box agree on its digits (the spaces between numbers in a row of cells
    are the grid's to settle, not the recogniser's)."""
    def digits(text: str) -> str:
        return "".join(_fix_digits(t) for t in unicodedata.normalize("NFKC", text).split())

    return digits(a) == digits(b)


def _unsure(text: str) -> str:
    """One UNSURE mark per number (a box may hold the numbers of several cells: each cell gets
    its own mark)."""
    return " ".join(UNSURE for _ in text.split())


def recognise_batch(ocr, crops: list) -> list[tuple[str, float]]:
    """Text boxes recognised at their own width (not squeezed), in one run of the model."""
    import cv2
    import numpy as np

    widths = [max(8, math.ceil(REC_HEIGHT * c.shape[1] / max(c.shape[0], 1))) for c in crops]
    padded = max(32, math.ceil(max(widths) / 8) * 8)
    out: list[tuple[str, float]] = []
    for start in range(0, len(crops), 64):  # bounded batches: memory stays small
        chunk = range(start, min(start + 64, len(crops)))
        batch = np.zeros((len(chunk), 3, REC_HEIGHT, padded), dtype=np.float32)
        for j, k in enumerate(chunk):
            w = min(widths[k], padded)
            resized = cv2.resize(crops[k], (w, REC_HEIGHT)).astype(np.float32)
            batch[j, :, :, :w] = resized.transpose(2, 0, 1) / 127.5 - 1.0
        preds = ocr.text_rec.session(batch)[0]
        res = ocr.text_rec.postprocess_op(preds, False, wh_ratio_list=[widths[k] / REC_HEIGHT for k in chunk],
                                          max_wh_ratio=padded / REC_HEIGHT)
        out += [(str(t), float(sc)) for t, sc, *_ in res]
    return out


def recognise(ocr, crop) -> tuple[str, float]:
    """One text box image (H×W×3) to (text, confidence), at the width its text needs."""
    import cv2
    import numpy as np

    h, w = crop.shape[:2]
    if h < 2 or w < 2:
        return "", 0.0
    ratio = w / h
    width = max(1, math.ceil(REC_HEIGHT * ratio * (SQUEEZE_LINE if ratio > LINE_RATIO else SQUEEZE_SHORT)))
    padded = max(32, math.ceil(width / 8) * 8)  # the model reduces the width by 8
    batch = np.zeros((1, 3, REC_HEIGHT, padded), dtype=np.float32)
    resized = cv2.resize(crop, (width, REC_HEIGHT)).astype(np.float32)
    batch[0, :, :, :width] = resized.transpose(2, 0, 1) / 127.5 - 1.0
    preds = ocr.text_rec.session(batch)[0]
    text, score = ocr.text_rec.postprocess_op(preds, False, wh_ratio_list=[width / REC_HEIGHT],
                                              max_wh_ratio=padded / REC_HEIGHT)[0][:2]
    return str(text), float(score)


def _cell_text(boxes: list[tuple]) -> str:
    """Boxes of one cell in reading order: by line (top), then left to right."""
    boxes = sorted(boxes, key=lambda b: (b[1], b[0]))
    lines: list[list[tuple]] = []
    for b in boxes:
        if lines and abs(b[1] - lines[-1][0][1]) < 0.5 * (b[3] - b[1]):
            lines[-1].append(b)
        else:
            lines.append([b])
    return join_lines(" ".join(x[4] for x in sorted(line, key=lambda b: b[0])) for line in lines)


def _lines(boxes: list[tuple], to_pt: float) -> list[Line]:
    if not boxes:
        return []
    heights = sorted(b[3] - b[1] for b in boxes)
    size = round(heights[len(heights) // 2] * to_pt, 0)  # one size per page: OCR boxes jitter
    out: list[Line] = []
    groups: list[list[tuple]] = []
    for b in sorted(boxes, key=lambda b: (b[1], b[0])):
        if groups and abs((b[1] + b[3]) / 2 - (groups[-1][0][1] + groups[-1][0][3]) / 2) < 0.5 * (b[3] - b[1]):
            groups[-1].append(b)
        else:
            groups.append([b])
    for g in groups:
        g.sort(key=lambda b: b[0])
        text = " ".join(b[4] for b in g)
        out.append(Line(
            top=min(b[1] for b in g) * to_pt, bottom=max(b[3] for b in g) * to_pt,
            x0=g[0][0] * to_pt, x1=g[-1][2] * to_pt, text=text, size=size,
        ))
    return out


def _scaled(t: TableItem, k: float) -> TableItem:
    return TableItem(t.top * k, t.bottom * k, t.x0 * k, t.x1 * k, t.rows, t.owners,
                     [x * k for x in t.xs], [y * k for y in t.ys])
