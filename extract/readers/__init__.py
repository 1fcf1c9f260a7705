"""Readers turn a document's bytes into the document model, chosen by sniffing the content.

The kind comes from the bytes (extract.sniff), never from the file name, so a PDF saved as
`report.html` or a DOCX served as `download.do?id=3` is read as what it is.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from extract.document import Document, ExtractError
from extract.sniff import sniff

Reader = Callable[[bytes, str], Document]

# The largest document read at all: real reports are well under 20 MB (scans included).
MAX_BYTES = 100 * 1024 * 1024
# The most text a document may have to be parsed: reports have 10,000-100,000 characters, and the
# parser's cost grows with the text (a 48 MB document.xml would take it minutes).
MAX_TEXT_CHARS = 1_000_000


# kind (from extract.sniff) -> "module:function" of its reader, imported only when a document
# of that kind comes along (PDFium, LibreOffice, OCR models are heavy).
READERS: dict[str, str] = {
    "text": "extract.readers.text:read_text",
    "html": "extract.readers.html:read_html",
    "pdf": "extract.readers.pdf:read_pdf",
    "docx": "extract.readers.docx:read_docx",
    "ofd": "extract.readers.ofd:read_ofd",
    "doc": "extract.readers.doc:read_doc",
    "image": "extract.readers.ocr:read_image",
}


def reader_for(kind: str) -> Reader | None:
    target = READERS.get(kind)
    if target is None:
        return None
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


UNSUPPORTED: dict[str, str] = {
    "empty": "the file is empty",
    "zip": "a ZIP archive that is not a Word or OFD document",
    "binary": "not a document gongkai can read (unknown binary format)",
}


def read_document(data: bytes, source: str) -> Document:
    if len(data) > MAX_BYTES:
        raise ExtractError(
            source, f"refused: {len(data) // 2**20} MB is larger than the {MAX_BYTES // 2**20} MB a report can be"
        )
    kind = sniff(data)
    reader = reader_for(kind)
    if reader is None:
        reason = UNSUPPORTED.get(kind, f"no reader for {kind} documents yet")
        raise ExtractError(source, reason)
    doc = reader(data, source)
    chars = sum(sum(len(c or "") for row in b.rows for c in row) if hasattr(b, "rows") else len(b.text)
                for b in doc.blocks)
    if chars > MAX_TEXT_CHARS:
        raise ExtractError(
            source, f"refused: {chars:,} characters of text, more than the {MAX_TEXT_CHARS:,} a report can have"
        )
    return doc
