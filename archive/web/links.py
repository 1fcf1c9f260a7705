"""The links the gongkai pages draw between each other: a verdict's page, one WARC record."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode


def verdict_href(datasette: Any, agency: str, year: int) -> str:
    return datasette.urls.path("/-/gongkai/verdict?" + urlencode({"agency": agency, "year": year}))


def warc_href(datasette: Any, warc_file: str | None, offset: int | None) -> str | None:
    """The link to one WARC record (served by `warc_record`), or None when there is none."""
    if not warc_file or offset is None:
        return None
    return datasette.urls.path(f"/-/gongkai/warc/{quote(warc_file)}?offset={int(offset)}")


def warc_ref_href(datasette: Any, ref: str | None) -> str | None:
    """The link for a verdict's capture reference "<file>:<offset>" (archive/verdicts.py), or None."""
    name, _, off = (ref or "").rpartition(":")
    return warc_href(datasette, name, int(off)) if off.isdigit() else None

