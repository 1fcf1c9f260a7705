"""Render a report (parse-contract values) as text in the layouts real reports reach us in.

The layouts imitate the seed reports: PDF text extraction (000, 001), OCR-to-markdown pipe
tables (002), Word-to-text with one cell per line (003) and with one row per line (004).
`blank` names cells to leave out: an empty cell where the layout keeps cells, a lost number
where it does not (PDF text).
"""

from __future__ import annotations

from typing import Any

from extract import form

LAYOUTS = ("pdf_text", "markdown", "tab_cells", "tab_rows")
Blank = set[tuple[str, str, int]]  # (table, row key, column)

ACTIVE_2021_ROWS = [
    ("rules", "规章"), ("normative", "行政规范性文件"), ("licensing", "行政许可"),
    ("punishment", "行政处罚"), ("coercion", "行政强制"), ("fees_wan", "行政事业性收费"),
]


def _fmt(v: Any) -> str:
    return "" if v is None else str(v)


def _active_tables(report: dict, blank: Blank) -> list[list[list[str]]]:
    """Table 二 as sub-tables of rows (caption row, header row, data rows)."""
    a = report["active"]
    if report["format"] == "2019":
        spec = form.ACTIVE_2019
        groups = [("rules", ["rules", "normative"]), ("licensing", ["licensing", "other_services"]),
                  ("punishment", ["punishment", "coercion"]), ("fees", ["fees"]), ("procurement", ["procurement"])]
        headers = {"rules": form.ACTIVE_2019_HEADERS["rules"], "licensing": form.ACTIVE_2019_HEADERS["licensing"],
                   "punishment": form.ACTIVE_2019_HEADERS["licensing"], "fees": form.ACTIVE_2019_HEADERS["fees"],
                   "procurement": form.ACTIVE_2019_HEADERS["procurement"]}
    else:
        spec = form.ACTIVE_2021
        groups = [("rules", ["rules", "normative"]), ("licensing", ["licensing"]),
                  ("punishment", ["punishment", "coercion"]), ("fees", ["fees_wan"])]
        headers = {"rules": form.ACTIVE_2021_HEADERS["rules"], "licensing": form.ACTIVE_2021_HEADERS["licensing"],
                   "punishment": form.ACTIVE_2021_HEADERS["licensing"], "fees": form.ACTIVE_2021_HEADERS["fees_wan"]}
    labels = {key: label for key, label, _ in spec}
    columns = {key: cols for key, _, cols in spec}
    out = []
    for caption_key, keys in groups:
        rows = [[form.ACTIVE_CAPTIONS[caption_key]], ["信息内容", *headers[caption_key]]]
        for key in keys:
            v = a[key]
            vals = [v[c] for c in columns[key]] if columns[key] else [v]
            rows.append([labels[key], *("" if ("active", key, i) in blank else _fmt(x) for i, x in enumerate(vals))])
        out.append(rows)
    return out


def _request_rows(report: dict, blank: Blank) -> list[tuple[list[str], list[str]]]:
    """(label parts, 7 value strings) for each row of table 三, in the form's order."""
    req = report["requests"]
    keys = form.request_keys(report["format"], split_other="other" not in req)
    labels = {k: lab for k, lab, _ in form.REQUEST_ROWS}
    labels["other"] = form.OTHER_SINGLE[1]
    groups = {k: g for k, _, g in form.REQUEST_ROWS}
    groups["other"] = form.OTHER_SINGLE[2]
    numbering: dict[str, int] = {}
    out = []
    seen_groups: set[str] = set()
    for key in keys:
        group = groups[key]
        parts: list[str] = []
        if key in ("new_received", "carried_over_in", "carried_over_out"):
            parts = [group + labels[key]]
        elif key in ("granted", "partially_granted", "total_processed", "other"):
            parts = (["三、本年度办理结果"] if key == "granted" else []) + [group + labels[key]]
        else:
            numbering[group] = numbering.get(group, 0) + 1
            if group not in seen_groups:
                parts.append(group)
                seen_groups.add(group)
            parts.append(f"{numbering[group]}.{labels[key]}")
        vals = ["" if ("requests", key, c) in blank else _fmt(v) for c, v in enumerate(req[key])]
        out.append((parts, vals))
    return out


def _appeal_values(report: dict, blank: Blank) -> list[str]:
    out = []
    for g, _ in form.APPEAL_GROUPS:
        out += ["" if ("appeals", g, c) in blank else _fmt(v) for c, v in enumerate(report["appeals"][g])]
    return out


def _prose(report: dict) -> dict[str, list[str]]:
    a = report["agency"]
    y = report["year"]
    received = report["requests"]["new_received"][6]
    return {
        "preamble": [f"根据《中华人民共和国政府信息公开条例》规定，现公布{a}{y}年政府信息公开工作年度报告。"],
        "1": [f"{y}年，{a}坚持以公开为常态、不公开为例外，认真落实政务公开各项工作要求。",
              f"（一）主动公开。全年主动公开政府信息{received + 7}条。",
              f"（二）依申请公开。{y}年共收到政府信息公开申请{received}件，均在法定期限内答复。"],
        "5": ["一是公开内容不够全面；二是队伍建设有待加强。下一步将加强培训，完善制度。"],
        "6": ["本机关本年度没有产生信息处理费。"],
    }


def _date_line(report: dict) -> list[str]:
    if not report["published"]:
        return []
    y, m, d = (int(x) for x in report["published"].split("-"))
    return [report["agency"], f"{y}年{m}月{d}日"]


HEADINGS = {s: f"{n}、{t}" for s, n, t in zip("123456", "一二三四五六", form.SECTIONS.values(), strict=True)}
APPEAL_HEADER = [["行政复议", "行政诉讼"],
                 [*form.APPEAL_COLUMN_LABELS, "未经复议直接起诉", "复议后起诉"],
                 form.APPEAL_COLUMN_LABELS * 2]


def render(report: dict, layout: str, blank: Blank | None = None) -> str:
    blank = blank or set()
    return {"pdf_text": _pdf_text, "markdown": _markdown, "tab_cells": _tab_cells, "tab_rows": _tab_rows}[layout](
        report, blank)


def _pdf_text(report: dict, blank: Blank) -> str:
    prose = _prose(report)
    lines = [f"{report['agency']} {report['year']}年政府信息公开工作", "年度报告", *prose["preamble"],
             HEADINGS["1"], *prose["1"], HEADINGS["2"], "该部分以表格形式报告。表格如下："]
    for rows in _active_tables(report, blank):
        lines += [" ".join(c for c in r if c != "") for r in rows]
    lines += [HEADINGS["3"], "该部分以表格形式报告。表格如下：",
              "（本列数据的勾稽关系为：第一项加第二项之", "和，等于第三项加第四项之和）", "申请人情况",
              "自", "然", "人", "法人或其他组织", "总", "计", "商业", "企业", "科研", "机构", "社会", "公益", "组织",
              "法律", "服务", "机构", "其", "他"]
    for parts, vals in _request_rows(report, blank):
        nums = " ".join(v for v in vals if v != "")  # a lost number leaves no trace in PDF text
        *heads, last = parts
        lines += heads
        if len(last) > 16:  # long labels wrap, the numbers follow on their own line
            lines += [last[i : i + 16] for i in range(0, len(last), 16)]
            lines.append(nums)
        else:
            lines.append(f"{last} {nums}".strip() if nums else last)
    lines += [HEADINGS["4"], "该部分以表格形式报告。表格如下：", "行政复议 行政诉讼",
              "结果 结果 其他 尚未 总 未经复议直接起诉 复议后起诉", "维持 纠正 结果 审结 计",
              *[c for c in "结果维持结果纠正其他结果尚未审结总计" * 2],
              " ".join(v for v in _appeal_values(report, blank) if v != "")]
    lines += [HEADINGS["5"], *prose["5"], HEADINGS["6"], *prose["6"], *_date_line(report)]
    return "\n\n".join(lines) + "\n"


def _grid_rows(report: dict, blank: Blank, width_label: int) -> list[list[str]]:
    """Table 三 as a grid: label columns then the 7 values."""
    header = [["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"] + [""] * (width_label - 1)
              + ["申请人情况"] + [""] * 6,
              [""] * width_label + ["自然人", "法人或其他组织", "", "", "", "", "总计"],
              [""] * (width_label + 1) + ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""]]
    rows = []
    for parts, vals in _request_rows(report, blank):
        label_cells = (parts + [""] * width_label)[:width_label] if len(parts) <= width_label else \
            ["".join(parts[:-width_label + 1])] + parts[-width_label + 1:]
        rows.append(label_cells + vals)
    return header + rows


def _markdown(report: dict, blank: Blank) -> str:
    def table(rows: list[list[str]]) -> list[str]:
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        out = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
        return out + ["| " + " | ".join(r) + " |" for r in rows[1:]]

    prose = _prose(report)
    lines = [f"# {report['agency']} {report['year']} 年政府信息公开工作年度报告", *prose["preamble"],
             f"## {HEADINGS['1']}", *prose["1"], f"# {HEADINGS['2']}"]
    lines += table([r for rows in _active_tables(report, blank) for r in rows])
    lines += [f"# {HEADINGS['3']}"]
    lines += table(_grid_rows(report, blank, 3))
    lines += [f"# {HEADINGS['4']}"]
    lines += table(APPEAL_HEADER + [_appeal_values(report, blank)])
    lines += [f"## {HEADINGS['5']}", *prose["5"], f"# {HEADINGS['6']}", *prose["6"], *_date_line(report)]
    return "\n\n".join(lines) + "\n"


def _tab_cells(report: dict, blank: Blank) -> str:
    def table(rows: list[list[str]]) -> str:
        return "\n\n".join("\n".join("\t" + c for c in r) for r in rows)

    prose = _prose(report)
    parts = ["", f"{report['agency']}政府信息公开工作{report['year']}年度报告", *prose["preamble"], "",
             HEADINGS["1"], *prose["1"], "", HEADINGS["2"]]
    parts.append(table([r for rows in _active_tables(report, blank) for r in rows]))
    parts += ["", "", HEADINGS["3"]]
    grid = _grid_rows(report, blank, 3)
    # Word's text export drops the empty label cells of merged areas at the row start
    parts.append(table([r[next((i for i, c in enumerate(r[:3]) if c), 2):] if i >= 3 else r
                        for i, r in enumerate(grid)]))
    parts += ["", "", HEADINGS["4"]]
    parts.append(table(APPEAL_HEADER + [_appeal_values(report, blank)]))
    parts += ["", "", HEADINGS["5"], *prose["5"], "", HEADINGS["6"], *prose["6"], "", *_date_line(report)]
    return "\n".join(parts) + "\n"


def _tab_rows(report: dict, blank: Blank) -> str:
    def table(rows: list[list[str]]) -> list[str]:
        return ["\t".join(r) for r in rows]

    prose = _prose(report)
    lines = ["", f"{report['agency']} {report['year']} 年政府信息公开工作年度报告", "", *prose["preamble"], "",
             HEADINGS["1"], "", *prose["1"], "", HEADINGS["2"], "", "表格如下：", ""]
    for rows in _active_tables(report, blank):  # Word pads every row to its table's width
        width = max(len(r) for r in rows)
        lines += table([r + [""] * (width - len(r)) for r in rows])
    lines += ["", HEADINGS["3"], "", "表格如下：", ""]
    lines += table(_grid_rows(report, blank, 2))
    lines += ["", HEADINGS["4"], ""]
    lines += table(APPEAL_HEADER + [_appeal_values(report, blank)])
    lines += ["", HEADINGS["5"], "", *prose["5"], "", HEADINGS["6"], "", *prose["6"], "", *_date_line(report)]
    return "\n".join(lines) + "\n"
