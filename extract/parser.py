"""The report parser: a Document in, the parse contract (README.md, `gongkai parse`) out.

It reads only the document model, so every reader (text, HTML, PDF, DOCX, OCR) feeds it the
same way: find the six sections by their headings (also inside a long line: text copied from
a web page keeps a whole report on one line), read the agency, year and printed date
(extract/meta.py), decide the format from the tables' own headers (never from the document
number the report cites), read tables 二, 三 and 四 from their grids or, where they lost their
structure, from the stream of labels and numbers, fill what the totals fix, and run the checks.
"""

from __future__ import annotations

import re
from typing import Any

import extract.form as form
from extract.active import detect_format, read_active
from extract.checks import run_checks
from extract.document import Document, Paragraph, Table
from extract.infer import infer_appeals, infer_requests
from extract.meta import read_meta
from extract.normalize import norm
from extract.tables import (
    RequestTable,
    grid_appeal_rows,
    grid_request_rows,
    read_appeals,
    read_requests,
    stream_appeal_rows,
    stream_request_rows,
)

HEADING = re.compile(r"^#*\s*(?P<num>[一二三四五六七八九十]{1,2})\s*[、.．]\s*(?P<title>.+)$")
# (section, keywords that name it); a later section's words are tried first where they overlap.
SECTION_WORDS: list[tuple[str, re.Pattern]] = [
    ("4", re.compile(r"复议|诉讼")),
    ("5", re.compile(r"问题|改进")),
    ("6", re.compile(r"其他需要报告|其他事项|其他需报告")),
    ("3", re.compile(r"收到和处理|依申请公开|申请情况")),
    ("2", re.compile(r"主动公开")),
    ("1", re.compile(r"总体情况|概述|基本情况")),
]
MAX_HEADING = 40
# Section titles of the national form that are headings even without their number ("总体情况"
# alone is too common a phrase).
UNNUMBERED = {sec: norm(title) for sec, title in form.SECTIONS.items() if sec != "1"}
NUMERALS = dict(zip("一二三四五六", "123456", strict=True))
# The section titles real reports print (typos included), for headings inside a longer line;
# matched on the text without whitespace (PDF and OCR text put spaces between characters).
INLINE_TITLES: dict[str, str] = {
    "1": r"总体情况|概述|基本情况",
    "2": r"主动公开政府信息(?:的)?情况|主动公开政府信息|主动公开(?:工作)?情况",
    "3": r"收到和处理政府信息公开申请(?:的)?情况|依申请公开(?:政府信息)?(?:工作)?(?:情况)?",
    "4": r"(?:因政府信息公开(?:工作)?被申请)?(?:政府信息公开)?(?:行政)?法?复议[、,，和及与]?(?:提起)?(?:行政)?诉讼(?:的)?情况",
    "5": r"(?:政府信息公开(?:工作)?)?存在的?(?:主要)?问题(?:及|和|与)(?:改进|整改)(?:情况|措施|计划)?",
    "6": r"其他需要报告的事项|其他需报告的事项|其他事项",
}
INLINE_HEADING = re.compile(
    r"(?P<num>[一二三四五六])[、.．]" + "(?:" + "|".join(f"(?P<s{sec}>{t})" for sec, t in INLINE_TITLES.items()) + ")"
)


_MAYBE_HEADING = re.compile(r"[一二三四五六]\s*[、.．]")


def _squeezed(text: str) -> tuple[str, list[int]]:
    """The text without whitespace, and for each of its characters the index in `text`."""
    keep = [i for i, ch in enumerate(text) if not ch.isspace()]
    return "".join(text[i] for i in keep), keep


def split_inline_headings(blocks: list[Paragraph | Table]) -> list[Paragraph | Table]:
    """Paragraphs cut at the section headings inside them: "…如下：一、总体情况 2024年，…".

    A heading counts only with its own number (三、 for section 3) and not as an item of a list
    of the sections (一、总体情况；二、…)."""
    out: list[Paragraph | Table] = []
    for block in blocks:
        if not isinstance(block, Paragraph) or len(block.text) <= MAX_HEADING:
            out.append(block)
            continue
        text = block.text
        if not _MAYBE_HEADING.search(text):
            out.append(block)  # most paragraphs: no numeral before a 、 at all
            continue
        flat, index = _squeezed(text)
        cuts = []
        for m in INLINE_HEADING.finditer(flat):
            sec = next(k[1] for k, v in m.groupdict().items() if v and k.startswith("s"))
            after = flat[m.end():m.end() + 1]
            if NUMERALS[m.group("num")] != sec or (after and after in "；;，,、。"):
                continue
            end = index[m.end() - 1] + 1
            cuts.append((index[m.start()], end))
        if not cuts:
            out.append(block)
            continue
        pos = 0
        for start, end in cuts:
            if text[pos:start].strip():
                out.append(Paragraph(text[pos:start].strip()))
            out.append(Paragraph(text[start:end].strip()))
            pos = end
        if text[pos:].strip():
            out.append(Paragraph(text[pos:].strip()))
    return out


def _sections(blocks: list[Paragraph | Table]) -> tuple[list[str], list[str | None]]:
    """The sections found, in order, and for each block the section it lies in."""
    found: list[str] = []
    where: list[str | None] = []
    current: str | None = None
    for block in blocks:
        if isinstance(block, Paragraph):
            sec = _heading(block.text)
            if sec is not None and (current is None or int(sec) > int(current)):
                current = sec
                found.append(sec)
        where.append(current)
    return found, where


def _heading(text: str) -> str | None:
    """The section a heading line opens: "三、收到和处理…" by its words, or the national
    form's own title with its number garbled (OCR drops a lone 三 or 、 at times)."""
    t = norm(text).replace("#", "")
    if len(t) > MAX_HEADING:
        return None
    m = HEADING.match(t)
    if m:
        return next((sec for sec, words in SECTION_WORDS if words.search(m.group("title"))), None)
    # "收到和处理…", "、收到和处理…" (the 三 lost), "三收到和处理…" (the 、 lost)
    bare = re.sub(r"^[一二三四五六七八九十]{0,2}[、.．,，]?", "", t)
    return next((sec for sec, title in UNNUMBERED.items() if bare == title), None)


def _block_text(block: Paragraph | Table) -> str:
    if isinstance(block, Paragraph):
        return block.text
    return "\n".join(" | ".join(c for c in row if c) for row in block.rows)


def _known(table: RequestTable | None) -> int:
    return sum(v is not None for vec in table.rows.values() for v in vec) if table else 0


Requests = tuple[RequestTable | None, list[str], dict]


def _read_requests(rows: list, fmt: str, read_by_ocr: bool = False) -> Requests:
    table = read_requests(rows, fmt)
    if table is None:
        return None, form.request_keys(fmt), {}
    keys = form.request_keys(fmt, split_other=table.split_other)
    return table, keys, infer_requests(table, keys, read_by_ocr=read_by_ocr)


def _requests(grid: list[Table], text: str, fmt: str, read_by_ocr: bool = False) -> Requests:
    """Table 三 from its grids, or from the stream of its text where that reads more of it."""
    best = _read_requests(grid_request_rows(grid), fmt, read_by_ocr) if grid else (None, form.request_keys(fmt), {})
    table, keys = best[0], best[1]
    if table is not None and len(table.rows) == len(keys) and _known(table) == 7 * len(keys):
        return best  # the grid read every cell
    other = _read_requests(stream_request_rows(text), fmt, read_by_ocr)
    if other[0] is not None and (table is None or _known(other[0]) > _known(table)):
        return other
    return best


def parse_document(doc: Document) -> dict[str, Any]:
    blocks = split_inline_headings(doc.blocks)
    sections, where = _sections(blocks)
    first_section = next((i for i, s in enumerate(where) if s is not None), len(blocks))
    full_text = "\n".join(_block_text(b) for b in blocks)
    meta = read_meta(doc, blocks, first_section, full_text)

    def tables_in(sec: str) -> list[Table]:
        return [b for b, s in zip(blocks, where, strict=True) if isinstance(b, Table) and s == sec]

    def text_in(sec: str) -> str:
        return "\n".join(_block_text(b) for b, s in zip(blocks, where, strict=True) if s == sec)

    all_tables = [b for b in blocks if isinstance(b, Table)]
    if sections:
        active_tables, request_tables, appeal_tables = tables_in("2"), tables_in("3"), tables_in("4")
        active_text, request_text, appeal_text = text_in("2"), text_in("3"), text_in("4")
    else:
        # no recognisable headings (an attachment holding only the tables): read them all
        active_tables = request_tables = appeal_tables = all_tables
        active_text = request_text = appeal_text = full_text

    fmt = detect_format(active_text if "2" in sections else full_text)
    if meta.year is not None and meta.year <= 2018:
        fmt = "legacy"  # the 2008 regulation's free form, whatever the report cites
    elif fmt is None:
        fmt = form.format_for_year(meta.year)

    report: dict[str, Any] = {
        "source": doc.source,
        "agency": meta.agency,
        "year": meta.year,
        "published": meta.published,
        "published_from": meta.published_from,
        "format": fmt,
        "sections": sections,
        "active": None,
        "requests": None,
        "appeals": None,
        "checks": [],
        "cells": {},
    }
    cells: dict[str, str] = {}
    keys = form.request_keys(fmt)
    if fmt != "legacy":
        active = read_active(active_tables, fmt, active_text)
        if active is None and sections and "2" not in sections:
            active = read_active(all_tables, fmt, full_text)  # its heading was lost
        if active is not None:
            report["active"] = active.values
            cells.update(active.cells)
        table, keys, how = _requests(request_tables, request_text, fmt, doc.kind in ("scan", "image"))
        if table is None and sections and "3" not in sections:
            table, keys, how = _requests(all_tables, full_text, fmt, doc.kind in ("scan", "image"))
        if table is not None:
            for (key, c), h in sorted(how.items(), key=lambda r: (keys.index(r[0][0]), r[0][1])):
                cells[f"requests.{key}.{c}"] = h
            report["requests"] = {k: table.rows.get(k) for k in keys}
        appeals = read_appeals(grid_appeal_rows(appeal_tables)) if appeal_tables else None
        if appeals is None and appeal_text:
            appeals = read_appeals(stream_appeal_rows(appeal_text))
        if appeals is not None:
            groups = [g for g, _ in form.APPEAL_GROUPS]
            for (g, c), h in sorted(infer_appeals(appeals, read_by_ocr=doc.kind in ("scan", "image")).items(), key=lambda r: (groups.index(r[0][0]), r[0][1])):
                cells[f"appeals.{g}.{c}"] = h
            report["appeals"] = appeals.groups
    report["cells"] = cells
    prose = "\n".join(b.text for b, s in zip(blocks, where, strict=True) if isinstance(b, Paragraph) and s in (None, "1", "3"))
    report["checks"] = run_checks(report, keys, prose)
    return report
