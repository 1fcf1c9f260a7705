"""Hostile documents made on the spot (never committed): big, slow or bomb-like inputs for the
limit tests and bench/hostile_bench.py."""

from __future__ import annotations

import io
import random
import zipfile
import zlib


def pdf_text_operators(mib: int) -> bytes:
    """A PDF whose one content stream holds `mib` MiB of text-showing operators (small on disk)."""
    unit = b"1 0 0 1 72 700 Tm (x) Tj\n"
    comp = zlib.compressobj(9)
    chunk = unit * ((1 << 20) // len(unit))
    parts = [comp.compress(b"BT /F1 12 Tf\n")]
    for _ in range(mib):
        parts.append(comp.compress(chunk))
    parts.append(comp.compress(b"ET\n") + comp.flush())
    stream = b"".join(parts)
    return _pdf_raw_stream(stream)


def pdf_inflating(mib: int) -> bytes:
    """A PDF whose content stream inflates to `mib` MiB of spaces (a zlib bomb inside a PDF)."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    stream = b"".join([comp.compress(chunk) for _ in range(mib)] + [comp.flush()])
    return _pdf_raw_stream(stream)


def _pdf_raw_stream(stream: bytes) -> bytes:
    body = b"<< /Filter /FlateDecode /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream"
    return _rebuild(body)


def _rebuild(content_obj: bytes) -> bytes:
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        content_obj,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
    'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'wordprocessingml.document.main+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def big_docx(mb: int = 48, seed: int = 1) -> bytes:
    """A DOCX whose word/document.xml is about `mb` MB of varied Chinese paragraphs: under the
    reader's size and compression-ratio limits, but far more text than any report."""
    rng = random.Random(seed)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    para_chars = 300
    n = mb * 1_000_000 // (para_chars * 3 + 40)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                    b'wordprocessingml/2006/main"><w:body>')
            for _ in range(n):
                text = "".join(rng.choices(alphabet, k=para_chars))
                f.write(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode())
            f.write(b"</w:body></w:document>")
    return out.getvalue()


def sleepy(job: str) -> str:
    """A reader for extract.limits tests: "hang" never returns, anything else comes back."""
    import time

    if job == "hang":
        time.sleep(3600)
    return job


def greedy(job: str) -> str:
    """A reader for extract.limits tests: "greedy" takes 8 GB, "crash" dies, the rest come back."""
    import os

    if job == "greedy":
        return str(len(bytearray(8 << 30)))
    if job == "crash":
        os.abort()
    return job
