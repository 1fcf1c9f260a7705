"""The document model every reader produces and the report parser reads.

A document is a sequence of blocks: paragraphs of text and tables. A table is a grid
of cell texts with merged cells expanded (a cell spanning two rows appears in both),
so a row can be read on its own. Readers keep empty cells as "" (a blank is data: it
may be a lost number that the totals can restore).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Paragraph:
    text: str


@dataclass
class Table:
    rows: list[list[str]]
    # grid position -> id of the physical (merged) cell covering it, where the reader knows it
    # (HTML, Word, PDF): a value in a colspan cell is one value, not one per grid column.
    owners: list[list[int]] | None = None


Block = Paragraph | Table


@dataclass
class Document:
    source: str
    kind: str  # text | html | pdf | docx | doc | wps | scan | image
    blocks: list[Block] = field(default_factory=list)
    title: str | None = None
    # The portal's metadata block for HTML articles (发布机构, 索引号, 发布日期, 公开目录, …).
    meta: dict[str, str] = field(default_factory=dict)
    # Reader notes a user may want to see (pages sent to OCR, tables joined over pages…).
    notes: list[str] = field(default_factory=list)

    def paragraphs(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Paragraph)]

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def text(self) -> str:
        """All text, tables flattened row by row (for search and for prose checks)."""
        out: list[str] = []
        for b in self.blocks:
            if isinstance(b, Paragraph):
                out.append(b.text)
            else:
                out.extend(" ".join(c for c in row if c) for row in b.rows)
        return "\n".join(out)


class ExtractError(Exception):
    """A document that cannot be read; the message names the reason in a sentence."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
