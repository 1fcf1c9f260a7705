"""Reports as documents: the national form's tables with their real merged cells, rendered to
HTML, PDF (reportlab, built-in CID font STSong-Light) and DOCX (python-docx).

All output is deterministic: reportlab runs in invariant mode (fixed ids and dates) and DOCX zips
are rewritten with fixed timestamps and core properties.
"""

from __future__ import annotations

import html
import io
import zipfile
from dataclasses import dataclass
from datetime import date

from extract.form import (
    ACTIVE_2019,
    ACTIVE_2019_HEADERS,
    ACTIVE_2021_HEADERS,
    ACTIVE_CAPTIONS,
    APPEAL_COLUMN_LABELS,
    REQUEST_COLUMN_LABELS,
    REQUEST_ROWS,
    SECTIONS,
)

from .reports import Report, Version

FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass
class Cell:
    text: str
    rs: int = 1
    cs: int = 1


@dataclass
class Block:
    kind: str  # title | h | p | table | sign
    text: str = ""
    rows: list[list[Cell]] | None = None


def num(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6f}".rstrip("0").rstrip(".")
    return str(v)


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# ----------------------------------------------------------------------------------------------
# The form's tables


def table_active_2021(active: dict) -> list[list[Cell]]:
    h = ACTIVE_2021_HEADERS
    rows = [[Cell(ACTIVE_CAPTIONS["rules"], cs=4)], [Cell("信息内容")] + [Cell(x) for x in h["rules"]]]
    for key, label in (("rules", "规章"), ("normative", "行政规范性文件")):
        v = active[key]
        rows.append([Cell(label), Cell(num(v["issued"])), Cell(num(v["repealed"])), Cell(num(v["in_force"]))])
    rows += [[Cell(ACTIVE_CAPTIONS["licensing"], cs=4)], [Cell("信息内容"), Cell(h["licensing"][0], cs=3)]]
    rows.append([Cell("行政许可"), Cell(num(active["licensing"]), cs=3)])
    rows += [[Cell(ACTIVE_CAPTIONS["punishment"], cs=4)], [Cell("信息内容"), Cell(h["licensing"][0], cs=3)]]
    rows.append([Cell("行政处罚"), Cell(num(active["punishment"]), cs=3)])
    rows.append([Cell("行政强制"), Cell(num(active["coercion"]), cs=3)])
    rows += [[Cell(ACTIVE_CAPTIONS["fees"], cs=4)], [Cell("信息内容"), Cell(h["fees_wan"][0], cs=3)]]
    rows.append([Cell("行政事业性收费"), Cell(num(active["fees_wan"]), cs=3)])
    return rows


def table_active_2019(active: dict) -> list[list[Cell]]:
    h = ACTIVE_2019_HEADERS
    labels = {key: label for key, label, _ in ACTIVE_2019}
    columns = {key: cols for key, _, cols in ACTIVE_2019}
    rows: list[list[Cell]] = []
    groups = [
        ("rules", ["rules", "normative"], h["rules"]),
        ("licensing", ["licensing", "other_services"], h["licensing"]),
        ("punishment", ["punishment", "coercion"], h["licensing"]),
        ("fees", ["fees"], h["fees"]),
        ("procurement", ["procurement"], h["procurement"]),
    ]
    for caption, keys, headers in groups:
        rows.append([Cell(ACTIVE_CAPTIONS[caption], cs=4)])
        head = [Cell("信息内容")] + [Cell(x) for x in headers]
        if len(headers) == 2:
            head[-1].cs = 2
        rows.append(head)
        for key in keys:
            vals = [Cell(num(active[key][c])) for c in columns[key]]
            if len(vals) == 2:
                vals[-1].cs = 2
            rows.append([Cell(labels[key])] + vals)
    return rows


def table_requests(requests: dict, fmt: str) -> list[list[Cell]]:
    single_other = "other" in requests
    rows: list[list[Cell]] = [
        [Cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rs=3, cs=3), Cell("申请人情况", cs=7)],
        [Cell("自然人", rs=2), Cell("法人或其他组织", cs=5), Cell("总计", rs=2)],
        [Cell(x) for x in REQUEST_COLUMN_LABELS[1:6]],
    ]

    def nums(key: str) -> list[Cell]:
        return [Cell(num(x)) for x in (requests.get(key) or [None] * 7)]

    result_rows = 22 if not single_other else 20
    first_result = True
    seen_groups: set[str] = set()
    group_size: dict[str, int] = {}
    for _, _, group in REQUEST_ROWS:
        group_size[group] = group_size.get(group, 0) + 1
    for key, label, group in REQUEST_ROWS:
        if single_other and key.startswith("other_"):
            if key == "other_no_correction":
                rows.append([Cell("（六）其他处理", cs=2)] + nums("other"))
            continue
        if group in ("一、", "二、", "四、"):
            rows.append([Cell(group + label, cs=3)] + nums(key))
            continue
        lead = []
        if first_result:
            lead = [Cell("三、本年度办理结果", rs=result_rows)]
            first_result = False
        if group.startswith("（") and len(group) == 3:  # （一）（二）（七）: one row of their own
            rows.append(lead + [Cell(group + label, cs=2)] + nums(key))
            continue
        n = [k for k, _, g in REQUEST_ROWS if g == group].index(key) + 1
        cells = lead
        if group not in seen_groups:
            seen_groups.add(group)
            cells = cells + [Cell(group, rs=group_size[group])]
        rows.append(cells + [Cell(f"{n}.{label}")] + nums(key))
    return rows


def table_appeals(appeals: dict) -> list[list[Cell]]:
    rows = [
        [Cell("行政复议", cs=5), Cell("行政诉讼", cs=10)],
        [Cell(x, rs=2) for x in APPEAL_COLUMN_LABELS] + [Cell("未经复议直接起诉", cs=5), Cell("复议后起诉", cs=5)],
        [Cell(x) for x in APPEAL_COLUMN_LABELS * 2],
        [Cell(num(x)) for g in ("review", "suit_direct", "suit_after_review") for x in appeals[g]],
    ]
    return rows


def grid(rows: list[list[Cell]]) -> tuple[list[list[str]], list[tuple[int, int, int, int]]]:
    """HTML-style rows → a full grid of texts and the spans (col0, row0, col1, row1)."""
    width = max(sum(c.cs for c in rows[0]), 1)
    out: list[list[str | None]] = []
    spans = []
    for r, row in enumerate(rows):
        while len(out) <= r:
            out.append([None] * width)
        c = 0
        for cell in row:
            while c < width and out[r][c] is not None:
                c += 1
            for dr in range(cell.rs):
                while len(out) <= r + dr:
                    out.append([None] * width)
                for dc in range(cell.cs):
                    out[r + dr][c + dc] = cell.text if (dr, dc) == (0, 0) else ""
            if cell.rs > 1 or cell.cs > 1:
                spans.append((c, r, c + cell.cs - 1, r + cell.rs - 1))
            c += cell.cs
    return [[x or "" for x in row] for row in out], spans


# ----------------------------------------------------------------------------------------------
# A report as blocks


def report_blocks(report: Report, version: Version, tables: bool = True, prose: bool = True) -> list[Block]:
    """The generated report on the national form. `tables=False` gives the page of a report whose
    tables are in an attachment; `prose=False` gives that attachment."""
    v = version.values
    a, y, fmt = report.agency, report.year, v["format"]
    req = v["requests"]
    total = version.narrative_total
    granted = (req.get("granted") or [0] * 7)[6]
    out: list[Block] = [Block("title", f"{a.name}{y}年政府信息公开工作年度报告")]
    citation = "国办公开办函〔2021〕30号" if fmt == "2021" else "国办公开办函〔2019〕60号"
    if prose:
        out.append(Block("p", f"本报告根据《中华人民共和国政府信息公开条例》（国务院令第711号）和《中华人民共和国政府信息公开工作年度报告格式》（{citation}）要求编制。本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。"))
    sections = v["sections"]
    for sec in ("1", "2", "3", "4", "5", "6"):
        if sec not in sections:
            continue
        heading = "一二三四五六"[int(sec) - 1] + "、" + SECTIONS[sec]
        if sec == "5" and fmt == "2019":
            heading = "五、政府信息公开工作存在的主要问题及改进情况"
        if sec in ("1", "5", "6") and not prose:
            continue
        out.append(Block("h", heading))
        if sec == "1":
            out += [
                Block("p", f"{y}年，{a.short}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政府信息公开工作。"),
                Block("p", "（一）主动公开。通过政府门户网站及时发布政策文件、财政预决算、重点领域信息。"),
                Block("p", f"（二）依申请公开。全年共收到政府信息公开申请{total}件，其中予以公开{granted}件，均在法定期限内答复。"),
                Block("p", "（三）政府信息管理。严格落实公开前审查机制，动态调整主动公开基本目录。"),
                Block("p", "（四）平台建设。加强政府网站和政务新媒体管理，提升平台服务功能。"),
                Block("p", "（五）监督保障。将政务公开纳入年度绩效考核，全年未发生责任追究情况。"),
            ]
        elif sec == "2":
            if tables:
                out.append(Block("table", rows=table_active_2021(v["active"]) if fmt == "2021" else table_active_2019(v["active"])))
            else:
                out.append(Block("p", "该部分以表格形式报告，详见附件。"))
        elif sec == "3":
            out.append(Block("table", rows=table_requests(req, fmt)) if tables else Block("p", "该部分以表格形式报告，详见附件。"))
        elif sec == "4":
            out.append(Block("table", rows=table_appeals(v["appeals"])) if tables else Block("p", "该部分以表格形式报告，详见附件。"))
        elif sec == "5":
            out.append(Block("p", "本年度政府信息公开工作仍存在公开内容不够全面、解读形式较为单一等问题。下一步将加强培训，提升公开质量。"))
        elif sec == "6":
            out.append(Block("p", "本年度未收取信息处理费。无其他需要报告的事项。"))
    if prose:
        signer = a.name
        out.append(Block("sign", signer))
        if report.signed:
            out.append(Block("sign", cn_date(report.signed)))
    return out


def seed_blocks(data: list[dict]) -> list[Block]:
    """A real report's paragraphs and tables, as a portal that pasted it would show them."""
    out = []
    for b in data:
        if "table" in b:
            width = max(len(r) for r in b["table"])
            out.append(Block("table", rows=[[Cell(c) for c in r] + [Cell("")] * (width - len(r)) for r in b["table"]]))
        else:
            out.append(Block("p", b["p"]))
    return out


# ----------------------------------------------------------------------------------------------
# HTML


def blocks_html(blocks: list[Block]) -> str:
    out = []
    for b in blocks:
        if b.kind == "title":
            out.append(f'<p style="text-align:center"><strong>{html.escape(b.text)}</strong></p>')
        elif b.kind == "h":
            out.append(f"<p><strong>{html.escape(b.text)}</strong></p>")
        elif b.kind == "p":
            out.append(f'<p style="text-indent:2em">{html.escape(b.text)}</p>')
        elif b.kind == "sign":
            out.append(f'<p style="text-align:right">{html.escape(b.text)}</p>')
        elif b.kind == "table" and b.rows:
            trs = []
            for row in b.rows:
                tds = []
                for c in row:
                    attrs = (f' rowspan="{c.rs}"' if c.rs > 1 else "") + (f' colspan="{c.cs}"' if c.cs > 1 else "")
                    tds.append(f"<td{attrs}>{html.escape(c.text) or '&nbsp;'}</td>")
                trs.append("<tr>" + "".join(tds) + "</tr>")
            out.append('<table border="1" cellspacing="0" cellpadding="0" width="100%"><tbody>' + "".join(trs) + "</tbody></table>")
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------
# PDF

_FONT_READY = False


def _font() -> str:
    global _FONT_READY
    if not _FONT_READY:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        _FONT_READY = True
    return "STSong-Light"


def blocks_pdf(blocks: list[Block], title: str, font: str | None = None, cell_size: float = 7) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as RLTable

    font = font or _font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, firstLineIndent=21, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, firstLineIndent=0, fontSize=11)
    ttl = ParagraphStyle("title", parent=body, firstLineIndent=0, fontSize=15, leading=22, alignment=1)
    sign = ParagraphStyle("sign", parent=body, firstLineIndent=0, alignment=2)
    cell = ParagraphStyle("cell", fontName=font, fontSize=cell_size, leading=cell_size + 2, wordWrap="CJK", alignment=1)
    story: list = []
    width = A4[0] - 36 * mm
    for b in blocks:
        if b.kind == "table" and b.rows:
            texts, spans = grid(b.rows)
            n = len(texts[0])
            if n == 10:
                widths = [10 * mm, 16 * mm, 40 * mm] + [(width - 66 * mm) / 7] * 7
            elif n == 4:
                widths = [width * 0.34] + [width * 0.22] * 3
            else:
                widths = [width / n] * n
            data = [[Paragraph(html.escape(t), cell) if t else "" for t in row] for row in texts]
            t = RLTable(data, colWidths=widths, repeatRows=0)
            style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
            style += [("SPAN", (c0, r0), (c1, r1)) for c0, r0, c1, r1 in spans]
            t.setStyle(style)
            story += [t, Spacer(1, 4 * mm)]
        elif b.kind in ("title", "h", "p", "sign"):
            st = {"title": ttl, "h": head, "p": body, "sign": sign}[b.kind]
            story.append(Paragraph(html.escape(b.text), st))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
        title=title, author="", creator="gongkai sample portal", invariant=1,
    )
    doc.build(story)
    return buf.getvalue()


# ----------------------------------------------------------------------------------------------
# DOCX


def normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps so equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, src.read(info.filename))
    return buf.getvalue()


def blocks_docx(blocks: list[Block], title: str, when: date) -> bytes:
    from datetime import datetime

    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    d = docx.Document()
    style = d.styles["Normal"]
    style.font.name = "仿宋_GB2312"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋_GB2312")
    cp = d.core_properties
    cp.title, cp.author, cp.last_modified_by, cp.comments = title, "", "", ""
    stamp = datetime(when.year, when.month, when.day, 9, 0, 0)
    cp.created = cp.modified = stamp
    cp.last_printed = stamp
    cp.revision = 1
    for b in blocks:
        if b.kind == "table" and b.rows:
            _docx_table(d, b.rows)
        else:
            p = d.add_paragraph(b.text)
            if b.kind == "title":
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                p.runs[0].bold = True
            elif b.kind == "h":
                p.runs[0].bold = True
            elif b.kind == "sign":
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buf = io.BytesIO()
    d.save(buf)
    return normalize_zip(buf.getvalue())


def _docx_table(d, rows: list[list[Cell]]) -> None:
    """A Word table with real merges (gridSpan / vMerge), built as XML: python-docx's cell
    merging is quadratic and too slow to run per request."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    width = sum(c.cs for c in rows[0])
    t = d.add_table(rows=0, cols=width)
    t.style = "Table Grid"
    # (row, col) -> (cell, is_origin) for every grid position a cell covers in its first column
    place: dict[tuple[int, int], tuple[Cell, bool]] = {}
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            for dr in range(cell.rs):
                for dc in range(cell.cs):
                    taken.add((r + dr, c + dc))
                place[(r + dr, c)] = (cell, dr == 0)
            c += cell.cs
    n_rows = max(r for r, _ in taken) + 1
    for r in range(n_rows):
        tcs = []
        c = 0
        while c < width:
            cell, origin = place[(r, c)]
            props = (f'<w:gridSpan w:val="{cell.cs}"/>' if cell.cs > 1 else "") + (
                ('<w:vMerge w:val="restart"/>' if origin else "<w:vMerge/>") if cell.rs > 1 else ""
            )
            text = html.escape(cell.text) if origin else ""
            run = f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>' if text else ""
            tcs.append(f"<w:tc><w:tcPr>{props}</w:tcPr><w:p>{run}</w:p></w:tc>")
            c += cell.cs
        t._tbl.append(parse_xml(f"<w:tr {nsdecls('w')}>{''.join(tcs)}</w:tr>"))


def legacy_blocks(report: Report) -> list[Block]:
    """A report on a year up to 2018: the 2008 regulation's free form, prose only (no tables)."""
    a, y = report.agency, report.year
    out = [
        Block("title", f"{a.name}{y}年政府信息公开工作年度报告"),
        Block("p", f"根据《中华人民共和国政府信息公开条例》（国务院令第492号）要求，特向社会公布{y}年度政府信息公开工作年度报告。"
                   f"本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。"),
    ]
    body = [
        ("一、概述", f"{y}年，{a.short}认真贯彻落实《条例》，进一步完善工作机制，全年主动公开政府信息{120 + y % 7 * 13}条。"),
        ("二、主动公开政府信息情况", "通过政府网站、政务公开栏等形式主动公开机构职能、政策文件、规划计划等信息。"),
        ("三、依申请公开政府信息情况", f"{y}年共受理政府信息公开申请{y % 5}件，均已按期答复。"),
        ("四、政府信息公开的收费及减免情况", f"{y}年未收取任何费用。"),
        ("五、因政府信息公开申请行政复议、提起行政诉讼的情况", f"{y}年未发生因政府信息公开申请行政复议、提起行政诉讼的情况。"),
        ("六、政府信息公开工作存在的主要问题和改进措施", "公开内容不够全面，更新不够及时。下一步将进一步加强组织领导，完善工作制度。"),
        ("七、其他需要报告的事项", "无。"),
    ]
    for h, p in body:
        out += [Block("h", h), Block("p", p)]
    out.append(Block("sign", a.name))
    if report.signed:
        out.append(Block("sign", cn_date(report.signed)))
    return out
