"""The Datasette metadata of the archive, as data: the title and licence, each table's Chinese title,
description, facets and column labels, the canned queries, and the settings `gongkai serve` runs
with. `metadata()` puts them together (the labels of the report tables' many columns come from
archive/columns.py); archive/web/app.py writes them to the archive folder as metadata.json."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from archive.columns import column_labels
from archive.search import SEARCH_SQL, TABLE_SORT_DESC

DB_NAME = "archive"

ABOUT: dict[str, str] = {
    "title": "政府信息公开工作年度报告档案（gongkai）",
    "description": "各级行政机关政府信息公开工作年度报告的完整存档：原文与抓取证据、表格数据、校验结果，"
    "以及按《政府信息公开条例》第四十九条判定的按时公开情况。首页即合规仪表盘；"
    "地区与年度对比见 /-/gongkai/compare，全文检索见 /-/gongkai/search。",
    "source": "各机关门户网站“政府信息公开年报”栏目（每次抓取的原始响应存于 WARC 文件）",
    "source_url": "/-/gongkai",
    "license": "软件 Apache-2.0；年报原文版权归发布机关",
    "license_url": "https://www.apache.org/licenses/LICENSE-2.0",
}

QUERIES: dict[str, dict[str, Any]] = {
    "failed_checks": {
        "title": "未通过的校验",
        "description": "某一校验未通过的年报，可按年度、类别与地区（区划代码前缀，逗号分隔）筛选。",
        "sql": "select c.report_id, r.agency, r.year, r.region, r.kind, c.[check], c.detail from check_results c"
        " join reports r on r.id = c.report_id where c.ok = 0 and r.current = 1 and c.[check] = :check"
        " and (:year = '' or r.year = cast(:year as integer)) and (:kind = '' or r.kind = :kind)"
        " and (:regions = '' or exists (select 1 from json_each('[\"' || replace(:regions, ',', '\",\"') || '\"]') j"
        " where r.region like j.value || '%')) order by r.agency, r.year",
    },
    "missing": {
        "title": "逾期未公开",
        "description": "截止日期已过、抓取到栏目页面却没有找到年报的机关（每条都附栏目页面的存档副本与 WARC 记录）。",
        "sql": "select agency, year, region, kind, due, url as column_url, sha256 as capture, warc, evidence "
        "from compliance where status = 'missing' order by year desc, region, agency",
    },
    "late": {
        "title": "逾期公开",
        "description": "年报在截止日期之后才公开的机关，附逾期天数与公开日期的依据。",
        "sql": "select agency, year, region, kind, due, published, days_late, published_source, report_id, url "
        "from compliance where status = 'late' order by days_late desc",
    },
    "inconsistent": {
        "title": "数据不一致",
        "description": "未通过校验的年报：表内平衡、合计、与正文不符、内容不完整等。",
        "sql": "select c.agency, c.year, c.[check], c.detail, c.report_id, r.url from check_results c "
        "join reports r on r.id = c.report_id where c.ok = 0 and r.current = 1 "
        "order by c.year desc, c.agency, c.[check]",
    },
    "carry_over": {
        "title": "跨年度不衔接",
        "description": "本年“上年结转”与上一年“结转下年度继续办理”不符，或规章、规范性文件现行有效件数不能由上年结转推出。",
        "sql": "select agency, year, [check], detail, report_id from check_results "
        "where scope = 'cross' and [check] in ('carry_over', 'roll_forward') order by agency, year",
    },
    "copy_paste": {
        "title": "疑似照抄",
        "description": "与上一年度或同级兄弟单位的年报文字、数据几乎相同。",
        "sql": "select agency, year, [check], detail, report_id from check_results "
        "where scope = 'cross' and [check] in ('same_numbers', 'same_text', 'sibling_numbers', "
        "'sibling_text') order by agency, year",
    },
    "requests_by_agency": {
        "title": "历年依申请公开情况",
        "description": "各机关历年收到、办理、结转的政府信息公开申请数（留空查看全部机关）。",
        "sql": "select r.agency, r.year, q.new_received_total as 新收申请, q.carried_over_in_total as 上年结转, "
        "q.granted_total as 予以公开, q.partially_granted_total as 部分公开, "
        "q.total_processed_total as 办理总计, q.carried_over_out_total as 结转下年度, r.id as report_id "
        "from reports r join report_requests q on q.report_id = r.id "
        "where r.current = 1 and r.year is not null and (:agency = '' or r.agency like '%' || :agency || '%') "
        "order by r.agency, r.year",
        "params": ["agency"],
    },
    "health": {
        "title": "栏目抓取健康",
        "description": "各机关年报栏目近两周的抓取情况：unreachable 多数抓取失败（不判定“逾期未公开”），"
        "broken 栏目能打开却不再列出年报（栏目被清空或改版），partial 栏目只抓到一部分（如 reached 10 of 20 listed："
        "列表声明 20 条只取得 10 条，或列表接口失败；不判定“逾期未公开”），reachable 正常。",
        "sql": "select agency, status, reach_share, crawls, reached, last_crawl, last_reached, "
        "last_reports_seen, before_reports_seen, reason, last_error from crawl_health "
        "order by case status when 'unreachable' then 0 when 'broken' then 1 when 'partial' then 2 when 'unknown' then 3 "
        "else 4 end, "
        "reach_share, agency",
    },
    "search": {
        "title": "全文检索",
        "description": "在所有年报全文中检索任意长度的字词（三个字以上用三元组全文索引，一两个字如“伊宁”用二元组索引），"
        "最近年度在前，最多列出 500 份；与年报全文表的搜索框找到的年报相同。",
        "sql": SEARCH_SQL.strip(),
        "params": ["q"],
    },
}


# internal tables: summaries the dashboard reads, bookkeeping, the search indexes' helpers
HIDDEN_TABLES = (
    "_migrations", "_state", "_search_digits", "compliance_summary", "report_summary", "check_summary",
    "warc_payloads", "report_dates",
)
SETTINGS: dict[str, Any] = {
    # one visitor's slow queries would hold every other visitor's threads: arbitrary SQL is off
    # (`gongkai serve --allow-sql`), the canned queries, tables and filters stay
    "sql_time_limit_ms": 2000,
    "default_allow_sql": False,
    "facet_time_limit_ms": 1000,
    "default_page_size": 50,
    "allow_download": False,
    "suggest_facets": False,
    "num_sql_threads": 3,
}


TABLES: dict[str, dict[str, Any]] = {
    "compliance": {
        "title": "公开合规情况（机关 × 年度）",
        "description": "按《政府信息公开条例》第四十九条的截止日期逐一判定：on_time 按时公开，late 逾期公开，"
        "missing 逾期未公开（有栏目页面存档为证），unreachable 栏目无法访问（不作判定），"
        "unverified 无抓取证据，undated 找到年报但无公开日期，pending 未到期。",
        "facets": ["status", "region", "kind", "year"],
        "sort_desc": "year",
        "columns": {
            "agency": "机关名称",
            "year": "报告年度",
            "region": "行政区划代码",
            "kind": "机关层级/类别",
            "parent": "上级机关",
            "status": "判定结果",
            "due": "截止日期",
            "published": "公开日期",
            "published_source": "公开日期依据（门户发布日期：文章元数据 portal_date > 列表日期 list_date > 网址日期 url_date；> 落款日期 published > HTTP Last-Modified > 首次抓取 first_seen）",
            "days_late": "逾期天数（天）",
            "flags": "标记（backdated? = 落款/发布日期早于一次未见该报告的抓取）",
            "report_id": "所依据的年报",
            "url": "原文或栏目地址",
            "sha256": "存档副本（sha256）",
            "warc": "栏目页面的 WARC 记录（文件:偏移）",
            "evidence": "证据（JSON）",
            "as_of": "判定基准日",
        },
    },
    "reports": {
        "title": "年度报告",
        "description": "每份文档经当前解析器得到的结果：机关、年度、格式、落款日期、门户发布日期、解析状态。"
        "一个机关一个年度的年报可能由多份文档组成（公告页与附件、另一地址的副本、更正后的新版本），"
        "其中 current=1 的一行即该年报本身，统计只计这一行；其余行的 role 说明其角色。",
        "facets": ["year", "parse_status", "kind", "region", "format", "role", "registered"],
        "sort_desc": "year",
        "columns": {
            "sha256": "存档副本",
            "extractor_version": "解析器版本",
            "agency": "机关（匹配登记表）",
            "agency_parsed": "报告自称的机关名称",
            "region": "行政区划代码",
            "kind": "机关层级/类别",
            "year": "报告年度",
            "format": "表格格式（2021 / 2019 / legacy）",
            "published": "落款日期",
            "portal_date": "门户发布日期",
            "url": "原文地址",
            "title": "标题",
            "parse_status": "解析状态",
            "error": "错误",
            "sections": "找到的章节",
            "checks_failed": "未通过的校验",
            "requests_received": "本年新收申请（件）",
            "requests_processed": "办理总计（件）",
            "requests_carried_out": "结转下年度（件）",
            "appeals_review": "行政复议（件）",
            "appeals_suits": "行政诉讼（件）",
            "cells": "推算的单元格",
            "extracted": "解析时间",
            "current": "年报（1：该机关该年度的年报本身；0：同一年报的其他文档或旧版本）",
            "parse_current": "最新解析",
            "role": "文档角色（report 年报 / notice 公告页 / copy 副本 / superseded 旧版本）",
            "report_version": "版本",
            "report_of": "所属年报",
            "attribution": "归属依据",
            "registered": "登记表内机关",
        },
    },
    "report_requests": {
        "title": "收到和处理政府信息公开申请情况（表三）",
        "description": "每份年报一行；列名为“行_申请人类别”，单位：件。",
    },
    "report_active": {
        "title": "主动公开政府信息情况（表二）",
        "description": "每份年报一行；2021 年格式与 2019 年格式的列并存，收费金额单位：万元，采购金额单位：元。",
    },
    "report_appeals": {
        "title": "政府信息公开行政复议、行政诉讼情况（表四）",
        "description": "每份年报一行，单位：件。",
    },
    "report_text": {
        "title": "年报全文",
        "description": "全文检索：搜索框可查任意长度的字词（一两个字如“伊宁”“公开”也可以），"
        "只查当前版本的年报，新近的在前。",
        # no fts_table here: the gongkai plugin answers _search= itself (archive/search.py), with
        # the bigram index for one or two characters, which Datasette's own MATCH cannot do
        "sort_desc": TABLE_SORT_DESC,
        "columns": {"text": "全文", "title": "标题", "agency": "机关", "year": "年度"},
    },
    "check_results": {
        "title": "校验结果",
        "description": "scope=report：单份年报的校验（平衡、合计、完整性、正文与表格）；scope=cross：跨年度与兄弟单位的校验。",
        "facets": ["check", "scope", "ok"],
        "columns": {
            "check": "校验项",
            "ok": "是否通过（1 通过，0 未通过，空 无法判断）",
            "detail": "说明",
            "scope": "范围",
            "report_id": "年报",
        },
    },
    "agencies": {
        "title": "登记表：受监督的机关",
        "facets": ["kind", "region", "parent"],
        "label_column": "name",
        "columns": {
            "name": "机关名称",
            "kind": "层级/类别",
            "region": "行政区划代码",
            "parent": "上级机关",
            "portal": "门户网站",
            "cms": "网站系统",
            "columns": "年报栏目地址",
            "deadline": "本地截止日期（月-日）",
            "first_year": "起始年度",
        },
    },
    "unregistered_bodies": {
        "title": "栏目中发现的未登记机关",
        "description": "年报栏目里发布了年报、但登记表中没有的机关。核对后用 "
        "`gongkai registry suggest > new.yaml` 与 `gongkai registry import new.yaml` 加入登记表，"
        "下次 `gongkai check` 即给出按时公开判定。",
        "facets": ["kind", "parent"],
        "columns": {
            "name": "机关名称",
            "kind": "类别（推断）",
            "parent": "上级机关（推断）",
            "region": "行政区划代码",
            "portal": "门户网站",
            "columns": "发现于栏目",
            "years": "年报年度",
            "documents": "文档数",
            "first_seen": "首次发现",
            "evidence": "依据（标题、地址）",
        },
    },
    "report_dates": {
        "title": "年报文档的日期线索",
        "description": "每份年报文档正文以外的日期线索：首次抓取时间、HTTP Last-Modified、各栏目列表中最早显示的日期，"
        "以及网址中内容管理系统写入的日期。由 `gongkai extract` / `gongkai check` 整理得出，供按时公开判定使用。",
        "columns": {"report_id": "年报编号", "first_seen": "首次抓取", "last_modified": "HTTP Last-Modified",
                    "crawl_id": "首次抓取的抓取编号", "list_date": "列表日期", "url_date": "网址日期"},
    },
    "regions": {
        "title": "地区规则",
        "columns": {"code": "行政区划代码", "town_deadline": "乡镇截止日期（月-日）"},
    },
    "crawls": {"title": "抓取记录", "columns": {"kind": "类型", "started": "开始", "finished": "结束"}},
    "fetches": {
        "title": "每次请求",
        "facets": ["status"],
        "columns": {
            "url": "地址",
            "status": "HTTP 状态",
            "time": "时间",
            "size": "字节数",
            "elapsed": "耗时（秒）",
            "error": "错误",
            "warc_file": "WARC 文件",
            "warc_offset": "WARC 记录偏移（点击下载该记录）",
            "warc_type": "WARC 记录类型（response / revisit）",
        },
    },
    "documents": {
        "title": "存档文档",
        "facets": ["type"],
        "columns": {
            "sha256": "内容哈希（存档副本）",
            "size": "字节数",
            "type": "文件类型",
            "first_seen": "首次发现",
            "last_seen": "最近发现",
            "url": "首次发现的地址",
            "portal_date": "门户发布日期",
            "last_modified": "HTTP Last-Modified",
        },
    },
    "document_urls": {"title": "文档出现过的地址（同一地址的各个版本）"},
    "warc_payloads": {
        "title": "WARC 中的内容（每个 sha256 只写一次，其余为 revisit 记录）",
        "columns": {"warc_offset": "WARC 记录偏移（点击下载该记录）"},
    },
    "column_captures": {
        "title": "栏目页面存档（“逾期未公开”的证据）",
        "facets": ["reached", "agency"],
        "columns": {
            "warc_file": "WARC 文件",
            "warc_offset": "WARC 记录偏移（点击下载该记录）",
            "reached": "是否抓取成功",
            "reports_seen": "页面上看到的年报数",
            "sha256": "页面存档",
            "column_root": "所属年报栏目",
            "declared_records": "列表声明的条数（recordCount、共N条、totalRecord）",
            "declared_pages": "列表声明的页数（countPage、共N页、页次）",
            "items_seen": "本次抓取已取得的条数",
            "pages_seen": "本次抓取已取得的列表页数",
            "records": "本页条目（网址摘要）",
        },
    },
    "crawl_health": {
        "title": "栏目抓取健康（archive/health.py）",
        "description": "近两周抓取到年报栏目的比例；多数抓取失败才判为 unreachable，栏目不再列出年报为 broken，"
        "只抓到列表声明的一部分为 partial。",
        "facets": ["status"],
        "columns": {
            "status": "状态",
            "reach_share": "近两周抓取成功比例",
            "crawls": "近两周抓取次数",
            "reached": "其中成功次数",
            "last_reports_seen": "最近一次看到的年报数",
            "before_reports_seen": "此前看到的年报数",
            "reason": "说明",
        },
    },
}

# the tables of the report's numbers: one column per cell, labelled from the form (archive/columns.py)
GENERATED_LABELS = ("report_requests", "report_active", "report_appeals")


def metadata(data_dir: str | Path | None = None) -> dict[str, Any]:
    """Datasette's metadata of the archive; with `data_dir`, the plugin setting that names it."""
    tables = copy.deepcopy(TABLES)
    labels = column_labels()
    for name in GENERATED_LABELS:
        tables[name]["columns"] = labels[name]
    for name in HIDDEN_TABLES:
        tables.setdefault(name, {})["hidden"] = True
    meta: dict[str, Any] = {
        **ABOUT,
        "databases": {DB_NAME: {"title": "年报档案", "tables": tables, "queries": copy.deepcopy(QUERIES)}},
    }
    if data_dir is not None:
        meta["plugins"] = {"gongkai": {"data_dir": str(Path(data_dir).resolve())}}
    return meta
