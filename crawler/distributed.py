"""Several crawler processes or machines working through one registry: scrapy-redis shares the
request queue and the seen-set (dupefilter) in a real Redis server, so no page is fetched twice.

    gongkai crawl --redis redis://queue-host:6379/0 --data machine-a    # on machine A
    gongkai crawl --redis redis://queue-host:6379/0 --data machine-b    # on machine B, same registry
    gongkai merge all machine-a machine-b                                # one archive, no duplicates

Every process yields the registry's start requests; the shared seen-set lets only the first copy
through, and each process then pops requests from the shared priority queue. Each writes what it
fetched into its own archive (SQLite is not shared over a network); `gongkai merge` combines them.

Keys live under `gongkai:<run key>:` where the run key is derived from the registry's *content* and
the agency selection (not its path: machines keep their own copies), or given with `--redis-key`.

Ending a shared crawl: a plain Scrapy spider closes as soon as its own scheduler is empty, but
another process may still be downloading pages that will add requests. `SharedIdle` keeps a
process open while the shared queue holds requests or another process was busy within the last
few seconds (each process refreshes a short-lived `busy` key while it has work), and polls the
queue quickly while waiting. The last process to leave deletes the queue and lets the seen-set
expire a minute later (GRACE): a process started a little late finds the crawl done instead of
crawling everything again, and the next crawl starts afresh (as a finished single-process crawl
does with its JOBDIR). The queue and
seen-set persist while any process is alive, so a process that dies is simply restarted.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
import warnings
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, ScrapyDeprecationWarning

# scrapy-redis 0.9 still passes `spider=` to the stats collector: one warning per request, noise
warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module=r"scrapy_redis\.")

PREFIX = "gongkai"
BUSY_TTL = 3.0  # seconds a process counts as busy after its last sign of work
ALIVE_TTL = 15.0  # seconds a process counts as alive after its last heartbeat
HEARTBEAT = 0.25  # seconds between heartbeats
POLL = 0.2  # seconds between looks at the shared queue while idle
GRACE = 60.0  # seconds a finished shared crawl's seen-set is kept for late-starting processes


class RedisUnavailable(RuntimeError):
    pass


def run_key(registry: str | os.PathLike | None, agencies: list[str] | None = None) -> str:
    """Same registry content + same agency selection → same key on every machine."""
    h = hashlib.sha256()
    h.update(Path(registry).read_bytes() if registry else b"<bundled registry>")
    h.update(json.dumps(sorted(agencies or []), ensure_ascii=False).encode())
    return h.hexdigest()[:16]


def check_redis(url: str) -> None:
    """Fail early, naming the URL, when Redis cannot be reached."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except (redis.RedisError, ValueError, OSError) as e:
        raise RedisUnavailable(f"cannot reach Redis at {url}: {e}") from e


def redis_settings(url: str, key: str) -> dict[str, Any]:
    """Scrapy settings that switch the scheduler and the dupefilter to scrapy-redis."""
    from crawler import settings as project

    base = f"{PREFIX}:{key}"
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",  # keeps the spider's priorities
        "SCHEDULER_QUEUE_KEY": f"{base}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{base}:seen",
        # never flush on close: other processes are still working; SharedIdle cleans up at the end
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "REDIS_URL": url,
        "GONGKAI_REDIS_PREFIX": base,
        "EXTENSIONS": {**project.EXTENSIONS, "crawler.distributed.SharedIdle": 600},
    }


class SharedIdle:
    """Keep a process open while the shared crawl has work; clean the shared keys when the last leaves."""

    def __init__(self, crawler: Crawler) -> None:
        from scrapy_redis.connection import get_redis_from_settings

        s = crawler.settings
        self.crawler = crawler
        self.server = get_redis_from_settings(s)
        self.prefix = s.get("GONGKAI_REDIS_PREFIX")
        self.queue_key = s.get("SCHEDULER_QUEUE_KEY")
        self.seen_key = s.get("SCHEDULER_DUPEFILTER_KEY")
        self.me = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.run_key = f"{self.prefix}:run"
        self.done_key = f"{self.prefix}:done"
        self.loop: Any = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedIdle:
        return cls(crawler)

    def _k(self, kind: str, who: str | None = None) -> str:
        return f"{self.prefix}:{kind}:{who or self.me}"

    def opened(self, spider: Any) -> None:
        from twisted.internet import task

        # the first process of a shared crawl starts it afresh: a queue or seen-set left by processes
        # that all died is not trusted (pages in flight when they died are in the seen-set but in no
        # queue); re-crawling is cheap, the archive revalidates what it has with conditional requests
        if self.server.exists(self.done_key):
            # the shared crawl finished moments ago: every start request is in the seen-set, so this
            # process finds nothing to do instead of crawling everything again
            spider.logger.warning("shared crawl %s finished %s ago: nothing left to do", self.prefix,
                                  f"{GRACE - self.server.pttl(self.done_key) / 1000:.0f} s")
        elif self.server.set(self.run_key, self.me, nx=True, px=int(ALIVE_TTL * 1000)):
            self.server.delete(self.queue_key, self.seen_key)
            spider.logger.info("shared crawl %s started by %s", self.prefix, self.me)
        else:
            spider.logger.info("joined shared crawl %s (started by %s)", self.prefix, self.server.get(self.run_key))
        self.beat()
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(HEARTBEAT, now=False)

    def _engine_busy(self) -> bool:
        engine = self.crawler.engine
        try:
            return engine is not None and not engine.spider_is_idle()
        except (RuntimeError, AttributeError):
            return False

    def beat(self) -> None:
        pipe = self.server.pipeline()
        pipe.set(self._k("alive"), "1", px=int(ALIVE_TTL * 1000))
        pipe.pexpire(self.run_key, int(ALIVE_TTL * 1000))
        if self._engine_busy():
            pipe.set(self._k("busy"), "1", px=int(BUSY_TTL * 1000))
        pipe.execute()

    def _others(self, kind: str) -> list[str]:
        mine = self._k(kind)
        out = []
        for k in self.server.scan_iter(match=f"{self.prefix}:{kind}:*", count=100):
            k = k.decode() if isinstance(k, bytes) else k
            if k != mine:
                out.append(k)
        return out

    def idle(self, spider: Any) -> None:
        queued = self.server.zcard(self.queue_key)
        if queued or self._others("busy"):
            # look at the shared queue again soon (Scrapy's own heartbeat is every 5 s)
            from twisted.internet import reactor

            # Twisted declares the reactor through zope interfaces, which mypy reads without `self`
            reactor.callLater(POLL, self._kick)  # type: ignore[arg-type]
            raise DontCloseSpider

    def _kick(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.server.delete(self._k("alive"), self._k("busy"))
        if reason == "finished" and not self._others("alive"):
            # the last one out: the shared crawl is over. Its seen-set lives on for GRACE seconds, so a
            # process started a little late (another machine) does not crawl everything again; then
            # it expires and the next crawl starts afresh
            pipe = self.server.pipeline()
            pipe.delete(self.queue_key, self.run_key)
            pipe.set(self.done_key, self.me, px=int(GRACE * 1000))
            pipe.pexpire(self.seen_key, int(GRACE * 1000))
            pipe.execute()
