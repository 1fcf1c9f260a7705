"""The sample portal's sites whose lists the server draws: the home pages, the column trees and
the paged lists of 伊宁市, 霍城县 and the benchmark site (xj_shtml), 乌苏市 (TRS, GBK), 武陟县 and its
政府信息公开平台 (Hanweb, with its dataproxy.jsp), and the pages of the two sites only a browser
reads (gated.py)."""

from __future__ import annotations

from urllib.parse import quote

from .agencies import Agency
from .gated import GATED_API, drawn_column, gated_column, gated_records, home_page
from .pages import (
    E,
    hanweb_column_script,
    hanweb_datastore,
    hanweb_record,
    links,
    page,
    trs_list,
    xj_breadcrumb,
    xj_header,
    xj_list_items,
    xj_list_name,
    xj_pager_js,
    xj_pager_links,
)
from .response import Response, html_response
from .sites import (
    BROWSER_COLUMNS,
    CALENDAR,
    DEAD_LINKS,
    HANWEB_PAGE,
    HUOCHENG_YEAR_COLS,
    LOGIN,
    PLATFORM_COLUMN,
    PLATFORM_SIBLING,
    SITE_EPOCH,
    SITES,
    TRS_PAGE,
    XJ_PAGE,
    YEARS,
    YINING_DEPT_GROUP_COL,
    YINING_ROOT_COL,
    YINING_TOWN_GROUP_COL,
    YINING_YEAR_COLS,
)
from .state import PortalState


class SitePages(PortalState):
    """Builds the routes of the server-drawn sites (called once by Portal)."""

    def _build_yining(self) -> None:
        w, home = self.world, "/yining/"
        title = SITES["yining"]["title"]
        hdr = xj_header(title, home)
        crumbs = [("首页", home), ("政府信息公开", home + "zfxxgk/"), ("政府信息公开年报", f"{home}{YINING_ROOT_COL}/")]
        year_cols = [(f"{y}年", f"{home}{YINING_YEAR_COLS[y]}/") for y in YEARS]
        units: dict[str, list[tuple[str, str, Agency]]] = {"department": [], "town": []}
        for a in w.agencies:
            if a.site == "yining" and a.kind in units:
                units[a.kind].append((a.short if a.kind == "town" else a.name, f"{home}{a.slug}/", a))
        self.routes[home] = lambda: html_response(
            page(
                title,
                hdr
                + links(
                    [("政府信息公开", home + "zfxxgk/"), ("站内搜索", home + "search/?q=年报"), ("政务日历", CALENDAR + "2025-01.shtml"),
                     ("用户登录", LOGIN), ("旧版网站", DEAD_LINKS[0])]
                ),
            ),
            SITE_EPOCH,
        )
        self.routes[home + "zfxxgk/"] = lambda: html_response(
            page("政府信息公开", hdr + xj_breadcrumb(crumbs[:2]) + links([("政府信息公开年报", f"{home}{YINING_ROOT_COL}/"),
                 ("政府信息公开指南", home + "zfxxgk/zn.shtml")])),
            SITE_EPOCH,
        )
        self.routes[home + "zfxxgk/zn.shtml"] = lambda: html_response(
            page("政府信息公开指南", hdr + "<p>本指南适用于伊宁市人民政府及其工作部门。</p>"), SITE_EPOCH
        )
        self.routes[f"{home}{YINING_ROOT_COL}/"] = lambda: html_response(
            page("政府信息公开年报", hdr + xj_breadcrumb(crumbs) + "<h3>年度</h3>" + links(year_cols)
                 + "<h3>部门、乡镇</h3>" + links([("部门年报", f"{home}{YINING_DEPT_GROUP_COL}/"), ("乡镇年报", f"{home}{YINING_TOWN_GROUP_COL}/")])),
            SITE_EPOCH,
        )
        for gcol, gname, kind in ((YINING_DEPT_GROUP_COL, "部门年报", "department"), (YINING_TOWN_GROUP_COL, "乡镇年报", "town")):
            self.routes[f"{home}{gcol}/"] = (lambda gname=gname, kind=kind: html_response(
                page(gname, hdr + xj_breadcrumb(crumbs + [(gname, "#")]) + links([(n, u) for n, u, _ in units[kind]])), SITE_EPOCH
            ))
        for y in YEARS:
            self._xj_column("yining", f"{home}{YINING_YEAR_COLS[y]}/", f"{y}年", crumbs, js=False)
        for kind, gcol, gname in (("department", YINING_DEPT_GROUP_COL, "部门年报"), ("town", YINING_TOWN_GROUP_COL, "乡镇年报")):
            for name, col, a in units[kind]:
                if a.login:
                    for p in (col, col + "zfxxgk_list.shtml"):
                        self.routes[p] = (lambda p=p: Response(302, headers={"Location": f"{LOGIN}?returnUrl={quote(p)}"}))
                    continue
                self._xj_column("yining", col, name, crumbs + [(gname, f"{home}{gcol}/")], js=True)
        self.routes[LOGIN] = lambda: html_response(
            page("用户登录", hdr + '<form method="post" action="/yining/member/login.do"><input name="username">'
                 '<input type="password" name="password"><input type="submit" value="登录"></form>'),
            SITE_EPOCH,
        )
        self.routes[home + "search/"] = lambda: html_response(
            page("搜索结果", hdr + xj_list_items([(t, u, d) for col, items in sorted(self.column_items.items())
                                                  if col.startswith(home) for t, u, d in items])), self.today
        )
        self.routes[home + "pdfjs/web/viewer.html"] = lambda: html_response(
            page("PDF.js viewer", '<div id="viewerContainer"><div id="viewer" class="pdfViewer"></div></div>',
                 head='<script src="../build/pdf.js"></script><script src="viewer.js"></script>'),
            SITE_EPOCH,
        )

    def _xj_column(self, site: str, col: str, name: str, crumbs: list[tuple[str, str]], js: bool) -> None:
        items = self._items(col)
        title = SITES[site]["title"]
        hdr = xj_header(title, f"/{site}/")
        pages_n = max(1, -(-len(items) // XJ_PAGE))
        mod = self._modified(items)
        trail = crumbs + [(name, col)]
        self.routes[col] = lambda: html_response(
            page(name, hdr + xj_breadcrumb(trail) + f"<h2>{E(name)}</h2>" + xj_list_items(items[:5])
                 + '<a class="more" href="zfxxgk_list.shtml">更多&gt;&gt;</a>'),
            mod,
        )
        for n in range(1, pages_n + 1):
            chunk = items[(n - 1) * XJ_PAGE : n * XJ_PAGE]
            pager = xj_pager_js(n, pages_n) if js else xj_pager_links(n, pages_n)
            self.routes[col + xj_list_name(n)] = (lambda chunk=chunk, pager=pager: html_response(
                page(name, hdr + xj_breadcrumb(trail) + xj_list_items(chunk) + pager), mod
            ))

    def _build_huocheng(self) -> None:
        """政府信息公开 / 政府信息公开年报 / 2025年: one column a year for every unit of the county."""
        home = "/huocheng/"
        hdr = xj_header(SITES["huocheng"]["title"], home)
        root = home + "c116860/"
        crumbs = [("首页", home), ("政府信息公开", home + "zfxxgk/"), ("政府信息公开年报", root)]
        years = [(f"{y}年", f"{home}{c}/") for y, c in HUOCHENG_YEAR_COLS.items()]
        self.routes[home] = lambda: html_response(page(SITES["huocheng"]["title"], hdr + links(
            [("政府信息公开", home + "zfxxgk/")])), SITE_EPOCH)
        self.routes[home + "zfxxgk/"] = lambda: html_response(page("政府信息公开", hdr + xj_breadcrumb(crumbs[:2])
                                                                   + links([("政府信息公开年报", root)])), SITE_EPOCH)
        self.routes[root] = lambda: html_response(page("政府信息公开年报", hdr + xj_breadcrumb(crumbs)
                                                       + links(years)), SITE_EPOCH)
        for name, col in years:
            self._xj_column("huocheng", col, name, crumbs, js=False)

    def _build_bench(self) -> None:
        units = [a for a in self.world.agencies if a.site == "bench"]
        if not units:
            return
        hdr = xj_header(SITES["bench"]["title"], "/bench/")
        self.routes["/bench/"] = lambda: html_response(page("基准测试", hdr + links([(a.name, f"/bench/{a.slug}/") for a in units])), SITE_EPOCH)
        for a in units:
            self._xj_column("bench", f"/bench/{a.slug}/", a.name, [("首页", "/bench/")], js=False)

    def _build_wusu(self) -> None:
        root = "/wusu/zfxxgk/zfxxgknb/"
        units = [a for a in self.world.agencies if a.site == "wusu"]
        gbk = "gb2312"
        hdr = f'<div class="header"><a href="/wusu/">{E(SITES["wusu"]["title"])}</a></div>'
        self.routes["/wusu/"] = lambda: html_response(page("乌苏市人民政府", hdr + links([("政府信息公开", "/wusu/zfxxgk/")]), gbk), SITE_EPOCH, True)
        self.routes["/wusu/zfxxgk/"] = lambda: html_response(
            page("政府信息公开", hdr + links([("政府信息公开年报", root)]), gbk), SITE_EPOCH, True
        )
        self.routes[root] = lambda: html_response(
            page("政府信息公开年报", hdr + links([(a.name, f"{root}{a.slug}/") for a in units]), gbk), SITE_EPOCH, True
        )
        for a in units:
            col = f"{root}{a.slug}/"
            items = self._items(col)
            count = max(1, -(-len(items) // TRS_PAGE))
            mod = self._modified(items)
            for i in range(count):
                chunk = items[i * TRS_PAGE : (i + 1) * TRS_PAGE]
                # TRS links are relative to the column ("./202501/t…html").
                rel = [(t, "./" + u[len(col):] if u.startswith(col) else u, d) for t, u, d in chunk]
                name = "index.html" if i == 0 else f"index_{i}.html"
                def fn(rel=rel, i=i, count=count, a=a, mod=mod) -> Response:
                    crumb = f'<div class="crumb">首页 &gt; 政府信息公开 &gt; 政府信息公开年报 &gt; {E(a.short)}</div>'
                    return html_response(page(f"{a.short}年报", hdr + crumb + trs_list(rel, i, count), gbk), mod, True)

                self.routes[col + name] = fn
                if i == 0:
                    self.routes[col] = fn

    def _build_wuzhi(self) -> None:
        units = [a for a in self.world.agencies if a.site == "wuzhi"]
        hdr = '<div class="header"><a href="/wuzhi/">武陟县人民政府</a></div>'
        self.routes["/wuzhi/"] = lambda: html_response(page("武陟县人民政府", hdr + links([("政务公开", "/wuzhi/col/col1000/index.html")])), SITE_EPOCH)
        self.routes["/wuzhi/col/col1000/index.html"] = lambda: html_response(
            page("政府信息公开年度报告", hdr + '<div class="crumb">政务公开 -- 政府信息公开年度报告</div>'
                 + links([(a.name, a.column_paths[0]) for a in units])), SITE_EPOCH
        )
        self.hanweb = {}
        self.hanweb_mod = {}
        units = [a for a in units if a.registered]
        self._build_platform(hdr)
        for a in units:
            col = a.column_paths[0]
            items = self._items(col)
            recs = [hanweb_record(t, u, d) for t, u, d in items]
            self.hanweb[a.slug] = recs
            total = max(1, -(-len(recs) // HANWEB_PAGE))
            mod = self._modified(items)
            self.routes[col] = (lambda a=a, recs=recs, total=total, mod=mod: html_response(
                page(a.name, hdr + f'<div class="crumb">政务公开 -- 政府信息公开年度报告 -- {E(a.short)}</div>'
                     + f'<div id="{a.slug}"><script type="text/xml">'
                     + hanweb_datastore(recs[:HANWEB_PAGE], len(recs), total, HANWEB_PAGE, a.slug)
                     + "</script></div>" + hanweb_column_script(a.slug, total)), mod))
            self.hanweb_mod[a.slug] = mod

    def _build_platform(self, hdr: str) -> None:
        """A 政府信息公开平台 column listing another county's reports, one of them on the other host."""
        items = self._items(PLATFORM_COLUMN)
        sibling = {r.article_path for r in self.world.reports if (r.agency.name, r.year) == PLATFORM_SIBLING}
        mod = self._modified(items)

        def platform_page() -> Response:
            # the record on the other host is linked absolutely, as platforms link zwgk.<city>.gov.cn
            recs = [hanweb_record(t, (self.base_url + u) if u in sibling else u, d) for t, u, d in items]
            return html_response(page("政府信息公开平台", hdr + '<div class="crumb">政府信息公开平台 -- 县区年报</div>'
                                      + '<div id="1500"><script type="text/xml">'
                                      + hanweb_datastore(recs, len(recs), 1, max(len(recs), 1), "1500")
                                      + "</script></div>" + hanweb_column_script("1500", 1)), mod)

        self.routes[PLATFORM_COLUMN] = platform_page


    def _build_browser_sites(self) -> None:
        """The gated county and the county whose list an inline array draws (gated.py)."""
        for site, col in BROWSER_COLUMNS.items():
            if not any(a.site == site for a in self.world.agencies):
                continue
            home, title, items = SITES[site]["home"], SITES[site]["title"], self._items(col)
            mod = self._modified(items)
            self.routes[home] = (lambda t=title, h=home, c=col: html_response(home_page(t, h, c), SITE_EPOCH))
            if site == "gated":
                self.routes[col] = (lambda t=title, h=home, m=mod: html_response(gated_column(t, h), m))
                self.routes[GATED_API] = (lambda items=items, m=mod: Response(
                    body=gated_records(items), ctype="application/json; charset=utf-8", modified=m))
            else:
                self.routes[col] = (lambda t=title, h=home, items=items, m=mod: html_response(
                    drawn_column(t, h, items), m))

    def calendar_page(self, path: str) -> Response | None:
        """An endless calendar: every month links to the one before and after it."""
        if not (path.startswith(CALENDAR) and path.endswith(".shtml")):
            return None
        ym = path[len(CALENDAR) : -len(".shtml")]
        try:
            y, m = (int(x) for x in ym.split("-"))
            assert 1 <= m <= 12 and 1 <= y <= 9999
        except (ValueError, AssertionError):
            return None
        prev = f"{y - (m == 1):04d}-{12 if m == 1 else m - 1:02d}"
        nxt = f"{y + (m == 12):04d}-{1 if m == 12 else m + 1:02d}"
        body = page(f"政务日历 {ym}", f'<h2>{y}年{m}月</h2><a href="{prev}.shtml">上一月</a> <a href="{nxt}.shtml">下一月</a>')
        return html_response(body, SITE_EPOCH)

    def hanweb_api(self, query: dict[str, list[str]]) -> Response:
        """Hanweb's dataproxy.jsp (GET): one page of a column's records as XML."""
        colid = (query.get("columnid") or [""])[0]
        recs = self.hanweb.get(colid)
        if recs is None:
            return Response(400, body=f"unknown columnid {colid!r}".encode(), ctype="text/plain; charset=utf-8")
        try:
            n = int((query.get("currpage") or ["1"])[0])
        except ValueError:
            return Response(400, body=b"currpage must be a number", ctype="text/plain; charset=utf-8")
        total = max(1, -(-len(recs) // HANWEB_PAGE))
        chunk = recs[(n - 1) * HANWEB_PAGE : n * HANWEB_PAGE] if n >= 1 else []
        xml = '<?xml version="1.0" encoding="UTF-8"?>' + hanweb_datastore(chunk, len(recs), total, HANWEB_PAGE, colid)
        return Response(body=xml.encode(), ctype="text/xml; charset=utf-8", modified=self.hanweb_mod[colid])
