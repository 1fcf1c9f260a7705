"""The readers' own behaviour: what each one must do with the quirks of real documents."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from extract import Paragraph, Table, read_document
from extract.readers.grid import clean_text, collapse, expand
from extract.sniff import sniff

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ROOT = Path(__file__).resolve().parents[1]


def read(name: str):
    return read_document((FIXTURES / name).read_bytes(), name)


def table_with(doc, text: str) -> list[list[str]]:
    return next(t.rows for t in doc.tables() if any(text in c for r in t.rows for c in r))


# ----------------------------------------------------------------------------- shared helpers


def test_expand_rowspan_colspan() -> None:
    rows = [
        [("A", 2, 1), ("B", 1, 2)],
        [("c", 1, 1), ("d", 1, 1)],
        [("e", 1, 3)],
    ]
    grid, owners = expand(rows)
    assert grid == [["A", "B", "B"], ["A", "c", "d"], ["e", "e", "e"]]
    # one id per physical cell: a colspan is one value, not one per grid column
    assert owners == [[0, 1, 1], [0, 2, 3], [4, 4, 4]]


def test_expand_bounds_hostile_spans() -> None:
    grid, _ = expand([[("x", 10**9, 10**9)]])
    assert len(grid) == 1 and len(grid[0]) <= 500


def test_clean_text_joins_cjk_lines_and_blanks_nbsp() -> None:
    assert clean_text("本年新\n制作数量") == "本年新制作数量"
    assert clean_text("\u00a0 \u3000") == ""
    assert clean_text("规  章") == "规章"
    assert clean_text("2024 年") == "2024 年"  # digits keep their spaces
    assert clean_text("ab\ncd") == "ab cd"


def test_collapse_drops_phantom_columns() -> None:
    rows = [["a", "a", "b"], ["c", "c", "d"]]
    owners = [[0, 0, 1], [2, 2, 3]]
    assert collapse(rows, owners) == ([["a", "b"], ["c", "d"]], [[0, 1], [2, 3]])
    # a boundary in any row keeps the column
    assert collapse(rows, [[0, 0, 1], [2, 4, 3]])[0] == rows


# ----------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    ("name", "kind"),
    [("001.html", "html"), ("001.docx", "docx"), ("001.lo.pdf", "pdf"), ("001.doc", "doc"), ("001.wps", "doc")],
)
def test_kind_comes_from_the_bytes(name: str, kind: str) -> None:
    assert sniff((FIXTURES / name).read_bytes()) == kind


# ----------------------------------------------------------------------------- HTML


def test_html_portal_page() -> None:
    doc = read("001.html")
    assert doc.kind == "html"
    assert doc.title == "伊宁市人民政府2024年政府信息公开工作年度报告"
    assert doc.meta["发布机构"] == "伊宁市人民政府"
    assert doc.meta["索引号"] == "zfb/2025-000001"
    assert doc.meta["发布日期"] == "2025-01-28"
    assert doc.meta["公开目录"] == "2024"
    text = "\n".join(doc.paragraphs())
    for junk in ("首页", "政务要闻", "相关阅读", "主办单位", "网站标识码", "打印本页", "今天是"):
        assert junk not in text, junk
    # document order: heading, table, heading, table …
    kinds = ["T" if isinstance(b, Table) else b.text for b in doc.blocks]
    for heading in ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况"):
        assert kinds[kinds.index(heading) + 1] == "T", heading
    assert doc.paragraphs()[-1] == "2025 年 1 月 28 日"


def test_html_tables_expand_spans() -> None:
    rows = table_with(read("001.html"), "申请人情况")
    assert len(rows) == 28 and all(len(r) == 10 for r in rows)
    assert rows[0][:3] == [rows[0][0]] * 3 and rows[2][0] == rows[0][0]  # the 3×3 note cell
    assert rows[1][3] == "自然人" and rows[2][3] == "自然人"  # rowspan 2
    assert rows[1][4:9] == ["法人或其他组织"] * 5  # colspan 5 (the <br/> inside is gone)
    secret = next(r for r in rows if r[2].endswith("属于国家秘密"))
    assert secret[:2] == ["三、本年度办理结果", "（三）不予公开"]
    assert secret[3:] == ["0"] * 7


def test_html_nbsp_cells_are_blank() -> None:
    rows = table_with(read("002.html"), "申请人情况")
    new = next(r for r in rows if "本年新收" in r[0])
    assert new[3:] == ["", "0", "0", "0", "0", "0", "1"]


def test_html_gbk_declared_page_decoded_as_gb18030() -> None:
    # 𠮷 is outside GBK: portals labelled gb2312 really serve GB18030
    body = "<p>伊宁市𠮷镇人民政府2024年政府信息公开工作年度报告</p><p>一、总体情况</p><p>二、主动公开政府信息情况</p>"
    page = f'<html><head><meta charset="gb2312"></head><body><div>{body}</div></body></html>'
    doc = read_document(page.encode("gb18030"), "gb.html")
    assert "伊宁市𠮷镇人民政府" in doc.text()


def test_a_trafilatura_call_it_does_not_take_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    # trafilatura 1.x has no `fast`: its TypeError must surface, not read as "no article found"
    import trafilatura

    def old_signature(*args: object, **kwargs: object) -> None:
        raise TypeError("bare_extraction() got an unexpected keyword argument 'fast'")

    monkeypatch.setattr(trafilatura, "bare_extraction", old_signature)
    page = "<html><body><p>伊宁市人民政府2024年政府信息公开工作年度报告</p><p>一、总体情况</p></body></html>"
    with pytest.raises(TypeError, match="fast"):
        read_document(page.encode(), "page.html")


def test_an_odd_page_trafilatura_fails_on_is_still_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    def fails(*args: object, **kwargs: object) -> None:
        raise ValueError("odd page")

    monkeypatch.setattr(trafilatura, "bare_extraction", fails)
    page = "<html><body><p>伊宁市人民政府2024年政府信息公开工作年度报告</p><p>一、总体情况</p></body></html>"
    assert "一、总体情况" in read_document(page.encode(), "page.html").text()


def test_html_word_junk() -> None:
    page = """<html><head><meta charset="utf-8"></head><body><div class="content">
    <p class=MsoNormal><b>某某镇2024年政府信息公开工作年度报告</b></p>
    <p class=MsoListParagraph><!--[if !supportLists]--><span>一、<span>&nbsp;&nbsp;</span></span><!--[endif]-->总体情况<o:p></o:p></p>
    <p>二、主动公开政府信息情况</p>
    <table border=1><tr><td>&nbsp;</td><td>规章</td></tr><tr><td><p>本年<br>制发</p></td><td> 3 </td></tr></table>
    </div></body></html>"""
    doc = read_document(page.encode(), "word.html")
    assert "一、 总体情况" in doc.paragraphs() or "一、总体情况" in doc.paragraphs()
    assert doc.tables()[0].rows == [["", "规章"], ["本年制发", "3"]]


# ----------------------------------------------------------------------------- DOCX


def test_docx_merged_cells_expanded() -> None:
    doc = read("001.docx")
    assert doc.kind == "docx"
    rows = table_with(doc, "申请人情况")
    assert len(rows) == 28 and all(len(r) == 10 for r in rows)
    assert [r[0] for r in rows[5:27]] == ["三、本年度办理结果"] * 22  # vMerge over 22 rows
    active = table_with(doc, "第二十条第（五）项")
    licensing = next(r for r in active if r[0] == "行政许可")
    assert licensing == ["行政许可", "141399", "141399", "141399"]  # gridSpan 3


def test_docx_keeps_order() -> None:
    doc = read("004.docx")
    kinds = ["T" if isinstance(b, Table) else "P" for b in doc.blocks]
    assert kinds.count("T") == 2  # seed 004 is cut short: no table 四
    assert doc.paragraphs()[-1] == "2026年1月22日"


# ----------------------------------------------------------------------------- PDF


def test_pdf_libreoffice_table_joined_over_pages() -> None:
    doc = read("001.lo.pdf")
    assert doc.kind == "pdf"
    rows = table_with(doc, "申请人情况")
    assert len(rows) == 28, [r[:3] for r in rows]
    assert any("continued" in n for n in doc.notes)
    # the vertical row header cut by the page break is repeated into the continuation
    assert [r[0] for r in rows[5:27]] == ["三、本年度办理结果"] * 22
    total = next(r for r in rows if r[1] == "（七）总计")
    assert total[3:] == ["15", "0", "0", "0", "6", "0", "21"]


def test_pdf_footers_removed() -> None:
    for name in ("001.lo.pdf", "001.rl.pdf"):
        text = read(name).text()
        assert "- 2 -" not in text and "— 2 —" not in text, name


def test_pdf_doubled_glyphs_removed() -> None:
    doc = read("001.rl.pdf")
    assert doc.paragraphs()[0] == "伊宁市人民政府2024年政府信息公开工作年度报告"
    assert "一、总体情况" in doc.paragraphs()
    assert "伊伊" not in doc.text()


def test_pdf_reportlab_table_parts_with_different_edges_joined() -> None:
    """The first part of table 三 on its page has only merged label cells (fewer column
    edges) than its continuation: still one table."""
    rows = table_with(read("004.rl.pdf"), "申请人情况")
    assert len(rows) == 3 + 21 and all(len(r) == 10 for r in rows)


def test_pdf_unreadable_pages_go_to_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fonts without a Unicode map extract as (cid:N): those pages are sent to OCR."""
    from extract.readers import ocr, pdf

    data = (FIXTURES / "001.lo.pdf").read_bytes()
    # same length, so the xref offsets stay right: the fonts lose their ToUnicode maps
    data = data.replace(b"/ToUnicode", b"/ToUnicodX")
    sent: list[int] = []

    def fake_ocr(data, indices, source, dpi=150):
        sent.extend(indices)
        for i in indices:
            yield i, [pdf.Line(100, 112, 90, 300, f"第{i}页的文字", 12)]

    monkeypatch.setattr(ocr, "ocr_pdf_pages", fake_ocr)
    doc = read_document(data, "nomap.pdf")
    assert sent == [0, 1, 2]
    assert "(cid:" not in doc.text()
    assert any("OCR" in n for n in doc.notes)


# ----------------------------------------------------------------------------- OCR


def _cjk_font() -> str | None:
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    files = sorted(line.split(":")[0].strip() for line in out.stdout.splitlines() if line.strip())
    # prefer a Simplified Chinese face (Noto … CJK SC / WenQuanYi)
    files.sort(key=lambda f: (not ("SC" in f or "wqy" in f.lower() or "CJK-Regular" in f), f))
    return files[0] if files else None


@pytest.mark.timeout(120)
def test_ocr_rebuilds_a_ruled_table_from_an_image() -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install 'gongkai[ocr]'")
    font_path = _cjk_font()
    if not font_path:
        pytest.skip("no CJK font (apt-get install fonts-noto-cjk)")
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_path, 26)
    img = Image.new("L", (900, 260), 255)
    d = ImageDraw.Draw(img)
    d.text((40, 20), "二、主动公开政府信息情况", font=font, fill=0)
    xs, ys = [40, 340, 520, 700, 860], [80, 140, 200, 250]
    for y in ys:
        d.line([(xs[0], y), (xs[-1], y)], fill=0, width=2)
    for x in xs:
        d.line([(x, ys[0]), (x, ys[-1])], fill=0, width=2)
    d.rectangle([xs[1] + 2, ys[0] + 2, xs[-1] - 2, ys[0] + 3], fill=255)  # no line: merged header
    d.line([(xs[1], ys[0]), (xs[1], ys[1])], fill=0, width=2)
    for x in xs[2:-1]:
        d.rectangle([x - 1, ys[0] + 1, x + 1, ys[1] - 1], fill=255)  # the header spans 4 columns
    d.text((60, 95), "信息内容", font=font, fill=0)
    d.text((480, 95), "本年制发件数", font=font, fill=0)
    for i, (label, nums) in enumerate([("规章", "1 0 12"), ("行政规范性文件", "4 17 35")]):
        y = ys[1 + i] + 12
        d.text((60, y), label, font=font, fill=0)
        for x, n in zip(xs[1:], nums.split(), strict=False):
            d.text((x + 60, y), n, font=font, fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(150, 150))
    doc = read_document(buf.getvalue(), "photo.png")
    assert doc.kind == "image"
    assert "二、主动公开政府信息情况" in doc.paragraphs()
    rows = doc.tables()[0].rows
    assert rows[0][1:] == ["本年制发件数"] * 3
    assert rows[1] == ["规章", "1", "0", "12"]
    assert rows[2] == ["行政规范性文件", "4", "17", "35"]


def _rotated_pages(pdf_path: Path, angle: float):
    import pypdfium2 as pdfium
    from PIL import Image

    pdf = pdfium.PdfDocument(pdf_path.read_bytes())
    return [pdf[i].render(scale=150 / 72, grayscale=True).to_pil().convert("L")
            .rotate(angle, resample=Image.BICUBIC, fillcolor=255) for i in range(len(pdf))]


@pytest.mark.parametrize("angle", [0.0, 0.4, -1.3, 3.0])
def test_skew_angle_of_a_scanned_page(angle: float) -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install 'gongkai[ocr]'")
    import numpy as np

    from extract.readers.ocr import skew_angle

    page = _rotated_pages(FIXTURES / "001.scan.pdf", angle)[1]  # tables and text
    assert skew_angle(np.asarray(page)) == pytest.approx(-angle, abs=0.11)


@pytest.mark.timeout(120)
def test_slanted_scan_is_read_level() -> None:
    """Scanners and photocopiers slant pages by a degree or so: unturned, a 0.5° slant loses
    half the values (the ruling lines are not level and the tables are not found)."""
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install 'gongkai[ocr]'")
    from test_readers_seeds import score

    pages = _rotated_pages(FIXTURES / "001.scan.pdf", 1.2)
    buf = io.BytesIO()
    pages[0].save(buf, format="TIFF", save_all=True, append_images=pages[1:], dpi=(150, 150))
    gold = json.loads(next((HERE / "seeds" / "gold").glob("001_*.json")).read_text(encoding="utf-8"))
    from extract import parse_bytes

    share, bad = score(parse_bytes(buf.getvalue(), "slanted.tif"), gold)
    assert share >= 0.97, bad


@pytest.mark.timeout(120)
@pytest.mark.parametrize("wear", ["grain", "grain+blur+jpeg+grey+slant"])
def test_worn_scan_is_read(wear: str) -> None:
    """A copier's grain (noise σ = 25 grey levels), blur, JPEG at quality 50, a grey page and a
    slant: every value of the seed is still read."""
    pytest.importorskip("rapidocr_onnxruntime", reason="pip install 'gongkai[ocr]'")
    import numpy as np
    from PIL import Image, ImageFilter
    from test_readers_seeds import score

    from extract import parse_bytes

    rng = np.random.default_rng(0)
    pages = []
    for page in _rotated_pages(FIXTURES / "001.lo.pdf", 0.0):
        grey = np.asarray(page).astype(np.float32) + rng.normal(0, 25, (page.height, page.width))
        page = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8))
        if "blur" in wear:
            page = page.filter(ImageFilter.GaussianBlur(1.0))
            jpeg = io.BytesIO()
            page.save(jpeg, format="JPEG", quality=50)
            page = Image.open(io.BytesIO(jpeg.getvalue())).convert("L")
            page = Image.fromarray((np.asarray(page) * 0.6 + 90).astype(np.uint8))
            page = page.rotate(0.8, resample=Image.BICUBIC, fillcolor=230)
        pages.append(page)
    buf = io.BytesIO()
    pages[0].save(buf, format="TIFF", save_all=True, append_images=pages[1:], dpi=(150, 150))
    gold = json.loads(next((HERE / "seeds" / "gold").glob("001_*.json")).read_text(encoding="utf-8"))
    share, bad = score(parse_bytes(buf.getvalue(), f"{wear}.tif"), gold)
    assert share == 1.0, bad


@pytest.mark.parametrize("name", ["page.png", "000.scan.pdf"])
def test_without_the_ocr_extra_parse_names_what_to_install(tmp_path: Path, name: str) -> None:
    """numpy, OpenCV and rapidocr come with the ocr extra: with none of them importable (in every
    process, the parse worker too), a scan says what to install, not "No module named 'numpy'"."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nfor m in ('numpy', 'cv2', 'rapidocr_onnxruntime', 'onnxruntime'):\n    sys.modules[m] = None\n")
    if name.endswith(".png"):
        from PIL import Image

        Image.new("L", (200, 100), 255).save(tmp_path / name)
    else:
        shutil.copy(FIXTURES / name, tmp_path / name)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    out = subprocess.run([sys.executable, "-m", "gongkai", "parse", str(tmp_path / name)],
                         capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    error = json.loads(out.stdout.splitlines()[0])["error"]
    assert "pip install 'gongkai[ocr]'" in error and "internal error" not in error, error


# ----------------------------------------------------------------------------- the command


@pytest.mark.timeout(120)
def test_gongkai_parse_reads_by_content_not_name(tmp_path: Path) -> None:
    files = []
    for src, name in [("003.lo.pdf", "report.html"), ("003.html", "view.do"), ("003.docx", "attachment.pdf")]:
        target = tmp_path / name
        target.write_bytes((FIXTURES / src).read_bytes())
        files.append(str(target))
    exe = shutil.which("gongkai", path=str(Path(sys.executable).parent)) or "gongkai"
    out = subprocess.run([exe, "parse", *files], capture_output=True, text=True, timeout=110)
    assert out.returncode == 0, out.stderr
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["agency"] for r in results] == ["乌苏市甘河子镇人民政府"] * 3
    assert all(r["requests"]["new_received"] == [0] * 7 for r in results)


def test_paragraph_type_is_the_models() -> None:
    assert all(isinstance(b, Paragraph | Table) for b in read("000.docx").blocks)


def test_docx_text_box_read_once() -> None:
    """Word stores a text box twice (DrawingML + VML fallback); its text must appear once."""
    import docx
    from lxml import etree

    d = docx.Document()
    run = d.add_paragraph("前文").add_run()
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    mc = "http://schemas.openxmlformats.org/markup-compatibility/2006"
    box = f'<w:txbxContent xmlns:w="{w}"><w:p><w:r><w:t>框内文字</w:t></w:r></w:p></w:txbxContent>'
    run._r.append(etree.fromstring(
        f'<mc:AlternateContent xmlns:mc="{mc}" xmlns:w="{w}"><mc:Choice Requires="wps">{box}</mc:Choice>'
        f"<mc:Fallback>{box}</mc:Fallback></mc:AlternateContent>"
    ))
    buf = io.BytesIO()
    d.save(buf)
    doc = read_document(buf.getvalue(), "box.docx")
    assert doc.paragraphs() == ["前文框内文字"]
