"""`gongkai crawl`: the registry's portals into the archive, in a child process (crawler/runner.py)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from archive.lock import wait_option, writer_lock
from archive.registry import RegistryError
from gongkai.options import data_option, json_option


def summary_text(s: dict[str, Any]) -> str:
    """The crawl's summary as the sentence `gongkai crawl` (and demo) print."""
    fails = ", ".join(f"{v} {k}" for k, v in sorted((s.get("failures") or {}).items())) or "none"
    return (f"crawl {s.get('crawl_id')}: {s.get('agencies', 0)} bodies reached, "
            f"{s.get('agencies_unreachable', 0)} unreachable; reports {s.get('reports_new', 0)} new, "
            f"{s.get('reports_changed', 0)} changed, {s.get('reports_unchanged', 0)} unchanged; "
            f"{s.get('documents_new', 0)} documents downloaded, {s.get('requests', 0)} requests; "
            f"failures: {fails}" + ("" if s.get("reason") == "finished" else f" [stopped: {s.get('reason')}]")
            + "".join(f"\n  partial: {p['column']}: {p['reason']}" for p in s.get("partial") or []))


def do_crawl(data_dir: str, registry: str | None, agencies: list[str], progress: bool = True,
             **kw: Any) -> dict[str, Any]:
    """One crawl (crawler.runner.run_crawl) on the given registry, else the archive's; a bad registry or
    a crawl that cannot start is a ClickException."""
    from archive.agencies import registry_from_archive
    from crawler.runner import CrawlError, run_crawl

    if registry is None:
        registry = registry_from_archive(data_dir)  # agencies added with `gongkai registry import`
    try:
        return run_crawl(data_dir, registry, agencies, progress=progress, **kw)
    except (RegistryError, CrawlError) as e:
        raise click.ClickException(str(e)) from e


@click.command()
@click.option("--registry", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Registry YAML/CSV (default: the archive's agencies, else the bundled 伊宁市 registry).")
@click.option("--agency", "agencies", multiple=True, help="Only this body (repeatable; a unique part of the name).")
@click.option("--log-level", default="WARNING", show_default=True, help="Scrapy log level.")
@click.option("--redis", "redis_url", default=None, metavar="URL",
              help="Share the request queue and seen-set with other crawler processes/machines through this "
                   "Redis (scrapy-redis); each writes its own archive, combine them with `gongkai merge`.")
@click.option("--concurrency", type=click.IntRange(min=1), default=None, envvar="GONGKAI_CONCURRENCY",
              help="Requests in flight for all sites together (default: 2 per site, at least 16, at most 1024); "
                   "each site still gets at most 2 at a time, with its delay.")
@click.option("--redis-key", default=None, help="With --redis: the shared crawl's name (default: from the "
              "registry's content and --agency).")
@data_option
@json_option
@wait_option
def crawl(registry: str | None, agencies: tuple[str, ...], log_level: str, redis_url: str | None,
          redis_key: str | None, data_dir: str, as_json: bool, wait: bool,
          concurrency: int | None = None) -> None:
    """Crawl the registry's portals into the archive (incremental, resumable, polite)."""
    with writer_lock(data_dir, "gongkai crawl", wait=wait):
        _crawl(registry, agencies, log_level, redis_url, redis_key, data_dir, as_json, concurrency)


def _crawl(registry: str | None, agencies: tuple[str, ...], log_level: str, redis_url: str | None,
           redis_key: str | None, data_dir: str, as_json: bool, concurrency: int | None) -> None:
    kw: dict[str, Any] = {}
    extra: dict[str, Any] = {"GONGKAI_CONCURRENCY": concurrency} if concurrency else {}
    if redis_url:  # several processes, one queue: crawler/distributed.py
        from archive.agencies import registry_from_archive
        from crawler.distributed import RedisUnavailable, check_redis, redis_settings, run_key

        try:
            check_redis(redis_url)
        except RedisUnavailable as e:
            raise click.ClickException(str(e)) from e
        registry = registry or registry_from_archive(data_dir)
        extra.update(redis_settings(redis_url, redis_key or run_key(registry, list(agencies))))
    if extra:
        kw["settings"] = extra
    s = do_crawl(data_dir, registry, list(agencies), log_level=log_level, **kw)
    if as_json:
        click.echo(json.dumps(s, ensure_ascii=False, indent=1))
    click.echo(summary_text(s), err=True)
    if s.get("reason") != "finished":
        sys.exit(3)
    if (s.get("failures") or {}).get("write"):
        click.echo(f"error: {s['failures']['write']} items could not be written to {data_dir} (disk full? "
                   "permissions?); they are not in the archive", err=True)
        sys.exit(4)
