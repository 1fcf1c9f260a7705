"""OFD (GB/T 33190) reports: the seeds written as OFD files by tests/ofd_writer.py (text at
its positions, table borders as paths, "g" compressed DeltaX, CTM-placed text, glyph-id text
with an embedded font, several pages, a seal) read back to their gold values."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from corpus import _cells, _value
from ofd_writer import NS, scan_ofd, seed_ofd

from extract import ExtractError, parse_bytes, read_document
from extract.readers.ofd import _deltas
from extract.sniff import sniff

HERE = Path(__file__).resolve().parent
SEEDS = sorted((HERE / "seeds").glob("*.txt"))
KEYS = ("agency", "year", "published", "format")


def _gold(txt: Path) -> dict:
    return json.loads((HERE / "seeds" / "gold" / f"{txt.stem}.json").read_text(encoding="utf-8"))


def _tally(result: dict, gold: dict) -> tuple[int, int, list[str]]:
    """(cells right, cells in all, wrong cells) over tables 二, 三 and 四."""
    right, total, wrong = 0, 0, []
    for table in ("active", "requests", "appeals"):
        for path, want in _cells(gold.get(table), table).items():
            if want is None:
                continue
            got = _value(result, path)
            total += 1
            right += got == want
            if got is not None and got != want:
                wrong.append(f"{path}: {got} != {want}")
    return right, total, wrong


@pytest.mark.parametrize("style", ["plain", "ctm", "boxes"])
@pytest.mark.parametrize("txt", SEEDS, ids=lambda p: p.name[:3])
def test_seed_rendered_as_ofd_parses_to_gold(txt: Path, style: str) -> None:
    data = seed_ofd(txt, style)
    assert sniff(data) == "ofd"
    gold = _gold(txt)
    result = parse_bytes(data, "download.do")  # the content says OFD, not the name
    assert {k: result[k] for k in KEYS} == {k: gold[k] for k in KEYS}
    right, total, wrong = _tally(result, gold)
    assert wrong == []
    assert right / total >= 0.99, f"{right}/{total} cells"


def test_text_stored_as_glyph_ids_is_read_through_the_embedded_font() -> None:
    pytest.importorskip("fontTools")
    txt = SEEDS[1]
    try:
        data = seed_ofd(txt, "glyphs")
    except FileNotFoundError as e:
        pytest.skip(str(e))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        page = z.read("Doc_0/Pages/Page_0/Content.xml").decode()
    assert "CGTransform" in page and "伊宁" not in page  # the text is only in the glyphs
    gold = _gold(txt)
    result = parse_bytes(data, "report.ofd")
    right, total, wrong = _tally(result, gold)
    assert wrong == [] and right == total
    assert result["agency"] == gold["agency"]


def test_pages_seal_and_footers() -> None:
    data = seed_ofd(SEEDS[1])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sum(n.endswith("Content.xml") for n in z.namelist()) > 2
    doc = read_document(data, "report.ofd")
    text = doc.text()
    assert doc.kind == "ofd" and doc.title and doc.title.endswith("年度报告")
    assert "印章" not in text  # the seal is an annotation, not page content
    assert "— 2 —" not in text  # page footers are dropped
    assert any("continued from page" in n for n in doc.notes)  # table 三 runs over a page break
    assert [len(t.rows) for t in doc.tables()] == [14, 28, 4]  # and is one table again


def test_deltax_shorthand() -> None:
    assert _deltas("g 3 1.5 2 g 2 0.5") == [1.5, 1.5, 1.5, 2.0, 0.5, 0.5]
    assert _deltas("") == []


def _package(files: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in files.items():
            z.writestr(name, body)
    return out.getvalue()


def test_broken_ofd_files_say_why() -> None:
    no_root = _package({"OFD.xml": f'<ofd:OFD xmlns:ofd="{NS}"><ofd:DocBody/></ofd:OFD>'})
    with pytest.raises(ExtractError, match="DocRoot"):
        read_document(no_root, "a.ofd")
    no_doc = _package({"OFD.xml": f'<ofd:OFD xmlns:ofd="{NS}"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml'
                                  "</ofd:DocRoot></ofd:DocBody></ofd:OFD>"})
    with pytest.raises(ExtractError, match="Document.xml"):
        read_document(no_doc, "b.ofd")
    bomb = _package({"OFD.xml": f'<ofd:OFD xmlns:ofd="{NS}"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml'
                                "</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
                     "Doc_0/Document.xml": b"<a>" + b" " * (70 * 2**20) + b"</a>"})
    assert len(bomb) < 2**20
    with pytest.raises(ExtractError, match="ZIP bomb"):
        read_document(bomb, "c.ofd")
    good = seed_ofd(SEEDS[0])
    cut = good[: len(good) // 2] + good[-2000:]  # a part's bytes lost in the middle
    with pytest.raises(ExtractError, match="c.ofd: .*OFD"):
        read_document(cut, "c.ofd")


def test_plain_zip_is_still_a_zip() -> None:
    assert sniff(_package({"a.txt": "x"})) == "zip"


def test_scanned_ofd_page_is_read_by_ocr() -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install 'gongkai[ocr]'")
    font = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    if not font.exists():
        pytest.skip("no CJK font (apt-get install fonts-noto-cjk)")
    lines = ["伊宁市人民政府2024年政府信息公开工作年度报告", "一、总体情况", "本年新收政府信息公开申请21件。"]
    doc = read_document(scan_ofd(lines, font, dpi=120), "scan.ofd")
    assert doc.kind == "scan" and "pages read by OCR: 1" in doc.notes
    assert doc.text().split("\n") == lines


def test_deltax_shorthand_is_not_expanded_past_its_text() -> None:
    assert _deltas("g 1000000000 1 " * 1000, limit=5) == [1.0] * 5
