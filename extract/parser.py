"""The report parser: a Document in, the parse contract of DESIGN.md out.

It reads only the document model, so every reader (text, HTML, PDF, DOCX, OCR) feeds it the
same way: find the six sections by their headings, read the agency, year and printed date,
decide the format from the tables' own headers (never from the document number the report
cites), read tables 二, 三 and 四, fill what the totals fix, and run the checks.
"""

from __future__ import annotations

import re
from typing import Any

from extract import form
from extract.checks import run_checks
from extract.document import Document, Paragraph, Table
from extract.infer import infer_appeals, infer_requests
from extract.normalize import DATE, DATE_ISO, cn_year, norm, to_date
from extract.tables import detect_format, read_active, read_appeals, read_requests

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
YEAR_IN_TITLE = [
    # 伊宁市潘津镇人民政府 2024 年政府信息公开工作年度报告
    re.compile(r"^(?P<agency>.*?)\s*(?:关于)?\s*(?P<year>(?:19|20)\d{2}|[〇○零一二三四五六七八九]{4})\s*年度?\s*(?:政府信息公开|政务公开|信息公开)"),
    # 甘河子镇政府信息公开工作2024年度报告
    re.compile(r"^(?P<agency>.*?)\s*(?:政府信息公开|政务公开|信息公开)(?:工作)?\s*(?P<year>(?:19|20)\d{2})\s*年度?"),
]
YEAR_IN_TEXT = [
    re.compile(r"现将\s*(?P<year>(?:19|20)\d{2})\s*年"),
    re.compile(r"自\s*(?P<year>(?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日"),
    re.compile(r"(?P<year>(?:19|20)\d{2})\s*年度?政府信息公开"),
]
INSTITUTION = re.compile(r"(人民政府|政府|办公室|办公厅|委员会|局|委|办|院|中心|街道办事处|办事处|管委会|厅|署|所|站|队|会)$")
SIGNATURE_MAX = 30
MAX_AGENCY = 40


def _sections(doc: Document) -> tuple[list[str], list[str | None]]:
    """The sections found, in order, and for each block the section it lies in."""
    found: list[str] = []
    where: list[str | None] = []
    current: str | None = None
    for block in doc.blocks:
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


def _title_agency_year(doc: Document) -> tuple[str | None, int | None]:
    """The agency and year named by the title (or, failing that, an opening paragraph)."""
    candidates = [doc.title or ""] + doc.paragraphs()[:5]
    for text in candidates:
        t = re.sub(r"\s+", " ", text.strip().lstrip("#").strip())
        for pattern in YEAR_IN_TITLE:
            m = pattern.search(t)
            if m and len(m.group("agency")) <= MAX_AGENCY:  # longer: a sentence, not a title
                agency = m.group("agency").strip(" ：:，,")
                return agency or None, cn_year(m.group("year"))
    return None, None


def _year_from_text(text: str) -> int | None:
    for pattern in YEAR_IN_TEXT:
        m = pattern.search(text)
        if m:
            return int(m.group("year"))
    return None


def _signature_and_date(doc: Document) -> tuple[str | None, str | None]:
    """The printed date at the end (落款) and the signature line above it."""
    paras = [p.strip() for p in doc.paragraphs() if p.strip()]
    tail = paras[-8:]
    for i in range(len(tail) - 1, -1, -1):
        text = tail[i]
        if len(norm(text)) > SIGNATURE_MAX + 16:
            continue
        m = None
        for pattern in (DATE, DATE_ISO):
            for m_ in pattern.finditer(text):
                m = m_
        if m is None or text[m.end():].strip(" 　）)"):
            continue
        d = to_date(m)
        if d is None:
            continue
        before = text[: m.start()].strip()
        signature = before or (tail[i - 1] if i > 0 and len(norm(tail[i - 1])) <= SIGNATURE_MAX else None)
        return (signature.strip() if signature else None), d.isoformat()
    return None, None


def _choose_agency(title_agency: str | None, signature: str | None, meta: dict[str, str]) -> str | None:
    """The reporting body as the report names it: the title's name, completed from the signature.

    The title may give a short name (甘河子镇); the signature then gives the full one
    (乌苏市甘河子镇人民政府). A signing office (…人民政府办公室) does not replace a full name.
    """
    sig = norm(signature) if signature else None
    if title_agency:
        t = norm(title_agency)
        if INSTITUTION.search(t):
            return t
        if sig and t in sig:
            return sig
        return t
    if sig and INSTITUTION.search(sig):
        return sig
    publisher = meta.get("发布机构")
    return norm(publisher) if publisher else None


def parse_document(doc: Document) -> dict[str, Any]:
    sections, where = _sections(doc)
    title_agency, year = _title_agency_year(doc)
    full_text = doc.text()
    if year is None:
        year = _year_from_text(full_text)
    signature, published = _signature_and_date(doc)
    agency = _choose_agency(title_agency, signature, doc.meta)

    def tables_in(sec: str) -> list[list[list[str]]]:
        return [b.rows for b, s in zip(doc.blocks, where, strict=True) if isinstance(b, Table) and s == sec]

    def text_in(sec: str) -> str:
        parts = []
        for b, s in zip(doc.blocks, where, strict=True):
            if s == sec:
                parts.append(b.text if isinstance(b, Paragraph) else "\n".join(" ".join(r) for r in b.rows))
        return "\n".join(parts)

    active_tables = tables_in("2")
    request_tables = tables_in("3")
    appeal_tables = tables_in("4")
    if not sections and doc.tables():
        # no recognisable headings (an attachment holding only the tables): read them all
        request_tables = active_tables = appeal_tables = [t.rows for t in doc.tables()]

    fmt = detect_format(text_in("2") if "2" in sections else full_text)
    if fmt is None:
        has_tables = bool(request_tables or active_tables)
        fmt = form.format_for_year(year)
        if fmt == "legacy" and has_tables:
            fmt = "2019"

    report: dict[str, Any] = {
        "source": doc.source,
        "agency": agency,
        "year": year,
        "published": published,
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
        report["active"] = read_active(active_tables, fmt)
        table = read_requests(request_tables, fmt)
        if table is not None:
            keys = form.request_keys(fmt, split_other=table.split_other)
            for ref in sorted(infer_requests(table, keys), key=lambda r: (keys.index(r[0]), r[1])):
                cells[f"requests.{ref[0]}.{ref[1]}"] = "inferred"
            report["requests"] = {k: table.rows.get(k) for k in keys}
        appeals, _blanks = read_appeals(appeal_tables)
        if appeals is not None:
            groups = [g for g, _ in form.APPEAL_GROUPS]
            for ref in sorted(infer_appeals(appeals), key=lambda r: (groups.index(r[0]), r[1])):
                cells[f"appeals.{ref[0]}.{ref[1]}"] = "inferred"
            report["appeals"] = appeals
    report["cells"] = cells
    prose = "\n".join(b.text for b, s in zip(doc.blocks, where, strict=True) if isinstance(b, Paragraph) and s in (None, "1", "3"))
    report["checks"] = run_checks(report, keys, prose)
    return report
