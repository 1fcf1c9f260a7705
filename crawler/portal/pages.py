"""Page templates of the three CMS families, each with its own markup, metadata block and pagination.

- xj_shtml (伊宁市 and its Xinjiang siblings): `/yining/c<colid>/zfxxgk_list.shtml`, then
  `common_list_2.shtml`…; plain page links in year columns, a JS pager in unit columns.
- TRS WCM (乌苏市, served in GBK): `index.html`, `index_1.html`… written by
  `createPageHTML(count, current, "index", "html")`, no plain next link.
- Hanweb JCMS (武陟县): `/col/col<id>/index.html` embeds the first records in a `<datastore>`
  block; later pages come from `dataproxy.jsp?columnid=<id>&currpage=N` as XML.
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
