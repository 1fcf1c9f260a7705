"""The sample portal's HTTP server: the standard library's ThreadingHTTPServer on 127.0.0.1 only.

Why the standard library: no event loop to share with Scrapy's Twisted reactor, a thread per
connection with HTTP/1.1 keep-alive is fast enough (well over 500 pages/s on loopback), and it can
run inside a test process or `gongkai demo` as a daemon thread.

Every page is built once on first request and cached with its ETag, so responses are byte-for-byte
stable; `Last-Modified` is the day the content appeared (never the wall clock), so two portals
started with the same options serve the same bytes and headers.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import socket
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, quote, urlsplit

from . import gated as G
from . import pages as P
from .model import (
    BROWSER_COLUMNS,
    DEFAULT_TODAY,
    HUOCHENG,
    HUOCHENG_YEAR_COLS,
    PLATFORM_COLUMN,
    PLATFORM_SIBLING,
    REGIONS,
    SCRIPT_COLUMNS,
    SITE_EPOCH,
    SITES,
    YEARS,
    YINING_DEPT_GROUP_COL,
    YINING_ROOT_COL,
    YINING_TOWN_GROUP_COL,
    YINING_YEAR_COLS,
    Agency,
    Lookalike,
    Report,
    World,
    failing_checks,
    load_seed,
    parse_day,
    platform_base,
)
from .render import blocks_docx, blocks_html, blocks_pdf, cn_date, legacy_blocks, report_blocks, seed_blocks

XJ_PAGE = 6
TRS_PAGE = 5
HANWEB_PAGE = 5
# The script-list columns (model.SCRIPT_COLUMNS): page sizes and the ids their scripts carry.
TRT_PAGE = 10
TRT_API = "/trsapi/search/list2.trsapi"
TRT_CHANNEL = ("6f0c2d8e9a4b4c1d8e7f", "41233")  # listArgs channelid, classsql chnlid=…
JPAGE = {"per_page": 5, "group": 3, "unitid": "6800001", "webid": "3101", "columnid": "1229400001"}
JPAGE_API = "/module/web/jpage/dataproxy.jsp"
CODEID = {"api": "/altay/getFileListByCodeId", "codeId": "c100321", "channelId": "e3b0c44298fc1c149afbf4c8996fb924", "size": 5}
JYH_PAGE = 6
ROBOTS = "User-agent: *\nDisallow: /yining/search/\nDisallow: /yining/member/\n"
DEAD_LINKS = ["/yining/old/index.html", "/yining/c118490/202203/jianbao3.shtml"]
CALENDAR = "/yining/calendar/"
LOGIN = "/yining/login.shtml"
REDIRECT_CHAIN = ["/yining/zwgk/xxgknb/2019.html", "/yining/zwgk/xxgknb/2019/"]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    ctype: str = "text/html; charset=utf-8"
    modified: date | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    stream: Callable[[], Iterator[bytes]] | None = None  # for the very large file
    length: int | None = None
    etag: str | None = None

    def finish(self) -> Response:
        if self.status == 200 and self.etag is None:
            seed = self.body if self.stream is None else f"stream|{self.length}".encode()
            self.etag = '"' + hashlib.sha1(seed).hexdigest()[:20] + '"'
        return self


def http_date(d: date) -> str:
    return email.utils.format_datetime(datetime(d.year, d.month, d.day, 2, 0, 0, tzinfo=UTC), usegmt=True)


def html_response(text: str, modified: date | None, gbk: bool = False) -> Response:
    if gbk:
        return Response(body=text.encode("gbk", "xmlcharrefreplace"), ctype="text/html; charset=GBK", modified=modified)
    return Response(body=text.encode("utf-8"), modified=modified)


def static_file(name: str) -> bytes:
    return (resources.files("crawler.portal") / "static" / name).read_bytes()


def static_manifest() -> dict:
    try:
        return json.loads(static_file("manifest.json"))
    except FileNotFoundError:
        return {}


class Portal:
    """The site for one (today, scale) and its request-level behaviour (faults, retries)."""

    def __init__(
        self,
        today: str | date | None = None,
        scale: int = 0,
        faults: float = 0.0,
        slow_delay: float = 2.0,
        fault_timeout: float = 20.0,
        large_size: int = 40 * 1024 * 1024,
        cache_limit: int = 256 * 1024 * 1024,
        fail_api: bool = False,
    ):
        if not 0.0 <= faults <= 1.0:
            raise ValueError(f"--faults {faults}: must be a share between 0 and 1")
        if scale < 0:
            raise ValueError(f"--scale {scale}: must be 0 or more")
        self.today = parse_day(today or DEFAULT_TODAY)
        self.world = World(self.today, scale)
        self.faults = faults
        self.slow_delay = slow_delay
        self.fault_timeout = fault_timeout
        self.large_size = large_size
        # every list API (trsapi, dataproxy.jsp POST, getFileListByCodeId, the script-only pages of
        # the 集约化 column) answers 500: the crawl can only see the columns' static parts
        self.fail_api = fail_api
        self.base_url = "http://127.0.0.1"  # set by make_server once the port is known
        self.routes: dict[str, Callable[[], Response]] = {}
        # Rendered pages, least recently used first; bounded so --scale 2000 stays small in memory
        # (a page dropped from the cache renders to the same bytes next time).
        self.cache: OrderedDict[str, Response] = OrderedDict()
        self.cache_bytes = 0
        self.cache_limit = cache_limit
        self.lock = threading.Lock()
        self.attempts: dict[str, int] = {}
        self.manifest = static_manifest()
        self.flaky_paths = {r.article_path: r.flaky for r in self.world.reports if r.flaky}
        self._build()

    # ------------------------------------------------------------------------------------------ building

    def _build(self) -> None:
        w = self.world
        r = self.routes
        r["/robots.txt"] = lambda: Response(body=ROBOTS.encode(), ctype="text/plain; charset=utf-8", modified=SITE_EPOCH)
        r["/"] = lambda: html_response(P.page("样例政府门户", P.links([(s["title"], s["home"]) for s in SITES.values()])), SITE_EPOCH)
        # Which column lists what: reports by their agency's columns and extra columns, lookalikes by theirs.
        self.column_items: dict[str, list[tuple[str, str, date]]] = {}
        for rep in w.reports:
            cols = list(rep.agency.column_paths)
            if rep.agency.kind == "government" and rep.agency.site == "yining":
                cols = [f"/yining/{YINING_YEAR_COLS[rep.year]}/"]
            elif rep.agency.site == "huocheng":  # the year's shared column
                cols = [f"/huocheng/{HUOCHENG_YEAR_COLS[rep.year]}/"]
            for col in cols:
                self.column_items.setdefault(col, []).append((rep.title, rep.list_path(), rep.portal_date))
            for col in rep.extra_columns:
                self.column_items.setdefault(col, []).append((rep.title, rep.alias_path or rep.article_path, rep.portal_date))
            self._add_report(rep)
        for lk in w.lookalikes:
            self.column_items.setdefault(lk.column, []).append((lk.title, lk.path, lk.day))
            self.routes[lk.path] = (lambda lk=lk: self._lookalike_page(lk))
            if lk.kind == "large":
                self.routes[lk.large_path] = (lambda lk=lk: self._large(lk))
        if date(2022, 3, 1) <= self.today:  # a dead link in the 2021 year column
            self.column_items.setdefault(f"/yining/{YINING_YEAR_COLS[2021]}/", []).append(
                ("伊宁市政务公开工作简报（第3期）", DEAD_LINKS[1], date(2022, 3, 1))
            )
        self.listed_in: dict[str, set[str]] = {}  # item URL -> the columns that list it
        for col, items in self.column_items.items():
            items.sort(key=lambda x: (x[2], x[1]), reverse=True)
            for _, u, _ in items:
                self.listed_in.setdefault(u, set()).add(col)
        self._build_yining()
        self._build_bench()
        self._build_wusu()
        self._build_wuzhi()
        self._build_script_sites()
        self._build_huocheng()
        self._build_browser_sites()

    def _add_report(self, rep: Report) -> None:
        self.routes[rep.article_path] = lambda: self._article(rep)
        if rep.alias_path:
            self.routes[rep.alias_path] = lambda: self._article(rep)
        if rep.attachment_path:
            self.routes[rep.attachment_path] = lambda: self._attachment(rep)
        if rep.redirect_from:
            self.routes[REDIRECT_CHAIN[0]] = lambda: Response(301, headers={"Location": REDIRECT_CHAIN[1]})
            self.routes[REDIRECT_CHAIN[1]] = lambda: Response(302, headers={"Location": rep.article_path})

    def _items(self, col: str) -> list[tuple[str, str, date]]:
        return self.column_items.get(col, [])

    def _modified(self, items: list[tuple[str, str, date]]) -> date:
        return max([SITE_EPOCH] + [d for _, _, d in items])

    def _build_yining(self) -> None:
        w, home = self.world, "/yining/"
        title = SITES["yining"]["title"]
        hdr = P.xj_header(title, home)
        crumbs = [("首页", home), ("政府信息公开", home + "zfxxgk/"), ("政府信息公开年报", f"{home}{YINING_ROOT_COL}/")]
        year_cols = [(f"{y}年", f"{home}{YINING_YEAR_COLS[y]}/") for y in YEARS]
        units = {"department": [], "town": []}
        for a in w.agencies:
            if a.site == "yining" and a.kind in units:
                units[a.kind].append((a.short if a.kind == "town" else a.name, f"{home}{a.slug}/", a))
        self.routes[home] = lambda: html_response(
            P.page(
                title,
                hdr
                + P.links(
                    [("政府信息公开", home + "zfxxgk/"), ("站内搜索", home + "search/?q=年报"), ("政务日历", CALENDAR + "2025-01.shtml"),
                     ("用户登录", LOGIN), ("旧版网站", DEAD_LINKS[0])]
                ),
            ),
            SITE_EPOCH,
        )
        self.routes[home + "zfxxgk/"] = lambda: html_response(
            P.page("政府信息公开", hdr + P.xj_breadcrumb(crumbs[:2]) + P.links([("政府信息公开年报", f"{home}{YINING_ROOT_COL}/"),
                   ("政府信息公开指南", home + "zfxxgk/zn.shtml")])),
            SITE_EPOCH,
        )
        self.routes[home + "zfxxgk/zn.shtml"] = lambda: html_response(
            P.page("政府信息公开指南", hdr + "<p>本指南适用于伊宁市人民政府及其工作部门。</p>"), SITE_EPOCH
        )
        self.routes[f"{home}{YINING_ROOT_COL}/"] = lambda: html_response(
            P.page("政府信息公开年报", hdr + P.xj_breadcrumb(crumbs) + "<h3>年度</h3>" + P.links(year_cols)
                   + "<h3>部门、乡镇</h3>" + P.links([("部门年报", f"{home}{YINING_DEPT_GROUP_COL}/"), ("乡镇年报", f"{home}{YINING_TOWN_GROUP_COL}/")])),
            SITE_EPOCH,
        )
        for gcol, gname, kind in ((YINING_DEPT_GROUP_COL, "部门年报", "department"), (YINING_TOWN_GROUP_COL, "乡镇年报", "town")):
            self.routes[f"{home}{gcol}/"] = (lambda gname=gname, kind=kind: html_response(
                P.page(gname, hdr + P.xj_breadcrumb(crumbs + [(gname, "#")]) + P.links([(n, u) for n, u, _ in units[kind]])), SITE_EPOCH
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
            P.page("用户登录", hdr + '<form method="post" action="/yining/member/login.do"><input name="username">'
                   '<input type="password" name="password"><input type="submit" value="登录"></form>'),
            SITE_EPOCH,
        )
        self.routes[home + "search/"] = lambda: html_response(
            P.page("搜索结果", hdr + P.xj_list_items([(t, u, d) for col, items in sorted(self.column_items.items())
                                                      if col.startswith(home) for t, u, d in items])), self.today
        )
        self.routes[home + "pdfjs/web/viewer.html"] = lambda: html_response(
            P.page("PDF.js viewer", '<div id="viewerContainer"><div id="viewer" class="pdfViewer"></div></div>',
                   head='<script src="../build/pdf.js"></script><script src="viewer.js"></script>'),
            SITE_EPOCH,
        )

    def _xj_column(self, site: str, col: str, name: str, crumbs: list[tuple[str, str]], js: bool) -> None:
        items = self._items(col)
        title = SITES[site]["title"]
        hdr = P.xj_header(title, f"/{site}/")
        pages_n = max(1, -(-len(items) // XJ_PAGE))
        mod = self._modified(items)
        trail = crumbs + [(name, col)]
        self.routes[col] = lambda: html_response(
            P.page(name, hdr + P.xj_breadcrumb(trail) + f"<h2>{P.E(name)}</h2>" + P.xj_list_items(items[:5])
                   + '<a class="more" href="zfxxgk_list.shtml">更多&gt;&gt;</a>'),
            mod,
        )
        for n in range(1, pages_n + 1):
            chunk = items[(n - 1) * XJ_PAGE : n * XJ_PAGE]
            pager = P.xj_pager_js(n, pages_n) if js else P.xj_pager_links(n, pages_n)
            self.routes[col + P.xj_list_name(n)] = (lambda chunk=chunk, pager=pager: html_response(
                P.page(name, hdr + P.xj_breadcrumb(trail) + P.xj_list_items(chunk) + pager), mod
            ))

    def _build_huocheng(self) -> None:
        """政府信息公开 / 政府信息公开年报 / 2025年: one column a year for every unit of the county."""
        home = "/huocheng/"
        hdr = P.xj_header(SITES["huocheng"]["title"], home)
        root = home + "c116860/"
        crumbs = [("首页", home), ("政府信息公开", home + "zfxxgk/"), ("政府信息公开年报", root)]
        years = [(f"{y}年", f"{home}{c}/") for y, c in HUOCHENG_YEAR_COLS.items()]
        self.routes[home] = lambda: html_response(P.page(SITES["huocheng"]["title"], hdr + P.links(
            [("政府信息公开", home + "zfxxgk/")])), SITE_EPOCH)
        self.routes[home + "zfxxgk/"] = lambda: html_response(P.page("政府信息公开", hdr + P.xj_breadcrumb(crumbs[:2])
                                                                     + P.links([("政府信息公开年报", root)])), SITE_EPOCH)
        self.routes[root] = lambda: html_response(P.page("政府信息公开年报", hdr + P.xj_breadcrumb(crumbs)
                                                         + P.links(years)), SITE_EPOCH)
        for name, col in years:
            self._xj_column("huocheng", col, name, crumbs, js=False)

    def _build_bench(self) -> None:
        units = [a for a in self.world.agencies if a.site == "bench"]
        if not units:
            return
        hdr = P.xj_header(SITES["bench"]["title"], "/bench/")
        self.routes["/bench/"] = lambda: html_response(P.page("基准测试", hdr + P.links([(a.name, f"/bench/{a.slug}/") for a in units])), SITE_EPOCH)
        for a in units:
            self._xj_column("bench", f"/bench/{a.slug}/", a.name, [("首页", "/bench/")], js=False)

    def _build_wusu(self) -> None:
        root = "/wusu/zfxxgk/zfxxgknb/"
        units = [a for a in self.world.agencies if a.site == "wusu"]
        gbk = "gb2312"
        hdr = f'<div class="header"><a href="/wusu/">{P.E(SITES["wusu"]["title"])}</a></div>'
        self.routes["/wusu/"] = lambda: html_response(P.page("乌苏市人民政府", hdr + P.links([("政府信息公开", "/wusu/zfxxgk/")]), gbk), SITE_EPOCH, True)
        self.routes["/wusu/zfxxgk/"] = lambda: html_response(
            P.page("政府信息公开", hdr + P.links([("政府信息公开年报", root)]), gbk), SITE_EPOCH, True
        )
        self.routes[root] = lambda: html_response(
            P.page("政府信息公开年报", hdr + P.links([(a.name, f"{root}{a.slug}/") for a in units]), gbk), SITE_EPOCH, True
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
                    crumb = f'<div class="crumb">首页 &gt; 政府信息公开 &gt; 政府信息公开年报 &gt; {P.E(a.short)}</div>'
                    return html_response(P.page(f"{a.short}年报", hdr + crumb + P.trs_list(rel, i, count), gbk), mod, True)

                self.routes[col + name] = fn
                if i == 0:
                    self.routes[col] = fn

    def _build_wuzhi(self) -> None:
        units = [a for a in self.world.agencies if a.site == "wuzhi"]
        hdr = '<div class="header"><a href="/wuzhi/">武陟县人民政府</a></div>'
        self.routes["/wuzhi/"] = lambda: html_response(P.page("武陟县人民政府", hdr + P.links([("政务公开", "/wuzhi/col/col1000/index.html")])), SITE_EPOCH)
        self.routes["/wuzhi/col/col1000/index.html"] = lambda: html_response(
            P.page("政府信息公开年度报告", hdr + '<div class="crumb">政务公开 -- 政府信息公开年度报告</div>'
                   + P.links([(a.name, a.column_paths[0]) for a in units])), SITE_EPOCH
        )
        self.hanweb: dict[str, list[str]] = {}
        units = [a for a in units if a.registered]
        self._build_platform(hdr)
        for a in units:
            col = a.column_paths[0]
            items = self._items(col)
            recs = [P.hanweb_record(t, u, d) for t, u, d in items]
            self.hanweb[a.slug] = recs
            total = max(1, -(-len(recs) // HANWEB_PAGE))
            mod = self._modified(items)
            self.routes[col] = (lambda a=a, recs=recs, total=total, mod=mod: html_response(
                P.page(a.name, hdr + f'<div class="crumb">政务公开 -- 政府信息公开年度报告 -- {P.E(a.short)}</div>'
                       + f'<div id="{a.slug}"><script type="text/xml">'
                       + P.hanweb_datastore(recs[:HANWEB_PAGE], len(recs), total, HANWEB_PAGE, a.slug)
                       + "</script></div>" + P.hanweb_column_script(a.slug, total)), mod))
            self.hanweb_mod = getattr(self, "hanweb_mod", {})
            self.hanweb_mod[a.slug] = mod

    def _build_platform(self, hdr: str) -> None:
        """A 政府信息公开平台 column listing another county's reports, one of them on the other host."""
        items = self._items(PLATFORM_COLUMN)
        sibling = {r.article_path for r in self.world.reports if (r.agency.name, r.year) == PLATFORM_SIBLING}
        mod = self._modified(items)

        def page() -> Response:
            # the record on the other host is linked absolutely, as platforms link zwgk.<city>.gov.cn
            recs = [P.hanweb_record(t, (self.base_url + u) if u in sibling else u, d) for t, u, d in items]
            return html_response(P.page("政府信息公开平台", hdr + '<div class="crumb">政府信息公开平台 -- 县区年报</div>'
                                        + '<div id="1500"><script type="text/xml">'
                                        + P.hanweb_datastore(recs, len(recs), 1, max(len(recs), 1), "1500")
                                        + "</script></div>" + P.hanweb_column_script("1500", 1)), mod)

        self.routes[PLATFORM_COLUMN] = page

    def _script_home(self, site: str, crumb: str) -> None:
        home, title = SITES[site]["home"], SITES[site]["title"]
        self.routes[home] = lambda: html_response(
            P.page(title, f'<div class="header"><a href="{home}">{P.E(title)}</a></div>'
                   + P.links([("政府信息公开年报", SCRIPT_COLUMNS[site])])), SITE_EPOCH)
        self.script_hdr[site] = (f'<div class="header"><a href="{home}">{P.E(title)}</a></div>'
                                 f'<div class="crumb">{P.E(crumb)}</div>')

    def _build_script_sites(self) -> None:
        """The four columns whose lists a script draws, one per CMS family (pages.py says how)."""
        self.script_hdr: dict[str, str] = {}
        self.script_items: dict[str, list[tuple[str, str, date]]] = {}
        for site in SCRIPT_COLUMNS:
            if not any(a.site == site for a in self.world.agencies):
                continue
            items = self._items(SCRIPT_COLUMNS[site])
            self.script_items[site] = items
        if "kfq" in self.script_items:
            self._script_home("kfq", "首页 > 政府信息公开 > 法定主动公开内容 > 政府信息公开年报")
            col, items = SCRIPT_COLUMNS["kfq"], self.script_items["kfq"]
            rel = [(t, "./" + u[len(col):] if u.startswith(col) else u, d) for t, u, d in items[:TRT_PAGE]]
            def trt(rel: list = rel, items: list = items) -> Response:
                return html_response(P.page("政府信息公开年报", self.script_hdr["kfq"] + P.trt_column(
                    rel, len(items), TRT_PAGE, *TRT_CHANNEL)), self._modified(items))

            self.routes[col] = trt
            self.routes[col + "index.html"] = trt
        if "xianju" in self.script_items:
            self._script_home("xianju", "信息公开 -- 政府信息公开年报")
            col, items = SCRIPT_COLUMNS["xianju"], self.script_items["xianju"]
            self.jpage_records = [P.hanweb_record(t, u, d) for t, u, d in items]
            form = {"col": 1, "appid": 1, "webid": int(JPAGE["webid"]), "path": "/", "columnid": int(JPAGE["columnid"]),
                    "sourceContentType": 1, "unitid": JPAGE["unitid"], "webname": SITES["xianju"]["title"], "permissiontype": 0}
            first = self.jpage_records[: JPAGE["per_page"] * JPAGE["group"]]
            self.routes[col] = (lambda first=first, form=form, items=items: html_response(P.page(
                "政府信息公开年报", self.script_hdr["xianju"] + P.jpage_column(
                    JPAGE["unitid"], first, len(self.jpage_records), JPAGE["per_page"], JPAGE["group"], form)),
                self._modified(items)))
        if "altay" in self.script_items:
            self._script_home("altay", "首页 > 政府信息公开 > 政府信息公开年报")
            col, items = SCRIPT_COLUMNS["altay"], self.script_items["altay"]
            self.routes[col] = (lambda items=items: html_response(P.page("政府信息公开年报", self.script_hdr["altay"] + P.codeid_column(
                CODEID["api"], CODEID["codeId"], CODEID["channelId"], CODEID["size"])), self._modified(items)))
        if "tacheng" in self.script_items:
            self._script_home("tacheng", "首页 > 政府信息公开 > 政府信息公开年报")
            col, items = SCRIPT_COLUMNS["tacheng"], self.script_items["tacheng"]
            pages = max(1, -(-len(items) // JYH_PAGE))
            for n in range(1, pages + 1):
                chunk = items[(n - 1) * JYH_PAGE : n * JYH_PAGE]

                def fn(chunk=chunk, n=n, pages=pages, items=items) -> Response:
                    if n > 1 and self.fail_api:
                        return Response(500, body=b"Internal Server Error", ctype="text/plain; charset=utf-8")
                    return html_response(P.page("政府信息公开年报", self.script_hdr["tacheng"] + P.xj_list_items(chunk)
                                                + P.jyh_pager(n, pages, len(items))), self._modified(items))

                self.routes[col + ("common_list.shtml" if n == 1 else f"common_list_{n}.shtml")] = fn
                if n == 1:
                    self.routes[col] = fn

    def _build_browser_sites(self) -> None:
        """The gated county and the county whose list an inline array draws (gated.py)."""
        for site, col in BROWSER_COLUMNS.items():
            if not any(a.site == site for a in self.world.agencies):
                continue
            home, title, items = SITES[site]["home"], SITES[site]["title"], self._items(col)
            mod = self._modified(items)
            self.routes[home] = (lambda t=title, h=home, c=col: html_response(G.home_page(t, h, c), SITE_EPOCH))
            if site == "gated":
                self.routes[col] = (lambda t=title, h=home, m=mod: html_response(G.gated_column(t, h), m))
                self.routes[G.GATED_API] = (lambda items=items, m=mod: Response(
                    body=G.gated_records(items), ctype="application/json; charset=utf-8", modified=m))
            else:
                self.routes[col] = (lambda t=title, h=home, items=items, m=mod: html_response(
                    G.drawn_column(t, h, items), m))

    def browser_traps(self, base_url: str) -> dict:
        """What only a browser reaches: the gate (its cookie, the columns and files behind it) and
        the script-drawn columns, with how many records each lists."""
        w = self.world
        return {
            "gate": {"cookie": G.GATE_COOKIE, "status": 412, "prefix": base_url + G.GATE_PREFIX,
                     "attachments": [base_url + r.attachment_path for r in w.reports
                                     if r.agency.site == "gated" and r.attachment_path]},
            "columns": [{"column": base_url + col, "gated": site == "gated", "listed": len(self._items(col)),
                         "static": 0, "agencies": [a.name for a in w.agencies if a.site == site]}
                        for site, col in BROWSER_COLUMNS.items() if any(a.site == site for a in w.agencies)],
        }

    def _trsapi(self, query: dict[str, list[str]]) -> Response:
        items = self.script_items.get("kfq")
        q = {k: v[0] for k, v in query.items()}
        if items is None or q.get("channelid") != TRT_CHANNEL[0] or q.get("classsql") != f"chnlid={TRT_CHANNEL[1]}":
            return Response(400, body=b'{"code": 400, "msg": "unknown channelid/classsql"}', ctype="application/json")
        try:
            page, size = int(q.get("page", "1")), int(q.get("prepage", str(TRT_PAGE)))
        except ValueError:
            return Response(400, body=b'{"code": 400, "msg": "page and prepage must be numbers"}', ctype="application/json")
        if self.fail_api:
            return Response(500, body=b'{"code": 500, "msg": "search service unavailable"}', ctype="application/json")
        chunk = items[(page - 1) * size : page * size] if page >= 1 and size >= 1 else []
        answer = {"code": 200, "recordCount": len(items), "pageCount": max(1, -(-len(items) // max(size, 1))), "page": page,
                  "prepage": size, "datas": [{"doctitle": t, "docpuburl": u, "docreltime": f"{d.isoformat()} 09:30:00"}
                                             for t, u, d in chunk]}
        return Response(body=json.dumps(answer, ensure_ascii=False).encode(), ctype="application/json; charset=utf-8",
                        modified=self._modified(items))

    def respond_post(self, path: str, query: dict[str, list[str]], form: dict[str, list[str]]) -> Response:
        """The list APIs that take a form (POST): Hanweb's dataproxy.jsp, getFileListByCodeId."""
        f = {k: v[0] for k, v in form.items()}
        q = {k: v[0] for k, v in query.items()}
        if path == JPAGE_API and hasattr(self, "jpage_records"):
            if f.get("columnid") != JPAGE["columnid"] or f.get("unitid") != JPAGE["unitid"]:
                return Response(400, body=b"unknown columnid/unitid", ctype="text/plain; charset=utf-8")
            try:
                start, end, per = int(q["startrecord"]), int(q["endrecord"]), int(q["perpage"])
            except (KeyError, ValueError):
                return Response(400, body=b"startrecord, endrecord, perpage: numbers required", ctype="text/plain; charset=utf-8")
            if self.fail_api:
                return Response(500, body=b"Internal Server Error", ctype="text/plain; charset=utf-8")
            recs = self.jpage_records[max(start - 1, 0) : max(end, 0)]
            xml = P.jpage_datastore(recs, len(self.jpage_records), per, start, end)
            return Response(body=xml.encode(), ctype="text/xml; charset=utf-8", modified=self._modified(self.script_items["xianju"]))
        if path == CODEID["api"] and "altay" in self.script_items:
            items = self.script_items["altay"]
            if f.get("codeId") != CODEID["codeId"] or f.get("channelId", "") not in ("", CODEID["channelId"]):
                return Response(200, body=b'{"code": 404, "msg": "no such codeId", "results": null}', ctype="application/json")
            try:
                page = int(f.get("page") or f.get("pageNo") or "1")
                size = int(f.get("size") or f.get("pageSize") or "20")
            except ValueError:
                return Response(400, body=b'{"code": 400, "msg": "page/size"}', ctype="application/json")
            if self.fail_api:
                return Response(500, body=b'{"code": 500, "msg": "service error"}', ctype="application/json")
            chunk = items[(page - 1) * size : page * size] if page >= 1 and size >= 1 else []
            rows = [{"title": t, "titleHtml": P.E(t), "url": u, "publishedTimeStr": f"{d.isoformat()} 10:00:00",
                     "channelId": CODEID["channelId"]} for t, u, d in chunk]
            answer = {"code": 200, "msg": "success", "results": {"data": {"page": page, "rows": size, "total": len(items),
                                                                        "results": rows}}}
            return Response(body=json.dumps(answer, ensure_ascii=False).encode(), ctype="application/json; charset=utf-8",
                            modified=self._modified(items))
        return Response(405, body=b"method not allowed", ctype="text/plain; charset=utf-8")

    # ------------------------------------------------------------------------------------------ pages

    def _meta(self, rep: Report, site: str) -> str:
        a, d = rep.agency, rep.portal_date
        index = f"{a.slug or 'zfb'}/{d.year}-{int(rep.key[:4], 16) % 90000 + 10:05d}"
        if site == "huocheng":  # the portal names the county as publisher of every unit's report
            return P.xj_meta([("发布机构", HUOCHENG), ("索引号", index), ("公开目录", f"{rep.year}年"),
                              ("日期", d.isoformat())])
        if site in ("yining", "bench"):
            return P.xj_meta([("发布机构", a.name), ("索引号", index), ("公开目录", str(rep.year)), ("文号", ""),
                              ("日期", d.isoformat()), ("主题", "政府信息公开年报"), ("有效性", "有效")])
        if site == "wusu":
            return P.trs_meta([("索引号", index), ("发布机构", a.name), ("发文日期", cn_date(d)), ("文号", ""), ("有效性", "有效")])
        if site == "kfq":  # the trt article shows no date of its own: the list's date is the portal's
            return f'<div class="info"><span>来源：{P.E(a.name)}</span> <span>浏览次数：<b id="count"></b></span></div>'
        if site == "tacheng":
            return P.xj_meta([("发布机构", a.name), ("索引号", index), ("日期", d.isoformat())])
        if site in ("altay", *BROWSER_COLUMNS):
            return P.trs_meta([("索引号", index), ("发布机构", a.name), ("发布日期", d.isoformat())])
        return P.hanweb_meta([("索引号", index), ("主题分类", "其他"), ("组配分类", "政府信息公开年报"), ("发布机构", a.name),
                              ("生成日期", d.isoformat()), ("公开方式", "主动公开")])

    def _article(self, rep: Report) -> Response:
        v = rep.version(self.today)
        site = rep.agency.site
        att = rep.attachment_path
        name = f"{rep.title}.{att.rsplit('.', 1)[1]}" if att else ""
        if site in ("wusu", "kfq") and att:  # TRS links attachments relative to the article
            att = "./" + att.rsplit("/", 1)[1]
        if rep.seed:
            data, _ = load_seed(rep.seed)
            content = blocks_html(seed_blocks(data)) if rep.form == "seed-html" else f'<p>附件：<a href="{P.E(att)}">{P.E(name)}</a></p>'
        elif rep.form == "html":
            content = blocks_html(report_blocks(rep, v))
        elif rep.form == "legacy":
            content = blocks_html(legacy_blocks(rep))
        elif rep.form == "html+pdf":
            content = blocks_html(report_blocks(rep, v, tables=False)) + f'<p>附件：<a href="{P.E(att)}">{P.E(rep.title)}统计表.pdf</a></p>'
        elif rep.link == "onclick":
            content = f'<p>{P.E(rep.title)}（详见附件）</p><p><a href="javascript:void(0);" onclick="window.open(\'{att}\')">{P.E(name)}</a></p>'
        elif rep.link == "iframe":
            content = f'<iframe src="{P.E(att)}" width="100%" height="900" frameborder="0"></iframe>'
        elif rep.link == "embed":
            content = f'<embed src="{P.E(att)}" type="application/pdf" width="100%" height="900">'
        elif rep.link == "viewer":
            content = f'<p><a href="/yining/pdfjs/web/viewer.html?file={quote(att, safe="")}" target="_blank">在线阅读：{P.E(name)}</a></p>'
        else:
            content = f'<p>{P.E(rep.title)}（详见附件）</p><p>附件：<a href="{P.E(att)}">{P.E(name)}</a></p>'
        body = (
            f'<div class="header"><a href="{SITES[site]["home"]}">{P.E(SITES[site]["title"])}</a></div>'
            + self._meta(rep, site)
            + f'<h1 class="title">{P.E(rep.title)}</h1><div class="TRS_Editor">{content}</div>'
        )
        charset = "gb2312" if rep.gbk else "utf-8"
        resp = html_response(P.page(rep.title, body, charset), v.since, rep.gbk)
        return resp

    def _attachment(self, rep: Report) -> Response:
        v = rep.version(self.today)
        if rep.seed:
            data, _ = load_seed(rep.seed)
            blocks = seed_blocks(data)
            if rep.seed_form == "docx":
                return Response(body=blocks_docx(blocks, rep.title, rep.portal_date), ctype=DOCX, modified=v.since)
            return Response(body=blocks_pdf(blocks, rep.title), ctype="application/pdf", modified=v.since)
        if rep.static:
            ctype = {"doc": "application/msword", "wps": "application/vnd.ms-works", "scan": "application/pdf"}[rep.form]
            return Response(body=static_file(rep.static), ctype=ctype, modified=v.since)
        if rep.form == "docx":
            return Response(body=blocks_docx(report_blocks(rep, v), rep.title, v.since), ctype=DOCX, modified=v.since)
        blocks = report_blocks(rep, v, prose=rep.form != "html+pdf")
        resp = Response(body=blocks_pdf(blocks, rep.title), ctype="application/pdf", modified=v.since)
        if rep.slow:
            resp.delay = self.slow_delay
        return resp

    def _lookalike_page(self, lk: Lookalike) -> Response:
        texts = {
            "work_report": "各位代表：现在，我代表市人民政府，向大会报告政府工作，请予审议。过去一年，全市经济社会发展稳中有进。",
            "final_accounts": "根据《中华人民共和国预算法》，现将本年度财政决算情况报告如下：一般公共预算收入完成预算的101.2%。",
            "work_plan": "为深入推进各项工作，现将本年度工作要点印发给你们，请结合实际认真贯彻落实。",
            "rule_of_law": "本年度，我市深入推进法治政府建设，现将法治政府建设情况报告如下。",
            "notice": "各乡（镇）人民政府，市直各部门：为做好政府信息公开工作年度报告编制和发布工作，请于1月31日前报送本单位年度报告。",
            "large": "决算附表见附件。",
        }
        extra = ""
        if lk.kind == "large":
            extra = f'<p>附件：<a href="{P.E(lk.large_path)}">{P.E(lk.title)}.pdf</a></p>'
        gbk = lk.site == "wusu"
        meta = P.xj_meta([("发布机构", lk.agency), ("日期", lk.day.isoformat())]) if lk.site == "yining" else ""
        return html_response(
            P.page(lk.title, meta + f'<h1 class="title">{P.E(lk.title)}</h1><div class="TRS_Editor"><p>{P.E(texts[lk.kind])}</p>{extra}</div>',
                   "gb2312" if gbk else "utf-8"),
            lk.day,
            gbk,
        )

    def _large(self, lk: Lookalike) -> Response:
        size = self.large_size
        head = b"%PDF-1.4\n% a very large scanned attachment\n"
        block = hashlib.sha256(b"large").digest() * 2048  # 64 KiB of fixed filler

        def chunks() -> Iterator[bytes]:
            yield head
            left = size - len(head)
            while left > 0:
                piece = block[: min(left, len(block))]
                left -= len(piece)
                yield piece

        return Response(ctype="application/pdf", modified=lk.day, stream=chunks, length=size)

    # ------------------------------------------------------------------------------------------ dynamic routes

    def _dynamic(self, path: str, query: dict[str, list[str]]) -> Response | None:
        if path.startswith(CALENDAR) and path.endswith(".shtml"):
            # An endless calendar: every month links to the one before and after it.
            ym = path[len(CALENDAR) : -len(".shtml")]
            try:
                y, m = (int(x) for x in ym.split("-"))
                assert 1 <= m <= 12 and 1 <= y <= 9999
            except (ValueError, AssertionError):
                return None
            prev = f"{y - (m == 1):04d}-{12 if m == 1 else m - 1:02d}"
            nxt = f"{y + (m == 12):04d}-{1 if m == 12 else m + 1:02d}"
            body = P.page(f"政务日历 {ym}", f'<h2>{y}年{m}月</h2><a href="{prev}.shtml">上一月</a> <a href="{nxt}.shtml">下一月</a>')
            return html_response(body, SITE_EPOCH)
        if path == TRT_API:
            return self._trsapi(query)
        if path in (JPAGE_API, CODEID["api"]):
            return Response(405, body=b"POST only", ctype="text/plain; charset=utf-8", headers={"Allow": "POST"})
        if path == "/wuzhi/module/web/jpage/dataproxy.jsp":
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
            xml = '<?xml version="1.0" encoding="UTF-8"?>' + P.hanweb_datastore(chunk, len(recs), total, HANWEB_PAGE, colid)
            return Response(body=xml.encode(), ctype="text/xml; charset=utf-8", modified=self.hanweb_mod[colid])
        return None

    def respond(self, target: str) -> Response:
        parts = urlsplit(target)
        path = parts.path
        query = parse_qs(parts.query)
        # Query strings on other pages are ignored, as real portals do (pdf.js viewer, login return URL).
        dyn = self._dynamic(path, query)
        if dyn is not None:
            return dyn.finish()
        fn = self.routes.get(path)
        if fn is None:
            return Response(404, body=P.page("404", "<h1>404 页面不存在</h1>").encode(), modified=None)
        with self.lock:
            cached = self.cache.get(path)
            if cached is not None:
                self.cache.move_to_end(path)
                return cached
        resp = fn().finish()
        with self.lock:
            if path not in self.cache:
                self.cache[path] = resp
                self.cache_bytes += len(resp.body)
                while self.cache_bytes > self.cache_limit and len(self.cache) > 1:
                    _, old = self.cache.popitem(last=False)
                    self.cache_bytes -= len(old.body)
        return resp

    # ------------------------------------------------------------------------------------------ faults

    def attempt(self, target: str) -> int:
        with self.lock:
            n = self.attempts.get(target, 0) + 1
            self.attempts[target] = n
        return n

    def fault_for(self, target: str, attempt: int) -> str | None:
        """The fault this request meets, a pure function of (URL, attempt number). Only the first
        three attempts can fail, so a client that retries always gets through."""
        if path_of(target) in self.flaky_paths and attempt <= self.flaky_paths[path_of(target)]:
            return "503"
        if self.faults <= 0 or attempt > 3 or target == "/robots.txt":
            return None
        h = int(hashlib.sha1(f"{target}|{attempt}".encode()).hexdigest()[:12], 16)
        if (h & 0xFFFFFFFF) / 2**32 >= self.faults:
            return None
        return ("reset", "503", "timeout")[(h >> 32) % 3]


    # ------------------------------------------------------------------------------------------ truth

    def truth(self, base_url: str) -> dict:
        """What a perfect crawl of this portal must find, as of `today` (the shared contract):

        - today, base_url, options {scale, faults};
        - agencies: registry rows (name, kind, region, parent, portal, cms, columns, deadline), URLs
          absolute; regions: the per-region local rules ({"654002": {"town_deadline": "01-31"}});
        - unregistered: bodies whose reports the portal lists but the registry leaves out (name, kind,
          parent, region, years, columns): what `gongkai registry suggest` must find;
        - reports: one per (agency, year) on the portal: title; urls (every URL that serves the
          report: article, second copy, attachment); article_url; attachment_url; document_url (the
          one document holding the numbers; for form "html+pdf" the page has the prose and the
          attachment the tables); list_url (what the column links to: one goes through a redirect
          chain); listed_in (columns); form (html | pdf | docx | doc | wps | scan | html+pdf |
          seed-html | seed-pdf | seed-docx); link (inline | href | onclick | iframe | embed | viewer);
          encoding; portal_date; first_seen (the day it appeared); signed; seed (tests/seeds stem);
          values (parse-contract keys agency, year, published, format, sections, active, requests,
          appeals; seed 002 adds cells); checks_fail (extract/checks.py names that fail);
        - lookalikes: {url, title, kind, column}: non-reports in report columns;
        - compliance: {agency, year, status, as_of, due, published[, days_late][, backdated,
          first_seen]} for every agency × 2019–2025 (the 第四十九条 deadlines, portal date as evidence);
        - edited: the report replaced at the same URL, with each version's values;
        - backdated: reports whose portal date is earlier than the day they appeared;
        - traps: robots_disallowed, calendar, login, login_protected_columns, dead_links,
          redirect_chains, slow, flaky, large, gbk_sites, js_pagination, script_lists (the columns a
          script draws: family, column, api, listed = what the list declares, static = what shows
          without the script's API; with fail_api those APIs answer 500);
        - options.fail_api: whether the list APIs fail.
        """
        w = self.world
        reports = []
        for rep in w.reports:
            base = base_url
            if PLATFORM_COLUMN in rep.agency.column_paths and (rep.agency.name, rep.year) != PLATFORM_SIBLING:
                base_url = platform_base(base)  # listed with relative links on the platform's host
            v = rep.version(self.today)
            values = v.values
            if rep.static and rep.form in self.manifest.get("files", {}):
                values = self.manifest["files"][rep.form]["values"]
            if values.get("published") is None and rep.form in ("html", "seed-html"):
                # an undated page: its date is the one the portal prints at the top
                values = {**values, "published": rep.portal_date.isoformat()}
            cols = set().union(*(self.listed_in.get(u, set()) for u in (rep.list_path(), rep.article_path, rep.alias_path) if u))
            reports.append({
                "agency": rep.agency.name,
                "year": rep.year,
                "title": rep.title,
                "urls": [base_url + u for u in rep.urls()],
                "article_url": base_url + rep.article_path,
                "attachment_url": base_url + rep.attachment_path if rep.attachment_path else None,
                "document_url": base_url + (rep.attachment_path if rep.attachment_path and rep.form != "html+pdf" else rep.article_path),
                "listed_in": sorted(base_url + c for c in cols),
                "list_url": base_url + rep.list_path(),
                "form": rep.form,
                "link": rep.link,
                "encoding": "gbk" if rep.gbk else "utf-8",
                "portal_date": rep.portal_date.isoformat(),
                "first_seen": rep.first_seen.isoformat(),
                "signed": rep.signed.isoformat() if rep.signed else None,
                "seed": rep.seed,
                "values": values,
                "checks_fail": failing_checks(values, v.narrative_total),
            })
            base_url = base
        edited = []
        for rep in w.reports:
            if len(rep.versions) > 1:
                edited.append({
                    "agency": rep.agency.name, "year": rep.year, "url": base_url + rep.article_path,
                    "first_seen": rep.first_seen.isoformat(), "edited_on": rep.versions[-1].since.isoformat(),
                    "edited_as_of_today": rep.versions[-1].since <= self.today,
                    "versions": [{"since": x.since.isoformat(), "checks_fail": failing_checks(x.values, x.narrative_total),
                                  "values": x.values} for x in rep.versions],
                })
        backdated = [
            {"agency": r.agency.name, "year": r.year, "url": base_url + r.article_path, "portal_date": r.portal_date.isoformat(),
             "first_seen": r.first_seen.isoformat()}
            for r in w.reports if r.first_seen != r.portal_date
        ]
        return {
            "today": self.today.isoformat(),
            "base_url": base_url,
            "options": {"scale": w.scale, "faults": self.faults, "fail_api": self.fail_api},
            "agencies": w.registry_rows(base_url),
            "unregistered": w.unregistered(base_url),
            "regions": REGIONS,
            "reports": reports,
            "lookalikes": [{"url": base_url + lk.path, "title": lk.title, "kind": lk.kind, "column": base_url + lk.column} for lk in w.lookalikes],
            "compliance": w.compliance(),
            "edited": edited,
            "backdated": backdated,
            "traps": {
                "robots_disallowed": [base_url + "/yining/search/", base_url + "/yining/member/"],
                "calendar": base_url + CALENDAR,
                "login": base_url + LOGIN,
                "login_protected_columns": [base_url + p for a in w.agencies if a.login for p in a.column_paths],
                "dead_links": [base_url + u for u in DEAD_LINKS],
                "redirect_chains": [{"from": base_url + REDIRECT_CHAIN[0], "via": [base_url + REDIRECT_CHAIN[1]],
                                     "to": base_url + r.article_path} for r in w.reports if r.redirect_from],
                "slow": [{"url": base_url + r.attachment_path, "delay": self.slow_delay} for r in w.reports if r.slow and r.attachment_path],
                "flaky": [{"url": base_url + p, "fails": n} for p, n in self.flaky_paths.items()],
                "large": [{"url": base_url + lk.large_path, "size": self.large_size} for lk in w.lookalikes if lk.kind == "large"],
                "gbk_sites": [base_url + "/wusu/"],
                "script_lists": self.script_lists(base_url),
                "browser": self.browser_traps(base_url),
                "js_pagination": [base_url + p for a in w.agencies if a.site == "yining" and a.kind != "government" and not a.login
                                  for p in a.column_paths],
            },
        }


    def script_lists(self, base_url: str) -> list[dict]:
        """The columns drawn by script: family, column, API, what the list declares and what its static
        part (no script run, no API call) shows."""
        static = {"kfq": TRT_PAGE, "xianju": JPAGE["per_page"] * JPAGE["group"], "altay": 0, "tacheng": JYH_PAGE}
        family = {"kfq": "trs_trt", "xianju": "hanweb_jpage", "altay": "json_codeid", "tacheng": "jyh_shtml"}
        api = {"kfq": TRT_API, "xianju": JPAGE_API, "altay": CODEID["api"], "tacheng": SCRIPT_COLUMNS["tacheng"] + "common_list_{n}.shtml"}
        out = []
        for site, items in self.script_items.items():
            out.append({"family": family[site], "column": base_url + SCRIPT_COLUMNS[site], "api": base_url + api[site],
                        "listed": len(items), "static": min(static[site], len(items)),
                        "agencies": [a.name for a in self.world.agencies if a.site == site]})
        return out


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def path_of(target: str) -> str:
    return urlsplit(target).path


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection serves many pages
    server_version = "gongkai-portal/1"
    sys_version = ""
    portal: Portal
    verbose = False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if self.verbose:
            super().log_message(format, *args)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        raw = self.rfile.read(min(length, 1 << 16)).decode("utf-8", "replace") if length > 0 else ""
        parts = urlsplit(self.path)
        portal = self.portal
        fault = portal.fault_for(self.path + "|" + raw, portal.attempt(self.path + "|" + raw))
        if fault in ("reset", "timeout", "503"):  # the same faults as GET, keyed by URL and form
            self._send(Response(503, body=b"Service Temporarily Unavailable", ctype="text/plain; charset=utf-8",
                                headers={"Retry-After": "1"}).finish(), head=False)
            return
        try:
            resp = portal.respond_post(parts.path, parse_qs(parts.query), parse_qs(raw, keep_blank_values=True))
        except Exception as exc:  # a bug in a page must not kill the server: report it as a 500
            resp = Response(500, body=f"{self.path}: {type(exc).__name__}: {exc}".encode(), ctype="text/plain; charset=utf-8")
        self._send(resp.finish(), head=False)

    def _serve(self, head: bool) -> None:
        portal = self.portal
        n = portal.attempt(self.path)
        fault = portal.fault_for(self.path, n)
        if fault == "reset":
            # SO_LINGER 0 turns close() into a TCP RST: the client sees "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if fault == "timeout":
            time.sleep(portal.fault_timeout)
            self.close_connection = True
            return
        if fault == "503":
            self._send(Response(503, body=b"Service Temporarily Unavailable", ctype="text/plain; charset=utf-8",
                                headers={"Retry-After": "1"}).finish(), head)
            return
        if self.path.startswith(G.GATE_PREFIX) and not G.gate_ok(self.headers.get("Cookie")):
            self._send(Response(412, body=G.gate_page()), head)  # the script gate (gated.py)
            return
        try:
            resp = portal.respond(self.path)
        except Exception as exc:  # a bug in a page must not kill the server: report it as a 500
            resp = Response(500, body=f"{self.path}: {type(exc).__name__}: {exc}".encode(), ctype="text/plain; charset=utf-8").finish()
        if resp.delay:
            time.sleep(resp.delay)
        if resp.status == 200 and self._not_modified(resp):
            self._send(Response(304, etag=resp.etag, modified=resp.modified), head=True)
            return
        self._send(resp, head)

    def _not_modified(self, resp: Response) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return resp.etag is not None and resp.etag in [x.strip() for x in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims and resp.modified:
            try:
                since = email.utils.parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            return since >= email.utils.parsedate_to_datetime(http_date(resp.modified))
        return False

    def _send(self, resp: Response, head: bool) -> None:
        self.send_response(resp.status)
        length = resp.length if resp.stream is not None else len(resp.body)
        if resp.status != 304:
            self.send_header("Content-Type", resp.ctype)
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Content-Length", "0")
        if resp.etag:
            self.send_header("ETag", resp.etag)
        if resp.modified:
            self.send_header("Last-Modified", http_date(resp.modified))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if resp.status >= 300 and resp.status != 304 and not resp.body:
            resp.body = b""
        self.end_headers()
        if head or resp.status == 304:
            return
        try:
            if resp.stream is not None:
                for piece in resp.stream():
                    self.wfile.write(piece)
            else:
                self.wfile.write(resp.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


@dataclass
class PortalHandle:
    """A running portal: `.base_url`, `.truth()`, `.stop()`; also a context manager."""

    portal: Portal
    server: PortalServer
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def truth(self) -> dict:
        return self.portal.truth(self.base_url)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> PortalHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_server(portal: Portal, port: int = 0, verbose: bool = False) -> PortalServer:
    handler = type("PortalHandler", (Handler,), {"portal": portal, "verbose": verbose})
    # Loopback only: the sample portal is never reachable from another machine.
    server = PortalServer(("127.0.0.1", port), handler)
    portal.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


def start_portal(
    port: int = 0,
    today: str | date | None = None,
    scale: int = 0,
    faults: float = 0.0,
    *,
    slow_delay: float = 2.0,
    fault_timeout: float = 20.0,
    large_size: int = 40 * 1024 * 1024,
    verbose: bool = False,
    fail_api: bool = False,
) -> PortalHandle:
    """Start the portal in a daemon thread; port=0 picks a free port; fail_api: every list API answers 500."""
    portal = Portal(today, scale, faults, slow_delay=slow_delay, fault_timeout=fault_timeout, large_size=large_size,
                    fail_api=fail_api)
    server = make_server(portal, port, verbose)
    thread = threading.Thread(target=server.serve_forever, name="gongkai-portal", daemon=True)
    thread.start()
    return PortalHandle(portal, server, thread)


__all__ = ["Portal", "PortalHandle", "start_portal", "make_server", "Agency"]
