"""Degraded scans of the seed reports, made the way towns really publish them.

Each kind starts from the seed's LibreOffice PDF (tests/fixtures/NNN.lo.pdf), rendered, so the
gold values are exact; the damage is drawn with a seeded random generator (same bytes every run):

  jpeg    150 dpi grey, JPEG quality 50 (a copier's "small file" setting)
  seal    200 dpi colour, turned 2°, a red 公章 stamped over the signature and over the last
          table's bottom rows (multiplied in, as ink is: black print under it stays black)
  photo   a phone photo of each sheet on a desk: perspective, light falling off to one corner,
          a soft shadow over part of the sheet, a slight blur
  twoup   an open booklet scanned on A3: two pages side by side, a darker fold between them

`make(kind, seed)` returns the bytes of a PDF of page images, read like any published scan.
"""

from __future__ import annotations

import io
import math
import re
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
KINDS = ("jpeg", "seal", "photo", "twoup")
SEAL_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
RED = (214, 38, 44)
FIXED_DATE = time.gmtime(1767225600)  # the same bytes every run


def _render(pdf_path: Path, dpi: int, grey: bool = False) -> list:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_path.read_bytes())
    try:
        return [pdf[i].render(scale=dpi / 72, grayscale=grey).to_pil().convert("L" if grey else "RGB")
                for i in range(len(pdf))]
    finally:
        pdf.close()


def _to_pdf(images: list, dpi: float, quality: int) -> bytes:
    """Page images in a PDF, each embedded as a JPEG of the given quality."""
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=dpi, quality=quality,
                   creationDate=FIXED_DATE, modDate=FIXED_DATE)
    return out.getvalue()


def _stamp_places(pdf_path: Path) -> list[tuple[int, float, float]]:
    """(page, x, y) in points for the seals: the signature's date (or the end of the text), and
    the bottom rows of the last table."""
    import pdfplumber

    places = []
    with pdfplumber.open(pdf_path) as pdf:
        last = len(pdf.pages) - 1
        words = pdf.pages[last].extract_words()
        dated = [w for w in words if re.search(r"\d{4}\s*年|\d+\s*日$", w["text"])]
        anchor = dated[-1] if dated else max((w for w in words if w["text"] != "-"), key=lambda w: w["bottom"])
        places.append((last, pdf.pages[last].width * 0.68, anchor["top"] - 6))
        for i in range(last, -1, -1):
            tables = pdf.pages[i].find_tables()
            if tables:
                x0, _, x1, bottom = tables[-1].bbox
                places.append((i, x0 + (x1 - x0) * 0.62, bottom - 14))
                break
    return places


def seal(radius: int, agency: str, rng):
    """A round red seal as an RGB image on white: ring, star, the agency's name around the top."""
    from PIL import Image, ImageDraw, ImageFont

    size = 2 * radius + 8
    img = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(img)
    c = size / 2
    ring = max(3, radius // 18)
    d.ellipse([c - radius, c - radius, c + radius, c + radius], outline=RED, width=ring)
    star = [(c + radius * 0.28 * (1 if k % 2 == 0 else 0.4) * math.sin(k * math.pi / 5),
             c - radius * 0.28 * (1 if k % 2 == 0 else 0.4) * math.cos(k * math.pi / 5)) for k in range(10)]
    d.polygon(star, fill=RED)
    font = ImageFont.truetype(SEAL_FONT, max(10, int(radius * 0.22)), index=2)
    name = agency[:14]
    span = math.radians(250)
    for k, ch in enumerate(name):
        a = -span / 2 + span * (k + 0.5) / len(name)
        glyph = Image.new("L", (font.size + 6, font.size + 6), 0)
        ImageDraw.Draw(glyph).text((3, 0), ch, font=font, fill=255)
        glyph = glyph.rotate(-math.degrees(a), resample=Image.BICUBIC, expand=True)
        r = radius * 0.72
        x, y = c + r * math.sin(a) - glyph.width / 2, c - r * math.cos(a) - glyph.height / 2
        img.paste(Image.new("RGB", glyph.size, RED), (int(x), int(y)), glyph)
    # ink is uneven: some of it did not take
    import numpy as np

    arr = np.asarray(img).astype(np.float32)
    fade = rng.uniform(0.55, 1.0, size=arr.shape[:2])[..., None]
    arr = 255 - (255 - arr) * fade
    return Image.fromarray(arr.astype(np.uint8))


def _multiply(page, stamp, x: int, y: int):
    import numpy as np

    p = np.asarray(page).astype(np.float32)
    s = np.asarray(stamp).astype(np.float32) / 255
    h, w = s.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, p.shape[1]), min(y + h, p.shape[0])
    p[y0:y1, x0:x1] *= s[y0 - y:y1 - y, x0 - x:x1 - x]
    from PIL import Image

    return Image.fromarray(p.astype(np.uint8))


def _agency(seed: str) -> str:
    import json

    gold = json.loads(next((FIXTURES.parent / "seeds" / "gold").glob(f"{seed}_*.json")).read_text("utf-8"))
    return gold["agency"] or "人民政府"


def make_jpeg(seed: str) -> bytes:
    return _to_pdf(_render(FIXTURES / f"{seed}.lo.pdf", 150, grey=True), 150, 50)


def make_seal(seed: str, rng) -> bytes:
    from PIL import Image

    dpi = 200
    src = FIXTURES / f"{seed}.lo.pdf"
    pages = _render(src, dpi)
    k = dpi / 72
    radius = int(21 * 72 / 25.4 * k)  # a 42 mm seal
    for i, x, y in _stamp_places(src):
        stamp = seal(radius, _agency(seed), rng)
        pages[i] = _multiply(pages[i], stamp, int(x * k) - stamp.width // 2, int(y * k) - stamp.height // 2)
    pages = [p.rotate(2.0, resample=Image.BICUBIC, fillcolor="white") for p in pages]
    return _to_pdf(pages, dpi, 85)


def _desk(w: int, h: int, rng):
    """A wooden desk: brown, grain along x, noise."""
    import cv2
    import numpy as np

    grain = rng.normal(0, 1, size=(h // 8 + 1, 1)).astype(np.float32)
    grain = cv2.resize(cv2.GaussianBlur(grain, (1, 5), 2), (w, h), interpolation=cv2.INTER_LINEAR)
    base = np.array([96, 68, 44], np.float32) * (1 + 0.12 * grain[..., None])
    base += rng.normal(0, 6, size=(h, w, 1)).astype(np.float32)
    return base


def make_photo(seed: str, rng) -> bytes:
    import cv2
    import numpy as np
    from PIL import Image

    pages = _render(FIXTURES / f"{seed}.lo.pdf", 200)
    out = []
    for page in pages:
        src = np.asarray(page).astype(np.float32)
        ph, pw = src.shape[:2]
        W, H = int(pw * 1.22), int(ph * 1.16)
        j = rng.uniform(-0.035, 0.035, size=(4, 2)) * [pw, ph]
        corners = np.float32([[0.11 * W, 0.07 * H], [0.11 * W + pw * 0.95, 0.07 * H],
                              [0.11 * W + pw * 0.97, 0.07 * H + ph * 0.92], [0.11 * W - pw * 0.02, 0.07 * H + ph * 0.9]]) + j
        m = cv2.getPerspectiveTransform(np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]]), corners.astype(np.float32))
        sheet = cv2.warpPerspective(src, m, (W, H), flags=cv2.INTER_LINEAR)
        mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), m, (W, H), flags=cv2.INTER_LINEAR)[..., None]
        img = sheet * mask + _desk(W, H, rng) * (1 - mask)
        # light from the top left, falling off to the far corner; the paper is a little warm
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        d = np.hypot(xx / W - 0.15, yy / H - 0.1) / 1.25
        img *= (1.0 - 0.38 * d ** 1.5)[..., None] * np.float32([1.0, 0.97, 0.9])
        # the phone's shadow: a soft dark band over the lower right
        shadow = np.zeros((H, W), np.float32)
        cv2.fillPoly(shadow, [np.int32([[W * 0.55, H], [W * 0.8, H * 0.55], [W, H * 0.5], [W, H]])], 1.0)
        shadow = cv2.GaussianBlur(shadow, (0, 0), W * 0.03)
        img *= (1 - 0.35 * shadow)[..., None]
        img = cv2.GaussianBlur(img, (0, 0), 1.1)
        img += rng.normal(0, 3, size=img.shape).astype(np.float32)
        out.append(Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)))
    return _to_pdf(out, 200, 80)


def make_twoup(seed: str) -> bytes:
    import numpy as np
    from PIL import Image

    pages = _render(FIXTURES / f"{seed}.lo.pdf", 150, grey=True)
    w, h = pages[0].size
    sheets = []
    for k in range(0, len(pages), 2):
        sheet = np.full((h, 2 * w), 255, np.float32)
        sheet[:, :w] = np.asarray(pages[k])
        if k + 1 < len(pages):
            sheet[:, w:] = np.asarray(pages[k + 1].resize((w, h)))
        # the fold of the booklet: a darker band either side of the middle
        x = np.arange(2 * w, dtype=np.float32)
        sheet *= 1 - 0.35 * np.exp(-((x - w) / (w * 0.02)) ** 2)
        sheets.append(Image.fromarray(np.clip(sheet, 0, 255).astype(np.uint8)))
    return _to_pdf(sheets, 150, 75)


def make(kind: str, seed: str) -> bytes:
    """The degraded scan `kind` of seed `seed` ("000"…), as PDF bytes (deterministic)."""
    import numpy as np

    if kind not in KINDS:
        raise ValueError(f"unknown kind of scan: {kind!r} (one of {', '.join(KINDS)})")
    rng = np.random.default_rng(int(seed) * 7919 + KINDS.index(kind))
    if kind == "jpeg":
        return make_jpeg(seed)
    if kind == "seal":
        return make_seal(seed, rng)
    if kind == "photo":
        return make_photo(seed, rng)
    return make_twoup(seed)
