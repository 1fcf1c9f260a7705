"""Scrapy's stats collector for the crawl, without its shim on every attribute access."""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class CrawlStats(MemoryStatsCollector):
    """Scrapy's MemoryStatsCollector, as it is. Scrapy's own looks up every attribute through a
    `__getattribute__` that wraps its methods to warn about a deprecated `spider` argument, and
    raises and catches an AttributeError for every other name (`self._stats` inside each call):
    a dozen stats a request pay it twice each. Nothing here passes that argument."""

    __getattribute__ = object.__getattribute__
