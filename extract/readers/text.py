"""Plain text into the document model, rebuilding the tables that text exports flatten.

Three layouts reach us as text (see tests/seeds):
- markdown pipe tables from OCR-to-markdown pipelines (`| a | b |`, `<br>` inside cells);
- Word-to-text with tabs: one row per line with tab-separated cells, or one cell per line
  (each line starting with a tab, rows separated by blank lines, a cell's text wrapping onto
  an untabbed line);
- PDF text extraction: a table row is a line that ends in numbers ("规章 0 0 0"), labels wrap
  over several lines before their numbers, and some rows have no label at all.
"""

from __future__ import annotations

import re

from extract.document import Document, Paragraph, Table
from extract.normalize import unify

NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?"
# A PDF-text table row: an optional label, then whitespace-separated numbers to the end.
NUMERIC_ROW = re.compile(rf"^(?P<label>.*?)(?:^|\s)(?P<nums>{NUMBER}(?:\s+{NUMBER})*)\s*$")
SECTION_HEADING = re.compile(
    r"^\s*#*\s*[一二三四五六七八九十]+\s*[、.．]\s*.*"
    r"(总体情况|概述|主动公开|收到和处理|依申请公开|行政复议|行政诉讼|问题|改进|其他需要报告|其他事项)"
)
SENTENCE_END = "。：:；;！!？?"
LIST_START = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|\d+[.．、])")
DATE_LINE = re.compile(r"^\s*[（(]?\s*(?:[\d〇○零一二三四五六七八九十OoΟ]{4}\s*年.{1,6}月.{1,6}日|(?:19|20)\d\d\s*[-./]\s*\d{1,2}\s*[-./]\s*\d{1,2})\s*[)）]?\s*$")
BR = re.compile(r"<br\s*/?>", re.I)
TAG = re.compile(r"<[^>]+>")
MD_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
TITLE_END = re.compile(r"(报告|年报)\s*$")
MAX_LABEL_LINE = 40
_NUMERAL_LINES = set("一二三四五六七八九十")
_SPACES = re.compile(r"\s+")  # longer untabbed lines inside a PDF table are prose, not labels


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def read_text(data: bytes, source: str) -> Document:
    text = unify(decode(data)).replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    lines = _join_broken_headings(text.split("\n"))
    blocks = list(_blocks(lines))
    doc = Document(source=source, kind="text", blocks=blocks)
    first = next((b.text for b in blocks if isinstance(b, Paragraph) and b.text.strip()), None)
    doc.title = first
    return doc


def _join_broken_headings(lines: list[str]) -> list[str]:
    """A heading that a PDF dump broke into short lines ("三" / "、" / "收到和处理…情况") is
    one line again: inside a table's rows it would be taken for a label."""
    if not any(ln.strip() in _NUMERAL_LINES for ln in lines):
        return lines
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and 0 < len(lines[j].strip()) <= 2:
            j += 1
        if j > i:
            run = "".join(ln.strip() for ln in lines[i:j])
            nxt = lines[j].strip() if j < len(lines) else ""
            if nxt and SECTION_HEADING.match(run + nxt):
                out.append(run + nxt)
                i = j + 1
                continue
            if SECTION_HEADING.match(run):
                out.append(run)
                i = j
                continue
        out.append(lines[i])
        i += 1
    return out


def _blocks(lines: list[str]):
    paragraphs: list[str] = []  # lines of the paragraph being built
    pdf_rows: list[list[str]] | None = None  # an open PDF-text table
    pending_labels: list[str] = []  # short label lines seen inside an open PDF-text table
    i = 0

    def flush_paragraph():
        if paragraphs:
            yield Paragraph(" ".join(paragraphs).strip())
            paragraphs.clear()

    def flush_pdf_table():
        nonlocal pdf_rows
        if pdf_rows:
            # trailing label lines after the last numeric row belong to no row: keep them as rows
            for label in pending_labels:
                pdf_rows.append([label])
            yield Table(pdf_rows)
        elif pending_labels:
            for label in pending_labels:
                yield Paragraph(label)
        pdf_rows = None
        pending_labels.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("|"):
            yield from flush_paragraph()
            yield from flush_pdf_table()
            j = i
            while j < len(lines) and lines[j].strip().startswith("|"):
                j += 1
            yield _markdown_table(lines[i:j])
            i = j
            continue
        if "\t" in line:
            yield from flush_paragraph()
            yield from flush_pdf_table()
            j = _tab_region_end(lines, i)
            table = _tab_table(lines[i:j])
            if table.rows:
                yield table
            i = j
            continue
        if not stripped:
            i += 1
            continue
        content = stripped.lstrip("#").strip() if stripped.startswith("#") else stripped
        heading = bool(SECTION_HEADING.match(content))
        m = None if heading or stripped.startswith("#") else NUMERIC_ROW.match(content)
        if m and _looks_like_row(m.group("label")):
            yield from flush_paragraph()
            if pdf_rows is None:
                pdf_rows = []
            label = "".join(pending_labels) + m.group("label").strip()
            pending_labels.clear()
            pdf_rows.append(([label] if label else []) + m.group("nums").split())
            i += 1
            continue
        if pdf_rows is not None and not heading and len(content) <= MAX_LABEL_LINE:
            pending_labels.append(content)
            i += 1
            continue
        yield from flush_pdf_table()
        if heading or stripped.startswith("#") or DATE_LINE.match(content) or _starts_new(paragraphs, content):
            yield from flush_paragraph()
        paragraphs.append(content)
        if heading or stripped.startswith("#"):
            yield from flush_paragraph()
        i += 1
    yield from flush_paragraph()
    yield from flush_pdf_table()


def _looks_like_row(label: str) -> bool:
    """A line ending in numbers is a table row unless its "label" is running prose."""
    label = label.strip()
    if not label:
        return True
    if label[-1] in "，,。：:；;、（(" or label.endswith(("第", "共", "共计", "累计", "约", "达", "年", "月", "电话")):
        return False
    return len(label) <= MAX_LABEL_LINE


def _starts_new(paragraphs: list[str], line: str) -> bool:
    """Whether `line` starts a new paragraph rather than continuing a wrapped one."""
    if not paragraphs:
        return False
    prev = paragraphs[-1]
    if TITLE_END.search(prev) and len("".join(paragraphs)) <= 60:
        return True  # the title: keep it apart from the preamble that follows
    return prev[-1] in SENTENCE_END or bool(LIST_START.match(line)) or bool(DATE_LINE.match(prev))


# a cell ending in a figure is not wrapped text: the line after it is a row of its own
_NUMBER_END = re.compile(r"(?:^|\s)[-\d.,]+[元%]?$|^$")


def _cell(text: str) -> str:
    if "<" in text:
        text = TAG.sub("", BR.sub("", text))
    return _SPACES.sub(" ", text).strip()


def _markdown_table(lines: list[str]) -> Table:
    rows = []
    for line in lines:
        s = line.strip()
        if MD_SEPARATOR.match(s):
            continue
        if s.startswith("|"):
            s = s[1:]
        if s.endswith("|"):
            s = s[:-1]
        rows.append([_cell(c) for c in s.split("|")])
    return Table(rows)


def _tab_region_end(lines: list[str], start: int) -> int:
    """Index after the last line of the tabbed region starting at `start`."""
    j = start
    last_was_blank = False
    while j < len(lines):
        line = lines[j]
        if "\t" in line:
            last_was_blank = False
        elif not line.strip():
            last_was_blank = True
        elif last_was_blank:
            break  # untabbed text after a blank line: the table is over
        elif SECTION_HEADING.match(line.strip()):
            break
        j += 1
    # do not swallow trailing blank lines (a lone tab is an empty cell, not a blank line)
    while j > start + 1 and not lines[j - 1].strip() and "\t" not in lines[j - 1]:
        j -= 1
    return max(j, start + 1)


def _tab_table(lines: list[str]) -> Table:
    tabbed = [ln for ln in lines if "\t" in ln]
    cell_per_line = all(ln.startswith("\t") and ln.count("\t") == 1 for ln in tabbed)
    rows: list[list[str]] = []
    if cell_per_line:
        row: list[str] = []
        for line in lines:
            if not line.strip() and "\t" not in line:
                if row:
                    rows.append(row)
                row = []
            elif "\t" in line:
                row.append(_cell(line.split("\t", 1)[1]))
            elif row:
                row[-1] = row[-1] + _cell(line)  # a cell's text wrapped onto the next line
            else:
                row.append(_cell(line))
        if row:
            rows.append(row)
    else:
        for line in lines:
            if "\t" in line:
                rows.append([_cell(c) for c in line.split("\t")])
            elif line.strip():
                if rows and not _NUMBER_END.search(rows[-1][-1]):
                    rows[-1][-1] = rows[-1][-1] + _cell(line)  # a cell's text wrapped
                else:
                    rows.append([_cell(line)])  # a row of one cell (a caption over the columns)
    return Table(rows)
