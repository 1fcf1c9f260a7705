"""Readers turn a document's bytes into the document model, chosen by sniffing the content."""

from __future__ import annotations

from collections.abc import Callable

from extract.document import Document, ExtractError
from extract.sniff import sniff

Reader = Callable[[bytes, str], Document]


def _text(data: bytes, source: str) -> Document:
    from extract.readers.text import read_text

    return read_text(data, source)


# kind (from extract.sniff) -> reader; heavy readers import their libraries lazily.
READERS: dict[str, Reader] = {
    "text": _text,
}

UNSUPPORTED: dict[str, str] = {
    "empty": "the file is empty",
    "zip": "a ZIP archive that is not a Word document",
    "binary": "not a document gongkai can read (unknown binary format)",
}


def read_document(data: bytes, source: str) -> Document:
    kind = sniff(data)
    reader = READERS.get(kind)
    if reader is None:
        reason = UNSUPPORTED.get(kind, f"no reader for {kind} documents yet")
        raise ExtractError(source, reason)
    return reader(data, source)
