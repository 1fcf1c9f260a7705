"""Page templates of the three CMS families, each with its own markup, metadata block and pagination.

- xj_shtml (伊宁市 and its Xinjiang siblings): `/yining/c<colid>/zfxxgk_list.shtml`, then
  `common_list_2.shtml`…; plain page links in year columns, a JS pager in unit columns.
- TRS WCM (乌苏市, served in GBK): `index.html`, `index_1.html`… written by
  `createPageHTML(count, current, "index", "html")`, no plain next link.
- Hanweb JCMS (武陟县): `/col/col<id>/index.html` embeds the first records in a `<datastore>`
  block; later pages come from `dataproxy.jsp?columnid=<id>&currpage=N` as XML.
- Lists drawn by script (crawler/families.py LIST_APIS), one column each: TRS "trt" (奎屯经济技术开发区:
  10 static, listModel + list2.trsapi for the rest), Hanweb jpage (仙居县: the first group embedded,
  POST dataproxy.jsp?startrecord=…), getFileListByCodeId JSON (阿勒泰市: nothing static) and 集约化
  createPageHTML('page_div', …) with 共N条 (塔城市).
"""

from __future__ import annotations

import html
import json
from datetime import date

E = html.escape


def page(title: str, body: str, charset: str = "utf-8", head: str = "") -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>"
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>{E(title)}</title>{head}</head>\n<body>\n{body}\n</body></html>\n"
    )


def links(items: list[tuple[str, str]]) -> str:
    return "<ul>" + "".join(f'<li><a href="{E(u)}">{E(t)}</a></li>' for t, u in items) + "</ul>"


# ---------------------------------------------------------------------------------------------- xj_shtml

def xj_header(site_title: str, home: str) -> str:
    return (
        f'<div class="header"><a href="{home}">{E(site_title)}</a>'
        f'<div class="nav"><a href="{home}">首页</a> <a href="{home}zfxxgk/">政府信息公开</a></div></div>'
    )


def xj_breadcrumb(crumbs: list[tuple[str, str]]) -> str:
    return '<div class="position">当前位置：' + " &gt; ".join(f'<a href="{E(u)}">{E(t)}</a>' for t, u in crumbs) + "</div>"


def xj_list_items(items: list[tuple[str, str, date]]) -> str:
    return '<ul class="list">' + "".join(
        f'<li><a href="{E(u)}" target="_blank" title="{E(t)}">{E(t)}</a><span class="date">{d.isoformat()}</span></li>'
        for t, u, d in items
    ) + "</ul>"


def xj_list_name(n: int) -> str:
    return "zfxxgk_list.shtml" if n == 1 else f"common_list_{n}.shtml"


def xj_pager_links(n: int, total: int) -> str:
    parts = [f'<span class="total">共{total}页</span>']
    if n > 1:
        parts.append(f'<a href="{xj_list_name(1)}">首页</a> <a href="{xj_list_name(n - 1)}">上一页</a>')
    for i in range(1, total + 1):
        parts.append(f'<span class="current">{i}</span>' if i == n else f'<a href="{xj_list_name(i)}">{i}</a>')
    if n < total:
        parts.append(f'<a href="{xj_list_name(n + 1)}">下一页</a> <a href="{xj_list_name(total)}">尾页</a>')
    return '<div class="page">' + " ".join(parts) + "</div>"


def xj_pager_js(n: int, total: int) -> str:
    # No <a> at all: the page numbers exist only once the script has run.
    conf = json.dumps({"total": total, "current": n, "first": "zfxxgk_list.shtml", "pattern": "common_list_{n}.shtml"})
    return (
        '<div class="page" id="pagination"></div>\n<script type="text/javascript">\n'
        f"var pageConf = {conf};\n"
        "function goPage(i){location.href = i == 1 ? pageConf.first : pageConf.pattern.replace('{n}', i);}\n"
        "(function(){var h='';for(var i=1;i<=pageConf.total;i++){h+= i==pageConf.current ? '<b>'+i+'</b> ' : "
        "'<span onclick=\"goPage('+i+')\">'+i+'</span> ';}document.getElementById('pagination').innerHTML=h;})();\n"
        "</script>"
    )


def xj_meta(meta: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{E(k)}：</th><td>{E(v)}</td></tr>" for k, v in meta)
    return f'<table class="xxgk_table">{cells}</table>'


# ---------------------------------------------------------------------------------------------- TRS

def trs_list(items: list[tuple[str, str, date]], current: int, count: int) -> str:
    lis = "".join(
        f'<li><a href="{E(u)}" target="_blank" title="{E(t)}">{E(t)}</a><span>{d.isoformat()}</span></li>' for t, u, d in items
    )
    # TRS writes its pager with this call; currentPage is 0-based.
    return (
        f'<div class="zfxxgk_zdgkc"><ul>{lis}</ul></div>\n<div class="page">\n'
        '<script type="text/javascript">\nfunction createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){'
        "if(_nPageCount == null || _nPageCount<=1){return;}var html='';"
        "for(var i=0;i<_nPageCount;i++){var href = i==0 ? _sPageName+'.'+_sPageExt : _sPageName+'_'+i+'.'+_sPageExt;"
        "html += i==_nCurrIndex ? '<span>'+(i+1)+'</span>' : '<a href=\"'+href+'\">'+(i+1)+'</a>';}"
        "document.write(html);}\n"
        f'createPageHTML({count}, {current}, "index", "html");\n</script>\n</div>'
    )


def trs_meta(meta: list[tuple[str, str]]) -> str:
    return '<div class="xxgk_top"><table>' + "".join(
        f"<tr><td class=\"t\">{E(k)}</td><td>{E(v)}</td></tr>" for k, v in meta
    ) + "</table></div>"


# ---------------------------------------------------------------------------------------------- Hanweb

def hanweb_record(title: str, url: str, d: date) -> str:
    return f'<li><a href="{E(url)}" target="_blank" title="{E(title)}">{E(title)}</a><span class="bt_time">{d.isoformat()}</span></li>'


def hanweb_datastore(records: list[str], total_records: int, total_pages: int, per_page: int, colid: str) -> str:
    recs = "".join(f"<record><![CDATA[{r}]]></record>" for r in records)
    return (
        f"<datastore><nextgroup><![CDATA[<a href=\"/wuzhi/module/web/jpage/dataproxy.jsp?columnid={colid}&currpage=2\"></a>]]></nextgroup>"
        f"<totalrecord>{total_records}</totalrecord><totalpage>{total_pages}</totalpage><perpage>{per_page}</perpage>"
        f"<recordset>{recs}</recordset></datastore>"
    )


def hanweb_column_script(colid: str, total_pages: int) -> str:
    return (
        '<div id="pagelist"></div>\n<script type="text/javascript">\n'
        f"var columnid = {colid}, totalpage = {total_pages};\n"
        "function loadPage(p){$.ajax({url:'/wuzhi/module/web/jpage/dataproxy.jsp',data:{columnid:columnid,currpage:p,"
        "unitid:1,webid:1,permissiontype:0},dataType:'xml',success:function(x){render(x);}});}\n</script>"
    )


def hanweb_meta(meta: list[tuple[str, str]]) -> str:
    return '<div class="xxgk_info"><table>' + "".join(
        f"<tr><th>{E(k)}：</th><td>{E(v)}</td></tr>" for k, v in meta
    ) + "</table></div>"


# ---------------------------------------------------------------------------------------------- script lists
# Columns whose lists a script draws (crawler/families.py LIST_APIS has each shape and where it was
# learned). Each page carries exactly what the real ones do: the static part, the script call with
# its parameters; the API answers are built in script_lists.py.

def trt_column(static: list[tuple[str, str, date]], record_count: int, prepage: int, channelid: str, chnlid: str) -> str:
    """TRS "trt" 动静结合: the first page static, the rest drawn by listModel from list2.trsapi."""
    lis = "".join(
        f'<li><a href="{E(u)}" target="_blank" title="{E(t)}">{E(t)}</a><span class="date">{d.isoformat()}</span></li>'
        for t, u, d in static
    )
    return (
        f'<div class="gl-list" id="list"><ul class="gl-ul">{lis}'
        '<li ms-repeat="list" ms-visible="list.length"><a ms-attr-href="el.docpuburl" ms-attr-title="el.doctitle" '
        'target="_blank">{{el.doctitle}}</a><span class="date">{{el.docreltime | date("yyyy-MM-dd")}}</span></li></ul></div>\n'
        '<div class="pagebar" id="pagebar"></div>\n'
        '<script type="text/javascript" src="/kfq/common/js/require.js"></script>\n'
        "<script type=\"text/javascript\">\nrequire(['list2.trsapi'], function () {\n  listModel({\n"
        "    el: '#list',\n"
        f"    recordCount: '{record_count}',\n"
        '    quickMode: "动静结合",\n'
        "    maxStaticIndex: 1,\n"
        f"    pagebar: {{el: '#pagebar', prepage: {prepage}, recordCount: '{record_count}'}},\n"
        f"    listArgs: {{channelid: '{channelid}', classsql: \"chnlid={chnlid}\", sortfield: \"-docreltime\", "
        f"prepage: {prepage}, fields: \"doctitle,docpuburl,docreltime\"}}\n"
        "  });\n});\n</script>"
    )


def jpage_column(unitid: str, records: list[str], total: int, per_page: int, group: int, form: dict[str, object]) -> str:
    """Hanweb jpage: the first group of records embedded as XML, the rest from dataproxy.jsp (POST)."""
    first = "".join(f"<record><![CDATA[{r}]]></record>" for r in records)
    query = "&".join(f"{k}={v}" for k, v in form.items() if k not in ("col", "sourceContentType", "appid"))
    ajax = ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}".replace('"', "'") for k, v in form.items())
    return (
        f'<div id="{unitid}"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/'
        f'dataproxy.jsp?page=1&{E(query)}"></a>]]></nextgroup><recordset>{first}</recordset></datastore></script></div>\n'
        '<script type="text/javascript" language="javascript" src="/module/jslib/jquery/jpage/jquery.page.min.js"></script>\n'
        "<script type=\"text/javascript\">\n$(document).ready(function () {\n"
        f"  $('#{unitid}').jpage({{\n    dataStore: dataStore,\n    proxyUrl: '/module/web/jpage/dataproxy.jsp',\n"
        f"    perPage: {per_page},\n    groupSize: {group},\n    totalRecord: {total},\n    barPosition: 'bottom',\n"
        f"    ajaxParam: {{{ajax}}},\n    dataBefore: '<ul class=\"list\">',\n    dataAfter: '</ul>'\n  }});\n}});\n</script>"
    )


def jpage_datastore(records: list[str], total: int, per_page: int, start: int, end: int) -> str:
    """dataproxy.jsp's answer: <datastore> with the next group's link, the records, the totals."""
    recs = "".join(f"<record><![CDATA[{r}]]></record>" for r in records)
    pages = max(1, -(-total // per_page))
    step = end - start + 1
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<datastore>'
        f"<nextgroup><![CDATA[<a href=\"/module/web/jpage/dataproxy.jsp?startrecord={end + 1}&endrecord={end + step}"
        f"&perpage={per_page}\"></a>]]></nextgroup><recordset>{recs}</recordset>"
        f"<totalrecord>{total}</totalrecord><totalpage>{pages}</totalpage></datastore>"
    )


def codeid_column(api: str, code_id: str, channel_id: str, size: int) -> str:
    """A list drawn from a JSON endpoint (getFileListByCodeId): the page holds no item at all."""
    return (
        '<div class="zfxxgk_list"><ul id="fileList"></ul><div id="pager"></div></div>\n'
        "<script type=\"text/javascript\">\n"
        f"var codeId = '{code_id}', channelId = '{channel_id}', pageSize = {size};\n"
        "function loadList(page) {\n"
        f"  $.ajax({{url: '{api}', type: 'POST', dataType: 'json',\n"
        "    data: {codeId: codeId, channelId: channelId, page: page, size: pageSize},\n"
        "    success: function (res) { render(res.results.data); }});\n"
        "}\nloadList(1);\n</script>"
    )


def jyh_pager(n: int, pages: int, records: int, name: str = "common_list") -> str:
    """集约化 pager: no links, createPageHTML('page_div', pages, current, name, ext, records)."""
    return (
        f'<div class="page"><span class="total">共{records}条</span><div id="page_div"></div>\n'
        '<script type="text/javascript" src="/tacheng/js/common.js"></script>\n'
        f"<script type=\"text/javascript\">createPageHTML('page_div', {pages}, {n}, '{name}', 'shtml', {records});</script></div>"
    )
