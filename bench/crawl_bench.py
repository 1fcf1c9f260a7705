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
       python bench/crawl_bench.py --script-lists [--fail-api] [--json]
         one crawl per script-drawn column of the sample portal (one per CMS family): requests made
         against the minimum (list pages and list API calls + report pages + attachments)
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

from crawler.runner import run_crawl  # noqa: E402
from gongkai.demo import write_registry  # noqa: E402

GONGKAI = [sys.executable, "-c", "from gongkai.cli import main; main()"]


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
    from crawler.portal import sites as S
    from crawler.portal.pages import xj_list_name
    from crawler.portal.portal import Portal

    portal = Portal(truth["today"], scale, 0.0)
    base = truth["base_url"]
    login = set(truth["traps"]["login_protected_columns"])
    lists: list[str] = []
    for a in truth["agencies"]:
        for col in a["columns"]:
            path = urlsplit(col).path
            n = len(portal.column_items.get(path, []))
            if col in login:
                lists.append(col)
            elif path in S.SCRIPT_COLUMNS.values():
                lists += script_list_minimum(col, n)
            elif a["cms"] == "xj_shtml":  # landing page (first items + 更多) then the list pages
                lists.append(col)
                lists += [col + xj_list_name(i) for i in range(1, max(1, math.ceil(n / S.XJ_PAGE)) + 1)]
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


def script_list_minimum(col: str, n: int) -> list[str]:
    """The list requests a script-drawn column needs: its page, then the API calls (stood in for by
    `#api<k>` URLs) or the script-only pages, as few as the API's page size allows."""
    from crawler.portal import sites as S

    path = urlsplit(col).path
    if path == S.SCRIPT_COLUMNS["kfq"]:  # page 1 static, then one trsapi call per later page
        return [col] + [f"{col}#api{k}" for k in range(2, math.ceil(n / S.TRT_PAGE) + 1)]
    if path == S.SCRIPT_COLUMNS["xianju"]:  # the first group embedded, one POST per later group
        group = S.JPAGE["per_page"] * S.JPAGE["group"]
        return [col] + [f"{col}#api{k}" for k in range(1, math.ceil(max(0, n - group) / group) + 1)]
    if path == S.SCRIPT_COLUMNS["altay"]:  # nothing on the page: every page from the JSON endpoint
        return [col] + [f"{col}#api{k}" for k in range(1, math.ceil(n / S.CODEID["size"]) + 1)]
    return [col] + [col + f"common_list_{k}.shtml" for k in range(2, math.ceil(n / S.JYH_PAGE) + 1)]


def script_lists_bench(as_json: bool, fail_api: bool = False) -> int:
    """Per family: a crawl of the bodies of its script-drawn column, requests against the minimum."""
    import sqlite3

    from crawler.portal import server as S

    out = []
    with S.start_portal(fail_api=fail_api) as p:
        truth = p.truth()
        for col in truth["traps"]["script_lists"]:
            with tempfile.TemporaryDirectory(prefix="gongkai-lists-") as tmp:
                reg = write_registry(truth, Path(tmp) / "registry.yaml")
                s = run_crawl(Path(tmp), reg, col["agencies"], progress=False, impolite=True, today=truth["today"])
                db = sqlite3.connect(Path(tmp) / "archive.db")
                fetched = [u for (u,) in db.execute("SELECT url FROM fetches WHERE crawl_id = ?", [s["crawl_id"]])]
                db.close()
            lists = script_list_minimum(col["column"], col["listed"])
            docs = {u for r in truth["reports"] if r["agency"] in col["agencies"] for u in r["urls"]}
            robots = sum(1 for u in fetched if u.endswith("/robots.txt"))
            out.append({"family": col["family"], "column": urlsplit(col["column"]).path, "listed": col["listed"],
                        "static": col["static"], "requests": len(fetched), "robots_txt": robots,
                        "list_requests": len(fetched) - robots - len({u for u in fetched if u in docs}),
                        "minimum": len(lists) + len(docs), "minimum_list": len(lists),
                        "report_pages_and_attachments": len(docs), "reports": s["reports"], "partial": s["partial"]})
    if as_json:
        print(json.dumps(out, indent=1, ensure_ascii=False))
    else:
        for r in out:
            print(f"{r['family']:13} {r['column']:40} requests {r['requests']} (robots.txt {r['robots_txt']}, "
                  f"list {r['list_requests']}) vs minimum {r['minimum']} (list {r['minimum_list']} + "
                  f"{r['report_pages_and_attachments']} report pages/attachments); listed {r['listed']}, "
                  f"static {r['static']}, reports {r['reports']}"
                  + "".join(f"; partial: {x['reason'][:60]}" for x in r["partial"]))
    return 0


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
    ap.add_argument("--script-lists", action="store_true", help="per-family crawls of the script-drawn columns")
    ap.add_argument("--fail-api", action="store_true", help="with --script-lists: the list APIs answer 500")
    args = ap.parse_args()
    if args.script_lists:
        return script_lists_bench(args.json, args.fail_api)

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
