"""The five real seed reports rewritten into the shapes other real reports take.

    .venv/bin/python tests/real/rewritten/make_rewrites.py

Writes docs/<seed>-<variant>.<ext> and gold/<seed>-<variant>.json. The gold is the seed's own
hand-checked gold (tests/seeds/gold), with what the rewrite changes: the date's provenance, and
blank cells (0, listed as blank or inferred) where a rewrite prints zeros as blanks.

Variants (each a class seen in real reports):
- header-lines  a portal's or an archiver's header before the title (当前位置, 标题：, 来源：, 发布时间：)
- year-first    2024年伊宁市人民政府政府信息公开工作年度报告
- split-title   the body's name and the year on two lines
- one-line      web-page text as copied: the whole report on one line
- run-together  PDF text whose table cells lost their separators
- archived-run-together  archived page text: the report on one line, each row's cells run
                together and glued to its label and to the next row's number
                (…申请数量150006021二、上年结转…, …信息20000022.没有现成…)
- date-cn       the date under the signature in Chinese numerals (二〇二五年一月二十日)
- colspan       a portal page whose tables carry the form's merges, zeros printed blank and the
                总计 column left blank (tests/variants.py html_page, with the seed's values)

The public HTML pages of ../public/ are rewritten too, into the texts users keep of a page:
- page-copy     the page's text as a browser copies it: a line per table row, a tab between cells
                (blank cells stay empty between two tabs)
- trafilatura   the page's text as trafilatura extracts it (tables as rows of | cells)
- print         the page printed to PDF by headless Chromium (a table that runs over a page
                break, cells with their own borders), for pages listed in PRINTED
- word          the page opened in LibreOffice and saved as DOCX (merged cells as gridSpan/vMerge),
                for pages listed in PRINTED
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent.parent
sys.path.insert(0, str(TESTS))

from variants import html_page  # noqa: E402

SEEDS = TESTS / "seeds"
CN = "〇一二三四五六七八九"
DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")


def _cn(n: int, digits: bool = False) -> str:
    if digits or n < 10:
        return "".join(CN[int(c)] for c in str(n))
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN[tens]) + "十" + (CN[ones] if ones else "")


def _title(text: str) -> tuple[int, int]:
    """The span of the title: the first line (two when the seed wraps it) before the preamble."""
    lines = text.split("\n")
    first = next(i for i, ln in enumerate(lines) if ln.strip())
    end = first + 1
    if not lines[first].strip().lstrip("#").strip().endswith("报告"):
        end = next(i for i in range(first + 1, len(lines)) if lines[i].strip()) + 1
    return first, end


def header_lines(text: str, gold: dict) -> tuple[str, dict]:
    first, end = _title(text)
    lines = text.split("\n")
    title = "".join(ln.strip().lstrip("#").strip() for ln in lines[first:end])
    head = ["当前位置：首页 > 政务公开 > 政府信息公开 > 政府信息公开年报", f"标题：{title}",
            f"来源：{gold['agency']}    发布时间：{gold['year'] + 1}-01-26 10:12    浏览次数：87", ""]
    out = dict(gold)
    if gold["published"] is None:
        out["published"], out["published_from"] = f"{gold['year'] + 1}-01-26", "top"
    return "\n".join(head + lines), out


def year_first(text: str, gold: dict) -> tuple[str, dict]:
    first, end = _title(text)
    lines = text.split("\n")
    lines[first:end] = [f"{gold['year']}年{gold['agency']}政府信息公开工作年度报告"]
    return "\n".join(lines), gold


def split_title(text: str, gold: dict) -> tuple[str, dict]:
    first, end = _title(text)
    lines = text.split("\n")
    lines[first:end] = [gold["agency"], "", f"{gold['year']} 年政府信息公开工作年度报告"]
    return "\n".join(lines), gold


def one_line(text: str, gold: dict) -> tuple[str, dict]:
    return re.sub(r"\s+", " ", text).strip() + "\n", gold


def run_together(text: str, gold: dict) -> tuple[str, dict]:
    """Table rows (a label, then numbers) lose the spaces between their numbers."""
    out = []
    for line in text.split("\n"):
        m = re.match(r"^(.*[\u4e00-\u9fff）)])\s*((?:\d+\s+){2,}\d+)\s*$", line)
        out.append(m.group(1) + re.sub(r"\s+", "", m.group(2)) if m else line)
    return "\n".join(out), gold


def archived_run_together(text: str, gold: dict) -> tuple[str, dict]:
    flat, _ = one_line(run_together(text, gold)[0], gold)
    flat = re.sub(r"(?<![\d.])\d+(?:[ \t]+\d+(?![\d.])){2,}", lambda m: re.sub(r"\s+", "", m.group(0)), flat)  # rows whose cells stood apart
    flat = re.sub(r"(?<=[\u4e00-\u9fff）)”])\s+(?=\d)", "", flat)  # a label and its cells
    flat = re.sub(r"(?<=\d)\s+(?=\d[.、]\s*[\u4e00-\u9fff])", "", flat)  # cells and the next row's number
    return flat, gold


def date_cn(text: str, gold: dict) -> tuple[str, dict]:
    lines = text.rstrip().split("\n")
    i = max(j for j, ln in enumerate(lines) if DATE.search(ln.strip()))
    y, m, d = (int(g) for g in DATE.search(lines[i].strip()).groups())
    lines[i] = DATE.sub(f"{_cn(y, True)}年{_cn(m)}月{_cn(d)}日", lines[i].strip())
    return "\n".join(lines) + "\n", gold


TEXT_VARIANTS = {
    "header-lines": (header_lines, ["000", "001", "002", "003", "004"]),
    "year-first": (year_first, ["000", "001", "003"]),
    "split-title": (split_title, ["001", "002", "003", "004"]),
    "one-line": (one_line, ["000", "001", "003"]),
    "run-together": (run_together, ["000", "001"]),
    "archived-run-together": (archived_run_together, ["000", "001", "003"]),
    "date-cn": (date_cn, ["000", "003", "004"]),
}


def page_copy(html: str) -> str:
    import lxml.html

    root = lxml.html.fromstring(html)
    lines = []
    for el in root.body.iter("p", "table"):
        if el.tag == "table":
            lines += ["\t".join(td.text_content().replace("\xa0", " ").strip() for td in tr.iter("td", "th"))
                      for tr in el.iter("tr")]
        elif el.getparent() is not None and el.getparent().tag not in ("td", "th"):
            lines.append(el.text_content().strip())
    return "\n".join(lines) + "\n"


def trafilatura_text(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, output_format="txt", include_tables=True, favor_recall=True) + "\n"


PUBLIC_VARIANTS = {"page-copy": page_copy, "trafilatura": trafilatura_text}
# a print of a page with a site's layout around it is a picture of the site, not a report
PRINTED = ["sh-gov-office-2019"]


def print_pdf(path: Path, out: Path) -> bool:
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium not found: print variant not made", file=sys.stderr)
        return False
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={out}", path.as_uri()], check=True, capture_output=True, timeout=120)
    return out.exists()


def save_docx(path: Path, out: Path) -> bool:
    import shutil
    import subprocess
    import tempfile

    office = shutil.which("soffice")
    if office is None:
        print("soffice not found: word variant not made", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([office, "--headless", "--convert-to", "docx:MS Word 2007 XML", "--outdir", tmp, str(path)],
                       check=True, capture_output=True, timeout=180)
        made = Path(tmp) / (path.stem + ".docx")
        if made.exists():
            shutil.move(str(made), out)
    return out.exists()


def rewrite_public() -> None:
    public = HERE.parent / "public"
    for path in sorted((public / "docs").glob("*.html")):
        gold = json.loads((public / "gold" / f"{path.stem}.json").read_text(encoding="utf-8"))
        html = path.read_text(encoding="utf-8")
        made = []
        for variant, fn in PUBLIC_VARIANTS.items():
            (HERE / "docs" / f"{path.stem}-{variant}.txt").write_text(fn(html), encoding="utf-8")
            made.append((variant, "archived-text"))
        if path.stem in PRINTED and print_pdf(path, HERE / "docs" / f"{path.stem}-print.pdf"):
            made.append(("print", "pdf"))
        if path.stem in PRINTED and save_docx(path, HERE / "docs" / f"{path.stem}-word.docx"):
            made.append(("word", "docx"))
        for variant, kind in made:
            name = f"{path.stem}-{variant}"
            want = {k: v for k, v in gold.items() if k not in ("source", "origin", "kind", "variants", "notes")}
            gold_out = {"source": f"tests/real/public/docs/{path.name} rewritten by make_rewrites.py ({variant})",
                        "origin": "rewritten-public", "kind": kind, "variants": [variant], **want}
            (HERE / "gold" / f"{name}.json").write_text(
                json.dumps(gold_out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(name)


def main(only: set[str] | None = None) -> None:
    """Every variant, or `only` the named ones (the print and word variants need a browser and
    LibreOffice)."""
    (HERE / "docs").mkdir(exist_ok=True)
    (HERE / "gold").mkdir(exist_ok=True)
    for path in sorted(SEEDS.glob("*.txt")):
        stem = path.stem[:3]
        gold = json.loads((SEEDS / "gold" / f"{path.stem}.json").read_text(encoding="utf-8"))
        base = {k: gold[k] for k in ("agency", "year", "published", "format", "sections", "active", "requests", "appeals")}
        base["published_from"] = "end" if gold["published"] else None
        text = path.read_text(encoding="utf-8")
        made: list[tuple[str, str, str, dict, str]] = []
        for variant, (fn, seeds) in TEXT_VARIANTS.items():
            if stem in seeds and (only is None or variant in only):
                doc, want = fn(text, dict(base))
                made.append((variant, "txt", doc, want, "archived-text" if variant in ("one-line", "archived-run-together") else "pdf-text"))
        if base["requests"] and all(v is not None for vec in base["requests"].values() if vec for v in vec) \
                and base["appeals"] and base["published"] and (only is None or "colspan" in only):
            page, blanked = html_page(base, blank_zeros=True, blank_totals=True, extra_column=True)
            want = dict(base, cells=blanked)
            made.append(("colspan", "html", page, want, "html"))
        for variant, ext, doc, want, kind in made:
            name = f"{stem}-{variant}"
            (HERE / "docs" / f"{name}.{ext}").write_text(doc, encoding="utf-8")
            gold_out = {"source": f"tests/seeds/{path.name} rewritten by make_rewrites.py ({variant})",
                        "origin": "rewritten-seed", "kind": kind, "variants": [variant], **want}
            (HERE / "gold" / f"{name}.json").write_text(
                json.dumps(gold_out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(name)
    if only is None:
        rewrite_public()


if __name__ == "__main__":
    main(set(sys.argv[1:]) or None)
