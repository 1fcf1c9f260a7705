"""Downloader middlewares: official domains only (Scrapy's offsite filter with our policy), retry
backoff, conditional requests, WAF and challenge pages, and a log line in the archive for every fetch.

All of them reach the crawl's shared state through `crawler.spider.gk` (a CrawlState); spiders
without it (e.g. `scrapy fetch`) pass through untouched.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

import scrapy.downloadermiddlewares.cookies as _cookies
import scrapy.responsetypes as _responsetypes
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, HtmlResponse, Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.spidermiddlewares.referer import RefererMiddleware
from scrapy.utils.asyncio import sleep
from tldextract import TLDExtract

# Scrapy's cookie middleware asks tldextract whether a cookie's domain is a public suffix, and
# tldextract fetches the Public Suffix List from the internet on first use (a traceback on a
# machine without it, and a request to a third party from every crawl): the list it ships is enough.
_cookies._split_domain = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)

# Scrapy tells a text body from a binary one (a file served as application/octet-stream, as portals
# serve their attachments) by testing its first 5000 bytes one by one in a Python generator: the
# same test (a control character other than NUL, tab, CR, LF) as one regular expression.
_CONTROL_BYTE = re.compile(rb"[\x01-\x08\x0b\x0c\x0e-\x1f]")


def binary_is_text(data: bytes) -> bool:
    if not isinstance(data, bytes):
        raise TypeError(f"data must be bytes, got '{type(data).__name__}'")
    return _CONTROL_BYTE.search(data) is None


_responsetypes.binary_is_text = binary_is_text

# WAFs seen on Chinese government portals answer 412 (瑞数/Ruishu) or 521 (Jiasule/Cloudflare-like
# script challenges) with a page of obfuscated JavaScript that sets a cookie and reloads.
CHALLENGE_STATUSES = {412, 521}
_CHALLENGE_SCRIPT = re.compile(
    rb"document\.cookie\s*=.{0,400}?(location(\.href|\.replace|\.reload)|window\.location)"
    rb"|(location(\.href|\.replace|\.reload)|window\.location).{0,400}?document\.cookie\s*=",
    re.S | re.I,
)
_VISIBLE_TEXT = re.compile(rb"[\x80-\xff]{6,}|[A-Za-z]{3,}\s+[A-Za-z]{3,}\s+[A-Za-z]{3,}")

logger = logging.getLogger(__name__)


class ChallengePage(IgnoreRequest):
    """A WAF answer instead of the page: never stored, logged as a failure of kind `kind`."""

    def __init__(self, kind: str, url: str, status: int) -> None:
        super().__init__(f"{kind}: HTTP {status} challenge instead of {url}")
        self.kind = kind


class OffsiteDocument(IgnoreRequest):
    pass


class ListPagesCapped(IgnoreRequest):
    """A list page not fetched: its column has too many pages, or pages that add nothing new."""


def is_official(host: str, official: set[str]) -> bool:
    """Hosts of the registry (exact), and any *.gov.cn host."""
    host = (host or "").lower().rstrip(".")
    return host in official or host == "gov.cn" or host.endswith(".gov.cn")


def looks_like_challenge(response: Response) -> bool:
    """A small script page that sets a cookie and reloads itself, with next to no visible text."""
    if response.status in CHALLENGE_STATUSES:
        return True
    body = response.body
    # runs twice on every response: the cheap tests first (size, then a plain substring: both
    # patterns set document.cookie), the regular expression only on the few that pass
    if len(body) > 20000:
        return False
    ctype = (response.headers.get(b"Content-Type") or b"").lower()
    if b"html" not in ctype and not body.lstrip()[:1] == b"<":
        return False
    if b"cookie" not in body.lower() or not _CHALLENGE_SCRIPT.search(body):
        return False
    text = re.sub(rb"<script.*?</script>|<[^>]+>", b" ", body, flags=re.S | re.I)
    return not _VISIBLE_TEXT.search(text)


class _Base:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    @property
    def gk(self) -> Any:
        return getattr(self.crawler.spider, "gk", None)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def official_url(url: str, official: set[str], origins: set[tuple[str, str, int]],
                 redirected_from: str | None = None) -> str | None:
    """Why `url` may not be fetched, or None when it may. Official: http(s), a registry host or
    *.gov.cn. A redirect must also land on the default port of its scheme, on the port it came
    from, or on an origin the registry names: another port of an official host is another service."""
    u = urlsplit(url)
    if u.scheme not in _DEFAULT_PORTS:
        return f"{u.scheme or 'no'} scheme"
    host = (u.hostname or "").lower().rstrip(".")
    if not is_official(host, official):
        return "not an official domain"
    if redirected_from is None:
        return None
    try:
        port = u.port or _DEFAULT_PORTS[u.scheme]
        src = urlsplit(redirected_from)
        src_port = src.port or _DEFAULT_PORTS.get(src.scheme, 0)
    except ValueError:
        return "a bad port"
    if port == _DEFAULT_PORTS[u.scheme] or (port == src_port and host == (src.hostname or "").lower()) \
            or (u.scheme, host, port) in origins:
        return None
    return f"port {port} of {host}, not the registry's"


class OfficialDomainMiddleware(OffsiteMiddleware):
    """Scrapy's offsite filter with the official-domain policy: reports are only fetched from the
    registry's hosts and *.gov.cn (any port for a link; for a redirect see `official_url`), in place
    of `allowed_domains`. robots.txt requests and the spider's own start URLs carry `official_ok`; a
    redirect is checked again whatever it carries (scheme, host and port of where it lands), and so
    is a request with `dont_filter` (a retry). A spider without a registry gets Scrapy's own policy."""

    _origins: set[tuple[str, str, int]] | None = None

    @property
    def gk(self) -> Any:
        return getattr(self.crawler.spider, "gk", None)

    def origins(self, spider: Any) -> set[tuple[str, str, int]]:
        if self._origins is None:
            out = set()
            for a in getattr(getattr(spider, "registry", None), "agencies", None) or []:
                for url in [a.get("portal"), *a.get("columns", [])]:
                    u = urlsplit(url or "")
                    if u.scheme in _DEFAULT_PORTS and u.hostname:
                        try:
                            out.add((u.scheme, u.hostname.lower(), u.port or _DEFAULT_PORTS[u.scheme]))
                        except ValueError:
                            continue
            self._origins = out
        return self._origins

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OfficialDomainMiddleware:
        o = super().from_crawler(crawler)
        crawler.signals.disconnect(o.request_scheduled, signal=signals.request_scheduled)
        return o

    def request_scheduled(self, request: Request, spider: Any) -> None:
        # checked when it is downloaded instead: a request dropped while being scheduled never reaches
        # its errback, and the spider records a list page that was not fetched, and why
        return None

    def offsite_reason(self, request: Request, spider: Any) -> str | None:
        """Why `request` may not be fetched, or None when it may."""
        official = getattr(spider, "official_hosts", None)
        if official is None:
            return None if super().should_follow(request, spider) else "not in the spider's allowed_domains"
        hops = request.meta.get("redirect_urls") or []
        if not hops and request.meta.get("official_ok"):
            return None
        return official_url(request.url, official, self.origins(spider), hops[-1] if hops else None)

    def should_follow(self, request: Request, spider: Any) -> bool:
        return self.offsite_reason(request, spider) is None

    def process_request(self, request: Request, spider: Any = None) -> None:
        spider = self.crawler.spider
        if getattr(spider, "official_hosts", None) is None:
            return super().process_request(request)
        why = self.offsite_reason(request, spider)
        if why:
            self.stats.inc_value("offsite/filtered")
            if self.gk:
                self.gk.fail("offsite")
            hops = request.meta.get("redirect_urls") or []
            where = f" (redirected from {hops[-1]})" if hops else ""
            raise OffsiteDocument(f"offsite: {request.url}{where}: {why}")
        return None


class SeenRequestsMiddleware(BaseSpiderMiddleware):
    """A spider middleware next to the spider: a request it already yielded in this process (same
    method, URL and body; not `dont_filter`) is dropped here rather than at the scheduler, whose
    duplicate filter would drop it anyway after the other spider middlewares and a fingerprint.
    Every list page of a column links the same reports and pages: nearly half of what the spider
    yields is such a repeat. Up to MAX requests are remembered; then the memory starts afresh
    (the scheduler's filter still catches what this one forgets)."""

    MAX = 200_000

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[tuple[str, str, bytes]] = set()

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if request.dont_filter:
            return request
        key = (request.method, request.url, request.body)
        if key in self.seen:
            return None
        if len(self.seen) >= self.MAX:
            self.seen.clear()
        self.seen.add(key)
        return request


class KnownRefererMiddleware(RefererMiddleware):
    """Scrapy's Referer policy, not worked out for a request that names its Referer already (reports,
    attachments, list API calls): the policy's Referer would only be set if the header were not."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if response is not None and b"Referer" in request.headers:
            return request
        return super().get_processed_request(request, response)


class ListBoundsMiddleware(_Base):
    """A cap on the list pages of one column however they are reached (pager links, declared page
    counts, list API pages), and trap detection: once GONGKAI_TRAP_PAGES list pages of a column
    added no record not seen before, its further pages are not fetched. The column is reported
    partial with the reason (crawl summary `partial`)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.cap = crawler.settings.getint("GONGKAI_MAX_LIST_PAGES", 500)
        self.trap = crawler.settings.getint("GONGKAI_TRAP_PAGES", 20)
        self.pages: dict[str, set[str]] = {}
        self.stopped: dict[str, str] = {}

    def process_request(self, request: Request, spider: Any = None) -> None:
        gk = self.gk
        column = request.meta.get("column")
        if gk is None or request.meta.get("kind") != "list" or not column or request.meta.get("redirect_urls"):
            return None
        key = request.meta.get("capture_url") or request.url
        if key == column:
            return None  # the column's own page
        why = self.stopped.get(column)
        if why is None:
            seen = self.pages.setdefault(column, set())
            seen.add(key)
            stale = gk.columns.get(column, {}).get("stale", 0)
            if len(seen) > self.cap:
                why = f"more than {self.cap} list pages (GONGKAI_MAX_LIST_PAGES): the rest not followed"
            elif stale >= self.trap:
                why = f"{stale} list pages added no new record (a crawler trap?): the rest not followed"
            if why:
                self.stopped[column] = why
        if why:
            # the spider's errback counts it and records the column's capture with this error
            raise ListPagesCapped(why)
        return None


class CharsetMiddleware(_Base):
    """Decode a page by what its bytes are when its declaration is wrong: valid UTF-8 declared as
    GBK (a gb2312 template around UTF-8 text), or GBK bytes declared UTF-8. The list's titles are
    what decide which links are reports: read in the wrong charset they name nothing."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if not isinstance(response, HtmlResponse) or response.body.isascii():
            return response
        encoding = (response.encoding or "").lower().replace("_", "-")
        try:
            response.body.decode("utf-8")
            is_utf8 = True
        except UnicodeDecodeError:
            is_utf8 = False
        if is_utf8 and encoding not in ("utf-8", "utf8"):
            return response.replace(encoding="utf-8")
        if not is_utf8 and encoding in ("utf-8", "utf8"):
            try:
                response.body.decode("gb18030")
            except UnicodeDecodeError:
                return response
            return response.replace(encoding="gb18030")
        return response


class QuickMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta refresh redirects, with a plain substring test first: Scrapy resolves the page's
    base URL before it looks for the tag (URL quoting on every page), and a tag that refreshes
    must spell `refresh` within the first 4096 characters it reads, which nearly no page does."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if isinstance(response, HtmlResponse) and "refresh" not in response.text[:4096].lower():
            return response
        return super().process_response(request, response)


class BackoffMiddleware(_Base):
    """Delay each retry exponentially: the stock RetryMiddleware re-schedules immediately, which
    hammers a struggling server. Runs on the reactor (Scrapy's sleep, on either reactor), no threads."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.base = crawler.settings.getfloat("GONGKAI_BACKOFF_BASE", 2.0)
        self.cap = crawler.settings.getfloat("GONGKAI_BACKOFF_MAX", 60.0)

    def process_request(self, request: Request, spider: Any = None) -> Any:
        # synchronous on the common path (first tries): a coroutine per request costs the reactor
        n = int(request.meta.get("retry_times", 0)) + int(request.meta.get("challenge_retries", 0))
        if n > 0 and self.base > 0:
            return self._sleep(min(self.cap, self.base * 2 ** (n - 1)))
        return None

    @staticmethod
    async def _sleep(seconds: float) -> None:
        await sleep(seconds)


class ConditionalRequestMiddleware(_Base):
    """Revalidate documents already in the archive (If-None-Match / If-Modified-Since from
    `Archive.validators`). A 304 becomes a response carrying the stored bytes, flagged
    `meta["unchanged"]`, so the spider can still follow the stored page's attachments."""

    def process_request(self, request: Request, spider: Any = None) -> None:
        gk = self.gk
        if gk is None or not request.meta.get("revalidate") or request.meta.get("validators_sent"):
            return None
        v = gk.archive.validators(request.url) or {}
        if v.get("sha256") and getattr(gk, "warc", None) is not None and gk.archive.warc_payload(v["sha256"]) is None:
            # stored before the archive kept WARCs: fetch it whole once, so that a WARC holds a real
            # capture of these bytes (a 304 would leave a revisit referring to nothing)
            v = {}
        if v.get("sha256") and (v.get("etag") or v.get("last_modified")):
            if v.get("etag"):
                request.headers["If-None-Match"] = v["etag"]
            if v.get("last_modified"):
                request.headers["If-Modified-Since"] = v["last_modified"]
            request.meta["stored_sha256"] = v["sha256"]
        request.meta["validators_sent"] = True
        return None

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response | Request:
        sha = request.meta.get("stored_sha256")
        if response.status != 304 or not sha or self.gk is None:
            return response
        path = self.gk.archive.blob_path(sha)
        try:
            body = path.read_bytes()
        except OSError:
            # the blob went missing: fetch again without validators
            return request.replace(
                headers={k: v for k, v in request.headers.items()
                         if k.lower() not in (b"if-none-match", b"if-modified-since")},
                meta={**request.meta, "stored_sha256": None}, dont_filter=True)
        request.meta["unchanged"] = True
        cls = HtmlResponse if request.meta.get("kind") == "page" else Response
        return cls(url=response.url, status=200, headers=response.headers, body=body, request=request)


class ChallengeMiddleware(_Base):
    """WAF and script-cookie challenge pages are recognised, logged and retried later with backoff;
    they never reach the spider as content, so they are never stored as documents."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_retries = crawler.settings.getint("RETRY_TIMES", 4)
        self.challenged: set[str] = set()  # a URL counts once however often it is retried

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response | Request:
        if request.meta.get("unchanged") or not looks_like_challenge(response):
            return response
        kind = "waf" if response.status in CHALLENGE_STATUSES else "challenge"
        n = int(request.meta.get("challenge_retries", 0))
        log = self.crawler.spider.logger if self.crawler.spider is not None else logger
        log.warning("%s page (HTTP %s) at %s, try %d", kind, response.status, request.url, n + 1)
        if self.gk and request.url not in self.challenged:
            self.challenged.add(request.url)
            self.gk.fail(kind)
        if n < self.max_retries:
            return request.replace(meta={**request.meta, "challenge_retries": n + 1}, dont_filter=True)
        raise ChallengePage(kind, request.url, response.status)


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    # Scrapy's Headers keep normalised keys: its items() normalises each again to look it up
    items = dict.items(headers) if isinstance(headers, Headers) else headers.items()
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in items for v in vs]


def write_warc(gk: Any, request: Request, response: Response) -> dict[str, Any] | None:
    """The exchange as WARC records (archive/warc.py), as it came off the network: this middleware
    sits next to the downloader, so it sees robots.txt, redirects, retries and raw 304s too."""
    warc = getattr(gk, "warc", None)
    if warc is None:
        return None
    ip = getattr(response, "ip_address", None)
    try:
        return warc.write_exchange(
            url=response.url, method=request.method, request_headers=_header_pairs(request.headers),
            request_body=request.body, status=response.status, response_headers=_header_pairs(response.headers),
            body=response.body, protocol=getattr(response, "protocol", None) or "HTTP/1.1",
            not_modified_sha=request.meta.get("stored_sha256") if response.status == 304 else None,
            ip=str(ip) if ip else None,
        )
    except Exception as e:  # noqa: BLE001 - a full disk or a bad header must not lose the blob and the row
        gk.fail("warc")
        logger.error("WARC write failed for %s: %s: %s", response.url, type(e).__name__, e)
        return None


class FetchLogMiddleware(_Base):
    """Every request that reached the network, with its outcome, goes to the archive's fetch log,
    and the exchange to the crawl's WARC file (request.meta["warc"]: where its record lies)."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        gk = self.gk
        if gk is not None:
            gk.counts["requests"] += 1
            gk.counts["bytes"] += len(response.body)
            rec = write_warc(gk, request, response)
            request.meta["warc"] = rec
            gk.archive.record_fetch(
                gk.crawl_id, request.url, response.status, final_url=response.url,
                size=len(response.body), elapsed=request.meta.get("download_latency"),
                agency=request.meta.get("agency"), warc=rec,
            )
            gk.save()
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        gk = self.gk
        if gk is not None and not isinstance(exception, IgnoreRequest):
            gk.counts["requests"] += 1
            gk.archive.record_fetch(gk.crawl_id, request.url, None, error=failure_kind(exception) +
                                    f": {exception}", agency=request.meta.get("agency"))
        return None


def failure_kind(exc: BaseException) -> str:
    """A short name for a failure, for the crawl summary's `failures` by kind."""
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TimeoutError
    from twisted.web._newclient import ResponseNeverReceived

    if isinstance(exc, ChallengePage):
        return exc.kind
    if isinstance(exc, OffsiteDocument):
        return "offsite"
    if isinstance(exc, ListPagesCapped):
        return "list_pages_capped"
    if isinstance(exc, HttpError):
        location = (exc.response.headers.get(b"Location") or b"").decode("latin-1").strip().lower()
        if 300 <= exc.response.status < 400 and location and not location.startswith(("http:", "https:", "/")) \
                and ":" in location.split("/", 1)[0]:
            return "offsite_redirect"  # a redirect to file:, ftp: ...: not followed
        return f"http_{exc.response.status}"
    if isinstance(exc, DNSLookupError) or "resolve" in type(exc).__name__.lower():
        return "dns"
    if isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower():
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ResponseNeverReceived):
        return "connection"
    name = type(exc).__name__
    if "IgnoreRequest" in name and "robots" in str(exc).lower():
        return "robots"
    if "maxsize" in str(exc).lower() or "cancel" in str(exc).lower() or "Cancel" in name:
        return "too_large"  # the body grew past DOWNLOAD_MAXSIZE (Scrapy cancels the download)
    return name
