"""Hostile and broken input: each gives a clear ExtractError within seconds, memory bounded.

The big files and the zip bomb are made here, in tmp_path / memory, never committed.
"""

from __future__ import annotations

import io
import os
import stat
import time
import zipfile
from pathlib import Path

import pytest

from extract import ExtractError, parse_bytes, read_document

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fails(data: bytes, source: str, *words: str, within: float = 10.0) -> str:
    start = time.monotonic()
    with pytest.raises(ExtractError) as info:
        parse_bytes(data, source)
    elapsed = time.monotonic() - start
    message = str(info.value)
    assert message.startswith(source), message  # the error names the file
    for word in words:
        assert word in message, message
    assert elapsed < within, f"{elapsed:.1f} s"
    return message


def test_empty_file() -> None:
    _fails(b"", "empty.pdf", "empty")
    _fails(b"  \n\t ", "blank.html", "empty")


def test_truncated_pdf() -> None:
    data = (FIXTURES / "001.lo.pdf").read_bytes()
    _fails(data[: len(data) // 3], "cut.pdf", "truncated")
    _fails(data[:-200], "cut2.pdf", "truncated")


def test_encrypted_pdf() -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=StandardEncryption("secret", ownerPassword="owner"))
    c.drawString(100, 700, "2024 annual report")
    c.showPage()
    c.save()
    _fails(buf.getvalue(), "locked.pdf", "encrypted", "password")


def test_pdf_with_too_many_pages_refused_before_reading_them() -> None:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(2000):
        c.drawString(100, 700, "x")
        c.showPage()
    c.save()
    _fails(buf.getvalue(), "pages.pdf", "refused", "more than 300 pages", within=3.0)


def test_zip_bomb_as_docx(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):  # 300 MB inflated, ~300 KB on disk
                f.write(chunk)
    data = bomb.read_bytes()
    assert len(data) < 2_000_000
    _fails(data, "bomb.docx", "zip bomb", within=5)


def test_corrupt_docx() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document><not xml")
    _fails(buf.getvalue(), "broken.docx", "Word document")


def test_html_page_with_no_report() -> None:
    page = """<html><head><meta charset="utf-8"><title>伊宁市人民政府网</title></head><body>
    <ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li></ul>
    <div class="news"><h1>我市召开春耕生产工作推进会</h1><p>3月12日，我市召开春耕生产工作推进会，部署春耕备耕工作。</p></div>
    <div class="footer">主办单位：伊宁市人民政府办公室</div></body></html>"""
    _fails(page.encode("utf-8"), "news.html", "no annual report")


def test_huge_file_refused_quickly(tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    with big.open("wb") as f:
        f.write(b"%PDF-1.4\n")
        f.truncate(200 * 1024 * 1024)  # sparse: 200 MB without writing them
    _fails(big.read_bytes(), "big.pdf", "MB", within=5)


def test_unknown_binary_and_plain_zip() -> None:
    _fails(bytes(range(256)) * 40, "blob.bin", "unknown binary")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    _fails(buf.getvalue(), "files.zip", "ZIP")


def test_garbage_pdf() -> None:
    _fails(b"%PDF-1.7\n" + os.urandom(5000) + b"\n%%EOF\n", "noise.pdf", "PDF")


def test_doc_without_libreoffice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("GONGKAI_SOFFICE", raising=False)
    data = (FIXTURES / "004.doc").read_bytes()
    _fails(data, "old.doc", "apt-get install libreoffice-writer-nogui")


def test_libreoffice_that_hangs_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Some WPS files make LibreOffice loop: the conversion is killed at the timeout."""
    from extract.readers import doc

    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nsleep 60\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("GONGKAI_SOFFICE", str(fake))
    start = time.monotonic()
    with pytest.raises(ExtractError, match="did not finish"):
        doc.convert_to_docx(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "loop.wps", timeout=1)
    assert time.monotonic() - start < 5


def test_ocr_missing_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from extract.readers import ocr

    monkeypatch.setattr(ocr, "_engine", None)
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import fails
    png = io.BytesIO()
    from PIL import Image

    Image.new("L", (200, 100), 255).save(png, format="PNG")
    with pytest.raises(ExtractError, match=r"pip install 'gongkai\[ocr\]'"):
        read_document(png.getvalue(), "page.png")


def test_image_decompression_bomb() -> None:
    from PIL import Image

    png = io.BytesIO()
    Image.new("1", (12000, 12000), 1).save(png, format="PNG")  # 144 Mpx of white, ~20 KB
    _fails(png.getvalue(), "bomb.png", "image", within=5)


def _text_and_image_pdf() -> bytes:
    """Page 1 has a text layer, page 2 is only an image (a scanned page)."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 14)
    c.drawString(72, 700, "伊宁市人民政府2024年政府信息公开工作年度报告")
    c.showPage()
    c.drawImage(ImageReader(Image.new("L", (300, 400), 255)), 0, 0, 595, 842)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_text_pages_are_kept_when_ocr_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from extract.readers import ocr

    monkeypatch.setattr(ocr, "_engine", None)
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    doc = read_document(_text_and_image_pdf(), "mixed.pdf")
    assert "政府信息公开工作年度报告" in doc.text()
    assert any(n.startswith("pages 2 not read: OCR is not installed") for n in doc.notes), doc.notes


def test_page_that_cannot_be_rendered_is_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install 'gongkai[ocr]'")
    import pypdfium2 as pdfium

    def broken(self, *args, **kwargs):
        raise pdfium.PdfiumError("Failed to render page.")

    monkeypatch.setattr(pdfium.PdfPage, "render", broken)
    doc = read_document(_text_and_image_pdf(), "damaged.pdf")
    assert "政府信息公开工作年度报告" in doc.text()
    assert "pages that cannot be rendered (damaged): 2" in doc.notes
