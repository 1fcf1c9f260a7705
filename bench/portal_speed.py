"""How fast the sample portal starts and serves pages on loopback.

    .venv/bin/python bench/portal_speed.py [--scale 2000] [--seconds 10] [--concurrency 16]

Starts `gongkai portal` as its own process (so client and server do not share one interpreter
lock), times it until it says it is ready, then fetches the HTML pages a crawler reads (home pages,
column and list pages, article pages) from a concurrent aiohttp client for a fixed time. Every page
is fetched once first, so the figure is the steady state a crawler sees, not first-render cost.
Prints a JSON summary on stdout, with the server's CPU time per page (a figure that does not depend on
what else the machine runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import time
from urllib.parse import urlsplit

import aiohttp


def start(scale: int) -> tuple[subprocess.Popen, str, float]:
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from gongkai.cli import main; main()", "portal", "--port", "0", "--scale", str(scale)],
        stderr=subprocess.PIPE, text=True,
    )
    line = proc.stderr.readline()
    ready = time.monotonic() - t0
    m = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not m:
        proc.kill()
        sys.exit(f"portal did not start: {line.strip() or proc.stderr.read()}")
    return proc, m.group(0), ready


def page_paths(scale: int) -> list[str]:
    from crawler.portal.portal import Portal

    site = Portal(scale=scale)
    truth = site.truth("")
    paths = {urlsplit(u).path for a in truth["agencies"] for u in a["columns"]}
    paths |= {urlsplit(r["article_url"]).path for r in truth["reports"]}
    paths |= {urlsplit(lk["url"]).path for lk in truth["lookalikes"]}
    paths |= {p for p in site.routes if p.endswith(("list.shtml", "index.html", "/"))}
    login = {urlsplit(u).path for u in truth["traps"]["login_protected_columns"]}
    slow = {urlsplit(r["article_url"]).path for r in truth["reports"] if any(f["url"] == r["article_url"] for f in truth["traps"]["flaky"])}
    return sorted(paths - login - slow)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to give a figure that does not depend on
    what else the machine is running."""
    import os

    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _fetch_all(base: str, paths: list[str], concurrency: int, seconds: float | None, offset: int = 0) -> dict:
    """Fetch `paths` once (seconds=None: the warm-up) or round-robin for `seconds`."""
    count = errors = nbytes = 0
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=30)) as s:
        async def one(path: str) -> None:
            nonlocal count, errors, nbytes
            async with s.get(base + path, allow_redirects=False) as r:
                body = await r.read()
                if r.status in (200, 301, 302):
                    count += 1
                    nbytes += len(body)
                else:
                    errors += 1

        if seconds is None:
            for i in range(0, len(paths), concurrency * 4):
                await asyncio.gather(*(one(p) for p in paths[i : i + concurrency * 4]))
            return {}
        stop = time.monotonic() + seconds

        async def worker(k: int) -> None:
            i = offset + k * 7919
            while time.monotonic() < stop:
                await one(paths[i % len(paths)])
                i += 1

        await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return {"pages": count, "errors": errors, "bytes": nbytes}


def _client(args: tuple[str, list[str], int, float, int]) -> dict:
    base, paths, concurrency, seconds, offset = args
    return asyncio.run(_fetch_all(base, paths, concurrency, seconds, offset))


def hammer(base: str, paths: list[str], seconds: float, concurrency: int, clients: int, pid: int) -> dict:
    """`clients` processes of `concurrency` connections each (one Python client alone cannot keep a
    server busy)."""
    from concurrent.futures import ProcessPoolExecutor

    asyncio.run(_fetch_all(base, paths, concurrency * clients, None))  # warm every page once, untimed
    with ProcessPoolExecutor(clients) as pool:
        list(pool.map(_client, [(base, paths[:1], 1, 0.01, 0)] * clients))  # start the workers
        cpu0 = cpu_seconds(pid)
        t0 = time.monotonic()
        parts = list(pool.map(_client, [(base, paths, concurrency, seconds, i * 104729) for i in range(clients)]))
        elapsed = time.monotonic() - t0
        cpu = cpu_seconds(pid) - cpu0
    count = sum(p["pages"] for p in parts)
    return {"pages": count, "errors": sum(p["errors"] for p in parts), "seconds": round(elapsed, 2),
            "pages_per_s": round(count / elapsed, 1), "mb_per_s": round(sum(p["bytes"] for p in parts) / elapsed / 1e6, 2),
            "server_cpu_s": round(cpu, 2), "pages_per_server_cpu_s": round(count / cpu, 1) if cpu else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=16, help="connections per client process")
    ap.add_argument("--clients", type=int, default=2, help="client processes")
    args = ap.parse_args()
    paths = page_paths(args.scale)
    proc, base, ready = start(args.scale)
    try:
        print(f"portal ready in {ready:.2f}s at {base}; {len(paths)} pages, {args.clients}×{args.concurrency} connections for {args.seconds:g}s",
              file=sys.stderr)
        res = hammer(base, paths, args.seconds, args.concurrency, args.clients, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    import os

    summary = {"scale": args.scale, "ready_s": round(ready, 2), "connections": args.clients * args.concurrency, **res,
               "load_average": os.getloadavg()[0], "cpus": os.cpu_count()}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
