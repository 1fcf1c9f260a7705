"""Chinese for everything a reader of the web pages and the exports sees: check names and details,
verdict and crawl-health statuses and reasons, kinds of body, parse statuses. The database and the
JSON API keep the internal (English) names; these labels are applied when a page is drawn or a CSV
is written with Chinese headers."""

from __future__ import annotations

import re

CHECK_LABELS = {
    "balance": "收支平衡（上年结转 + 新收 = 办理 + 结转下年度）",
    "row_totals": "申请人类别合计",
    "results_sum": "办理结果合计",
    "appeals_totals": "复议诉讼合计",
    "completeness": "内容完整性（章节与表格）",
    "narrative": "正文与表格一致",
    "carry_over": "跨年度结转衔接",
    "roll_forward": "规章规范性文件件数衔接",
    "same_numbers": "数据与上年完全相同",
    "same_text": "文字与上年几乎相同",
    "sibling_numbers": "数据与兄弟单位完全相同",
    "sibling_text": "文字与兄弟单位几乎相同",
}
SCOPE_LABELS = {"report": "单份年报", "cross": "跨年度/跨单位"}

STATUS_LABELS = {
    "on_time": "按时公开",
    "late": "逾期公开",
    "missing": "逾期未公开",
    "unreachable": "无法访问",
    "unverified": "未核实",
    "undated": "日期不明",
    "pending": "未到期",
}
KIND_LABELS = {
    "government": "县级以上人民政府",
    "department": "县级以上政府部门",
    "town": "乡镇（街道）",
    "institution": "其他机构",
}
PARSE_STATUS_LABELS = {
    "ok": "完整一致",
    "inconsistent": "数据不一致",
    "incomplete": "内容不完整",
    "not_report": "非年报",
    "error": "无法解析",
}
# where a verdict's publication date comes from
SOURCE_LABELS = {
    "portal_date": "门户发布日期",
    "published": "落款日期",
    "last_modified": "HTTP Last-Modified",
    "first_seen": "首次抓取时间",
    "first_seen (backdated?)": "首次抓取时间（疑似倒签）",
}

ROLE_LABELS = {"report": "年报（含数据）", "notice": "公告页", "copy": "副本", "superseded": "旧版本"}

# the measures of the compare page's charts
REQUEST_LABELS = {
    "received": "新收申请",
    "carried_in": "上年结转",
    "granted": "予以公开",
    "partial": "部分公开",
    "withheld": "不予公开",
    "unavailable": "无法提供",
    "rejected": "不予处理",
    "processed": "办理总计",
    "carried_out": "结转下年度",
}

APPEAL_LABELS = {"review": "行政复议", "review_corrected": "复议纠错", "suits": "行政诉讼",
                 "suits_corrected": "诉讼纠错"}

HEALTH_LABELS = {
    "reachable": "正常",
    "partial": "部分抓取",
    "unreachable": "无法访问",
    "broken": "栏目失效",
    "unknown": "未抓取",
}

# English phrases of check details and crawl-health reasons, in the order they are replaced
_PHRASES: list[tuple[str, str]] = [
    (r"text ~(\d+)% identical to the (\d+) report \(copy-paste\?\)", r"正文与 \2 年度报告约 \1% 相同（疑似照抄）"),
    (r"text nearly identical to the reports of (.+?) \(copy-paste\?\)", r"正文与 \1 的年报几乎相同（疑似照抄）"),
    (r"every number equals the (\d+) report's \(copy-paste\?\)", r"全部数字与 \1 年度报告相同（疑似照抄）"),
    (r"every number equals the report of (.+?) \(copy-paste\?\)", r"全部数字与 \1 的年报相同（疑似照抄）"),
    (r"prose says (\S+) (\d+), table says (\d+)", r"正文称\1 \2，表格为 \3"),
    (r"sum of results", "各办理结果之和"),
    (r"legacy \(pre-2019\) report: no standard tables to check", "2019 年以前的旧格式年报：无标准表格可校验"),
    (r"^missing: ", "缺少："),
    (r"section (\d)", r"第\1部分"),
    (r"table (\S) not found", r"未找到表\1"),
    (r"\btable (\S)", r"表\1"),
    (r"rows needed for the balance are missing", "缺少计算平衡所需的行"),
    (r"no column has all four numbers", "没有一列同时具备四个数"),
    (r"no complete (row|column|group)", "没有完整的行/列"),
    (r"result rows or （七）总计 missing", "缺少办理结果行或（七）总计"),
    (r"no counts stated in the prose", "正文未写明件数"),
    (r"balanced in (\d+) columns", r"\1 列收支平衡"),
    (r"(\d+) (rows|columns|groups) add up", r"\1 项合计正确"),
    (r"(\d+) stated counts agree with the table", r"正文 \1 个数字与表格一致"),
    (r"^complete$", "完整"),
    (r"\bnatural:", "自然人："),
    (r"\btotal:", "总计："),
    # crawl health
    (r"(\d+) of (\d+) crawls in (\d+) days reached the column", r"近 \3 天 \2 次抓取中 \1 次到达年报栏目"),
    (r"(\d+) of (\d+) crawls in (\d+) days failed to reach the column", r"近 \3 天 \2 次抓取中 \1 次未能到达年报栏目"),
    (r"no crawl looked at the column in the (\d+) days up to (\S+)", r"截至 \2 的 \1 天内没有抓取过该栏目"),
    (r"the column loads but lists no report-like item \(crawl (\d+), (\S+)\); crawl (\d+) \((\S+)\) saw (\d+): "
     r"emptied, or its layout no longer matches the spider",
     r"栏目能打开但没有列出年报（第 \1 次抓取，\2）；第 \3 次抓取（\4）曾看到 \5 份：栏目被清空或改版"),
    (r"reached (\d+) of (\d+) listed", r"列表声明 \2 条，只取得 \1 条"),
    (r"\(crawl (\d+), (\S+)\)", r"（第 \1 次抓取，\2）"),
    (r"login required: redirected to", "需要登录：被重定向到"),
]
_COMPILED = [(re.compile(a), b) for a, b in _PHRASES]
_ROW_KEYS: dict[str, str] | None = None


def _row_keys() -> dict[str, str]:
    global _ROW_KEYS
    if _ROW_KEYS is None:
        from extract import form

        _ROW_KEYS = {k: lbl for k, lbl, _ in form.REQUEST_ROWS}
    return _ROW_KEYS


def zh_text(detail: str | None) -> str:
    """A check detail or a crawl-health reason in Chinese (numbers and names kept as they are)."""
    if not detail:
        return ""
    out = detail
    for pat, rep in _COMPILED:
        out = pat.sub(rep, out)
    keys = _row_keys()
    return re.sub(r"\b([a-z][a-z_]+):", lambda m: f"{keys.get(m[1], m[1])}：", out)


def check_label(name: str | None) -> str:
    return CHECK_LABELS.get(name or "", name or "")
