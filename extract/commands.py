"""`gongkai parse FILE...`: the parse contract as JSON Lines, one line per input, in input order."""

from __future__ import annotations

import json
import sys

import click

from extract import ExtractError, parse_file


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--indent", type=int, default=None, help="Pretty-print each object (not JSON Lines then).")
def parse(files: tuple[str, ...], indent: int | None) -> None:
    """Parse report documents and print one JSON object per file.

    A file that cannot be read prints {"source", "error"}; the others still parse, and the
    exit code is 1 at the end.
    """
    failed = 0
    for path in files:
        try:
            result = parse_file(path)
        except ExtractError as e:
            result = {"source": path, "error": e.reason}
            failed += 1
        except Exception as e:  # a parser bug on one document must not lose the others
            result = {"source": path, "error": f"internal error while parsing: {type(e).__name__}: {e}"}
            failed += 1
        click.echo(json.dumps(result, ensure_ascii=False, indent=indent))
    click.echo(f"parsed {len(files) - failed} of {len(files)} files", err=True)
    if failed:
        sys.exit(1)
