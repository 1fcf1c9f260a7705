"""Run one crawl in its own process.

Twisted's reactor cannot be restarted inside a process, and tests, `gongkai demo` and the scheduler
crawl several times: so each crawl is `python -m crawler.runner CONFIG.json` in a child process,
which runs Scrapy's CrawlerProcess and writes its summary as JSON next to the config. The parent
only waits and reads. A child killed midway leaves a resumable job under `<data>/jobs/`.
"""

from __future__ import annotations

import gc
import hashlib
import ipaddress
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from archive.registry import Registry, load_registry


class CrawlError(RuntimeError):
    pass


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def job_key(registry: str | None, agencies: list[str]) -> str:
    raw = json.dumps([str(Path(registry).resolve()) if registry else None, sorted(agencies)])
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def crawl_settings(config: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """Scrapy settings for one crawl: project settings + politeness per site + loopback relaxation."""
    from crawler import settings as project

    data = Path(config["data"]).resolve()
    out: dict[str, Any] = {k: getattr(project, k) for k in dir(project) if k.isupper()}
    out.update(
        GONGKAI_DATA=str(data),
        GONGKAI_REGISTRY=config.get("registry"),
        GONGKAI_AGENCIES=config.get("agencies") or [],
        GONGKAI_PROGRESS=config.get("progress", True),
        JOBDIR=str(data / "jobs" / job_key(config.get("registry"), config.get("agencies") or [])),
        LOG_LEVEL=config.get("log_level", "WARNING"),
        # the sample portal's simulated day: the archive stamps its rows with it (archive.schema.clock_at)
        GONGKAI_TODAY=config.get("today"),
    )
    hosts = registry.hosts()
    loopback = bool(hosts) and all(is_loopback(h) for h in hosts)
    if loopback or config.get("impolite"):
        # the sample portal on this machine: politeness is for other people's servers
        out.update(project.LOOPBACK_SETTINGS)
    slots = {}
    for host, site in (registry.sites or {}).items():
        slot = {}
        if "delay" in site:
            slot["delay"] = float(site["delay"])
        if "concurrency" in site:
            slot["concurrency"] = int(site["concurrency"])
        if slot:
            slots[host] = slot
    out["DOWNLOAD_SLOTS"] = slots
    extra = config.get("settings") or {}
    out.update(extra)
    if "CONCURRENT_REQUESTS" not in extra or explicit_concurrency(out) is not None:
        out["CONCURRENT_REQUESTS"] = global_concurrency(out, hosts, slots)
    sites = len(hosts)
    limit = open_files_limit()
    if 2 * sites > limit * 3 // 4:  # a socket or two per site, besides the queues' files
        logging.getLogger("gongkai").warning(
            "%d sites and an open-files limit of %d: some fetches may fail with 'Too many open files';"
            " raise the hard limit (ulimit -Hn) before crawling", sites, limit)
    # DNS lookups run in the reactor's thread pool: thousands of hosts resolve faster with more threads
    out.setdefault("REACTOR_THREADPOOL_MAXSIZE", 10)
    out["REACTOR_THREADPOOL_MAXSIZE"] = max(int(out["REACTOR_THREADPOOL_MAXSIZE"]), min(40, 10 + sites // 50))
    out["DNSCACHE_SIZE"] = max(10000, 2 * sites)
    from crawler.browser import browser_settings

    out.update(browser_settings(out))
    return out


def global_concurrency(settings: dict[str, Any], hosts: set[str], slots: dict[str, dict[str, Any]]) -> int:
    """Requests in flight for all sites together. Politeness is per site (delay, AutoThrottle, at most
    CONCURRENT_REQUESTS_PER_DOMAIN each), so the global cap only has to stay out of its way: the sum
    of the per-site limits, at least the project's CONCURRENT_REQUESTS, at most GONGKAI_CONCURRENCY_MAX
    (memory: every request in flight may hold a body). GONGKAI_CONCURRENCY (setting or environment
    variable, `gongkai crawl --concurrency`) sets it outright."""
    explicit = explicit_concurrency(settings)
    if explicit is not None:
        return explicit
    per_site = int(settings.get("CONCURRENT_REQUESTS_PER_DOMAIN") or 2)
    total = sum(int(slots.get(h, {}).get("concurrency", per_site)) for h in hosts)
    floor = int(settings.get("CONCURRENT_REQUESTS") or 16)
    # a socket each, and as many again kept open for the sites' next requests: within the open-files limit
    sockets = open_files_limit() // 4
    return max(floor, min(int(settings.get("GONGKAI_CONCURRENCY_MAX") or 1024), sockets, total))


def explicit_concurrency(settings: dict[str, Any]) -> int | None:
    """GONGKAI_CONCURRENCY from the settings, else from the environment; None when unset."""
    raw = settings.get("GONGKAI_CONCURRENCY") or os.environ.get("GONGKAI_CONCURRENCY")
    if raw is None or raw == "":
        return None
    try:
        n = int(raw)
    except ValueError:
        raise CrawlError(f"GONGKAI_CONCURRENCY={raw!r}: not a whole number") from None
    if n < 1:
        raise CrawlError(f"GONGKAI_CONCURRENCY={n}: must be 1 or more")
    return n


def quiet_below(crawler: Any, level: str) -> None:
    """Scrapy sets its loggers to DEBUG and the root logger to NOTSET and filters in its handler, so
    every debug line (two a request: "Crawled", "Scraped") is built as a record and then dropped:
    the loggers filter at the crawl's level instead (the root logger once the crawl has begun:
    Scrapy resets it when the crawl starts)."""
    from scrapy import signals

    logging.getLogger("scrapy").setLevel(level)
    crawler.signals.connect(lambda: logging.root.setLevel(level), signal=signals.engine_started, weak=False)


def tune_gc() -> None:
    """Python's cycle collector, set for a long crawl: what start-up built (Scrapy, the registry,
    compiled patterns) lives as long as the process, so full collections leave it out (freeze);
    and the young generation is collected every 10,000 new objects rather than 700, so the full
    collections, which grow with the crawl's state, come less often. Parsed pages are cycles (a
    response and its selector) and are still freed within a few dozen responses."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def open_files_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def raise_open_files_limit() -> int:
    """The soft limit of open files raised to the hard one (often 1,024 against 524,288): a crawl
    of many sites holds a socket or two per site and its request queues' files. Returns the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (OSError, ValueError):  # above the kernel's nr_open: keep what there is
            pass
    return open_files_limit()


def skip_unused_imports() -> None:
    """Before the crawl's imports: sqlite-utils imports numpy whenever it is installed (for numpy
    column types), a tenth of a second of CPU per crawl; a crawl stores no numpy values."""
    sys.modules.setdefault("numpy", None)  # type: ignore[arg-type]


def _child(config_path: str) -> int:
    """In the child: run the crawl, write the summary next to the config."""
    raise_open_files_limit()  # before crawler.queues sizes itself by the limit
    skip_unused_imports()
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.base import ReportSpider

    config = json.loads(Path(config_path).read_text("utf-8"))
    registry = load_registry(config.get("registry")).select(config.get("agencies") or [])
    settings = crawl_settings(config, registry)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ReportSpider)
    quiet_below(crawler, settings["LOG_LEVEL"])
    process.crawl(crawler)
    tune_gc()
    process.start()
    spider = crawler.spider
    summary = dict(getattr(spider, "summary", None) or {"reason": "no summary"})
    summary["stats"] = {k: v for k, v in (crawler.stats.get_stats() or {}).items()
                        if isinstance(v, int | float | str)}
    if summary.get("reason") == "finished":
        # a finished job must not leave its seen-set behind: the next crawl starts afresh
        shutil.rmtree(settings["JOBDIR"], ignore_errors=True)
    out = Path(config_path).with_suffix(".summary.json")
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, ensure_ascii=False, default=str), "utf-8")
    os.replace(tmp, out)
    return 0 if summary.get("reason") == "finished" else 3


def prepare_crawl(data: str | Path, registry: str | Path | None = None, agencies: list[str] | None = None, *,
                  progress: bool = True, settings: dict[str, Any] | None = None, log_level: str = "WARNING",
                  impolite: bool = False, today: str | None = None, workdir: str | Path | None = None) -> list[str]:
    """Write the child's config and return its command line; the summary lands next to the config
    (`summary_path(cmd)`). Fails early, in the caller's process, on a bad registry or agency name."""
    data = Path(data)
    data.mkdir(parents=True, exist_ok=True)
    load_registry(registry).select(agencies or [])
    explicit_concurrency(settings or {})
    config = {"data": str(data.resolve()), "registry": str(Path(registry).resolve()) if registry else None,
              "agencies": list(agencies or []), "progress": progress, "settings": settings or {},
              "log_level": log_level, "impolite": impolite, "today": today}
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="gongkai-crawl-"))
    cfg = work / "config.json"
    cfg.write_text(json.dumps(config, ensure_ascii=False), "utf-8")
    return [sys.executable, "-m", "crawler.runner", str(cfg)]


def summary_path(cmd: list[str]) -> Path:
    return Path(cmd[-1]).with_suffix(".summary.json")


def run_crawl(data: str | Path, registry: str | Path | None = None, agencies: list[str] | None = None, *,
              timeout: float | None = None, wait: bool = False, **kw: Any) -> dict[str, Any]:
    """Crawl in a child process and return its summary (see CrawlState.summary). Holds the archive's
    write lock (archive.lock) for the crawl: raises ArchiveBusy when another process writes it."""
    from archive.lock import writer_lock

    with writer_lock(data, "gongkai crawl", wait=wait) as fd:
        return _run_child(prepare_crawl(data, registry, agencies, **kw), timeout, fd)


def _run_child(cmd: list[str], timeout: float | None, lock_fd: int) -> dict[str, Any]:
    try:
        # the child shares the lock: it stays held if this process is killed while the child writes
        proc = subprocess.run(cmd, timeout=timeout, stdin=subprocess.DEVNULL, pass_fds=(lock_fd,))
        out = summary_path(cmd)
        if not out.exists():
            raise CrawlError(f"crawl process exited with status {proc.returncode} without a summary"
                             " (see the log above)")
        return json.loads(out.read_text("utf-8"))
    finally:
        shutil.rmtree(Path(cmd[-1]).parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
