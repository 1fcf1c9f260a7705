"""A browser where a page needs one: scrapy-playwright driving the system's Chromium.

Used for two kinds of page only; every other request stays a plain Scrapy request:

- a script gate (crawler.middlewares.looks_like_challenge) that a plain retry did not get past:
  the page is asked for again through the browser, which runs the gate's script, earns its
  cookie, follows the reload and returns the real page. The cookies it earned go with the plain
  requests that follow to the same host (articles, attachments behind the same gate);
- a list page whose records only appear when its scripts run (see `script_drawn`): the page is
  rendered and its links read from the rendered DOM.

The browser's request goes through Scrapy's downloader like any other (same slot: the site's delay
and concurrency), and the rendered final HTML is what the spider sees, the archive stores and the
WARC records. Chromium is found through the GONGKAI_CHROMIUM setting (or environment variable) or on
the PATH; it is never downloaded. GONGKAI_BROWSER = False (setting or environment) turns it off. Without it, a gated or script-drawn
column is flagged with the install step, never left silently empty.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.utils.request import request_from_dict

from crawler.middlewares import ChallengePage, looks_like_challenge

# a scrapy Request's cookies as a dict (name -> value)
Cookies = dict[str | bytes, str | bytes | bool | float | int]

logger = logging.getLogger(__name__)

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update"]
INSTALL_HINT = "install Chromium (apt-get install chromium) or point GONGKAI_CHROMIUM at it"
# what a rendered page does not need: its look (the links are what the crawler reads)
_SKIP_RESOURCES = {"image", "media", "font", "stylesheet"}
_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def _setting(settings: BaseSettings | dict[str, Any], name: str) -> Any:
    """A setting, else the environment variable of the same name (the crawl's child inherits it)."""
    value = settings.get(name)
    return os.environ.get(name) if value is None else value


def browser_off(settings: BaseSettings | dict[str, Any]) -> bool:
    return str(_setting(settings, "GONGKAI_BROWSER")).lower() in ("false", "0", "no", "off")


def chromium_path(settings: BaseSettings | dict[str, Any]) -> str | None:
    """The Chromium to drive: GONGKAI_CHROMIUM (a path or a command name), else the first of
    CHROMIUM_NAMES on the PATH; None when there is none or GONGKAI_BROWSER is off."""
    if browser_off(settings):
        return None
    wanted = _setting(settings, "GONGKAI_CHROMIUM") or None
    if wanted:
        found = shutil.which(str(wanted))
        return found if found and Path(found).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_message(settings: BaseSettings | dict[str, Any]) -> str:
    if browser_off(settings):
        return "the browser is turned off (GONGKAI_BROWSER)"
    wanted = _setting(settings, "GONGKAI_CHROMIUM")
    where = f"no Chromium at {wanted}" if wanted else f"no Chromium on the PATH ({', '.join(CHROMIUM_NAMES)})"
    return f"{where}: {INSTALL_HINT}"


def _abort(request: Any) -> bool:
    return request.resource_type in _SKIP_RESOURCES


async def _headers(*, browser_type_name: str, playwright_request: Any, scrapy_request_data: dict) -> dict[str, str]:
    """The browser's own headers (its cookies: those the gate's script set) with our User-Agent.
    scrapy-playwright's default would send the Scrapy request's headers on every navigation,
    including the gate's reload, without the cookie the script just set."""
    headers = await playwright_request.all_headers()
    ua = scrapy_request_data["headers"].get("User-Agent")
    if ua:
        headers["user-agent"] = ua.decode("latin-1") if isinstance(ua, bytes) else str(ua)
    return headers


def browser_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The Scrapy settings that put scrapy-playwright's download handler in place (it serves only
    requests marked meta["playwright"]; the browser starts at the first such request). Empty when
    no Chromium is found: the middleware then flags what needed it."""
    exe = chromium_path(settings)
    if exe is None:
        return {}
    timeout = float(settings.get("DOWNLOAD_TIMEOUT") or 60)
    return {
        "DOWNLOAD_HANDLERS": {**(settings.get("DOWNLOAD_HANDLERS") or {}), "http": _HANDLER, "https": _HANDLER},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": exe, "headless": True, "args": LAUNCH_ARGS,
                                      "timeout": timeout * 1000},
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout * 1000,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": int(settings.get("CONCURRENT_REQUESTS_PER_DOMAIN") or 2),
        "PLAYWRIGHT_ABORT_REQUEST": _abort,
        "PLAYWRIGHT_PROCESS_REQUEST_HEADERS": _headers,
    }


def browser_ready(crawler: Crawler) -> bool:
    """The crawl has the browser: Chromium found and scrapy-playwright's handler in place."""
    return (crawler.settings.getdict("DOWNLOAD_HANDLERS").get("http") == _HANDLER
            and chromium_path(crawler.settings) is not None)


def render_request(request: Request, why: str) -> Request:
    """`request` again, through the browser: it waits until the network is quiet (the gate's reload
    done, the list's data fetched and drawn) and hands back the page as it then is."""
    from scrapy_playwright.page import PageMethod

    # the downloader's own keys (latency, slot…) belong to the answer the page had, not to this request
    meta = {k: v for k, v in request.meta.items() if not k.startswith(("download_", "playwright_page"))}
    return request.replace(
        dont_filter=True,
        meta={**meta, "playwright": True, "playwright_include_page": True, "rendered": why,
              "playwright_page_methods": [PageMethod("wait_for_load_state", "networkidle")]})


def gate_request(request: Request, spider: Any) -> Request:
    """A file behind a gate: the browser passes the gate at the file's URL, and the file is then
    asked for again, plainly, with the cookies the browser earned (a download is no page to read).
    The file's request rides along as a dict: queues on disk (or in Redis) must serialise it."""
    via = render_request(request, "gate")
    via.meta["then"] = request.to_dict(spider=spider)
    return via


# -- which list pages need a browser --------------------------------------------------------------

_FILLERS = re.compile(r"innerHTML|appendChild|insertAdjacentHTML|\.append\(|\.html\(|\.prepend\(", re.I)


def empty_container(response: TextResponse) -> str | None:
    """The id of an empty list container (ul/ol/tbody/table/div) that the page's own script fills:
    its id is named in an inline script that writes HTML."""
    scripts = " ".join(s for s in response.xpath("//script[not(@src)]/text()").getall() if _FILLERS.search(s))
    if not scripts:
        return None
    for el in response.selector.root.iter("ul", "ol", "tbody", "table", "div", "dl"):
        eid = el.get("id")
        if not eid or len(el) or (el.text or "").strip():
            continue
        if re.search(rf"""["'#]{re.escape(eid)}["']""", scripts):
            return eid
    return None


def script_drawn(response: TextResponse, records: int, declared: int | None, api_calls: int,
                 other_pages: int) -> str | None:
    """Why this list page needs its scripts run, or None: no known list API matched and either the
    page declares more records than it shows with no other page of the list to find them on, or it
    holds an empty list container its script fills."""
    if api_calls or response.meta.get("page_of"):
        return None  # a known API draws it, or a later page of a list whose pages are found already
    if declared and declared > records and not other_pages:
        return f"declares {declared} records, shows {records}"
    box = empty_container(response)
    if box and records == 0:
        return f"empty list #{box} filled by script"
    return None


# a rendered list still empty (its data call failed?) is rendered again, once; still empty then, the
# column is flagged rather than taken as empty (a column that truly lists nothing costs a verdict
# `unverified` instead of `missing`: better than a list silently lost)
MAX_RENDERS = 2


def render_list(crawler: Crawler, response: TextResponse, why: str, records: int = 0) -> Request | str:
    """For a list page its scripts draw: the request that renders it (again), or why it cannot be
    read (no browser; rendered and still short of what it declares, or still empty after
    MAX_RENDERS renders), for the column's partial reason."""
    if not browser_ready(crawler):
        return f"list drawn by script ({why}) needs a browser: {missing_message(crawler.settings)}"
    tries = int(response.meta.get("renders", 0)) if response.meta.get("playwright") else 0
    if tries and records:
        return f"list drawn by script ({why}) once rendered"
    if tries >= MAX_RENDERS:
        return f"list drawn by script ({why}) still empty after {tries} renders"
    if response.request is None:
        raise ValueError(f"{response.url}: a response without its request cannot be rendered again")
    req = render_request(response.request, "list")
    req.meta["renders"] = tries + 1
    return req


class NoBrowser(ChallengePage):
    """A script gate and no browser to pass it."""

    def __init__(self, url: str, status: int, why: str) -> None:
        super().__init__("no_browser", url, status)
        self.args = (f"HTTP {status} script gate at {url} needs a browser; {why}",)


# -- the downloader middlewares -----------------------------------------------------------------


class BrowserMiddleware:
    """Script gates → the browser (after one plain retry, which gets past gates that only want a
    cookie their first answer set); cookies the browser earned → the plain requests to the same host."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.ready = browser_ready(crawler)
        self.earned: dict[str, Cookies] = {}  # host -> cookies the browser earned there

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserMiddleware:
        return cls(crawler)

    @property
    def gk(self) -> Any:
        return getattr(self.crawler.spider, "gk", None)

    def process_request(self, request: Request, spider: Any = None) -> None:
        cookies = self.earned.get(urlsplit(request.url).hostname or "")
        if cookies and not request.meta.get("playwright") and isinstance(request.cookies, dict):
            # the stock CookiesMiddleware puts a request's own cookies into its jar for the host
            request.cookies = {**cookies, **request.cookies}
        return None

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response | Request:
        meta = request.meta
        if meta.get("unchanged") or not looks_like_challenge(response):
            return response
        if meta.get("playwright") or meta.get("gate_passed"):
            return response  # the browser did not get past it: the challenge middleware decides
        if not int(meta.get("challenge_retries", 0)):
            return response  # first a plain retry (the challenge middleware's)
        if not self.ready:
            why = missing_message(self.crawler.settings)
            logger.error("%s: HTTP %s script gate; %s", request.url, response.status, why)
            raise NoBrowser(request.url, response.status, why)
        logger.info("script gate (HTTP %s) at %s: through the browser", response.status, request.url)
        if meta.get("kind") in ("attachment", "direct"):
            return gate_request(request, self.crawler.spider)
        return render_request(request, "gate")

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> Request | None:
        """The browser's navigation failed (connection reset, empty answer: Playwright errors the stock
        retry middleware does not know): try again, as for a plain request, a few times."""
        if not request.meta.get("playwright") or type(exception).__module__.split(".")[0] != "playwright":
            return None
        n = int(request.meta.get("browser_retries", 0))
        if n >= int(self.crawler.settings.getint("RETRY_TIMES", 4)):
            return None
        logger.info("browser: %s at %s, try %d", type(exception).__name__, request.url, n + 1)
        return request.replace(meta={**request.meta, "browser_retries": n + 1}, dont_filter=True)

    def earn(self, url: str, cookies: list[dict[str, Any]]) -> None:
        for c in cookies:
            host = (c.get("domain") or urlsplit(url).hostname or "").lstrip(".")
            self.earned.setdefault(host, {})[c["name"]] = c["value"]


class RenderedPageMiddleware:
    """Next to the downloader (before the fetch log and the WARC): a page the browser rendered gets
    the status of its last navigation (a gate's 412 was followed by the reload's 200), and its
    cookies go to BrowserMiddleware; the browser tab is closed."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderedPageMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Response | Request:
        page = request.meta.pop("playwright_page", None)
        if page is None:
            return response
        status = response.status
        try:
            got = await page.evaluate(
                "() => { const n = performance.getEntriesByType('navigation')[0]; return n ? n.responseStatus : 0 }")
            status = int(got or status)
            cookies = await page.context.cookies()
        except Exception as exc:  # noqa: BLE001 - a tab that died keeps the handler's answer
            logger.warning("%s: rendered page not readable: %s", request.url, exc)
            cookies = []
        finally:
            await page.close()
        for mw in self.crawler.engine.downloader.middleware.middlewares:
            if isinstance(mw, BrowserMiddleware):
                mw.earn(response.url, cookies)
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("gongkai/rendered_pages")
        then = request.meta.get("then")
        if then is not None:  # the gate passed for a file: the file itself, plainly, with the cookies
            file = request_from_dict(then, spider=self.crawler.spider)
            return file.replace(dont_filter=True, meta={**file.meta, "gate_passed": True})
        headers = response.headers.copy()
        # the WARC record says the page is the browser's rendering, not the bytes the server sent
        headers[b"X-Gongkai-Rendered"] = f"chromium; {request.meta.get('rendered', 'page')}".encode()
        return response.replace(status=status, headers=headers)
