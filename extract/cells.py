"""Cells of a table as the table readers see them: physical cells (a colspan is one cell) and
what a value cell may hold (a number, a blank printed as —, /, 无, or a number OCR could not read)."""

from __future__ import annotations

from dataclasses import dataclass

from extract.document import Table
from extract.normalize import is_number, norm

Cell = int | float | None
CellRef = tuple[str, int]
BLANKS = {"", "—", "——", "-", "--", "/", "\\", "–", "──", "无"}  # a cell printed 无: none
UNREAD = "?"  # a value cell OCR saw but could not read with certainty: a number unknown


def is_value(text: str) -> bool:
    """A value cell: a number, a blank, or a number that could not be read."""
    return is_number(text) or is_blank(text) or text.strip() == UNREAD


def is_blank(text: str | None) -> bool:
    """A cell printed empty (&nbsp;, —, /): a number the table says is zero."""
    return text is not None and norm(text) in BLANKS


@dataclass(slots=True)
class Span:
    """One physical cell of a row: its text and the grid columns it covers."""

    text: str
    lo: int
    hi: int


def spans(row: list[str], owners: list[int] | None) -> list[Span]:
    if owners is None:
        return [Span(text, j, j) for j, text in enumerate(row)]
    if len(set(owners)) == len(owners) == len(row):
        return [Span(text, j, j) for j, text in enumerate(row)]  # no merged cell in this row
    out: list[Span] = []
    prev = -1
    for j, text in enumerate(row):
        oid = owners[j] if j < len(owners) else -1
        if out and oid >= 0 and oid == prev:
            out[-1].hi = j
        else:
            out.append(Span(text, j, j))
        prev = oid
    return out


def table_spans(table: Table) -> list[list[Span]]:
    owners = table.owners
    return [spans(r, owners[i] if owners and i < len(owners) else None) for i, r in enumerate(table.rows)]
