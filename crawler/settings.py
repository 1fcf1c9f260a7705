"""Scrapy settings for gongkai's crawler: conservative politeness by default.

Government portals are small servers behind WAFs; a crawl that looks like an attack gets the
whole city blocked. So: robots.txt obeyed, a User-Agent that names us and where to complain,
two requests at a time per site, AutoThrottle, retries with backoff (see middlewares), and hard
size / time limits on every download. `LOOPBACK_SETTINGS` relaxes this for the sample portal only.
"""

from __future__ import annotations

import sys
from typing import Any

from archive.limits import DOWNLOAD_MAXSIZE as DOWNLOAD_MAXSIZE  # the archive's limit, as a Scrapy setting

BOT_NAME = "gongkai"
PROJECT_URL = "https://github.com/gongkai-project/gongkai"

SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = f"gongkai/0.1 (+{PROJECT_URL}; government information disclosure annual report archive)"
ROBOTSTXT_OBEY = True

# Politeness: few parallel requests per site, and AutoThrottle adapts the delay to the server's latency.
# The global cap follows the number of sites (crawler.runner.global_concurrency): per-site limits
# keep the crawl polite, so many portals are crawled at once. 16 is its least value.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
GONGKAI_CONCURRENCY: int | None = None  # set the global cap outright (also env GONGKAI_CONCURRENCY)
GONGKAI_CONCURRENCY_MAX = 1024
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Limits per download: DOWNLOAD_MAXSIZE (above) is the archive's; pages answer in seconds.
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
DOWNLOAD_TIMEOUT = 60

# Retries: the stock RetryMiddleware decides *whether*; crawler.middlewares.BackoffMiddleware
# delays each retry exponentially (GONGKAI_BACKOFF_BASE * 2**n seconds).
RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
GONGKAI_BACKOFF_BASE = 2.0
GONGKAI_BACKOFF_MAX = 60.0

# Breadth-first order: list pages before deep pagination, memory-light on big portals.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "crawler.queues.FifoDiskQueue"  # Scrapy's pickle FIFO, cheaper per request
SCHEDULER_START_DISK_QUEUE = "crawler.queues.FifoDiskQueue"  # the start requests' queues too
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
SCHEDULER_PRIORITY_QUEUE = "crawler.queues.SiteAwarePriorityQueue"  # Scrapy's, cheaper with many sites

# Items and requests a callback yields are handled by this many asyncio tasks per response, made
# anew for every response; the pipeline is synchronous, so more would only cost CPU.
CONCURRENT_ITEMS = 4
# Scrapy parses a callback's source (ast) on every response to warn about `return value` in a
# generator: a lint for spider authors, half a millisecond a response for us.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Scrapy's remote control (an HTTP server on loopback that runs code in the crawl, and a job file in
# the user's state folder) is for interactive debugging: not for a crawl run by gongkai, and its
# aiohttp start-up is CPU every crawl pays
REMOTE_CONTROL_ENABLED = False
STATS_CLASS = "crawler.stats.CrawlStats"  # Scrapy's in-memory stats, cheaper per request
COOKIES_ENABLED = True  # some WAFs set a cookie on the first answer and expect it back
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
# Twisted's own epoll reactor: Scrapy's default runs Twisted on asyncio, whose tasks, futures and
# event loop cost every request more CPU. Only the browser (scrapy-playwright) needs asyncio:
# crawler.browser.browser_settings puts it back when a Chromium is there to drive.
TWISTED_REACTOR = ("twisted.internet.epollreactor.EPollReactor" if sys.platform == "linux"
                   else "twisted.internet.asyncioreactor.AsyncioSelectorReactor")
HTTPCACHE_ENABLED = False  # the archive itself is the cache (conditional requests)

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's offsite filter, in the subclass that knows official domains (and in its place)
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.OfficialDomainMiddleware": 50,
    "crawler.middlewares.ListBoundsMiddleware": 55,
    "crawler.middlewares.CharsetMiddleware": 100,  # after decompression (590) on the way out
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.QuickMetaRefreshMiddleware": 580,  # the same, cheaper on pages without one
    "crawler.middlewares.BackoffMiddleware": 60,
    "crawler.middlewares.ConditionalRequestMiddleware": 580,
    "crawler.middlewares.ChallengeMiddleware": 590,
    # script gates the plain retry did not pass → the browser (crawler/browser.py)
    "crawler.browser.BrowserMiddleware": 600,
    # FetchLogMiddleware sits closest to the downloader: it sees every response, retried or not.
    "crawler.middlewares.FetchLogMiddleware": 950,
    # a rendered page's final status and cookies, before the fetch log records it
    "crawler.browser.RenderedPageMiddleware": 960,
}
SPIDER_MIDDLEWARES = {
    # a lint for spider authors (a warning about meta keys copied from a response): a layer every
    # request the spider yields goes through, for nothing
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    "crawler.middlewares.KnownRefererMiddleware": 700,  # Scrapy's, in its place
    # next to the spider (after Scrapy's 1000): repeats dropped before the rest of the chain
    "crawler.middlewares.SeenRequestsMiddleware": 1010,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ArchivePipeline": 300,
}
EXTENSIONS = {
    "crawler.pipelines.ProgressExtension": 500,
}
# Scrapy's own extensions, less those a crawl never runs (remote control and telnet are turned off
# above, the memory debugger and feed exports are unused): Scrapy imports every extension its
# settings name, even one set to None, and these would bring aiohttp's web server and Twisted's
# conch into every crawl process's start-up
EXTENSIONS_BASE = {
    "scrapy.extensions.corestats.CoreStats": 0,
    "scrapy.extensions.logcount.LogCount": 0,
    "scrapy.extensions.memusage.MemoryUsage": 0,
    "scrapy.extensions.closespider.CloseSpider": 0,
    "scrapy.extensions.logstats.LogStats": 0,
    "scrapy.extensions.spiderstate.SpiderState": 0,
    "scrapy.extensions.throttle.AutoThrottle": 0,
}

# gongkai's own settings (set by `gongkai crawl`)
GONGKAI_DATA = "gongkai-data"
GONGKAI_REGISTRY = None  # path to a registry YAML/CSV; None = the bundled one
GONGKAI_AGENCIES: list[str] = []  # restrict to these agency names
GONGKAI_EXTRA_DOMAINS: list[str] = []  # official hosts besides the registry's and *.gov.cn
GONGKAI_PROGRESS = True
GONGKAI_MAX_LIST_PAGES = 500  # list pages of one column, however reached: more is a crawler trap
GONGKAI_TRAP_PAGES = 20  # list pages of a column that add no new record before the rest is dropped
# a browser for script gates and script-drawn lists (crawler/browser.py): Chromium from the PATH or
# this path; never downloaded. GONGKAI_BROWSER = False: no browser, such columns are flagged.
# None: the environment variable of the same name decides (on when unset).
GONGKAI_BROWSER: bool | None = None
GONGKAI_CHROMIUM: str | None = None
GONGKAI_WARC = True  # every exchange also as WARC records under <data>/warc/ (archive/warc.py)

# For the sample portal on loopback (demo, tests, bench): no delays, more parallelism.
LOOPBACK_SETTINGS: dict[str, Any] = {
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "GONGKAI_BACKOFF_BASE": 0.05,
    "GONGKAI_BACKOFF_MAX": 1.0,
    "DOWNLOAD_TIMEOUT": 20,
}
