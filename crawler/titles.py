"""Recognise annual-report titles (and report columns) from link text alone.

A list page mixes the 政府信息公开工作年度报告 with look-alikes that also say 年度报告 or 年报:
法治政府建设年度报告, 政府工作报告, 财政决算报告, 企业年报公示 notices... The rule: a year and
年度报告/年报, and none of the look-alike markers. Titles are normalised first (full-width digits,
Chinese-numeral years such as 二〇二〇年) as the report parser reads them (extract/chinese.py).
"""

from __future__ import annotations

import re

from extract.chinese import fold_title as normalise
from extract.chinese import title_body

__all__ = ["is_disclosure_section", "is_report_column", "normalise", "report_year", "title_body", "year_column"]

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_REPORT = re.compile(r"年度报告|年度工作报告|年报")
# Look-alikes: other annual documents that contain 年度报告/年报 but are not the disclosure report.
_LOOKALIKE = re.compile(
    r"法治政府|法治建设|依法行政|政府工作报告|决算|预算|统计公报|国民经济|审计(?![局厅署])|企业年报|年报公示|"
    r"社会责任|环境状况|环境质量|工作要点|工作计划|工作总结|述职|通知|公告|征集|培训|考核|"
    r"慈善|工会|人大|政协|党委|党建|社会组织年报|年检|统计年报|报表|提案|建议"
)
# Words that make a title a disclosure report even without the word 政府 (政务公开, 信息公开...).
_DISCLOSURE = re.compile(r"信息公开|政务公开|公开工作")
# Report columns: 政府信息公开年报, 信息公开年度报告, 年报 (no year in it, or a bare year sub-column).
_COLUMN = re.compile(r"(政府)?信息公开(工作)?年(度)?报(告)?|公开年报|年度报告|^年报$")
_YEAR_COLUMN = re.compile(r"^\s*((?:19|20)\d\d)\s*年?度?\s*$")


def report_year(title: str) -> int | None:
    """The report year if `title` names a government information disclosure annual report, else None."""
    t = normalise(title)
    if not _REPORT.search(t) or _LOOKALIKE.search(t):
        return None
    years = [int(y) for y in _YEAR.findall(t)]
    if not years:
        return None
    # A bare "2020年度报告" inside a report column is fine, but an unrelated annual report that
    # happens to pass (e.g. "XX协会2020年报") is not: require a disclosure word or a 政府/单位 name.
    if not _DISCLOSURE.search(t) and not re.search(r"人民政府|政府|局|委|办|镇|乡|街道|^\d{4}年?度?(年度)?报告$", t):
        return None
    year = min(years)  # "2023年度…（2024年1月发布）": the first, smaller year is the reported one
    return year if 2007 <= year <= 2100 else None


def is_report_column(text: str) -> bool:
    """Link text of a report column (政府信息公开年报 and friends), not of a single report."""
    t = normalise(text)
    return bool(_COLUMN.search(t)) and not _YEAR.search(t) and not _LOOKALIKE.search(t)


def year_column(text: str) -> int | None:
    """Link text of a per-year sub-column inside a report column ("2022年", "2022年度", "2022")."""
    m = _YEAR_COLUMN.match(normalise(text))
    return int(m.group(1)) if m else None


def is_disclosure_section(text: str) -> bool:
    """Link text worth following from a portal home page while looking for the report column."""
    t = normalise(text)
    return bool(re.search(r"政府信息公开|信息公开|政务公开|公开目录|法定主动公开", t)) and len(t) <= 20
