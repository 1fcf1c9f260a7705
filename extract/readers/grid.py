"""Helpers the table readers share: cell text clean-up and merged-cell expansion.

Every reader hands the parser a full grid: a cell spanning rows or columns is repeated in
each position it covers, so a row can be read on its own (see extract/document.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from extract.normalize import unify

# Bounds that keep a hostile document from blowing up memory (a colspan of 10^9…).
MAX_SPAN = 500
MAX_GRID_CELLS = 200_000

_SPACE = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]+")
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def join_lines(lines: Iterable[str]) -> str:
    """Join the lines of a wrapped cell or paragraph: no space between CJK characters
    (本年新 / 制作数量 → 本年新制作数量), one space between Latin words or numbers."""
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and line[0].isascii() and line[0].isalnum():
            out += " "
        out += line
    return out


def clean_text(text: str) -> str:
    """Normalise a cell's or a paragraph's text: no-break spaces are spaces, line breaks
    inside CJK text vanish, runs of spaces collapse. A cell of only &nbsp; becomes ""."""
    text = _SPACE.sub(" ", unify(text))
    text = join_lines(text.splitlines())
    text = _CJK_GAP.sub("", text)
    return re.sub(r" {2,}", " ", text).strip()


def expand(rows: Sequence[Sequence[tuple[str, int, int]]]) -> tuple[list[list[str]], list[list[int]]]:
    """Rows of (text, rowspan, colspan) cells, as HTML and Word store them, into a full grid,
    and for each grid position the id of the cell covering it (-1: none).

    A rowspan reaching past the last row is cut at the last row; spans are bounded."""
    grid: list[list[str | None]] = []
    ids: list[list[int]] = []
    n_rows = len(rows)
    cell_id = 0
    for r, row in enumerate(rows):
        while len(grid) <= r:
            grid.append([])
            ids.append([])
        c = 0
        for text, rowspan, colspan in row:
            rowspan = max(1, min(rowspan, MAX_SPAN, n_rows - r))
            colspan = max(1, min(colspan, MAX_SPAN))
            line = grid[r]
            while c < len(line) and line[c] is not None:
                c += 1
            for dr in range(rowspan):
                while len(grid) <= r + dr:
                    grid.append([])
                    ids.append([])
                target, target_ids = grid[r + dr], ids[r + dr]
                if len(target) < c + colspan:
                    target.extend([None] * (c + colspan - len(target)))
                    target_ids.extend([-1] * (c + colspan - len(target_ids)))
                for dc in range(colspan):
                    if target[c + dc] is None:
                        target[c + dc] = text
                        target_ids[c + dc] = cell_id
            c += colspan
            cell_id += 1
        if sum(len(g) for g in grid) > MAX_GRID_CELLS:
            raise ValueError(f"a table of more than {MAX_GRID_CELLS} cells")
    width = max((len(g) for g in grid), default=0)
    rows_out = [[("" if v is None else v) for v in g] + [""] * (width - len(g)) for g in grid]
    return rows_out, [g + [-1] * (width - len(g)) for g in ids]


def collapse(rows: list[list[str]], owners: list[list[int]]) -> tuple[list[list[str]], list[list[int]]]:
    """Drop phantom grid columns and rows: a grid column that no cell boundary separates from
    its left neighbour in any row (Word and LibreOffice leave such slivers after editing) is
    the same column; likewise a row that repeats the row above cell for cell."""
    if not rows or not owners:
        return rows, owners
    width = len(owners[0])
    keep_cols = [0] + [j for j in range(1, width) if any(o[j] != o[j - 1] or o[j] < 0 for o in owners)]
    keep_rows = [0] + [i for i in range(1, len(owners)) if owners[i] != owners[i - 1] or -1 in owners[i]]
    return ([[rows[i][j] for j in keep_cols] for i in keep_rows],
            [[owners[i][j] for j in keep_cols] for i in keep_rows])
