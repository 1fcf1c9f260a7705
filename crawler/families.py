"""Per-CMS-family knowledge as data: what an article URL looks like, how list pages paginate,
which labels the article's metadata block uses. A spider family is a base spider plus one of
these; a registry's `sites:` entry may override any key for one host (like Scrapy settings).
"""

from __future__ import annotations

from typing import Any

# Extensions of documents a report may be published as.
DOC_EXTENSIONS = ("pdf", "doc", "docx", "wps", "ofd", "xls", "xlsx", "et", "rtf", "zip", "rar", "txt",
                  "jpg", "jpeg", "png", "tif", "tiff")

# Article metadata labels, strongest date first (FORMAT.md §4.5).
DATE_LABELS = ("发布日期", "发布时间", "发文日期", "生成日期", "成文日期", "公开日期", "日期", "时间",
               "上载日期", "发表时间")
META_LABELS = ("发布机构", "索引号", "公开目录", "文号", "发布文号", "主题", "主题分类", "组配分类", "分类",
               "有效性", "时效性", "信息来源", "来源", "浏览量", "关键词", "信息名称", "名称",
               "内容概述", *DATE_LABELS)

FAMILIES: dict[str, dict[str, Any]] = {
    # /<site>/c<colid>/<yyyymm>/<32hex>.shtml (Xinjiang/Hunan 集约化 platforms); lists are
    # zfxxgk_list.shtml / common_list.shtml → common_list_2.shtml …, or index.shtml → index_2.shtml
    "xj_shtml": {
        "article": r"/[A-Za-z]?\w+/\d{6}/[0-9a-f]{32}\.s?html?$",
        "list_page": r"(?:^|/)(?:index|\w*list)(?:_\d+)?\.s?html?$",
    },
    # TRS WCM: /<path>/<yyyymm>/t<yyyymmdd>_<docid>.html; lists index.html, index_1.html … written
    # by createPageHTML(countPage, currentPage, "index", "html")
    "trs": {
        "article": r"/\d{6}/t\d{8}_\d+(?:_wap)?\.s?html?$",
        "list_page": r"(?:^|/)index(?:_\d+)?\.s?html?$",
    },
    # Hanweb 大汉 JCMS: /art/<yyyy>/<m>/<d>/art_<colid>_<artid>.html; columns col/col<NNN>/index.html;
    # 信息公开 module search.jsp?...&currpage=N
    "hanweb": {
        "article": r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$",
        "list_page": r"(?:col/col\d+/index\.html|\.jsp\?.*currpage=\d+|index(?:_\d+)?\.s?html?)$",
    },
    # anything else: titles decide, pagination by every style we know
    "generic": {
        "article": r"\.(?:s?html?|jsp|aspx?|php)(?:\?.*)?$|/cms/[0-9a-f]+$|/info/\d+/\d+\.htm$",
        "list_page": r"(?:index|list|column-index)[_-]?\d*\.s?html?$|[?&](?:page|currpage|pageNo|p)=\d+",
    },
}


def family(name: str | None, site: dict[str, Any] | None = None) -> dict[str, Any]:
    conf = dict(FAMILIES.get(name or "generic", FAMILIES["generic"]))
    if site:
        conf.update({k: v for k, v in site.items() if k in ("article", "list_page")})
    return conf
