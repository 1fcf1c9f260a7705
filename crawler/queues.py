"""The JOBDIR request queue on disk, made cheap per request for crawls of many sites at once.

Scrapy keeps one disk queue per site and priority (DownloaderAwarePriorityQueue). Two costs of the
stock queue grow with the number of sites and showed in profiles of a 100-portal crawl:
- every push names the request's callback with `inspect.getmembers(spider)` (Request.to_dict),
  about half a millisecond for our spider; here the names come from a table built once;
- a queue that runs empty is closed and deletes its files and directory, and the next request
  for that site makes them again (mkdir, open, write, unlink, rmdir on the reactor's thread): with
  a request a second per site that is nearly every request. Here an emptied queue stays open, idle,
  and is handed back when its site's next request comes (the last IDLE_MAX of them); an older one
  closes its files but keeps them, so reopening it is two opens. A crawl that finishes removes its
  whole JOBDIR anyway.

And one cost that stops a crawl: each queue holds two open files, and a crawl of a thousand sites
has thousands of queues. Only the OPEN_MAX queues used last keep their files open; another one
closes them and reopens them where it was (queuelib keeps the read offset in its info) when its
site's next request comes. Without that, at 500 sites and the usual limit of 1,024 open files,
the queues and the sockets ran out of file descriptors and most of the crawl failed.
"""

from __future__ import annotations

import inspect
import os
import resource
from collections import OrderedDict
from typing import Any

from scrapy import Request
from scrapy.http.request import _find_method
from scrapy.pqueues import DownloaderAwarePriorityQueue, DownloaderInterface
from scrapy.squeues import PickleFifoDiskQueue

IDLE_MAX = 2048  # emptied queues kept for their site's next request
# queues whose files stay open, two file descriptors each: at most a quarter of the open-files
# limit (the crawl process raises it to the hard limit first), the rest is left to the sockets
OPEN_MAX = max(8, min(4096, resource.getrlimit(resource.RLIMIT_NOFILE)[0] // 8))


def method_names(spider: Any) -> dict[Any, str]:
    """The spider's methods by their underlying function (what _find_method compares), cached."""
    names = getattr(spider, "_gongkai_method_names", None)
    if names is None:
        names = {}
        for name, member in inspect.getmembers(type(spider), predicate=inspect.isfunction):
            names.setdefault(member, name)
        try:
            spider._gongkai_method_names = names
        except AttributeError:  # a spider with __slots__: look them up every time
            pass
    return names


def request_to_dict(request: Request, spider: Any) -> dict[str, Any]:
    """Request.to_dict(spider=spider) with callbacks named from `method_names` (same output; a
    callback that is not a method of the spider raises ValueError, as Scrapy's does, and the
    scheduler then keeps that request in memory)."""
    names = method_names(spider)

    def name(func: Any) -> Any:
        if not callable(func):
            return func
        target = getattr(func, "__func__", None)
        if target is not None and getattr(func, "__self__", None) is spider and target in names:
            return names[target]
        return _find_method(spider, func)

    d: dict[str, Any] = {"url": request.url, "callback": name(request.callback),
                         "errback": name(request.errback), "headers": dict(request.headers)}
    for attr in request.attributes:
        d.setdefault(attr, getattr(request, attr))
    if type(request) is not Request:
        d["_class"] = type(request).__module__ + "." + type(request).__name__
    return d


class FifoDiskQueue(PickleFifoDiskQueue):  # type: ignore[misc,valid-type]
    """scrapy.squeues.PickleFifoDiskQueue without the costs above."""

    _idle: OrderedDict[str, FifoDiskQueue] = OrderedDict()
    _open: OrderedDict[int, FifoDiskQueue] = OrderedDict()  # queues with open files, last used last

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._files_open()

    @classmethod
    def from_crawler(cls, crawler: Any, key: str, *args: Any, **kwargs: Any) -> FifoDiskQueue:
        q = cls._idle.pop(str(key), None)
        if q is not None and q.spider is crawler.spider:
            return q
        if q is not None:
            q.really_close()
        return cls(crawler, key)

    def _files_open(self) -> None:
        opened = type(self)._open
        opened[id(self)] = self
        while len(opened) > OPEN_MAX:
            opened.popitem(last=False)[1]._close_files()

    def _close_files(self) -> None:
        """Close the files but not the queue (see _use)."""
        self.headf.close()
        self.tailf.close()
        type(self)._open.pop(id(self), None)

    def _use(self) -> None:
        """Before a push or pop: the files open again where they were, if _files_open closed them."""
        if id(self) in type(self)._open:
            type(self)._open.move_to_end(id(self))
            return
        self.headf = self._openchunk(self.info["head"][0], "ab+")  # appended to: at its end
        self.tailf = self._openchunk(self.info["tail"][0])
        os.lseek(self.tailf.fileno(), self.info["tail"][2], os.SEEK_SET)
        self._files_open()

    def _openchunk(self, number: int, mode: str = "rb") -> Any:
        # unbuffered: queuelib reads and writes the file descriptor itself, so the 8 KB buffer a
        # buffered file allocates is never used (tens of MB with thousands of queues open)
        return open(os.path.join(self.path, f"q{number:05d}"), mode, buffering=0)

    def pop(self) -> Request | None:
        self._use()
        return super().pop()

    def peek(self) -> Request | None:
        self._use()
        return super().peek()

    def push(self, request: Request) -> None:
        self._use()
        # skip ScrapyRequestQueue.push (Request.to_dict) for the serialising queue beneath it
        # (scrapy builds PickleFifoDiskQueue at run time: mypy cannot see it is this class's base)
        super(PickleFifoDiskQueue, self).push(request_to_dict(request, self.spider))  # type: ignore[misc]

    def close(self) -> None:
        if len(self) == 0:
            idle = type(self)._idle
            idle[self.path] = self
            while len(idle) > IDLE_MAX:
                idle.popitem(last=False)[1].really_close()
            return
        type(self)._open.pop(id(self), None)
        super().close()

    def really_close(self) -> None:
        """Close the files; an empty queue keeps them (and its directory) for its next request."""
        if len(self) == 0:
            self._close_files()
            self._saveinfo(self.info)
            return
        self.close()


class _ActiveDownloads(DownloaderInterface):
    def stats(self, possible_slots: Any) -> list[tuple[int, str]]:
        slots = self.downloader.slots
        return [(len(slots[s].active) if s in slots else 0, s) for s in possible_slots]


class SiteAwarePriorityQueue(DownloaderAwarePriorityQueue):
    """Scrapy's DownloaderAwarePriorityQueue (the site with the fewest downloads in flight next, in
    turn after the last one chosen), its choice made with builtins: it looks at every site with
    requests waiting on every pop, thousands of them in a national crawl."""

    def __init__(self, crawler: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(crawler, *args, **kwargs)
        self._downloader_interface = _ActiveDownloads(crawler)

    def _next_slot(self, stats: list[tuple[int, str]], *, update_state: bool) -> str:
        low, best = min(stats)  # the fewest in flight, and of those the first by name
        last = self._last_selected_slot
        if last is not None:
            # the next by name after the last one chosen, among the sites with the fewest
            best = min([s for n, s in stats if n == low and s > last], default=best)
        if update_state:
            self._last_selected_slot = best
        return best
