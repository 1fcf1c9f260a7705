"""`gongkai parse FILE...`: the parse contract as JSON Lines, one line per input, in input order.

Imports only click and extract: `gongkai parse` starts without the archive or the crawler."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from extract import ExtractError, parse_file
from extract.limits import Limits, limit_options, run_limited


def parse_one(path: str) -> dict[str, Any]:
    """Worker: the parse result of one file, or {"source", "error"}. Raises only MemoryError."""
    try:
        return parse_file(path)
    except ExtractError as e:
        return {"source": path, "error": e.reason}
    except MemoryError:
        raise  # over the worker's memory limit: extract.limits reports it
    except Exception as e:  # a parser bug on one document must not lose the others
        return {"source": path, "error": f"internal error while parsing: {type(e).__name__}: {e}"}


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--indent", type=int, default=None, help="Pretty-print each object (not JSON Lines then).")
@limit_options
def parse(files: tuple[str, ...], indent: int | None, time_limit: float | None, memory_limit: int | None) -> None:
    """Parse report documents and print one JSON object per file.

    Each file is read in a worker process within a time and a memory limit. A file that cannot be
    read (or exceeds a limit) prints {"source", "error"}; the others still parse, and the exit code
    is 1 at the end.
    """
    failed = 0

    def show(path: str, result: dict[str, Any] | None, error: str | None) -> None:
        nonlocal failed
        if result is None:
            result = {"source": path, "error": error}
        if "error" in result and len(result) == 2:
            failed += 1
        click.echo(json.dumps(result, ensure_ascii=False, indent=indent))

    # one worker: results come back in input order
    run_limited("gongkai.parse:parse_one", files, 1, Limits.resolve(time_limit, memory_limit), show)
    click.echo(f"parsed {len(files) - failed} of {len(files)} files", err=True)
    if failed:
        sys.exit(1)
