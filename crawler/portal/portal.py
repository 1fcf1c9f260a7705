"""The sample portal: the site for one (today, scale) and its request-level behaviour (the page
cache, faults, retries). Its parts are its base classes: the server-drawn sites (site_pages.py), the
script-drawn columns and their APIs (script_lists.py), the documents (documents.py) and the truth
(truth.py); server.py serves it over HTTP."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import date
from urllib.parse import parse_qs, urlsplit

from .documents import Documents
from .model import DEFAULT_TODAY, World, parse_day
from .pages import links, page
from .reports import Report
from .response import Response, html_response, static_manifest
from .script_lists import ScriptLists
from .site_pages import SitePages
from .sites import (
    DEAD_LINKS,
    HUOCHENG_YEAR_COLS,
    REDIRECT_CHAIN,
    ROBOTS,
    SITE_EPOCH,
    SITES,
    YINING_YEAR_COLS,
)
from .truth import Truth


def path_of(target: str) -> str:
    return urlsplit(target).path


class Portal(SitePages, ScriptLists, Documents, Truth):
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
        self.routes = {}
        # Rendered pages, least recently used first; bounded so --scale 2000 stays small in memory
        # (a page dropped from the cache renders to the same bytes next time).
        self.cache = OrderedDict()
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
        r["/"] = lambda: html_response(page("样例政府门户", links([(s["title"], s["home"]) for s in SITES.values()])), SITE_EPOCH)
        # Which column lists what: reports by their agency's columns and extra columns, lookalikes by theirs.
        self.column_items = {}
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
        self.listed_in = {}
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

    def _dynamic(self, path: str, query: dict[str, list[str]]) -> Response | None:
        """The pages made from the request rather than from a route: the endless calendar and the
        list APIs that take a query."""
        if path == "/wuzhi/module/web/jpage/dataproxy.jsp":
            return self.hanweb_api(query)
        return self.calendar_page(path) or self.script_api_get(path, query)

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
            return Response(404, body=page("404", "<h1>404 页面不存在</h1>").encode(), modified=None)
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
