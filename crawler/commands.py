"""`gongkai crawl`, `gongkai demo` and `gongkai registry`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from archive.lock import wait_option, writer_lock
from archive.registry import RegistryError, load_registry

DEFAULT_DATA = "gongkai-data"

data_option = click.option("--data", "data_dir", default=DEFAULT_DATA, show_default=True,
                           type=click.Path(file_okay=False), help="Archive directory (archive.db, blobs/).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")


def summary_text(s: dict[str, Any]) -> str:
    fails = ", ".join(f"{v} {k}" for k, v in sorted((s.get("failures") or {}).items())) or "none"
    return (f"crawl {s.get('crawl_id')}: {s.get('agencies', 0)} bodies reached, "
            f"{s.get('agencies_unreachable', 0)} unreachable; reports {s.get('reports_new', 0)} new, "
            f"{s.get('reports_changed', 0)} changed, {s.get('reports_unchanged', 0)} unchanged; "
            f"{s.get('documents_new', 0)} documents downloaded, {s.get('requests', 0)} requests; "
            f"failures: {fails}" + ("" if s.get("reason") == "finished" else f" [stopped: {s.get('reason')}]")
            + "".join(f"\n  partial: {p['column']}: {p['reason']}" for p in s.get("partial") or []))


def do_crawl(data_dir: str, registry: str | None, agencies: list[str], progress: bool = True,
             **kw: Any) -> dict[str, Any]:
    from crawler.runner import CrawlError, registry_from_archive, run_crawl

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
        from crawler.distributed import RedisUnavailable, check_redis, redis_settings, run_key
        from crawler.runner import registry_from_archive

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


# -- registry -----------------------------------------------------------------------------------


@click.group()
def registry() -> None:
    """The bodies gongkai watches: import, list, suggest."""


@registry.command("import")
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
@data_option
def registry_import(path: str, data_dir: str) -> None:
    """Add or update bodies from a registry CSV (or YAML) in the archive's agencies table."""
    from archive.store import Archive

    try:
        reg = load_registry(path)
    except RegistryError as e:
        raise click.ClickException(str(e)) from e
    with writer_lock(data_dir, "gongkai registry import"), Archive(data_dir) as arc:
        n = arc.upsert_agencies(reg.agencies, reg.regions)
        total = arc.db["agencies"].count
    click.echo(f"registry: {n} bodies from {path} ({total} in {data_dir})", err=True)


@registry.command("list")
@data_option
@json_option
def registry_list(data_dir: str, as_json: bool) -> None:
    """Show the bodies in the archive (or the bundled registry when the archive has none)."""
    from crawler.runner import registry_from_archive

    reg = load_registry(registry_from_archive(data_dir))
    if as_json:
        click.echo(json.dumps(reg.agencies, ensure_ascii=False, indent=1))
        return
    for a in reg.agencies:
        cols = " ".join(a["columns"]) or "(discover from " + (a["portal"] or "?") + ")"
        click.echo(f"{a['name']}\t{a['kind']}\t{a['cms']}\t{cols}")


@registry.command("suggest")
@data_option
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv"]), default="yaml", show_default=True)
def registry_suggest(data_dir: str, fmt: str) -> None:
    """Bodies whose reports the archive found in report columns but the registry does not hold
    (栏目中发现的未登记机关), as registry rows: review them, then `gongkai registry import` the file."""
    import csv

    import yaml

    from archive.reports import organise
    from archive.store import Archive

    if not (Path(data_dir) / "archive.db").exists():
        raise click.ClickException(f"{data_dir}: no archive here (archive.db not found)")
    with writer_lock(data_dir, "gongkai registry suggest"), Archive(data_dir) as arc:
        organise(arc)  # the registry may have grown since the last extract
        cms = {n: c for n, c in arc.db.execute("SELECT name, cms FROM agencies")}
        rows = []
        for r in arc.db.execute("SELECT name, kind, region, parent, portal, columns FROM unregistered_bodies"
                                " ORDER BY region, parent, name"):
            name, kind, region, parent, portal, columns = r
            if not portal and not json.loads(columns or "[]"):
                click.echo(f"registry suggest: {name}: no portal or column known (an ingested file?), left out",
                           err=True)
                continue
            rows.append({"name": name, "kind": kind, "region": region, "parent": parent, "portal": portal,
                         "cms": cms.get(parent or "") or "generic", "columns": json.loads(columns or "[]"),
                         "deadline": None})
    if fmt == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["name"])
        w.writeheader()
        for row in rows:
            w.writerow({**row, "columns": " ".join(row["columns"])})
    else:
        click.echo(yaml.safe_dump({"agencies": rows}, allow_unicode=True, sort_keys=False), nl=False)
    click.echo(f"registry suggest: {len(rows)} bodies found in report columns but not in the registry", err=True)


# -- demo ---------------------------------------------------------------------------------------


def start_sample_portal(today: str | None, **kw: Any) -> Any:
    from crawler.portal.server import start_portal

    if today:
        kw["today"] = today
    return start_portal(**kw)


def write_registry(truth: dict[str, Any], path: Path) -> Path:
    """The sample portal's registry (its truth's `agencies`) as a registry YAML file."""
    import yaml

    doc = {"agencies": truth["agencies"]}
    if truth.get("regions"):
        doc["regions"] = truth["regions"]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    os.replace(tmp, path)
    return path


def run_demo(data_dir: str, today: str | None = None, progress: bool = True,
             portal_kw: dict[str, Any] | None = None, crawl_kw: dict[str, Any] | None = None) -> dict[str, Any]:
    """Portal on loopback → crawl → extract → check. Returns the crawl summary plus the check's verdict
    counts; the caller serves (or not). Holds the archive's write lock throughout."""
    with writer_lock(data_dir, "gongkai demo"):
        return _run_demo(Path(data_dir), today, progress, portal_kw, crawl_kw)


def _run_demo(data: Path, today: str | None, progress: bool, portal_kw: dict[str, Any] | None,
              crawl_kw: dict[str, Any] | None) -> dict[str, Any]:
    from archive.calendar import run_check
    from archive.extractor import run_extract
    from archive.store import Archive

    data.mkdir(parents=True, exist_ok=True)
    # the same port as last time on this --data: the URLs (and so the archive's validators) stay valid
    state = data / "demo-portal.json"
    kw = dict(portal_kw or {})
    try:
        kw.setdefault("port", int(json.loads(state.read_text("utf-8"))["port"]))
    except (OSError, ValueError, KeyError):
        pass
    try:
        portal = start_sample_portal(today, **kw)
    except OSError as e:
        click.echo(f"port {kw.get('port')} is taken ({e.strerror}): a new port, so every document is"
                   " fetched again", err=True)
        kw["port"] = 0
        portal = start_sample_portal(today, **kw)
    tmp = state.with_suffix(".tmp")
    tmp.write_text(json.dumps({"port": portal.port}), "utf-8")
    os.replace(tmp, state)
    try:
        truth = portal.truth()
        reg = write_registry(truth, data / "demo-registry.yaml")
        click.echo(f"sample portal at {portal.base_url} (today {truth.get('today')})", err=True)
        s = do_crawl(str(data), str(reg), [], progress=progress, today=truth["today"], **(crawl_kw or {}))
    finally:
        portal.stop()
    with Archive(data) as arc:
        from archive.agencies import load_registry_into

        load_registry_into(arc, reg)
        ex = run_extract(arc, progress=progress)
        from datetime import date

        chk = run_check(arc, date.fromisoformat(truth["today"]), progress=progress, keep=False)
    statuses = chk["summary"]["statuses"]
    s.update(
        extract={k: ex.get(k) for k in ("documents", "statuses", "extractor_version")},
        verdicts=dict(statuses), failed_checks=chk["summary"]["failed_checks"], as_of=chk["as_of"],
        truth={"reports": len(truth["reports"]), "lookalikes": len(truth.get("lookalikes", []))},
    )
    return s


@click.command()
@click.option("--no-serve", is_flag=True, help="Stop after the check and print the summary.")
@click.option("--today", default=None, help="The sample portal's today (YYYY-MM-DD): what it has published.")
@click.option("--port", type=int, default=8001, show_default=True, help="Datasette port.")
@data_option
@json_option
def demo(no_serve: bool, today: str | None, port: int, data_dir: str, as_json: bool) -> None:
    """Sample portal on loopback → crawl → extract → check → Datasette. No network needed."""
    if not no_serve:
        from archive.commands import check_port

        check_port("127.0.0.1", port)  # before a minute of crawling, not after
    s = run_demo(data_dir, today)
    if as_json:
        click.echo(json.dumps(s, ensure_ascii=False, indent=1))
    click.echo(summary_text(s), err=True)
    click.echo("verdicts: " + ", ".join(f"{v} {k}" for k, v in sorted(s["verdicts"].items())), err=True)
    if no_serve:
        return
    from archive.commands import serve

    serve.main(["--data", data_dir, "--port", str(port)], standalone_mode=True)

