"""Tell a document's kind from its first bytes, never from its file name."""

from __future__ import annotations

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<div", b"<table", b"<p>", b"<p ")


def sniff(data: bytes) -> str:
    """One of: pdf, docx, ofd, doc, image, html, text, empty, zip, binary."""
    if not data.strip():
        return "empty"
    head = data[:8]
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head == OLE_MAGIC:
        return "doc"  # Word 97-2003 and WPS Office files are both OLE compound files
    if data.startswith(b"{\\rtf"):
        return "doc"
    if data.startswith(b"PK\x03\x04"):
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            return "zip"
        if "word/document.xml" in names:
            return "docx"
        return "ofd" if "OFD.xml" in names or "ofd.xml" in names else "zip"  # GB/T 33190 版式文档
    import filetype  # here: a PDF (most reports) is told without it

    kind = filetype.guess(data[:8192])
    if kind is not None and kind.mime.startswith("image/"):
        return "image"
    if kind is not None:
        return "binary"
    lowered = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith(b"<") and any(m in lowered for m in HTML_MARKERS):
        return "html"
    if b"\x00" in data[:4096]:
        return "binary"
    return "text"
