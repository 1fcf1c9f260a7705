"""Per-CMS-family knowledge as data: what an article URL looks like, how list pages paginate,
which labels the article's metadata block uses. A spider family is a base spider plus one of
these; a registry's `sites:` entry may override any key for one host (like Scrapy settings).
"""

from __future__ import annotations

from typing import Any

# Extensions of documents a report may be published as.
DOC_EXTENSIONS = ("pdf", "doc", "docx", "wps", "ofd", "xls", "xlsx", "et", "rtf", "zip", "rar", "txt",
                  "jpg", "jpeg", "png", "tif", "tiff")

# Article metadata labels, strongest date first (as portals print them).
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


# ----------------------------------------------------------------------------------------------
# List APIs: lists whose items a script draws from an API (or from pages no link names). Each
# entry says how a list page carries the call (`marker`, the script's options), how to call the
# API (method, parameters, paging) and where the answer keeps records and counts. The spider's
# crawler/listapi.py reads these; the sample portal (crawler/portal/) serves each shape.
LIST_APIS: dict[str, dict[str, Any]] = {
    # TRS WCM "trt" templates: the static page renders the first maxStaticIndex pages; the script
    #   require(['list2.trsapi']); listModel({el, recordCount: '20', quickMode: "动静结合",
    #       maxStaticIndex: 1, pagebar: {prepage: 10, recordCount: '20'},
    #       listArgs: {channelid, classsql: "chnlid=…", sortfield: "-docreltime", …}})
    # fills an avalon `ms-repeat` block with the later pages from the trsapi search channel.
    # Learned from public scrapers of Fujian TRS sites (listModel({maxStaticIndex:7,pagebar:
    # {prepage:10,recordCount:'213'}}) with require(['list2.trsapi']) and <li ms-repeat="list">),
    # which keep such lists `partial`; the answer's field names (datas/doctitle/docpuburl/
    # docreltime) are TRS WCM's document fields, the endpoint path is our assumption.
    "trs_trt": {
        "marker": r"listModel\s*\(\s*\{",
        "api": "/trsapi/search/list2.trsapi",  # when listModel names no `url`
        "method": "GET",
        "page_param": "page",
        "size_param": "prepage",
        "args": "listArgs",  # every listArgs key is passed on as a query parameter
        "static_pages": "maxStaticIndex",  # pages 1..maxStaticIndex are the static HTML
        "answer": "json",
        "records": ["datas"],
        "fields": {"url": ("docpuburl", "url"), "title": ("doctitle", "title"), "date": ("docreltime", "time")},
        "total_records": ["recordCount"],
        "total_pages": ["pageCount"],
    },
    # 集约化 .shtml platforms (Xinjiang, Hunan, CSRC-style templates): no page links at all, the
    # pager is written by createPageHTML('page_div', pages, current (1-based), 'common_list',
    # 'shtml', records) and pages are common_list.shtml, common_list_2.shtml …; 共N条 / 共N页 in
    # the pager text. Learned from public scrapers of kunshan.gov.cn (createPageHTML('page_div',
    # 22,1,'common_list','shtml',325)) and csrc.gov.cn (createPageHTML('page_div', 5, 1, 'fg',
    # 'shtml', 89)).
    "jyh_shtml": {
        "marker": r"createPageHTML\s*\(\s*['\"]\w+['\"]",
        "first": "{name}.{ext}",
        "page": "{name}_{n}.{ext}",  # n = 2 … pages
        "answer": "html",
    },
    # Hanweb 大汉 JCMS jpage lists: the column page embeds the first group of records in
    # <script type="text/xml"><datastore>…; the jpage script names the proxy and its form:
    #   $('#<unitid>').jpage({proxyUrl: '/module/web/jpage/dataproxy.jsp', perPage: 15,
    #       totalRecord: 40, groupSize: 3, ajaxParam: {col: 1, appid: 1, webid, path: '/',
    #       columnid, sourceContentType: 1, unitid, webname, permissiontype: 0}})
    # later groups come from POST dataproxy.jsp?startrecord=46&endrecord=90&perpage=15 with
    # ajaxParam as the form, answering <datastore><nextgroup>…</nextgroup><recordset><record>
    # <![CDATA[<li>…</li>]]></record>…</recordset><totalrecord>N</totalrecord><totalpage>…
    # Learned from public scrapers of zhejiang.chinatax.gov.cn, hangzhou.gov.cn, sxyc.gov.cn,
    # nbhtz.gov.cn (the POST form, startrecord/endrecord/perpage) and a jshrss.jiangsu.gov.cn
    # survey (proxyUrl, totalRecord, ajaxParam in the page source; the XML answer).
    "hanweb_jpage": {
        "marker": r"\.jpage\s*\(\s*\{|proxyUrl\s*:",
        "api": "/module/web/jpage/dataproxy.jsp",
        "method": "POST",
        "query": "startrecord={start}&endrecord={end}&perpage={perpage}",
        "form": "ajaxParam",
        "per_page": "perPage",
        "group": "groupSize",  # pages per request (jpage asks for 3 pages at a time)
        "group_default": 3,
        "answer": "xml",
        "total_records": ["totalrecord"],
        "total_pages": ["totalpage"],
    },
    # Hanweb's 信息公开 module: search.jsp?…&currpage=N (a page count in the pager script)
    "hanweb_search": {
        "marker": r"search\.jsp\?[^'\"]*currpage=",
        "page_param": "currpage",
        "answer": "html",
    },
    # JSON list endpoints (TRS 海云 / chinatax.gov.cn 政策法规库): the page holds only script
    #   $.ajax({url: '/getFileListByCodeId', type: 'POST', data: {codeId, channelId, page, size}})
    # answering {"code": 200, "results": {"data": {"page": 1, "rows": 20, "total": 4934,
    # "results": [{"title", "titleHtml", "url", "publishedTimeStr"}…]}}}. Learned from public
    # scrapers of www.chinatax.gov.cn/getFileListByCodeId (form codeId/channelId/page/size; some
    # sites name them pageNo/pageSize).
    "json_codeid": {
        "marker": r"getFileListByCodeId",
        "api": "/getFileListByCodeId",
        "method": "POST",
        "params": ("codeId", "channelId"),
        "page_param": ("page", "pageNo"),
        "size_param": ("size", "pageSize"),
        "answer": "json",
        "records": ["results.data.results", "data.rows", "rows", "data.list"],
        "fields": {"url": ("url", "link"), "title": ("title", "titleHtml"), "date": ("publishedTimeStr", "publishTime", "writtendate")},
        "total_records": ["results.data.total", "data.total", "total"],
        "total_pages": [],
    },
}

# How list pages state their size, wherever the family: records, then pages.
DECLARED_RECORDS = (
    r"""\brecordCount['"]?\s*[:=]\s*['"]?(\d+)""",
    r"""\btotalRecord['"]?\s*[:=]\s*['"]?(\d+)""",
    r"<totalrecord>\s*(\d+)\s*</totalrecord>",
    r"共\s*(\d+)\s*条",
    r"createPageHTML\s*\(\s*['\"]\w+['\"]\s*,\s*\d+\s*,\s*\d+\s*,\s*['\"][^'\"]+['\"]\s*,\s*['\"]\w+['\"]\s*,\s*(\d+)",
)
DECLARED_PAGES = (
    r"""\bcountPage['"]?\s*[:=]\s*['"]?(\d+)""",
    r"""\b(?:totalpage|totalPage|pageCount|pagecount)['"]?\s*[:=]\s*['"]?(\d+)""",  # Hanweb search.jsp pagers
    r"<totalpage>\s*(\d+)\s*</totalpage>",
    r"共\s*(\d+)\s*页",
    r"页次\s*[:：]?\s*\d+\s*/\s*(\d+)",
    r"createPageHTML\s*\(\s*(\d+)\s*,\s*\d+\s*,",
    r"createPageHTML\s*\(\s*['\"]\w+['\"]\s*,\s*(\d+)\s*,",
)
