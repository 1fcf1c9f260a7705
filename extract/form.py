"""The national annual-report form (国办公开办函〔2021〕30号 and 〔2019〕60号), as data.

The parser matches real documents against these labels, and the sample portal and the
tests render reports from them, so there is one source for the form's wording.
"""

from __future__ import annotations

# The six standard sections, in order, with their usual headings (2021 wording).
SECTIONS: dict[str, str] = {
    "1": "总体情况",
    "2": "主动公开政府信息情况",
    "3": "收到和处理政府信息公开申请情况",
    "4": "政府信息公开行政复议、行政诉讼情况",
    "5": "存在的主要问题及改进情况",
    "6": "其他需要报告的事项",
}

# Data columns of table 三 (and of every row in `requests`).
REQUEST_COLUMNS: list[str] = ["natural", "commercial", "research", "social", "legal", "other", "total"]
REQUEST_COLUMN_LABELS: list[str] = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]

# Rows of table 三 in the order of the form: key, the row's own (leaf) label, its group.
REQUEST_ROWS: list[tuple[str, str, str]] = [
    ("new_received", "本年新收政府信息公开申请数量", "一、"),
    ("carried_over_in", "上年结转政府信息公开申请数量", "二、"),
    ("granted", "予以公开", "（一）"),
    ("partially_granted", "部分公开（区分处理的，只计这一情形，不计其他情形）", "（二）"),
    ("withheld_state_secret", "属于国家秘密", "（三）不予公开"),
    ("withheld_prohibited_by_law", "其他法律行政法规禁止公开", "（三）不予公开"),
    ("withheld_three_safeties", "危及“三安全一稳定”", "（三）不予公开"),
    ("withheld_third_party", "保护第三方合法权益", "（三）不予公开"),
    ("withheld_internal_affairs", "属于三类内部事务信息", "（三）不予公开"),
    ("withheld_process_info", "属于四类过程性信息", "（三）不予公开"),
    ("withheld_enforcement_file", "属于行政执法案卷", "（三）不予公开"),
    ("withheld_query_matter", "属于行政查询事项", "（三）不予公开"),
    ("unavailable_not_held", "本机关不掌握相关政府信息", "（四）无法提供"),
    ("unavailable_needs_creation", "没有现成信息需要另行制作", "（四）无法提供"),
    ("unavailable_unclear", "补正后申请内容仍不明确", "（四）无法提供"),
    ("rejected_petition", "信访举报投诉类申请", "（五）不予处理"),
    ("rejected_duplicate", "重复申请", "（五）不予处理"),
    ("rejected_publication", "要求提供公开出版物", "（五）不予处理"),
    ("rejected_excessive", "无正当理由大量反复申请", "（五）不予处理"),
    ("rejected_confirmation", "要求行政机关确认或重新出具已获取信息", "（五）不予处理"),
    ("other_no_correction", "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "（六）其他处理"),
    ("other_unpaid_fee", "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "（六）其他处理"),
    ("other_other", "其他", "（六）其他处理"),
    ("total_processed", "总计", "（七）"),
    ("carried_over_out", "结转下年度继续办理", "四、"),
]
REQUEST_KEYS: list[str] = [key for key, _, _ in REQUEST_ROWS]

# 其他处理 printed as one row (always in the 2019 format, sometimes in 2021 reports).
OTHER_SINGLE = ("other", "其他处理", "（六）")
OTHER_SPLIT_KEYS: list[str] = ["other_no_correction", "other_unpaid_fee", "other_other"]

# The rows that add up to total_processed.
RESULT_KEYS: list[str] = REQUEST_KEYS[2:23]

# Table 四: three groups of five columns.
APPEAL_GROUPS: list[tuple[str, str]] = [
    ("review", "行政复议"),
    ("suit_direct", "行政诉讼·未经复议直接起诉"),
    ("suit_after_review", "行政诉讼·复议后起诉"),
]
APPEAL_COLUMNS: list[str] = ["upheld", "corrected", "other", "pending", "total"]
APPEAL_COLUMN_LABELS: list[str] = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]

# Table 二, 2021 format: (key, row label, column labels of its numbers).
ACTIVE_2021: list[tuple[str, str, list[str]]] = [
    ("rules", "规章", ["issued", "repealed", "in_force"]),
    ("normative", "行政规范性文件", ["issued", "repealed", "in_force"]),
    ("licensing", "行政许可", []),
    ("punishment", "行政处罚", []),
    ("coercion", "行政强制", []),
    ("fees_wan", "行政事业性收费", []),
]
ACTIVE_2021_HEADERS: dict[str, list[str]] = {
    "rules": ["本年制发件数", "本年废止件数", "现行有效件数"],
    "licensing": ["本年处理决定数量"],
    "fees_wan": ["本年收费金额（单位：万元）"],
}

# Table 二, 2019 format.
ACTIVE_2019: list[tuple[str, str, list[str]]] = [
    ("rules", "规章", ["new_made", "new_published", "total_published"]),
    ("normative", "规范性文件", ["new_made", "new_published", "total_published"]),
    ("licensing", "行政许可", ["prev_items", "change", "decisions"]),
    ("other_services", "其他对外管理服务事项", ["prev_items", "change", "decisions"]),
    ("punishment", "行政处罚", ["prev_items", "change", "decisions"]),
    ("coercion", "行政强制", ["prev_items", "change", "decisions"]),
    ("fees", "行政事业性收费", ["prev_items", "change"]),
    ("procurement", "政府集中采购", ["items", "amount_yuan"]),
]
ACTIVE_2019_HEADERS: dict[str, list[str]] = {
    "rules": ["本年新制作数量", "本年新公开数量", "对外公开总数量"],
    "licensing": ["上一年项目数量", "本年增/减", "处理决定数量"],
    "fees": ["上一年项目数量", "本年增/减"],
    "procurement": ["采购项目数量", "采购总金额"],
}

# Captions of the four (2019: five) sub-tables of 二.
ACTIVE_CAPTIONS: dict[str, str] = {
    "rules": "第二十条第（一）项",
    "licensing": "第二十条第（五）项",
    "punishment": "第二十条第（六）项",
    "fees": "第二十条第（八）项",
    "procurement": "第二十条第（九）项",
}

FORMATS = ("2021", "2019", "legacy")


def format_for_year(year: int | None) -> str:
    """The format a report on `year` should use, when its tables do not tell."""
    if year is None or year >= 2021:
        return "2021"
    if year >= 2019:
        return "2019"
    return "legacy"


def request_keys(fmt: str, split_other: bool = True) -> list[str]:
    """Row keys of table 三 for a format; 2019 prints 其他处理 as one row."""
    if fmt == "2019" or not split_other:
        i = REQUEST_KEYS.index("other_no_correction")
        return REQUEST_KEYS[:i] + ["other"] + REQUEST_KEYS[i + 3 :]
    return list(REQUEST_KEYS)
