"""Sizes the archive accepts, shared by what fills it: the crawler's downloads and `gongkai ingest`."""

from __future__ import annotations

# reports are at most a few tens of MB (scans): a larger file is refused rather than stored
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
