"""What every part of the sample portal reads and fills: its options, its world, its routes and the
items each report column lists. `Portal` (portal.py) sets these; the parts (site_pages.py,
script_lists.py, documents.py, truth.py) are its base classes and share them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date

from .model import World
from .response import Response
from .sites import SITE_EPOCH

# (title, URL, date) of one record in a column's list
Item = tuple[str, str, date]


class PortalState:
    """The attributes Portal sets, declared once for all its parts."""

    today: date
    world: World
    faults: float
    slow_delay: float
    fault_timeout: float
    large_size: int
    fail_api: bool
    base_url: str
    routes: dict[str, Callable[[], Response]]
    cache: OrderedDict[str, Response]
    cache_bytes: int
    cache_limit: int
    lock: threading.Lock
    attempts: dict[str, int]
    manifest: dict
    flaky_paths: dict[str, int]
    column_items: dict[str, list[Item]]  # column path -> what it lists, newest first
    listed_in: dict[str, set[str]]  # item URL -> the columns that list it
    # filled by the site builders: the Hanweb columns' records and days, the script-drawn columns
    hanweb: dict[str, list[str]]
    hanweb_mod: dict[str, date]
    script_hdr: dict[str, str]
    script_items: dict[str, list[Item]]
    jpage_records: list[str]

    def _items(self, col: str) -> list[Item]:
        return self.column_items.get(col, [])

    def _modified(self, items: list[Item]) -> date:
        """The day a list last changed: its newest record, or the site's epoch."""
        return max([SITE_EPOCH] + [d for _, _, d in items])
