"""Make the committed documents the portal cannot make in pure Python at run time.

    python -m crawler.portal.make_static        # needs LibreOffice (soffice) and fonts-wqy-zenhei

- report.doc: a Word 97 binary, converted by LibreOffice from the generated DOCX.
- report.wps: WPS Office's .wps is an OLE compound file in the Word 97 layout; LibreOffice has no
  WPS export, so this is the Word 97 conversion saved under the .wps name, as WPS files are met.
- scan.pdf: the report typeset with an embedded CJK TrueType font, rasterised (pypdfium2) at
  200 dpi, tilted and speckled a little, and saved as an image-only PDF: no text layer, OCR only.

- data/seeds/<stem>.blocks.json: the five real reports (data/seeds/*.txt, copies of tests/seeds)
  as paragraphs and tables, rebuilt from their text by gongkai's own text reader, so the portal
  can serve them as real HTML, PDF and DOCX tables (`--seeds` makes only these; no LibreOffice).

It writes static/manifest.json with each file's report, values and sha256; the portal's truth takes
the values of these files from there, so the committed bytes and the truth cannot disagree.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .model import STATIC_FILES, World, parse_day
from .render import blocks_docx, blocks_pdf, report_blocks

STATIC = Path(__file__).parent / "static"
DPI = 200
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def to_doc(docx: bytes) -> bytes:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        sys.exit("make_static: LibreOffice (soffice) not found; apt-get install libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "report.docx"
        src.write_bytes(docx)
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to", "doc:MS Word 97",
             "--outdir", tmp, str(src)],
            check=True, capture_output=True, timeout=180,
        )
        return (Path(tmp) / "report.doc").read_bytes()


def to_scan(blocks: list, title: str, seed: str) -> bytes:
    import pypdfium2
    from PIL import Image, ImageFilter
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if not FONT.exists():
        sys.exit(f"make_static: {FONT} not found; apt-get install fonts-wqy-zenhei")
    pdfmetrics.registerFont(TTFont("WQY", str(FONT), subfontIndex=0))
    clean = blocks_pdf(blocks, title, font="WQY", cell_size=9)  # printed large enough to scan
    rng = random.Random(seed)
    pages = []
    pdf = pypdfium2.PdfDocument(clean)
    for i in range(len(pdf)):
        img = pdf[i].render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
        img = img.rotate(rng.uniform(-0.3, 0.3), resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
        px = img.load()
        w, h = img.size
        for _ in range(w * h // 2000):  # scanner speckle
            px[rng.randrange(w), rng.randrange(h)] = rng.randint(120, 200)
        pages.append(img.filter(ImageFilter.GaussianBlur(0.3)))
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", resolution=float(DPI), save_all=True, append_images=pages[1:], title=title, author="scanner")
    return buf.getvalue()


def make_seed_blocks() -> None:
    from extract import read_document
    from extract.document import Table

    base = Path(__file__).parent / "data" / "seeds"
    for txt in sorted(base.glob("*.txt")):
        doc = read_document(txt.read_bytes(), str(txt))
        blocks = [{"table": b.rows} if isinstance(b, Table) else {"p": b.text} for b in doc.blocks]
        out = base / f"{txt.stem}.blocks.json"
        atomic_write(out, json.dumps(blocks, ensure_ascii=False, indent=0).encode() + b"\n")
        print(f"{out.name}: {len(blocks)} blocks, {sum('table' in b for b in blocks)} tables", file=sys.stderr)


def main() -> None:
    make_seed_blocks()
    if "--seeds" in sys.argv[1:]:
        return
    world = World(parse_day("2026-04-30"))
    by_form = {r.form: r for r in world.all_reports if r.form in STATIC_FILES}
    STATIC.mkdir(exist_ok=True)
    manifest: dict = {"files": {}}
    for form, name in STATIC_FILES.items():
        rep = by_form[form]
        v = rep.versions[-1]
        blocks = report_blocks(rep, v)
        if form in ("doc", "wps"):
            data = to_doc(blocks_docx(blocks, rep.title, v.since))
        else:
            data = to_scan(blocks, rep.title, f"scan|{rep.agency.name}|{rep.year}")
        atomic_write(STATIC / name, data)
        manifest["files"][form] = {
            "file": name, "agency": rep.agency.name, "year": rep.year, "sha256": hashlib.sha256(data).hexdigest(),
            "values": v.values,
        }
        print(f"{name}: {rep.agency.name} {rep.year}, {len(data)} bytes", file=sys.stderr)
    atomic_write(STATIC / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode() + b"\n")


if __name__ == "__main__":
    main()
