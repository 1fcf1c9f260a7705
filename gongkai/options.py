"""What several commands share: the `--data` and `--json` options, and checks made before any work."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import click

from archive.store import DEFAULT_DATA

data_option = click.option(
    "--data",
    "data_dir",
    default=DEFAULT_DATA,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Archive directory (archive.db and blobs/).",
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout."
)


def emit(summary: dict[str, Any], as_json: bool, text: str) -> None:
    """The summary as JSON on stdout (with --json), the sentence on stderr."""
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=1))
    click.echo(text, err=True)


def require_archive(data_dir: str) -> None:
    """Commands that read an archive stop on a folder without one (a typo in --data must not
    create and serve an empty archive); only crawl, ingest and demo create one."""
    db = Path(data_dir) / "archive.db"
    if not db.is_file():
        raise click.ClickException(
            f"{db}: no archive here. Check --data, or create one with gongkai crawl, gongkai ingest or gongkai demo"
        )


def check_port(host: str, port: int) -> None:
    """Fail before any work when the port cannot be served on."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise click.ClickException(
                f"cannot serve on {host}:{port}: {e.strerror or e} (choose another with --port)"
            ) from e
