"""The archive's commands: ingest, extract, check, serve, export (the work is in archive/).

Every one takes `--data DIR` (default ./gongkai-data), prints progress on stderr and, with
`--json`, a machine-readable summary on stdout.
"""

from __future__ import annotations

import sys
from datetime import date

import click

from archive.lock import wait_option, writer_lock
from archive.store import Archive
from extract.limits import limit_options
from gongkai.options import check_port, data_option, emit, json_option, require_archive

registry_option = click.option(
    "--registry",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Registry file (YAML/CSV) to load into the archive first.",
)


def _ensure_registry(arc: Archive, registry: str | None) -> None:
    """Load the given registry; otherwise use the one already in the archive (none is loaded
    behind the user's back). Says which registry the command uses."""
    from archive.agencies import load_registry_into

    if registry:
        try:
            n = load_registry_into(arc, registry)
        except ValueError as e:  # archive.registry.RegistryError names the file and row
            raise click.ClickException(str(e)) from e
        click.echo(f"registry: {n} agencies from {registry}", err=True)
        return
    n = arc.db.execute("SELECT count(*) FROM agencies").fetchone()[0]
    if n:
        click.echo(f"registry: the {n} agencies already in {arc.data_dir}", err=True)
    else:
        click.echo(
            f"registry: none in {arc.data_dir} and no --registry given: no verdicts "
            "(give --registry FILE, or gongkai registry import FILE)",
            err=True,
        )


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--agency", default=None, help="The agency of these files (overrides the parsed name).")
@registry_option
@data_option
@json_option
@wait_option
def ingest(
    paths: tuple[str, ...], agency: str | None, registry: str | None, data_dir: str, as_json: bool, wait: bool
) -> None:
    """Put local files or folders of reports into the archive."""
    from archive.ingest import IngestError
    from archive.ingest import ingest as do_ingest

    with writer_lock(data_dir, "gongkai ingest", wait), Archive(data_dir) as arc:
        _ensure_registry(arc, registry)  # says which registry the reports are matched against
        try:
            s = do_ingest(arc, list(paths), agency=agency)
        except IngestError as e:
            raise click.ClickException(str(e)) from e
    for err in s["errors"]:
        click.echo(f"error: {err['error']}", err=True)
    emit(
        s,
        as_json,
        f"ingest: {s['files']} files: {s['new']} new, {s['changed']} changed, "
        f"{s['unchanged']} unchanged, {len(s['errors'])} errors. Next: gongkai extract",
    )
    if s["errors"]:
        sys.exit(1)  # a file that could not be read is not silently skipped


@click.command()
@click.option("--workers", type=int, default=0, help="Parallel processes (default: up to 4, one per core).")
@click.option("--limit", type=int, default=None, help="Extract at most N documents.")
@limit_options
@data_option
@json_option
@wait_option
def extract(workers: int, limit: int | None, time_limit: float | None, memory_limit: int | None, data_dir: str,
            as_json: bool, wait: bool) -> None:
    """Turn stored documents into reports (only those the current extractor has not seen).

    Each document is read in a worker process within a time and a memory limit; one that exceeds
    them is recorded with an error naming the limit, and the others go on."""
    from archive.extractor import run_extract
    from extract.limits import Limits

    require_archive(data_dir)
    with writer_lock(data_dir, "gongkai extract", wait), Archive(data_dir) as arc:
        s = run_extract(arc, workers=workers, limit=limit, limits=Limits.resolve(time_limit, memory_limit))
    for err in s["errors"][:20]:
        click.echo(f"error: {err['error']}", err=True)
    st = ", ".join(f"{v} {k}" for k, v in s["statuses"].items() if v)
    emit(
        s,
        as_json,
        f"extract (extractor {s['extractor_version']}): {s['documents']} documents"
        + (f": {st}" if st else ", nothing to do"),
    )


@click.command()
@click.option("--as-of", "as_of", default=None, help="Judge as of this date (YYYY-MM-DD; default today).")
@registry_option
@data_option
@json_option
@wait_option
def check(as_of: str | None, registry: str | None, data_dir: str, as_json: bool, wait: bool) -> None:
    """Run the compliance calendar and the checks across reports."""
    from archive.calendar import run_check, write_check_json

    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError as e:
        raise click.BadParameter(f"{as_of!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from e
    require_archive(data_dir)
    with writer_lock(data_dir, "gongkai check", wait), Archive(data_dir) as arc:
        _ensure_registry(arc, registry)
        s = run_check(arc, day, keep=False)
        if as_json:
            write_check_json(arc, s, sys.stdout)
    st = ", ".join(f"{v} {k}" for k, v in sorted(s["summary"]["statuses"].items()))
    click.echo(
        f"check as of {s['as_of']}: {s['summary']['verdicts']} verdicts ({st}); "
        f"{s['summary']['failed_checks']} failed checks",
        err=True,
    )


@click.command()
@click.option("--port", type=int, default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--allow-sql", is_flag=True, help="Let visitors run their own SQL (off by default: the canned "
              "queries, tables and filters are always there).")
@click.option("--sql-time-limit", "sql_time_limit_ms", type=click.IntRange(min=100), default=2000, show_default=True,
              metavar="MS", help="Time one SQL query may take.")
@data_option
def serve(port: int, host: str, allow_sql: bool, sql_time_limit_ms: int, data_dir: str) -> None:
    """Browse the archive in Datasette (read-only)."""
    import uvicorn

    from archive.web.app import make_datasette

    require_archive(data_dir)
    check_port(host, port)
    arc = Archive(data_dir)  # migrates an archive written by an older gongkai
    arc.close()
    ds = make_datasette(data_dir, allow_sql=allow_sql, sql_time_limit_ms=sql_time_limit_ms)
    click.echo(f"serving {data_dir} on http://{host}:{port}/  (the home page is the dashboard)", err=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "wacz"]),
    default="csv",
    show_default=True,
    help="csv/json: the reports' numbers; wacz: the crawls' WARC captures as a WACZ package.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    default="-",
    help="Output file (default stdout; wacz needs a file).",
)
@click.option("--all-versions", is_flag=True, help="Include reports of older extractor versions.")
@click.option("--verdicts", is_flag=True, help="Export the verdicts (the compliance table) instead of the reports.")
@click.option(
    "--labels",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Column headers: internal names (en) or Chinese (zh; statuses and kinds in Chinese too).",
)
@click.option("--year", type=int, default=None, help="Only this report year.")
@click.option("--region", default=None, help="Only this region (name or code; a parent includes its children).")
@click.option("--no-bom", is_flag=True, help="CSV without the UTF-8 BOM (Excel needs it to read Chinese).")
@click.option("--crawl", "crawl_id", type=int, default=None, help="wacz: only this crawl's captures.")
@data_option
@json_option
def export(
    fmt: str, output: str, all_versions: bool, verdicts: bool, labels: str, year: int | None,
    region: str | None, no_bom: bool, crawl_id: int | None, data_dir: str, as_json: bool,
) -> None:
    """Export the reports' numbers (one row per report) or the verdicts as CSV or JSON, or the
    captures as WACZ."""
    from archive.export import export_reports, export_wacz
    from archive.regions import full_name, resolve

    require_archive(data_dir)
    if fmt == "wacz":
        if output == "-":
            raise click.UsageError("--format wacz writes a file: give -o crawl.wacz")
        with Archive(data_dir) as arc:
            try:
                s = export_wacz(arc, output, crawl_id=crawl_id)
            except ValueError as e:
                raise click.ClickException(str(e)) from e
        emit(
            s,
            as_json,
            f"export: {len(s['warc_files'])} WARC files, {s['records']} records, {s['pages']} pages"
            f" to {output} ({s['bytes']} bytes)",
        )
        return
    prefixes = None
    if region:
        prefixes = resolve(region)
        if not prefixes:
            raise click.BadParameter(f"no region is named or coded {region!r}", param_hint="--region")
    if as_json and output == "-":
        raise click.UsageError("--json prints a summary on stdout: write the export to a file with -o")
    with Archive(data_dir) as arc:
        out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8", newline="")
        try:
            n = export_reports(arc, fmt, out, current_only=not all_versions, verdicts=verdicts, labels=labels,
                               year=year, prefixes=prefixes, bom=not no_bom)
        finally:
            if out is not sys.stdout:
                out.close()
    what = "verdicts" if verdicts else "reports"
    s = {"rows": n, "what": what, "format": fmt, "output": None if output == "-" else output,
         "labels": labels, "year": year, "region": region,
         "regions": [full_name(p.ljust(6, "0")) for p in prefixes or []], "bom": fmt == "csv" and not no_bom}
    emit(s, as_json, f"export: {n} {what} as {fmt}" + ("" if output == "-" else f" to {output}"))
