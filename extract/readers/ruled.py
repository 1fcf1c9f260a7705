"""Ruled tables: their cells from the page's ruling lines.

This is pdfplumber's table finder with its "lines" strategy, step for step (snap nearby
lines together, join collinear pieces, find where lines cross, the smallest cell at each
crossing, cells sharing a corner make a table), so its results are pdfplumber's
(tests/test_readers_pdf.py compares the two on every fixture page and on random lines). It
is written out here because importing pdfplumber imports pdfminer.six with it: 60 ms, a
quarter of reading a five-page report. Lines are tuples, not dicts, which also makes it faster.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import groupby
from typing import Any

Box = tuple[float, float, float, float]  # x0, top, x1, bottom
# A line along a fixed position: (position, start, end); x, top, bottom for a vertical line,
# top, x0, x1 for a horizontal one.
Line = tuple[float, float, float]

SNAP = 3.0  # lines closer than this are one line (pdfplumber's snap_tolerance)
JOIN = 3.0  # collinear pieces with gaps up to this are one line (join_tolerance)
CROSS = 3.0  # a line reaching this close to another crosses it (intersection_tolerance)
MIN_LENGTH = 3.0  # shorter lines are no ruling (edge_min_length)
MIN_LENGTH_FIRST = 1.0  # ... nor, before joining, shorter pieces (edge_min_length_prefilter)


def ruled_tables(edges: Iterable[dict[str, Any]]) -> list[list[Box]]:
    """The tables the edges (pdfplumber's edge dicts) rule, top to bottom: each a list of cells."""
    verticals: list[Line] = []
    horizontals: list[Line] = []
    for e in edges:
        if e["orientation"] == "v" and e["height"] >= MIN_LENGTH_FIRST:
            verticals.append((e["x0"], e["top"], e["bottom"]))
        elif e["orientation"] == "h" and e["width"] >= MIN_LENGTH_FIRST:
            horizontals.append((e["top"], e["x0"], e["x1"]))
    verticals = [v for v in _merge(verticals) if v[2] - v[1] >= MIN_LENGTH]
    horizontals = [h for h in _merge(horizontals) if h[2] - h[1] >= MIN_LENGTH]
    return _tables(_cells(_crossings(verticals, horizontals)))


def _merge(lines: list[Line]) -> list[Line]:
    """Snap lines within SNAP of each other to their mean position, then join the collinear
    pieces of each position that are within JOIN of each other."""
    if not lines:
        return []
    # positions cluster in a chain: each within SNAP of the previous distinct one
    cluster_of: dict[float, int] = {}
    previous = None
    for p in sorted({line[0] for line in lines}):
        cluster_of[p] = 0 if previous is None else cluster_of[previous] + (p > previous + SNAP)
        previous = p
    members: dict[int, list[Line]] = defaultdict(list)
    for line in lines:
        members[cluster_of[line[0]]].append(line)
    snapped: list[Line] = []
    for group in members.values():
        mean = sum(line[0] for line in group) / len(group)
        # moved by the difference, as pdfplumber does (the float can differ from `mean` itself)
        snapped.extend((p + (mean - p), start, end) for p, start, end in group)
    out: list[Line] = []
    for _, same in groupby(sorted(snapped, key=lambda line: line[0]), key=lambda line: line[0]):
        joined: list[Line] = []
        for line in sorted(same, key=lambda line: line[1]):
            if joined and line[1] <= joined[-1][2] + JOIN:
                if line[2] > joined[-1][2]:
                    joined[-1] = (joined[-1][0], joined[-1][1], line[2])
            else:
                joined.append(line)
        out.extend(joined)
    return out


Crossings = dict[tuple[float, float], tuple[set[Line], set[Line]]]


def _crossings(verticals: list[Line], horizontals: list[Line]) -> Crossings:
    """Where a vertical and a horizontal line meet (within CROSS): point → (its verticals, its
    horizontals)."""
    out: Crossings = {}
    for v in verticals:
        x, top, bottom = v
        for h in horizontals:
            y, x0, x1 = h
            if top <= y + CROSS and bottom >= y - CROSS and x0 - CROSS <= x <= x1 + CROSS:
                point = out.setdefault((x, y), (set(), set()))
                point[0].add(v)
                point[1].add(h)
    return out


def _cells(crossings: Crossings) -> list[Box]:
    """At each crossing, the smallest cell whose four sides are drawn, that crossing its top left."""
    columns: dict[float, list[float]] = defaultdict(list)  # x → the crossings' ys, top down
    rows: dict[float, list[float]] = defaultdict(list)  # y → the crossings' xs, left to right
    points = sorted(crossings)
    for x, y in points:
        columns[x].append(y)
        rows[y].append(x)

    def vertical_between(p: tuple[float, float], q: tuple[float, float]) -> bool:
        return not crossings[p][0].isdisjoint(crossings[q][0])

    def horizontal_between(p: tuple[float, float], q: tuple[float, float]) -> bool:
        return not crossings[p][1].isdisjoint(crossings[q][1])

    out: list[Box] = []
    for x, y in points:
        below = [(x, y2) for y2 in columns[x] if y2 > y]
        right = [(x2, y) for x2 in rows[y] if x2 > x]
        cell = next(((x, y, r[0], b[1]) for b in below if vertical_between((x, y), b)
                     for r in right if horizontal_between((x, y), r)
                     and (r[0], b[1]) in crossings
                     and vertical_between((r[0], b[1]), r) and horizontal_between((r[0], b[1]), b)), None)
        if cell is not None:
            out.append(cell)
    return out


def _tables(cells: list[Box]) -> list[list[Box]]:
    """Cells sharing a corner, in a chain, make one table; tables of one cell are dropped."""
    remaining = list(cells)
    tables: list[list[Box]] = []
    corners: set[tuple[float, float]] = set()
    current: list[Box] = []
    while remaining:
        grew = False
        for cell in list(remaining):
            x0, top, x1, bottom = cell
            own = ((x0, top), (x0, bottom), (x1, top), (x1, bottom))
            if not current or any(c in corners for c in own):
                corners.update(own)
                current.append(cell)
                remaining.remove(cell)
                grew = True
        if not grew:
            tables.append(current)
            corners, current = set(), []
    if current:
        tables.append(current)
    tables.sort(key=lambda t: min((c[1], c[0]) for c in t))
    return [t for t in tables if len(t) > 1]
