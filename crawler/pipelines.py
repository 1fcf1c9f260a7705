"""Into the archive: documents by sha256 with their provenance, and column captures.

The pipeline is the only place the crawler writes documents; middlewares only log fetches.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Headers

from crawler.items import ColumnCaptureItem, DocumentItem

# response headers worth keeping as provenance (the rest is noise such as Set-Cookie)
KEEP_HEADERS = ("content-type", "content-length", "last-modified", "etag", "date", "server",
                "content-disposition", "cache-control", "expires", "location")


def headers_dict(headers: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    # Scrapy's Headers keep normalised keys: its items() normalises each again to look it up
    for k, vs in dict.items(headers) if isinstance(headers, Headers) else headers.items():
        name = k.decode("latin-1").lower()
        if name in KEEP_HEADERS and vs:
            out[name] = vs[-1].decode("latin-1")
    return out


class ArchivePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        gk = getattr(self.crawler.spider, "gk", None)
        if gk is None:
            return item
        try:
            return self._store(item, gk)
        except (OSError, sqlite3.Error) as e:
            # disk full, permissions, a read-only archive: the item is not stored, and the crawl
            # must say so (`failures.write`, a non-zero exit) rather than finish as if it were
            gk.fail("write")
            gk.save(force=True)
            what = getattr(item, "url", None) or getattr(item, "column_url", None)
            raise DropItem(f"not stored: {what}: {type(e).__name__}: {e}") from e

    def _store(self, item: Any, gk: Any) -> Any:
        arc = gk.archive
        if isinstance(item, ColumnCaptureItem):
            arc.record_column_capture(gk.crawl_id, item.agency, item.column_url, item.body, item.status,
                                      item.reports_seen, error=item.error, column_root=item.column,
                                      declared_records=item.declared_records, declared_pages=item.declared_pages,
                                      items_seen=item.items_seen, pages_seen=item.pages_seen, records=item.records,
                                      warc=item.warc)
            if item.body is not None and item.status == 200 and item.error is None:
                gk.reached.add(item.agency)
            gk.save()
        elif isinstance(item, DocumentItem):
            if item.unchanged:
                arc.mark_unchanged(item.url, gk.crawl_id)
                status = self.resumed_status(arc, item.url, gk) if gk.resumed else "unchanged"
            else:
                meta = dict(item.meta)
                meta.update(kind=item.kind, report_url=item.report_url, year=item.year)
                _sha, status = arc.add_document(
                    item.body, url=item.url, final_url=item.final_url, crawl_id=gk.crawl_id,
                    agency=item.agency, referer=item.referer, list_title=item.list_title,
                    list_date=item.list_date, portal_date=item.portal_date, headers=item.headers,
                    meta=meta,
                )
            status = gk.document(item.url, status)
            gk.report(item.report_key or item.report_url, status)
            gk.save()
        return item


    @staticmethod
    def resumed_status(arc: Any, url: str, gk: Any) -> str:
        """In a resumed crawl, a 304 for a document the killed run of *this* crawl stored is still
        what it was then: new (or changed), not unchanged."""
        rows = arc.db.execute("SELECT crawl_id FROM document_urls WHERE url = ? ORDER BY id", [url]).fetchall()
        if rows and rows[-1][0] == gk.crawl_id:
            return "changed" if len(rows) > 1 else "new"
        return "unchanged"


class ProgressExtension:
    """A tqdm line on stderr: requests made, documents stored, failures."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.bar: Any = None
        self.next_tick = 0.0
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        return cls(crawler)

    def opened(self, spider: Any) -> None:
        if self.crawler.settings.getbool("GONGKAI_PROGRESS", True):
            from tqdm import tqdm

            # in a log (not a terminal) a line every 10 s, not every refresh
            self.bar = tqdm(desc="crawl", unit=" req", leave=True, mininterval=0.5 if sys.stderr.isatty() else 10)
            # only with a bar to draw: a signal with no receiver costs the crawl nothing per response
            self.crawler.signals.connect(self.tick, signal=signals.response_received)
            self.crawler.signals.connect(self.tick, signal=signals.item_scraped)

    def tick(self, *args: Any, force: bool = False, **kwargs: Any) -> None:
        gk = getattr(self.crawler.spider, "gk", None)
        if self.bar is None or gk is None:
            return
        now = time.monotonic()
        if now < self.next_tick and not force:
            return  # called on every response and item: the bar only needs a look a few times a second
        self.next_tick = now + 0.2
        self.bar.n = gk.counts["requests"]
        self.bar.set_postfix(docs=len(gk.documents), reports=len(gk.reports),
                             failed=sum(gk.failures.values()), refresh=False)
        self.bar.update(0)  # redraws when mininterval has passed

    def closed(self, spider: Any) -> None:
        if self.bar is not None:
            self.tick(force=True)
            self.bar.close()
