"""`gongkai portal`: serve the sample portal (crawler/portal/) on 127.0.0.1, or print its truth."""

from __future__ import annotations

import json
import sys
import time

import click

from crawler.portal.model import DEFAULT_TODAY


@click.command("portal")
@click.option("--port", default=8470, show_default=True, help="TCP port on 127.0.0.1 (0 = any free port).")
@click.option("--today", default=DEFAULT_TODAY, show_default=True, help="Show the site as it was on this day (YYYY-MM-DD).")
@click.option("--scale", default=0, show_default=True, type=click.IntRange(min=0), help="Add N generated agencies (benchmarks).")
@click.option("--faults", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of requests that fail (reset, 503, timeout), deterministic per (URL, attempt).")
@click.option("--truth", "truth", is_flag=True, help="Print what a perfect crawl must find, as JSON, and exit.")
@click.option("--base-url", default=None, help="With --truth: the base URL to write into it (default http://127.0.0.1:PORT).")
@click.option("--verbose", is_flag=True, help="Log every request on stderr.")
@click.option("--fail-api", is_flag=True, help="Every list API of the script-drawn columns answers 500 (only their static parts show).")
def portal(port: int, today: str, scale: int, faults: float, truth: bool, base_url: str | None, verbose: bool,
           fail_api: bool) -> None:
    """Serve the sample government portal on loopback (no network needed)."""
    from crawler.portal.server import Portal, make_server

    t0 = time.monotonic()
    try:
        site = Portal(today, scale, faults, fail_api=fail_api)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if truth:
        json.dump(site.truth(base_url or f"http://127.0.0.1:{port}"), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    try:
        server = make_server(site, port, verbose)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from exc
    host, real_port = server.server_address[:2]
    w = site.world
    click.echo(
        f"gongkai portal ready in {time.monotonic() - t0:.2f}s: http://{host!s}:{real_port}/ "
        f"(today {site.today}, {len(w.agencies)} agencies, {len(w.reports)} reports, {len(site.routes)} pages, "
        f"faults {faults:g}); Ctrl-C stops",
        err=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("portal stopped", err=True)
    finally:
        server.server_close()
