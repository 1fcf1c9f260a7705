"""Ruling lines of a page image, and the table grids they draw (pixel coordinates).

The lines are found with OpenCV morphology (long thin horizontal and vertical strokes), the
grid comes from their positions, and two grid cells are one merged cell where the line
between them is missing.
"""

from __future__ import annotations

from collections.abc import Sequence

from extract.readers.layout import TableItem


def _positions(profile, min_len: int, gap: int = 3) -> list[tuple[int, int]]:
    """Runs of indices where a projection is ≥ min_len: (start, end) of each ruling line."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, v in enumerate(profile):
        if v >= min_len and start is None:
            start = i
        elif v < min_len and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(profile) - 1))
    merged: list[tuple[int, int]] = []
    for r in runs:
        if merged and r[0] - merged[-1][1] <= gap:
            merged[-1] = (merged[-1][0], r[1])
        else:
            merged.append(r)
    return merged


def find_tables(gray, boxes: Sequence[tuple] = ()) -> list[TableItem]:
    """Ruled tables in a page image, as grids of merged-cell ids (pixel coordinates).

    The recognised text is erased first: strokes of characters in rows above each other,
    joined by the ruling line between them, would otherwise look like short vertical lines."""
    import cv2
    import numpy as np

    h, w = gray.shape
    binary = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    raw = binary.copy()
    for x0, y0, x1, y1, _ in boxes:
        # the detector's boxes are padded and may reach over a ruling line: erase their core
        dy = max(3, int((y1 - y0) * 0.3))
        dx = 2  # a glyph stroke at the edge of a box (刂 in 制) must go too
        binary[int(y0) + dy:int(y1) - dy + 1, int(x0) + dx:int(x1) - dx + 1] = 0
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, w // 40), 1))
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(15, h // 80)))
    horiz = cv2.dilate(cv2.morphologyEx(binary, cv2.MORPH_OPEN, hk), np.ones((3, 1), np.uint8))
    vert = cv2.dilate(cv2.morphologyEx(binary, cv2.MORPH_OPEN, vk), np.ones((1, 3), np.uint8))
    frame = cv2.dilate(cv2.bitwise_or(horiz, vert), np.ones((5, 5), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(frame, connectivity=8)
    tables: list[TableItem] = []
    for k in range(1, n):
        x, y, bw, bh, _area = stats[k]
        if bw < w * 0.2 or bh < 20:
            continue
        t = _grid(horiz[y:y + bh, x:x + bw], vert[y:y + bh, x:x + bw], x, y, raw[y:y + bh, x:x + bw])
        if t is not None:
            tables.append(t)
    return tables


def _band_rules(vert, raw, ys: list[float]):
    """vert with the column rules that erasing text cut: a row of values read as one text box
    crosses its rules, and a lone row is too low for them to be long lines. Only in a row
    without an inner rule: ink from one row rule to the next, all the way, at three places or
    more, each cell wider than the row is high, is rules (a 十 in a heading fills its row's
    height too, but once, or in a word's narrow step)."""
    import numpy as np

    vert = vert.copy()
    for a, b in zip(ys, ys[1:], strict=False):
        lo, hi = int(a) + 2, int(b) - 1
        if hi - lo < 8 or (vert[lo:hi, 6:-6] > 0).all(axis=0).any():
            continue
        band = raw[lo:hi] > 0
        band[:, 1:-1] |= band[:, :-2] | band[:, 2:]  # a rule left a little slanted by deskew
        full = band.all(axis=0)
        xs = [(p + q) / 2 for p, q in _positions(full.astype(np.uint8), 1)]
        inner = xs[1:-1] if len(xs) > 2 else []
        if len(inner) >= 3 and min(np.diff(xs)) >= 1.5 * (b - a):
            vert[lo - 2:hi + 2, full] = 255
    return vert


def _grid(horiz, vert, ox: int, oy: int, raw=None) -> TableItem | None:
    """The grid of one table region; cells are merged where the line between them is absent."""
    hh, ww = horiz.shape
    row_profile = (horiz > 0).sum(axis=1)
    ys = [(a + b) / 2 for a, b in _positions(row_profile, int(ww * 0.05))]
    if raw is not None:
        vert = _band_rules(vert, raw, ys)
    col_profile = (vert > 0).sum(axis=0)
    xs = [(a + b) / 2 for a, b in _positions(col_profile, int(hh * 0.05) if hh > 60 else 10)]
    if len(ys) < 2 or len(xs) < 2:
        return None
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    def covered(mask, fixed: float, lo: float, hi: float, along_rows: bool) -> bool:
        lo_i, hi_i = int(lo) + 3, int(hi) - 3
        if hi_i <= lo_i:
            return True
        f = int(round(fixed))
        band = mask[lo_i:hi_i, max(f - 2, 0):f + 3] if along_rows else mask[max(f - 2, 0):f + 3, lo_i:hi_i]
        line = band.max(axis=1) if along_rows else band.max(axis=0)
        return (line > 0).mean() >= 0.6

    for r in range(n_rows):
        for c in range(n_cols):
            if c + 1 < n_cols and not covered(vert, xs[c + 1], ys[r], ys[r + 1], along_rows=True):
                union(r * n_cols + c, r * n_cols + c + 1)
            if r + 1 < n_rows and not covered(horiz, ys[r + 1], xs[c], xs[c + 1], along_rows=False):
                union(r * n_cols + c, (r + 1) * n_cols + c)
    ids: dict[int, int] = {}
    owners = [[ids.setdefault(find(r * n_cols + c), len(ids)) for c in range(n_cols)] for r in range(n_rows)]
    xs = [x + ox for x in xs]
    ys = [y + oy for y in ys]
    return TableItem(ys[0], ys[-1], xs[0], xs[-1], [], owners, xs, ys)
