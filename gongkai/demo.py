"""`gongkai demo`: the sample portal on loopback → crawl → extract → check → Datasette, no network needed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from archive.lock import writer_lock
from gongkai.crawl import do_crawl, summary_text
from gongkai.options import check_port, data_option, json_option


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
        check_port("127.0.0.1", port)  # before a minute of crawling, not after
    s = run_demo(data_dir, today)
    if as_json:
        click.echo(json.dumps(s, ensure_ascii=False, indent=1))
    click.echo(summary_text(s), err=True)
    click.echo("verdicts: " + ", ".join(f"{v} {k}" for k, v in sorted(s["verdicts"].items())), err=True)
    if no_serve:
        return
    from gongkai.archive_commands import serve

    serve.main(["--data", data_dir, "--port", str(port)], standalone_mode=True)
