"""A scanned or photographed sheet made into clean grey pages before OCR looks for tables.

Three things real scans do that a table finder must not see:

- a seal (a red 公章 stamped over the signature or a table): its ring would read as ruling
  lines. The seal's coloured ink is whitened, the black print under it stays (a seal is
  multiplied over the print: where both are, the pixel is dark and grey); the page keeps a
  note that it is stamped.
- a phone photo of the sheet on a desk: the sheet (the largest bright four-cornered region,
  darker all round it) is cut out and its perspective corrected, then the light is flattened
  (the page divided by its own background), so the desk and the sheet's edge never become a
  table.
- an open booklet scanned on one A3 sheet: a landscape sheet with an empty band near its
  middle and print either side is two pages, split left then right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A pixel is coloured ink when its channels differ this much (grey print and paper differ by
# little, even in a warm photo) and it is not dark (black print under a seal stays).
CHROMA = 70
COLOUR_MIN_VALUE = 110
STAMP_SHARE = 0.0005  # less coloured ink than this share of a page is no seal
SEAL_MIN = 0.1  # a seal is at least this share of the page's width across (21 mm on A4)
SEAL_TINT = 20  # inside a seal's ring, this little chroma is the seal's ink
SEAL_PAPER = 190
SEAL_OVER_PAPER = 0.6  # seal ink alone: its brightest channel at least this share of the paper's
RING_FILL = 0.3  # a ring covers less of its box than a bold character does
MIN_SHEET = 0.25  # a sheet found in a photo covers at least this share of it
PHOTO_CONTRAST = 0.8  # what surrounds the sheet is at most this bright, relative to the sheet
GUTTER_MAX_INK = 0.004  # a gutter column has (almost) no ink
MIN_PAGE_INK = 0.01  # a page with print has ink in this share of its columns' height, on average


@dataclass
class Prepared:
    pages: list = field(default_factory=list)  # grey page images (uint8 arrays), in reading order
    notes: list[str] = field(default_factory=list)
    stamped: bool = False


def prepare(rgb) -> Prepared:
    """A sheet image (H×W×3 uint8, or H×W grey) as grey pages ready for OCR."""
    import numpy as np

    out = Prepared()
    if rgb.ndim == 3:
        gray, stamped = separate_colour(rgb)
        if stamped:
            out.stamped = True
            out.notes.append("stamped: a seal, set apart from the print under it")
    else:
        gray = rgb
    sheet = find_sheet(gray)
    if sheet is not None:
        gray = flatten(warp(gray, sheet))
        out.notes.append("a photo: the sheet found, its perspective corrected and its light flattened")
    halves = split_two_up(gray)
    if halves:
        out.notes.append("two pages on one sheet, split at the gutter")
        out.pages = [np.ascontiguousarray(h) for h in halves]
    else:
        out.pages = [gray]
    return out


def separate_colour(rgb):
    """(grey page without its seals, whether it has any).

    A seal is coloured ink around a ring (or oval) at least SEAL_MIN of the page's width across:
    everything coloured inside its ring (the name, the star) goes with it. Other coloured ink (a
    red letterhead, a coloured title) stays, as the grey its brightness makes: it is text."""
    import cv2
    import numpy as np

    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    quarter = rgb[::4, ::4]  # most pages have no colour at all: a look at a sample says so
    if (((quarter.max(axis=2).astype(np.int16) - quarter.min(axis=2)) > CHROMA).mean() < STAMP_SHARE / 2):
        return gray, False
    hi = rgb.max(axis=2)
    lo = rgb.min(axis=2)
    colour = ((hi.astype(np.int16) - lo) > CHROMA) & (hi > COLOUR_MIN_VALUE)
    if colour.mean() < STAMP_SHARE:
        return gray, False
    h, w = colour.shape
    k = 400 / max(h, w)
    small = cv2.resize(colour.astype(np.uint8), None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    small = cv2.dilate((small > 0).astype(np.uint8), np.ones((3, 3), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(small, connectivity=8)
    seal_min = SEAL_MIN * min(small.shape)
    seals = []
    for x, y, bw, bh, area in stats[1:n]:
        if min(bw, bh) >= seal_min and 0.6 <= bw / bh <= 1.67 and area < RING_FILL * bw * bh:
            seals.append((x, y, bw, bh))
    if not seals:
        return gray, False
    zone = np.zeros_like(colour)
    for x, y, bw, bh in seals:
        m = 0.05 * max(bw, bh)
        x0, y0 = int(max((x - m) / k, 0)), int(max((y - m) / k, 0))
        x1, y1 = int(min((x + bw + m) / k, w)), int(min((y + bh + m) / k, h))
        zone[y0:y1, x0:x1] = True
    # inside a seal, the rims of its strokes are a blend with the paper (and JPEG smears colour
    # over 2 px): a faint tint is the seal's too; black print under it stays (it is dark)
    # Only where the seal's own channel (red's red) is as bright as paper is there nothing under
    # the seal: print under it makes that channel dark too, and must stay.
    bright = hi > SEAL_OVER_PAPER * float(np.percentile(hi[::4, ::4], 95))
    tinted = ((hi.astype(np.int16) - lo) > SEAL_TINT) & bright
    colour = cv2.dilate(colour.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    colour = (colour | tinted) & zone & bright
    gray[colour] = 255  # brighter than paper: never ink to a threshold
    # what is left of the seal is the faintest tint of its rims: light grey in a seal's zone is paper
    gray[zone & (gray > SEAL_PAPER)] = 255
    return gray, True


def find_sheet(gray):
    """The four corners (float32 4×2, clockwise from top left) of a sheet photographed on a
    darker ground; None for a scan (the sheet is the whole image)."""
    import cv2
    import numpy as np

    h, w = gray.shape
    k = 600 / max(h, w)
    small = cv2.GaussianBlur(cv2.resize(gray, None, fx=k, fy=k, interpolation=cv2.INTER_AREA), (5, 5), 0)
    # the sheet's edge is sharp and strong; a shadow's or the light's edge is soft (a brightness
    # threshold would cut a shadowed corner off the sheet)
    edges = cv2.dilate(cv2.Canny(small, 40, 120), np.ones((3, 3), np.uint8), iterations=2)
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    sh, sw = small.shape
    for c in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        hull = cv2.convexHull(c)
        area = cv2.contourArea(hull)
        if area < MIN_SHEET * sh * sw:
            return None
        if area > 0.95 * sh * sw:
            continue
        quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(quad) != 4:
            continue
        mask = np.zeros_like(small)
        cv2.fillPoly(mask, [quad.reshape(-1, 2)], 255)
        inside = float(np.median(small[mask > 0]))
        outside = float(np.median(small[mask == 0])) if (mask == 0).any() else 255.0
        if outside > PHOTO_CONTRAST * inside:
            return None  # a frame on paper (a table): a scan, not a photo
        break
    else:
        return None
    pts = quad.reshape(4, 2).astype(np.float32) / k
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.float32([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]])


def warp(gray, corners):
    """The sheet inside `corners`, made rectangular at the resolution it was photographed."""
    import cv2
    import numpy as np

    tl, tr, br, bl = corners
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    # a few pixels in from the edge: the sheet's border (and desk beyond it) must not show
    inset = 0.01 * max(width, height)
    target = np.float32([[-inset, -inset], [width + inset, -inset], [width + inset, height + inset], [-inset, height + inset]])
    m = cv2.getPerspectiveTransform(corners, target)
    return cv2.warpPerspective(gray, m, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)


def flatten(gray):
    """Uneven light (fall-off, a shadow) divided out: the page over its own background, the
    background being the page with its print closed over (print is small and dark)."""
    import cv2
    import numpy as np

    h, w = gray.shape
    k = 300 / max(h, w)
    small = cv2.resize(gray, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    bg = cv2.GaussianBlur(bg, (0, 0), 3)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    out = gray.astype(np.float32) / np.maximum(bg, 1) * 255
    return np.clip(out, 0, 255).astype(np.uint8)


def split_two_up(gray):
    """Two page images (left, right) when the sheet is a landscape spread with a gutter near
    its middle and print either side; None otherwise."""
    import cv2

    h, w = gray.shape
    if w < 1.2 * h:
        return None
    k = 800 / w
    small = cv2.resize(gray, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    # local contrast only: the fold's soft shadow is not ink
    ink = cv2.adaptiveThreshold(small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 20)
    cols = ink.mean(axis=0)
    sw = small.shape[1]
    lo, hi = int(sw * 0.35), int(sw * 0.65)
    empty = cols[lo:hi] <= GUTTER_MAX_INK
    runs, start = [], None
    for i, e in enumerate([*empty, False]):
        if e and start is None:
            start = i
        elif not e and start is not None:
            runs.append((start + lo, i - 1 + lo))
            start = None
    runs = [r for r in runs if r[1] - r[0] + 1 >= sw * 0.01]
    if not runs:
        return None
    a, b = min(runs, key=lambda r: abs((r[0] + r[1]) / 2 - sw / 2))
    left, right = cols[:a].mean(), cols[b + 1:].mean()
    if left < MIN_PAGE_INK:  # the left page is blank: not a spread (a wide table's white middle is)
        return None
    cut = int((a + b + 1) / 2 / k)
    # a blank right page (the last page of a booklet) is left out: OCR would only read noise
    return [gray[:, :cut], gray[:, cut:]] if right >= MIN_PAGE_INK else [gray[:, :cut]]
