"""Reports rendered the way real bodies publish them, not the way our fixtures do.

Each layout is a class of variance seen in real reports: a whole report on one line
(web-page text copied or archived), a PDF text dump (title split over two lines, headings and
group labels one character per line), a portal page whose tables use rowspan/colspan freely and
print zeros as blank cells, OCR markdown whose rows broke in two, and cells run together. The
title and the date come in the shapes real reports use (`TITLE_STYLES`, `DATE_STYLES`).

`render_variant` returns the document and what a perfect parse gives: the report's own values,
with blank cells as 0 and the provenance the parse contract lists in `cells`.
"""

from __future__ import annotations

import html
import re
from typing import Any

from render import APPEAL_HEADER, HEADINGS, _active_tables, _prose, _request_rows

from extract import form

LAYOUTS = ("one_line", "pdf_dump", "html_page", "markdown_broken", "run_together")
TITLE_STYLES = ("plain", "split", "year_first", "spaced", "header_lines", "nianbao")
DATE_STYLES = ("end", "end_cn", "top", "top_time", "none")
CN = "〇一二三四五六七八九"


def _cn_digits(n: int) -> str:
    return "".join(CN[int(c)] for c in str(n))


def _cn_number(n: int) -> str:
    if n < 10:
        return CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN[tens]) + "十" + (CN[ones] if ones else "")


def title_lines(report: dict, style: str) -> list[str]:
    a, y = report["agency"], report["year"]
    return {
        "plain": [f"{a}{y}年政府信息公开工作年度报告"],
        "split": [a, f"{y} 年政府信息公开工作年度报告"],
        "year_first": [f"{y}年{a}政府信息公开工作年度报告"],
        "spaced": [f"{a} {y} 年 政府信息公开工作年度报告"],
        "header_lines": ["当前位置：首页 > 政务公开 > 政府信息公开年报", f"标题：{a}{y}年度政府信息公开工作年度报告",
                         f"来源：{a}  浏览次数：123"],
        "nianbao": [f"{a}{y}年政府信息公开年报"],
    }[style]


def date_lines(report: dict, style: str) -> tuple[list[str], list[str]]:
    """(lines at the top, lines at the end) for a date style."""
    if not report["published"] or style == "none":
        return [], []
    y, m, d = (int(x) for x in report["published"].split("-"))
    return {
        "end": ([], [report["agency"], f"{y}年{m}月{d}日"]),
        "end_cn": ([], [report["agency"], f"{_cn_digits(y)}年{_cn_number(m)}月{_cn_number(d)}日"]),
        "top": ([f"发布日期：{y:04d}-{m:02d}-{d:02d}"], []),
        "top_time": ([f"时间：{y:04d}-{m:02d}-{d:02d} 16:34 来源：本站"], []),
    }[style]


def expected(report: dict, date_style: str) -> dict:
    want = dict(report)
    want["published"] = report["published"] if date_style != "none" else None
    want["published_from"] = None if want["published"] is None else ("top" if date_style.startswith("top") else "end")
    want["cells"] = {}
    return want


# ----------------------------------------------------------------------------- text layouts


def _text_lines(report: dict, title: str, date: str, broken: bool, glue: frozenset[str] = frozenset()) -> list[str]:
    """The report as lines of text, as pdfminer or a copy from a web page gives them."""
    prose = _prose(report)
    top, end = date_lines(report, date)
    lines = [*title_lines(report, title), *top, *prose["preamble"]]

    def heading(sec: str) -> list[str]:
        h = HEADINGS[sec]
        return list(h[:1]) + [h[1]] + [h[2:]] if broken else [h]  # 三 / 、 / 收到和处理…

    lines += [*heading("1"), *prose["1"], *heading("2"), "该部分以表格形式报告。表格如下："]
    for rows in _active_tables(report, set()):
        lines += [" ".join(c for c in r if c != "") for r in rows]
    lines += [*heading("3"), "（本列数据的勾稽关系为：第一项加第二项之", "和，等于第三项加第四项之和）",
              "申请人情况", "自然人", "法人或其他组织", "总计", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    for (parts, vals), key in zip(_request_rows(report, set()), _keys(report), strict=True):
        *heads, last = parts
        for h in heads:  # group labels stand one character per line beside their rows
            lines += list(h) if broken and h.startswith(("三、", "（")) else [h]
        lines.append(f"{last} {('' if key in glue else ' ').join(vals)}")
    lines += [*heading("4"), "行政复议 行政诉讼", " ".join(form.APPEAL_COLUMN_LABELS), "未经复议直接起诉 复议后起诉",
              " ".join(form.APPEAL_COLUMN_LABELS * 2),
              " ".join(str(v) for g, _ in form.APPEAL_GROUPS for v in report["appeals"][g])]
    lines += [*heading("5"), *prose["5"], *heading("6"), *prose["6"], *end]
    return lines


def one_line(report: dict, title: str = "plain", date: str = "end") -> str:
    """Web-page text as copied or archived: the whole report on one line."""
    return " ".join(_text_lines(report, title, date, broken=False)) + "\n"


def pdf_dump(report: dict, title: str = "split", date: str = "end") -> str:
    """A PDF text dump: title over two lines, headings and group labels one character per line."""
    return "\n".join(_text_lines(report, title, date, broken=True)) + "\n"


def run_together(report: dict, rows: set[str], title: str = "plain", date: str = "end") -> str:
    """PDF text whose cells lost their separators in the given rows of table 三."""
    return "\n".join(_text_lines(report, title, date, broken=False, glue=frozenset(rows))) + "\n"


def archived_run_together(report: dict, title: str = "plain", date: str = "end") -> str:
    """Archived page text: the report on one line, every row of table 三 with its cells run
    together and glued to its label and to the next row's number (…申请数量640020470二、…,
    …不掌握相关政府信息2200003252.没有现成…)."""
    text = run_together(report, set(report["requests"]), title, date)
    text = re.sub(r"\s*\n\s*", "", text)
    return re.sub(r"(?<=[\u4e00-\u9fff）)”])\s+(?=\d)", "", text) + "\n"


def markdown_broken(report: dict, broken: set[str], title: str = "plain", date: str = "end") -> str:
    """OCR markdown whose table rows broke in two: the label with some cells, then the rest."""
    prose = _prose(report)
    top, end = date_lines(report, date)
    lines = [f"# {t}" for t in title_lines(report, title)] + top + prose["preamble"]
    lines += [f"## {HEADINGS['1']}", *prose["1"], f"## {HEADINGS['2']}"]
    for rows in _active_tables(report, set()):
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += [f"## {HEADINGS['3']}", "| （本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | 申请人情况 |",
              "| | 自然人 | 法人或其他组织 | | | | | 总计 |",
              "| | | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | |"]
    for (parts, vals), key in zip(_request_rows(report, set()), _keys(report), strict=True):
        label = "".join(parts)
        if key in broken:
            lines += [f"| {label} | " + " | ".join(vals[:3]) + " |", "| " + " | ".join(vals[3:]) + " |"]
        else:
            lines.append(f"| {label} | " + " | ".join(vals) + " |")
    lines += [f"## {HEADINGS['4']}"] + ["| " + " | ".join(r) + " |" for r in APPEAL_HEADER]
    lines.append("| " + " | ".join(str(v) for g, _ in form.APPEAL_GROUPS for v in report["appeals"][g]) + " |")
    lines += [f"## {HEADINGS['5']}", *prose["5"], f"## {HEADINGS['6']}", *prose["6"], *end]
    return "\n\n".join(lines) + "\n"


def _keys(report: dict) -> list[str]:
    return form.request_keys(report["format"], split_other="other" not in report["requests"])


# ----------------------------------------------------------------------------- a portal page


def _td(text: Any, rs: int = 1, cs: int = 1) -> str:
    span = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
    body = "&nbsp;" if text in ("", None) else html.escape(str(text)).replace("\n", "<br />")
    return f'<td{span} nowrap="nowrap"><p align="center">{body}</p></td>'


def html_page(report: dict, blank_zeros: bool, blank_totals: bool, extra_column: bool,
              title: str = "plain", date: str = "end") -> tuple[str, dict[str, str]]:
    """An article page whose tables carry the national form's merges, header cells broken
    (商业<br />企业), 2019 values in colspan cells as the Shanghai page prints them, zeros printed
    as blank cells, the 总计 column left blank, an extra 小计 column: (page, the cells a perfect
    parse lists as not read as printed)."""
    cells: dict[str, str] = {}
    prose = _prose(report)
    top, end = date_lines(report, date)
    parts = [f'<p style="text-align:center"><b>{html.escape(t)}</b></p>' for t in title_lines(report, title)]
    parts += [f"<p>{html.escape(t)}</p>" for t in [*top, *prose["preamble"], HEADINGS["1"], *prose["1"], HEADINGS["2"]]]
    parts.append(_active_html(report, blank_zeros, cells))
    parts.append(f"<p>{HEADINGS['3']}</p>")
    parts.append(_requests_html(report, blank_zeros, blank_totals, extra_column, cells))
    parts.append(f"<p>{HEADINGS['4']}</p>")
    parts.append(_appeals_html(report, blank_zeros, cells))
    parts += [f"<p>{html.escape(t)}</p>" for t in [HEADINGS["5"], *prose["5"], HEADINGS["6"], *prose["6"]]]
    parts += [f'<p style="text-align:right">{html.escape(t)}</p>' for t in end]
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>' + html.escape(title_lines(report, "plain")[0])
        + '</title></head><body><div class="nav"><a href="/">首页</a> &gt; 政府信息公开年报</div>'
        + '<div class="article"><div class="TRS_Editor">' + "".join(parts) + "</div></div>"
        + '<div class="footer">主办单位：人民政府办公室</div></body></html>'
    )
    return page, cells


def _blank(value: Any, blank_zeros: bool, path: str, cells: dict[str, str]) -> Any:
    if blank_zeros and value == 0:
        cells[path] = "blank"
        return ""
    return value


def _active_html(report: dict, blank_zeros: bool, cells: dict[str, str]) -> str:
    rows: list[str] = []
    a = report["active"]
    if report["format"] == "2019":
        # the Shanghai page: 本年新公开数量 in a colspan cell, item rows' first value spanning two
        rows.append(f'<tr>{_td("第二十条第（一）项", cs=5)}</tr>')
        made, published = _td("本年新\n制作数量"), _td("本年新\n公开数量", cs=2)
        rows.append(f'<tr>{_td("信息内容")}{made}{published}{_td("对外公开总数量")}</tr>')
        for key, label in (("rules", "规章"), ("normative", "规范性文件")):
            v = {c: _blank(x, blank_zeros, f"active.{key}.{c}", cells) for c, x in a[key].items() if c != "amount_text"}
            rows.append(f'<tr>{_td(label)}{_td(v["new_made"])}{_td(v["new_published"], cs=2)}{_td(v["total_published"])}</tr>')
        for caption, keys in (("第二十条第（五）项", [("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")]),
                              ("第二十条第（六）项", [("punishment", "行政处罚"), ("coercion", "行政强制")])):
            rows.append(f'<tr>{_td(caption, cs=5)}</tr>')
            rows.append(f'<tr>{_td("信息内容")}{_td("上一年项目数量")}{_td("本年增/减", cs=2)}{_td("处理决定数量")}</tr>')
            for key, label in keys:
                v = {c: _blank(x, blank_zeros, f"active.{key}.{c}", cells) for c, x in a[key].items()}
                rows.append(f'<tr>{_td(label)}{_td(v["prev_items"], cs=2)}{_td(v["change"])}{_td(v["decisions"])}</tr>')
        rows.append(f'<tr>{_td("第二十条第（八）项", cs=5)}</tr>')
        rows.append(f'<tr>{_td("信息内容")}{_td("上一年项目数量", cs=2)}{_td("本年增/减", cs=2)}</tr>')
        v = {c: _blank(x, blank_zeros, f"active.fees.{c}", cells) for c, x in a["fees"].items()}
        rows.append(f'<tr>{_td("行政事业性收费")}{_td(v["prev_items"], cs=2)}{_td(v["change"], cs=2)}</tr>')
        rows.append(f'<tr>{_td("第二十条第（九）项", cs=5)}</tr>')
        rows.append(f'<tr>{_td("信息内容")}{_td("采购项目数量", cs=2)}{_td("采购总金额", cs=2)}</tr>')
        p = a["procurement"]
        items = _blank(p["items"], blank_zeros, "active.procurement.items", cells)
        amount = f'{p["amount_yuan"]}元'
        rows.append(f'<tr>{_td("政府集中采购")}{_td(items, cs=2)}{_td(amount, cs=2)}</tr>')
    else:
        rows.append(f'<tr>{_td("第二十条第（一）项", cs=4)}</tr>')
        rows.append(f'<tr>{_td("信息内容")}{_td("本年制发件数")}{_td("本年废止件数")}{_td("现行有效件数")}</tr>')
        for key, label in (("rules", "规章"), ("normative", "行政规范性文件")):
            v = {c: _blank(x, blank_zeros, f"active.{key}.{c}", cells) for c, x in a[key].items()}
            rows.append(f'<tr>{_td(label)}{_td(v["issued"])}{_td(v["repealed"])}{_td(v["in_force"])}</tr>')
        for caption, head, keys in (
            ("第二十条第（五）项", "本年处理决定数量", [("licensing", "行政许可")]),
            ("第二十条第（六）项", "本年处理决定数量", [("punishment", "行政处罚"), ("coercion", "行政强制")]),
            ("第二十条第（八）项", "本年收费金额（单位：万元）", [("fees_wan", "行政事业性收费")]),
        ):
            rows.append(f'<tr>{_td(caption, cs=4)}</tr>')
            rows.append(f'<tr>{_td("信息内容")}{_td(head, cs=3)}</tr>')
            for key, label in keys:
                rows.append(f'<tr>{_td(label)}{_td(_blank(a[key], blank_zeros, f"active.{key}", cells), cs=3)}</tr>')
    return '<table border="1">' + "".join(rows) + "</table>"


def _requests_html(report: dict, blank_zeros: bool, blank_totals: bool, extra_column: bool,
                   cells: dict[str, str]) -> str:
    req = report["requests"]
    keys = _keys(report)
    split = "other" not in req
    w = 8 if extra_column else 7
    rows = [
        f'<tr>{_td("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rs=3, cs=3)}{_td("申请人情况", cs=w)}</tr>',
        f'<tr>{_td("自然人", rs=2)}{_td("法人或其他组织", cs=w - 2)}{_td("总计", rs=2)}</tr>',
        "<tr>" + "".join(_td(x) for x in ["商业\n企业", "科研\n机构", "社会公益\n组织", "法律服务\n机构", "其他"])
        + (_td("小计") if extra_column else "") + "</tr>",
    ]
    n_result = len([k for k in keys if k in form.RESULT_KEYS or k == "other"])

    def values(key: str) -> str:
        vec = req[key]
        out = []
        for c, x in enumerate(vec):
            path = f"requests.{key}.{c}"
            if c == 6 and blank_totals and key != "total_processed" and any(vec[:6]):
                cells[path] = "inferred"  # the row total the page left blank, fixed by its parts
                out.append("")
            else:
                out.append(_blank(x, blank_zeros, path, cells))
            if c == 5 and extra_column:
                out.append(sum(vec[1:6]))
        return "".join(_td(v) for v in out)

    groups = {"withheld": ("（三）不予公开", 8), "unavailable": ("（四）无法提供", 3), "rejected": ("（五）不予处理", 5),
              "other_": ("（六）其他处理", 3)}
    labels = {k: lab for k, lab, _ in form.REQUEST_ROWS}
    seen: set[str] = set()
    n = {}
    for key in keys:
        if key in ("new_received", "carried_over_in", "carried_over_out"):
            number = {"new_received": "一、", "carried_over_in": "二、", "carried_over_out": "四、"}[key]
            rows.append(f"<tr>{_td(number + labels[key], cs=3)}{values(key)}</tr>")
            continue
        head = _td("三、本年度办理结果", rs=n_result + 1) if key == "granted" else ""
        group = next((g for g in groups if key.startswith(g)), None)
        if group is None:
            label = {"granted": "（一）予以公开", "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
                     "other": "（六）其他处理", "total_processed": "（七）总计"}[key]
            rows.append(f"<tr>{head}{_td(label, cs=2)}{values(key)}</tr>")
            continue
        glabel, size = groups[group]
        if group == "other_" and not split:
            continue
        n[group] = n.get(group, 0) + 1
        gcell = _td(glabel, rs=size) if group not in seen else ""
        seen.add(group)
        rows.append(f"<tr>{head}{gcell}{_td(f'{n[group]}.{labels[key]}')}{values(key)}</tr>")
    return '<table border="1">' + "".join(rows) + "</table>"


def _appeals_html(report: dict, blank_zeros: bool, cells: dict[str, str]) -> str:
    a = report["appeals"]
    head = [f'<tr>{_td("行政复议", cs=5)}{_td("行政诉讼", cs=10)}</tr>',
            "<tr>" + "".join(_td(x, rs=2) for x in form.APPEAL_COLUMN_LABELS)
            + f'{_td("未经复议直接起诉", cs=5)}{_td("复议后起诉", cs=5)}</tr>',
            "<tr>" + "".join(_td(x) for x in form.APPEAL_COLUMN_LABELS * 2) + "</tr>"]
    vals = [_blank(v, blank_zeros, f"appeals.{g}.{c}", cells) for g, _ in form.APPEAL_GROUPS for c, v in enumerate(a[g])]
    return '<table border="1">' + "".join(head) + "<tr>" + "".join(_td(v) for v in vals) + "</tr></table>"
