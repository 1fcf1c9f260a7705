"""Bytes in, report out: file-type sniffing, readers into the document model, the report parser.

No I/O here beyond reading the bytes given (and `parse_file`, which reads one path).
The parser and the readers are imported on first use: `import extract` (for the document model,
`EXTRACTOR_VERSION` or `extract.form`) stays cheap for the command line and the archive.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extract.document import Document as Document
    from extract.document import ExtractError as ExtractError
    from extract.document import Paragraph as Paragraph
    from extract.document import Table as Table
    from extract.parser import parse_document
    from extract.readers import MAX_BYTES as MAX_BYTES
    from extract.readers import read_document

# Bump when a change to readers or parser can change a report: the archive re-derives
# reports from stored bytes for every document the current version has not seen.
EXTRACTOR_VERSION = "3"

__all__ = [
    "EXTRACTOR_VERSION",
    "Document",
    "ExtractError",
    "Paragraph",
    "Table",
    "parse_bytes",
    "parse_document",
    "parse_file",
    "read_document",
]


def __getattr__(name: str) -> Any:
    """The document model's, the parser's and the readers' names, imported when first asked for."""
    if name in ("Document", "ExtractError", "Paragraph", "Table"):
        from extract import document

        return getattr(document, name)
    if name == "parse_document":
        from extract.parser import parse_document

        return parse_document
    if name in ("read_document", "MAX_BYTES"):
        from extract import readers

        return getattr(readers, name)
    raise AttributeError(f"module 'extract' has no attribute {name!r}")


def parse_bytes(data: bytes, source: str) -> dict[str, Any]:
    """The parse result (the contract README.md describes) of one document's bytes; raises ExtractError."""
    from extract.parser import parse_document
    from extract.readers import read_document

    doc = read_document(data, source)
    return parse_document(doc)


def parse_file(path: str | Path) -> dict[str, Any]:
    from extract.document import ExtractError
    from extract.readers import MAX_BYTES

    source = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_BYTES:  # refuse before reading: memory stays bounded
            raise ExtractError(source, f"the file is {size / 2**20:.0f} MB, over the {MAX_BYTES // 2**20} MB limit")
        data = Path(path).read_bytes()
    except OSError as e:
        raise ExtractError(source, f"cannot read the file ({e.strerror or e})") from e
    return parse_bytes(data, source)
