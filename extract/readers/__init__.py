"""Readers turn a document's bytes into the document model, chosen by sniffing the content.

The kind comes from the bytes (extract.sniff), never from the file name, so a PDF saved as
`report.html` or a DOCX served as `download.do?id=3` is read as what it is.
"""

from __future__ import annotations

from collections.abc import Callable

from extract.document import Document, ExtractError
from extract.sniff import sniff

Reader = Callable[[bytes, str], Document]

# The largest document read at all: real reports are well under 20 MB (scans included).
MAX_BYTES = 100 * 1024 * 1024


def _text(data: bytes, source: str) -> Document:
    from extract.readers.text import read_text

    return read_text(data, source)


def _html(data: bytes, source: str) -> Document:
    from extract.readers.html import read_html

    return read_html(data, source)


def _pdf(data: bytes, source: str) -> Document:
    from extract.readers.pdf import read_pdf

    return read_pdf(data, source)


def _docx(data: bytes, source: str) -> Document:
    from extract.readers.docx import read_docx

    return read_docx(data, source)


def _doc(data: bytes, source: str) -> Document:
    from extract.readers.doc import read_doc

    return read_doc(data, source)


def _image(data: bytes, source: str) -> Document:
    from extract.readers.ocr import read_image

    return read_image(data, source)


# kind (from extract.sniff) -> reader; heavy readers import their libraries lazily.
READERS: dict[str, Reader] = {
    "text": _text,
    "html": _html,
    "pdf": _pdf,
    "docx": _docx,
    "doc": _doc,
    "image": _image,
}

UNSUPPORTED: dict[str, str] = {
    "empty": "the file is empty",
    "zip": "a ZIP archive that is not a Word document",
    "binary": "not a document gongkai can read (unknown binary format)",
}


def read_document(data: bytes, source: str) -> Document:
    if len(data) > MAX_BYTES:
        raise ExtractError(
            source, f"refused: {len(data) // 2**20} MB is larger than the {MAX_BYTES // 2**20} MB a report can be"
        )
    kind = sniff(data)
    reader = READERS.get(kind)
    if reader is None:
        reason = UNSUPPORTED.get(kind, f"no reader for {kind} documents yet")
        raise ExtractError(source, reason)
    return reader(data, source)
