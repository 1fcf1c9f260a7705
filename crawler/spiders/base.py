"""The report spiders: registry → report columns (or discovery from the portal home page) → list
pages with every pagination style → report articles → attachments, wherever the link hides.

`ReportSpider` (name "gongkai") crawls every agency of the registry and picks each agency's CMS
family from its `cms` field; the family spiders (crawler/spiders/family.py) are the same spider
restricted to one family.
The spider never parses reports: it recognises them by their list titles and hands bytes plus
provenance to the pipeline.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.asyncio import create_looping_call
from twisted.python.failure import Failure

from archive.bodies import BodyIndex
from archive.registry import Registry, load_registry
from crawler.articles import QUOTED, article_meta, attachments
from crawler.browser import render_list, script_drawn
from crawler.families import family
from crawler.items import ColumnCaptureItem, DocumentItem
from crawler.links import clean, fmt_date, is_document_url, login_wall, record_keys, same_host, viewer_target
from crawler.listapi import ApiCall, declared, follow_ups, read_answer, script_calls
from crawler.middlewares import failure_kind, is_official
from crawler.pipelines import headers_dict
from crawler.titles import is_disclosure_section, is_report_column, report_year, title_body, year_column

_CREATE_PAGE = re.compile(r"createPageHTML\s*\(([^)]*)\)", re.I)
_TOTAL_PAGES = re.compile(
    r"(?:\b|_)(?:total|totalpage|totalpages|pagecount|countpage|page_count|pages|pagenum)['\"]?\s*[=:]\s*['\"]?(\d+)"
    r"|<(?:totalpage|pagecount)>\s*(\d+)\s*<", re.I)
_PLACEHOLDER = re.compile(r"\{(?:n|i|page|p|num)\}|\{\{(?:n|page)\}\}", re.I)
# a page number in a query (?currpage=2): in a script's quoted URL (a template), in the page's own URL
_PAGE_PARAM = re.compile(r"[?&](?:currpage|page|pageNo|pageIndex)=(\d*)", re.I)
_NEXT_WORDS = re.compile(r"^(下一页|下页|尾页|末页|后页|next|>|>>|»|›|\d{1,4})$", re.I)
_MAX_PAGES = 500  # a column with more list pages than this is a crawler trap
COMMIT_EVERY = 1.0  # seconds the archive's rows may wait for their commit (Archive.batch_commits)




class ReportSpider(scrapy.Spider):
    name = "gongkai"
    only_family: str | None = None  # family spiders set this

    def __init__(self, registry: str | None = None, agencies: str | list[str] | None = None, **kw: Any):
        super().__init__(**kw)
        self.registry_path = registry
        if isinstance(agencies, str):
            agencies = [a for a in agencies.split(",") if a]
        self.agency_names = list(agencies or [])
        self.gk: Any = None
        self.official_hosts: set[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ReportSpider:
        s = crawler.settings
        kwargs.setdefault("registry", s.get("GONGKAI_REGISTRY"))
        kwargs.setdefault("agencies", s.getlist("GONGKAI_AGENCIES"))
        spider: ReportSpider = super().from_crawler(crawler, *args, **kwargs)
        spider._setup(crawler)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    # -- setup and teardown -------------------------------------------------------------------

    def _setup(self, crawler: Crawler) -> None:
        from archive.schema import clock_at
        from archive.store import Archive
        from crawler.state import CrawlState

        s = crawler.settings
        full = load_registry(self.registry_path)
        # a shared column lists other bodies' reports too: the registry's names tell which to skip
        # when crawling a selection (the archive decides whose each report is, from all the evidence)
        self.bodies = BodyIndex(full.agencies)
        reg: Registry = full.select(self.agency_names)
        if self.only_family:
            reg = Registry([a for a in reg.agencies if a["cms"] == self.only_family], reg.regions,
                           reg.sites, reg.source)
        self.registry = reg
        self.official_hosts = reg.hosts() | set(s.getlist("GONGKAI_EXTRA_DOMAINS"))
        data = Path(s.get("GONGKAI_DATA") or "gongkai-data")
        # the sample portal's day (demo, tests) stamps the archive's rows, not the wall clock
        today = s.get("GONGKAI_TODAY")
        archive = Archive(data, now=clock_at(today)) if today else Archive(data)
        archive.upsert_agencies(reg.agencies, reg.regions)
        jobdir = Path(s.get("JOBDIR") or data / "jobs" / "adhoc")
        options = {"registry": reg.source, "agencies": self.agency_names, "family": self.only_family}
        self.gk = CrawlState(archive, jobdir, options)
        # rows committed about once a second rather than a few times a fetch (Archive.batch_commits)
        archive.batch_commits(COMMIT_EVERY)
        self._committer: Any = None
        if s.getbool("GONGKAI_WARC", True):
            from archive.warc import CrawlWarc

            # one WARC file per crawl run; a resumed run (same crawl id) writes a new one
            self.gk.warc = CrawlWarc(archive, self.gk.crawl_id, {
                "operator": s.get("USER_AGENT"), "http-header-user-agent": s.get("USER_AGENT")}, now=archive.now)
        self.logger.info("crawl %s%s: %d agencies from %s", self.gk.crawl_id,
                         " (resumed)" if self.gk.resumed else "", len(reg.agencies), reg.source)

    def _opened(self, spider: scrapy.Spider) -> None:
        if self.gk is not None:
            # a batch also ends while the crawl waits (slow servers, backoff): its rows reach readers
            self._committer = create_looping_call(self.gk.archive.commit)
            self._committer.start(COMMIT_EVERY, now=False)

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        gk = self.gk
        if gk is None:
            return
        if self._committer is not None and self._committer.running:
            self._committer.stop()
        if gk.warc is not None:
            gk.warc.close()
        summary = gk.summary()
        summary["reason"] = reason
        if "scrapy_redis" in str(self.crawler.settings.get("SCHEDULER") or ""):
            # a shared crawl: this process saw only its share of each column; crawl health, which
            # unions every process's records, says which columns were seen in part
            summary["partial"] = []
        if reason == "finished":
            gk.archive.finish_crawl(gk.crawl_id, summary)
            # done: the next crawl is a new one, not a resumption of this
            gk.path.unlink(missing_ok=True)
        else:
            # a clean stop (SIGINT/SIGTERM): Scrapy's JOBDIR queue is consistent, resume from it
            gk.running = False
            gk.save(force=True)
        self.summary = summary

    # -- start ----------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for req in self.start_requests():
            yield req

    def start_requests(self) -> Iterator[Request]:
        columns: dict[str, list[str]] = {}
        portals: dict[str, list[str]] = {}
        for a in self.registry.agencies:
            self.gk.tried.add(a["name"])
            for c in a["columns"]:
                columns.setdefault(c, []).append(a["name"])
            if a["portal"] and not a["columns"]:
                # discovery only where the registry knows no column: a body whose known column fails
                # must come out unreachable, not "reached" through some other column of its portal
                portals.setdefault(a["portal"], []).append(a["name"])
        # one request per column even when several bodies share it (a year column holds every unit's report)
        for url, names in columns.items():
            yield self.list_request(url, names, column=url)
        for url, names in portals.items():
            yield Request(url, callback=self.parse_portal, errback=self.failed, priority=-10,
                          meta={"agencies": names, "agency": names[0] if len(names) == 1 else None,
                                "official_ok": True, "disc_depth": 0})

    def cms_of(self, names: list[str]) -> str:
        for a in self.registry.agencies:
            if a["name"] in names:
                return a["cms"]
        return "generic"

    def conf(self, names: list[str], url: str) -> dict[str, Any]:
        return family(self.cms_of(names), self.registry.sites.get(urlsplit(url).hostname or ""))

    def list_request(self, url: str, names: list[str], column: str, depth: int = 0, **meta: Any) -> Request:
        return Request(url, callback=self.parse_list, errback=self.failed, priority=0,
                       meta={"agencies": names, "agency": names[0] if len(names) == 1 else None,
                             "column": column, "col_depth": depth, "kind": "list", **meta})

    # -- discovery ----------------------------------------------------------------------------

    def parse_portal(self, response: Response) -> Iterator[Any]:
        """Find the report column(s) on a portal's pages: links named 政府信息公开年报 and friends;
        failing that, follow the disclosure section links (信息公开, 政务公开) two levels deep."""
        if not isinstance(response, TextResponse):
            return
        names = response.meta["agencies"]
        depth = response.meta.get("disc_depth", 0)
        found = 0
        sections: list[str] = []
        for url, text, _ in self.links(response):
            if not same_host(url, response.url):
                continue
            if is_report_column(text):
                found += 1
                yield self.list_request(url, names, column=url, discovered=True)
            elif is_disclosure_section(text) and not report_year(text):
                sections.append(url)
        if not found and depth < 2:
            for url in sections[:12]:
                yield Request(url, callback=self.parse_portal, errback=self.failed, priority=-10,
                              meta={"agencies": names, "agency": response.meta.get("agency"),
                                    "official_ok": True, "disc_depth": depth + 1})

    # -- list pages ---------------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        names: list[str] = meta["agencies"]
        self.gk.counts["list_pages"] += 1
        if not isinstance(response, TextResponse):
            for n in names:
                yield ColumnCaptureItem(n, meta["column"], response.body, response.status, 0, "not a page",
                                        warc=meta.get("warc"))
            return
        wall = login_wall(response)
        if wall:
            # a column behind a login cannot be judged: keep the page as evidence, but not as reached
            self.gk.fail("login")
            for n in names:
                yield ColumnCaptureItem(n, meta["column"], response.body, response.status, 0, wall,
                                        warc=meta.get("warc"))
            return
        conf = self.conf(names, response.url)
        seen_here = 0
        requests: list[Request] = []
        records: set[str] = set()
        undated: set[str] = set()  # article-shaped links, the records of a list that prints no dates
        article_re = re.compile(conf["article"], re.I)
        # the page's links are read once: the list's entries and its pager are both among them
        page_links = list(self.links(response, with_dates=True))
        for url, text, date in self.list_entries(response, page_links):
            if same_host(url, response.url) or (report_year(text) and self.official(url)):
                # a record on a sibling official host (zwgk.<city>.gov.cn, a registry host) is one
                # of the list's records too: it is fetched and counted like the others
                if date:
                    records.add(url)  # a dated row of the list: one of the records the page declares
                elif article_re.search(urlsplit(url).path) or report_year(text) or is_document_url(url):
                    undated.add(url)
            year = report_year(text)
            if year:
                seen_here += 1
                req = self.report_request(url, text, date, year, response, names)
                if req is not None:
                    requests.append(req)
            elif (year_column(text) or is_report_column(text)) and meta.get("col_depth", 0) < 3 \
                    and same_host(url, response.url) and not is_document_url(url):
                # year or unit sub-columns inside a report column
                requests.append(self.list_request(url, names, column=url, depth=meta.get("col_depth", 0) + 1))
        other_pages = self.pagination(response, conf, page_links)
        for url in other_pages:
            requests.append(self.list_request(url, names, column=meta["column"], depth=meta.get("col_depth", 0),
                                              page_of=meta["column"]))
        records = records or undated
        # lists drawn by script (crawler/families.py LIST_APIS): the calls the page's script makes
        calls = script_calls(response.text, response.url, static_records=len(records))
        for call in calls:
            requests.append(self.api_request(call, names, meta["column"], response.url))
        recs, pages = declared(response.text)
        # a list no known API draws: its own script's records, from the rendered page (crawler/browser.py)
        drawn = script_drawn(response, len(records), recs, len(calls), len(other_pages))
        again = render_list(self.crawler, response, drawn, len(records)) if drawn else None
        if isinstance(again, Request):
            yield again
            return
        if again:
            self.gk.fail("no_browser" if "needs a browser" in again else "render")
            self.gk.tally(meta["column"], response.url, set(), failed=again)
        counts = self.gk.tally(meta["column"], response.url, records, recs, pages)
        for n in names:
            yield ColumnCaptureItem(n, response.url, response.body, response.status, seen_here, column=meta["column"],
                                    records=record_keys(records), warc=meta.get("warc"), **counts)
        yield from requests

    def api_request(self, call: ApiCall, names: list[str], column: str, referer: str) -> Request:
        """An ordinary Scrapy request for a list API call (robots.txt, delays, retries as for any page)."""
        headers = {"Referer": referer, "X-Requested-With": "XMLHttpRequest"}
        if call.form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
        return Request(call.url, method=call.method, body=call.body, headers=headers, callback=self.parse_api,
                       errback=self.failed, priority=0,
                       meta={"agencies": names, "agency": names[0] if len(names) == 1 else None, "column": column,
                             "kind": "list", "api": call, "capture_url": call.label()})

    def parse_api(self, response: Response) -> Iterator[Any]:
        """A list API's answer: its records become report requests, its total the declared count."""
        meta = response.meta
        call: ApiCall = meta["api"]
        names: list[str] = meta["agencies"]
        self.gk.counts["list_pages"] += 1
        try:
            entries, total = read_answer(call.family, response.text if isinstance(response, TextResponse)
                                         else response.body.decode("utf-8", "replace"))
        except ValueError as exc:
            error = f"list API {call.family}: {exc}"
            self.logger.warning("%s: %s", call.label(), error)
            self.gk.tally(column=meta["column"], page=call.label(), records=set(), failed=error)
            for n in names:
                yield ColumnCaptureItem(n, call.label(), response.body, response.status, 0, error, column=meta["column"],
                                        warc=meta.get("warc"))
            return
        seen_here = 0
        records: set[str] = set()
        for href, title, date_text in entries:
            url = urljoin(response.url, href)
            records.add(url)
            year = report_year(title)
            if year:
                seen_here += 1
                req = self.report_request(url, title, fmt_date(date_text), year, response, names)
                if req is not None:
                    yield req
        for nxt in follow_ups(call, total):
            referer = ((response.request.headers.get("Referer") or b"").decode() if response.request
                       else response.url)
            yield self.api_request(nxt, names, meta["column"], referer)
        counts = self.gk.tally(meta["column"], call.label(), records, total, None)
        for n in names:
            yield ColumnCaptureItem(n, call.label(), response.body, response.status, seen_here, column=meta["column"],
                                    records=record_keys(records), warc=meta.get("warc"), **counts)

    def report_request(self, url: str, title: str, date: str | None, year: int, response: Response,
                       names: list[str]) -> Request | None:
        # a column may list other bodies' reports too (a year column holds every unit's): a title
        # that names another registry body outside this crawl's selection is skipped; anything else
        # is fetched with its evidence (title, column, owners) and the archive decides whose it is
        named = self.bodies.lookup(title_body(title), self.bodies.context_places(names))
        if named is not None and named.registered and named.name not in self.selected:
            return None
        agency = named.name if named is not None and named.name else (names[0] if len(names) == 1 else None)
        target = viewer_target(url) if "viewer" in url.lower() else None
        url = urljoin(url, target) if target else url
        direct = bool(target) or is_document_url(url)
        return Request(
            url, callback=self.parse_document if direct else self.parse_article, errback=self.failed,
            priority=10,
            meta={"agency": names[0] if len(names) == 1 else None, "agencies": names,
                  "column": response.meta.get("column"), "list_title": clean(title), "list_date": date,
                  "year": year, "list_url": response.url, "revalidate": True,
                  "kind": "direct" if direct else "page", "report_url": url,
                  # one report however many URLs list it (an alias in another column, a redirect)
                  "report_key": f"{agency}|{year}" if agency else url},
            headers={"Referer": response.url},
        )

    @property
    def selected(self) -> set[str]:
        return {a["name"] for a in self.registry.agencies}

    def list_entries(self, response: TextResponse, links: list[tuple[str, str, str | None]] | None = None,
                     ) -> Iterator[tuple[str, str, str | None]]:
        """(url, title, date) of every link on a list page, the date taken from the link's row.
        Hanweb's dataproxy lists hide their rows in <datastore> CDATA: those are read too."""
        yield from self.links(response, with_dates=True) if links is None else links
        if b"<datastore" in response.body or b"<recordset" in response.body:
            for frag in re.findall(r"<!\[CDATA\[(.*?)\]\]>", response.text, re.S):
                sub_sel = scrapy.Selector(text=frag)
                date = fmt_date(" ".join(sub_sel.xpath("//text()").getall()))
                for a in sub_sel.xpath("//a[@href]"):
                    yield (urljoin(response.url, a.attrib["href"].strip()),
                           clean(a.attrib.get("title") or " ".join(a.xpath(".//text()").getall())), date)

    def links(self, response: TextResponse, with_dates: bool = False) -> Iterator[tuple[str, str, str | None]]:
        for a in response.selector.root.iter("a", "area"):
            if a.get("href") is None:
                continue
            href = (a.get("href") or "").strip()
            if not href or href.startswith(("#", "mailto:", "tel:")) or href.lower().startswith("javascript"):
                onclick_url = self.script_url((a.get("onclick") or "") + " " + href, response.url)
                if not onclick_url:
                    continue
                url = onclick_url
            else:
                url = response.urljoin(href)
            text = clean(" ".join(a.itertext()))
            title_attr = clean(a.get("title"))
            # truncated list titles ("伊宁市…年度报…") carry the full one in @title
            if title_attr and (len(title_attr) > len(text) or "…" in text or "..." in text):
                text = title_attr
            date = None
            if with_dates:
                row = next((e for e in a.iterancestors("li", "tr", "dd", "p")), None)
                if row is not None:
                    date = fmt_date(" ".join(row.itertext()))
            yield url, text, date

    def script_url(self, script: str, base: str) -> str | None:
        """A URL hidden in an onclick / javascript: handler (window.open('…'), location.href='…')."""
        for cand in QUOTED.findall(script or ""):
            if "/" in cand or "." in cand:
                if re.match(r"^(https?:)?//|^/|^\.{0,2}/?[\w\-]+[/.]", cand) and not cand.startswith("_"):
                    return urljoin(base, cand)
        return None

    def pagination(self, response: TextResponse, conf: dict[str, Any],
                   links: list[tuple[str, str, str | None]] | None = None) -> list[str]:
        """Every other page of this list: plain links, createPageHTML scripts, ?currpage=N endpoints."""
        here = urlsplit(response.url)
        folder = here.path.rsplit("/", 1)[0] + "/"
        out: list[str] = []
        list_re = re.compile(conf["list_page"], re.I)
        # 1. createPageHTML(countPage, currentPage, "index", "html"): page n>0 is index_n (0-based)
        for args in _CREATE_PAGE.findall(response.text):
            parts = [p.strip().strip("'\"") for p in args.split(",")]
            nums = [int(p) for p in parts if p.isdigit()]
            strs = [p for p in parts if p and not p.isdigit()]
            if len(parts) >= 5 and parts[0] and not parts[0].isdigit() and len(nums) >= 2:
                # 集约化 createPageHTML('page_div', pages, current, name, ext, records): 1-based,
                # page 1 is name.ext, then name_2.ext …
                count, current, name, ext = nums[0], nums[1], parts[3], parts[4]
                # page 1 (name.ext) is asked for only from the column's own page, and only when that
                # page is not page 1 itself: a later page came from the column page, which is page 1
                # or asked for it (no state kept: in a shared crawl another process read the column)
                at_column = response.meta.get("column") == response.url
                for n in range(1, min(count, _MAX_PAGES) + 1):
                    if n == 1 and (current == 1 or not at_column):
                        continue
                    if n != current:
                        out.append(urljoin(response.url, f"{name}.{ext}" if n == 1 else f"{name}_{n}.{ext}"))
            elif len(nums) >= 2 and len(strs) >= 2:
                count, current, name, ext = nums[0], nums[1], strs[-2], strs[-1]
                for n in range(0, min(count, _MAX_PAGES)):
                    if n != current:
                        out.append(urljoin(response.url, f"{name}.{ext}" if n == 0 else f"{name}_{n}.{ext}"))
        # 2. script pagers: a page count plus either a URL with ?currpage=N (Hanweb dataproxy.jsp and
        #    friends) or a file-name pattern with a {n} placeholder ("common_list_{n}.shtml")
        total = max((int(a or b) for a, b in _TOTAL_PAGES.findall(response.text)), default=0)
        on_endpoint = any(m.group(1) for m in _PAGE_PARAM.finditer(response.url))  # a page number set
        templates = set()
        for q in QUOTED.findall(response.text):
            if _PAGE_PARAM.search(q) or _PLACEHOLDER.search(q):
                templates.add(q)
        if on_endpoint:
            templates.add(response.url)
        for t in templates:
            # page 1 is the column page itself (or the endpoint the column named): never again
            for n in range(2, min(total, _MAX_PAGES) + 1):
                if _PLACEHOLDER.search(t):
                    page = _PLACEHOLDER.sub(str(n), t)
                else:
                    page = re.sub(r"((?:currpage|page|pageNo|pageIndex)=)\d*", rf"\g<1>{n}", t, count=1,
                                  flags=re.I)
                out.append(urljoin(response.url, page))
        # 3. plain links: 下一页 / numbers / anything shaped like a page of this list in the same folder
        for url, text, _ in self.links(response) if links is None else links:
            # the host first (remembered per URL): most of a page's links are elsewhere or documents
            if not same_host(url, response.url) or is_document_url(url):
                continue
            u = urlsplit(url)
            same_folder = u.path.startswith(folder) and "/" not in u.path[len(folder):]
            same_endpoint = u.path == here.path and u.query != here.query
            if (same_folder or same_endpoint) and (_NEXT_WORDS.match(text) or list_re.search(u.path + (
                    "?" + u.query if u.query else ""))):
                out.append(url)
        # iframes that embed the actual list (column page → zfxxgk_list.shtml)
        for src in response.xpath("//iframe/@src | //frame/@src").getall():
            url = response.urljoin(src.strip())
            if list_re.search(urlsplit(url).path) and same_host(url, response.url):
                out.append(url)
        me = urlunsplit(here._replace(fragment=""))
        return [u for u in dict.fromkeys(out) if u != me]

    # -- articles and attachments --------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        if not isinstance(response, TextResponse):
            # the "article" link was a file after all (a download endpoint without an extension)
            yield from self.parse_document(response)
            return
        info = article_meta(response)
        portal_date = info.pop("_date", None)
        yield self.document_item(response, "page", portal_date=portal_date, info=info)
        report_url = meta["report_url"]
        for url in attachments(response):
            yield Request(url, callback=self.parse_document, errback=self.failed, priority=20,
                          headers={"Referer": response.url},
                          meta={"agency": meta.get("agency"), "agencies": meta.get("agencies"),
                                "column": meta.get("column"), "list_title": meta.get("list_title"), "list_date": meta.get("list_date"),
                                "year": meta.get("year"), "revalidate": True, "kind": "attachment",
                                "report_url": report_url, "portal_date": portal_date,
                                "report_key": meta.get("report_key"),
                                "article_url": response.url})

    def parse_document(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        kind: str = meta["kind"] if meta.get("kind") in ("attachment", "direct") else "direct"
        yield self.document_item(response, kind, portal_date=meta.get("portal_date"), info={})

    def document_item(self, response: Response, kind: str, portal_date: str | None,
                      info: dict[str, Any]) -> DocumentItem:
        meta = response.meta
        original = (meta.get("redirect_urls") or [response.request.url if response.request else response.url])[0]
        # the evidence of whose report this is: the column and its owners, beside the page's own
        # 发布机构 and title (info) and the list entry's title; the archive decides
        agency = meta.get("agency")
        info = {**info, "list_url": meta.get("list_url"), "article_url": meta.get("article_url"),
                "column": meta.get("column"), "owners": meta.get("agencies")}
        return DocumentItem(
            url=original, final_url=response.url, body=response.body, kind=kind,
            report_url=meta.get("report_url") or original, report_key=meta.get("report_key") or "",
            agency=agency,
            referer=meta.get("article_url") or meta.get("list_url"),
            list_title=meta.get("list_title"), list_date=meta.get("list_date"), portal_date=portal_date,
            year=meta.get("year"), headers=headers_dict(response.headers),
            meta={k: v for k, v in info.items() if v}, unchanged=bool(meta.get("unchanged")),
        )

    # -- helpers ------------------------------------------------------------------------------

    def official(self, url: str) -> bool:
        return is_official(urlsplit(url).hostname or "", self.official_hosts or set())

    def failed(self, failure: Failure) -> Iterable[Any]:
        request = failure.request  # type: ignore[attr-defined]
        kind = failure_kind(failure.value)
        meta = request.meta
        if kind not in ("waf", "challenge", "offsite"):  # those were counted where they were seen
            self.gk.fail(kind)
        self.logger.warning("failed (%s): %s", kind, request.url)
        if meta.get("kind") == "list":
            status = getattr(getattr(failure.value, "response", None), "status", None)
            label = meta.get("capture_url") or request.url
            error = f"{kind}: {failure.getErrorMessage()}"
            if meta.get("column"):
                self.gk.tally(meta["column"], label, set(), failed=error)
            for n in meta.get("agencies") or []:
                yield ColumnCaptureItem(n, label, None, status, 0, error, column=meta.get("column"),
                                        warc=meta.get("warc") if status is not None else None)
        self.gk.save()
