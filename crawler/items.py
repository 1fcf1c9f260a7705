"""What spiders hand to the pipeline. Plain dataclasses: Scrapy accepts them as items."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DocumentItem:
    """A report page or attachment, with its provenance. `unchanged` = a 304 revalidation
    (body is then the stored copy, never written again)."""

    url: str  # the URL requested (before redirects)
    final_url: str
    body: bytes
    kind: str  # "page" (the report's article page) | "attachment" | "direct" (listed file)
    report_url: str  # the report this belongs to (its article URL, or the file itself)
    report_key: str = ""  # "agency|year" when known: one report however many URLs list it
    agency: str | None = None
    referer: str | None = None  # the list page (for pages) or article page (for attachments)
    list_title: str | None = None
    list_date: str | None = None
    portal_date: str | None = None
    year: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    unchanged: bool = False


@dataclass
class ColumnCaptureItem:
    """One report-column page as this crawl read it: the evidence behind a `missing` verdict."""

    agency: str
    column_url: str
    body: bytes | None
    status: int | None
    reports_seen: int
    error: str | None = None
    column: str | None = None  # the report column this page (or list API answer) belongs to
    declared_records: int | None = None  # what the column's pages said so far in this crawl …
    declared_pages: int | None = None
    items_seen: int | None = None  # … and the distinct records / list pages the crawl reached of it
    pages_seen: int | None = None
    records: list[str] | None = None  # short keys of the records on this page (see spiders.base.record_keys)
    warc: dict[str, Any] | None = None  # the page's WARC record (archive/warc.py)
