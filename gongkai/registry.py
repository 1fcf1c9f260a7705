"""`gongkai registry`: the bodies gongkai watches (import, list, suggest); the format is archive/registry.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archive.lock import writer_lock
from archive.registry import RegistryError, load_registry
from gongkai.options import data_option, json_option


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
    from archive.agencies import registry_from_archive

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
