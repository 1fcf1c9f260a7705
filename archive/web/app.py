"""Datasette over the archive: the app `gongkai serve` runs, and the archive folder as a Datasette
configuration directory (metadata.json, settings.json).

`make_datasette(data_dir)` builds the Datasette instance used by `gongkai serve` and by the tests
(`await ds.client.get("/")`). The gongkai plugin (archive/web/plugin.py) adds the dashboard (the home
page), the verdict, list and compare pages, a page per report, the stored copies and the search; the
metadata (Chinese titles, labels, facets, canned queries) is archive/metadata.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archive.metadata import SETTINGS, metadata
from archive.web import plugin


def make_datasette(data_dir: str | Path, allow_sql: bool = False, sql_time_limit_ms: int = 2000) -> Any:
    """The Datasette app over data_dir/archive.db, with the gongkai plugin, read-only. Arbitrary
    SQL is off unless `allow_sql` (one visitor's slow queries would hold every other visitor's
    threads); the canned queries, tables and filters stay."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    if pm.get_plugin("gongkai") is None and plugin not in pm.get_plugins():
        pm.register(plugin, name="gongkai")  # not installed (no entry point): a source checkout
    path = Path(data_dir) / "archive.db"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no archive here (run gongkai ingest or gongkai crawl first)")
    settings = {**SETTINGS, "sql_time_limit_ms": sql_time_limit_ms, "default_allow_sql": allow_sql}
    try:
        write_datasette_files(data_dir, settings)
    except OSError:  # a read-only archive (a mounted copy): the same files' contents, in memory
        return Datasette([str(path)], metadata=metadata(), settings=settings,
                         template_dir=str(plugin.TEMPLATES))
    # the archive folder is a Datasette configuration directory: `datasette gongkai-data/` reads
    # the same metadata.json (titles, labels, canned queries) and settings.json
    return Datasette([], config_dir=Path(data_dir).resolve(), template_dir=str(plugin.TEMPLATES))


def write_datasette_files(data_dir: str | Path, settings: dict[str, Any] | None = None) -> list[Path]:
    """metadata.json and settings.json in the archive folder, in Datasette's own formats (written
    only when they change). The gongkai plugin finds the archive from the database's folder."""
    out = []
    for name, body in (("metadata.json", metadata()), ("settings.json", settings or SETTINGS)):
        path = Path(data_dir) / name
        text = json.dumps(body, ensure_ascii=False, indent=1) + "\n"
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, encoding="utf-8")
        out.append(path)
    return out
