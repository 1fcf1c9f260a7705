"""Crawl benchmark: gongkai's crawler against `gongkai portal --scale N` on loopback, politeness off.

Prints
- requests made against the minimum a crawl needs: list pages (each column's landing page and every
  page of its list) + report pages + attachments, counted from the portal's own model;
- pages per second of the crawl;
- the ratio of the crawl's wall time to an ideal bound: (pages that must be fetched) ÷ (the portal's
  measured throughput), where the throughput is measured first by fetching exactly those pages
  with a pool of keep-alive HTTP clients as fast as the portal serves them. A crawler cannot beat
  that bound, whatever its design, because the server is the bottleneck; the ratio is the crawler's
  overhead (process start, robots.txt, depth: a list page must arrive before its reports are known).

Usage: python bench/crawl_bench.py [--scale 2000] [--clients 16] [--data DIR] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.commands import write_registry  # noqa: E402
from crawler.runner import run_crawl  # noqa: E402

GONGKAI = [sys.executable, "-c", "from archive.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    host, port = urlsplit(base).hostname, urlsplit(base).port
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"portal exited with status {proc.returncode}")
        try:
            c = http.client.HTTPConnection(host, port, timeout=2)
            c.request("GET", "/robots.txt")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"portal at {base} not ready after {timeout}s")


def minimum_pages(truth: dict, scale: int) -> tuple[list[str], dict[str, int]]:
    """Every URL a perfect crawl must fetch, from the portal's model: the registry's column pages
    (landing + list pages), the report pages and their attachments."""
    from crawler.portal import server as S

    portal = S.Portal(truth["today"], scale, 0.0)
    base = truth["base_url"]
    login = set(truth["traps"]["login_protected_columns"])
    lists: list[str] = []
    for a in truth["agencies"]:
        for col in a["columns"]:
            path = urlsplit(col).path
            n = len(portal.column_items.get(path, []))
            if col in login:
                lists.append(col)
            elif a["cms"] == "xj_shtml":  # landing page (first items + 更多) then the list pages
                lists.append(col)
                lists += [col + S.P.xj_list_name(i) for i in range(1, max(1, math.ceil(n / S.XJ_PAGE)) + 1)]
            elif a["cms"] == "trs":
                pages = max(1, math.ceil(n / S.TRS_PAGE))
                lists += [col] + [col + f"index_{i}.html" for i in range(1, pages)]
            else:  # hanweb: column page with the first records, then dataproxy pages 2..N
                pages = max(1, math.ceil(n / S.HANWEB_PAGE))
                lists += [col] + [f"{col}#page{i}" for i in range(2, pages + 1)]
    lists = list(dict.fromkeys(lists))
    docs = list(dict.fromkeys(u for r in truth["reports"] for u in r["urls"]))
    fetchable = [u for u in lists + docs if "#" not in u] + [u for u in lists if "#" in u]
    del base
    return fetchable, {"list_pages": len(lists), "report_pages_and_attachments": len(docs)}


def measure_throughput(urls: list[str], clients: int) -> float:
    """Pages per second the portal serves when asked for exactly these pages by `clients`
    keep-alive connections (hanweb dataproxy pages are stood in for by their column page)."""
    parts = [urls[i::clients] for i in range(clients)]

    def worker(chunk: list[str]) -> int:
        if not chunk:
            return 0
        u0 = urlsplit(chunk[0])
        conn = http.client.HTTPConnection(u0.hostname, u0.port, timeout=60)
        n = 0
        for u in chunk:
            p = urlsplit(u.split("#")[0])
            for _ in range(3):
                try:
                    conn.request("GET", p.path + (f"?{p.query}" if p.query else ""))
                    conn.getresponse().read()
                    n += 1
                    break
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(u0.hostname, u0.port, timeout=60)
        conn.close()
        return n

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as ex:
        done = sum(ex.map(worker, parts))
    return done / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=16, help="parallel clients for the throughput probe")
    ap.add_argument("--data", default=None, help="archive directory (default: a fresh temporary one)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    portal = subprocess.Popen([*GONGKAI, "portal", "--scale", str(args.scale),
                               "--port", str(port)], stdin=subprocess.DEVNULL)
    tmp = tempfile.TemporaryDirectory(prefix="gongkai-bench-")
    data = Path(args.data or tmp.name)
    try:
        wait_ready(base, portal)
        truth = json.loads(subprocess.run(
            [*GONGKAI, "portal", "--truth", "--scale", str(args.scale), "--base-url", base],
            check=True, capture_output=True).stdout)
        reg = write_registry(truth, Path(tmp.name) / "registry.yaml")
        urls, parts = minimum_pages(truth, args.scale)
        minimum = len(urls)
        print(f"portal --scale {args.scale}: {len(truth['agencies'])} agencies, {len(truth['reports'])} reports; "
              f"minimum fetches {minimum} ({parts['list_pages']} list pages + "
              f"{parts['report_pages_and_attachments']} report pages and attachments)", file=sys.stderr)
        # warm the portal's page cache the way the crawl would find it, then measure it
        measure_throughput(urls, args.clients)
        throughput = measure_throughput(urls, args.clients)
        ideal = minimum / throughput
        print(f"portal throughput: {throughput:.0f} pages/s with {args.clients} clients; ideal crawl {ideal:.1f}s",
              file=sys.stderr)
        t0 = time.perf_counter()
        s = run_crawl(data, reg, progress=True, impolite=True)
        wall = time.perf_counter() - t0
        scrapy_s = float(s.get("stats", {}).get("elapsed_time_seconds") or wall)
    finally:
        portal.terminate()
        portal.wait(10)
    out = {
        "scale": args.scale,
        "agencies": len(truth["agencies"]),
        "reports_in_truth": len(truth["reports"]),
        "reports_found": s["reports"],
        "requests": s["requests"],
        "minimum_requests": minimum,
        "requests_over_minimum": round(s["requests"] / minimum - 1, 4),
        "pages_per_second": round(s["requests"] / scrapy_s, 1),
        "crawl_wall_s": round(wall, 2),
        "crawl_engine_s": round(scrapy_s, 2),
        "portal_pages_per_second": round(throughput, 1),
        "ideal_s": round(ideal, 2),
        "wall_over_ideal": round(wall / ideal, 2),
        "engine_over_ideal": round(scrapy_s / ideal, 2),
        "failures": s["failures"],
    }
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(f"requests {out['requests']} vs minimum {minimum} ({out['requests_over_minimum']:+.1%}); "
              f"{out['pages_per_second']} pages/s; wall {wall:.1f}s (engine {scrapy_s:.1f}s) vs ideal {ideal:.1f}s "
              f"= {out['wall_over_ideal']}x ({out['engine_over_ideal']}x); reports {s['reports']}/{len(truth['reports'])}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
