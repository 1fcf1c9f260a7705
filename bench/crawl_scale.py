"""Many portals at once: is the crawl as parallel as politeness allows, and what does it cost in CPU?

Serves the sample portal on N distinct loopback addresses (127.0.0.0/8 is all loopback, so each
portal is a host of its own with its own politeness slot), each answer delayed by a set latency,
and crawls them all with the project's real politeness (robots.txt, DOWNLOAD_DELAY, AutoThrottle,
at most 2 requests per host) — not the loopback relaxation the demo uses. Each portal carries a
few of the sample portal's bodies (names suffixed with the portal's number, so they stay unique).

Prints fetched documents, requests, wall time, the politeness floor (the busiest host's requests ÷
the per-host rate, 1 / DOWNLOAD_DELAY: no polite crawl can finish sooner), wall ÷ floor, the crawl
process's CPU per request and peak memory, and the machine's load. Targets: wall ≤ 2 × floor at 100 portals and
0.5 s latency; ≤ 4 ms CPU per request (judged on CPU time, which the load does not inflate much).

    .venv/bin/python bench/crawl_scale.py [--portals 100] [--latency 0.5] [--bodies 1] [--json]
    .venv/bin/python bench/crawl_scale.py --profile crawl.prof   # cProfile (CPU time) of the crawl process
    .venv/bin/python bench/crawl_scale.py --floor      # also Scrapy's own cost on the same portals

`--floor` then crawls the same portals with a bare Scrapy spider: the same politeness and the same
Scrapy tuning (reactor, CONCURRENT_ITEMS, extensions), no archive, no WARC, no disk queues; it follows
every link on its host up to the crawl's mean requests per host. Its CPU per request is what Scrapy
and Twisted cost before gongkai does anything: the floor under the crawl's own figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler import settings as project  # noqa: E402
from crawler.portal.portal import Portal  # noqa: E402
from crawler.portal.server import Handler, PortalServer  # noqa: E402

# the crawl process under cProfile timed by CPU time: argv = [-c, profile file, config]
PROFILE_CHILD = """
import cProfile, runpy, sys, time
out = sys.argv.pop(1)
prof = cProfile.Profile(time.process_time)
try:
    prof.runcall(runpy.run_module, "crawler.runner", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
finally:
    prof.dump_stats(out)
"""

# the bare spider of --floor: argv = [-c, settings (JSON), start URLs (JSON), requests per host]
FLOOR_CHILD = """
import json, sys
from collections import Counter
from urllib.parse import urlsplit
import scrapy
from scrapy.crawler import CrawlerProcess
settings, starts, cap = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
made = Counter()

class Bare(scrapy.Spider):
    name = "bare"

    async def start(self):
        for url in starts:
            yield scrapy.Request(url)

    def parse(self, response):
        if not isinstance(response, scrapy.http.TextResponse):
            return
        host = urlsplit(response.url).netloc
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if urlsplit(url).netloc == host and made[host] < cap:
                made[host] += 1
                yield scrapy.Request(url)

process = CrawlerProcess(settings)
crawler = process.create_crawler(Bare)
process.crawl(crawler)
process.start()
print(crawler.stats.get_value("downloader/request_count") or 0)
"""
# Scrapy's own settings the crawl tunes (the floor keeps them; gongkai's middlewares, queues and
# pipelines it leaves out)
FLOOR_TUNING = ("TWISTED_REACTOR", "CONCURRENT_ITEMS", "WARN_ON_GENERATOR_RETURN_VALUE", "REMOTE_CONTROL_ENABLED",
                "TELNETCONSOLE_ENABLED", "EXTENSIONS_BASE", "STATS_CLASS", "USER_AGENT", "ROBOTSTXT_OBEY",
                "COOKIES_ENABLED", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY", "AUTOTHROTTLE_ENABLED",
                "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY", "AUTOTHROTTLE_TARGET_CONCURRENCY")

TARGET_FLOOR_RATIO = 2.0
TARGET_CPU_MS = 4.0


def address(i: int) -> str:
    """The i-th portal's loopback address, 127.0.1.1 upwards (127.0.0.1 is left to everything else)."""
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


def start_portals(n: int, latency: float) -> list[tuple[str, PortalServer]]:
    """One sample portal (one model, rendered once) served on n addresses, each answer `latency` late."""
    portal = Portal()

    class Slow(Handler):
        def _serve(self, head: bool) -> None:
            time.sleep(latency)
            super()._serve(head)

        def do_POST(self) -> None:
            time.sleep(latency)
            super().do_POST()

    Slow.portal = portal
    out = []
    for i in range(n):
        server = PortalServer((address(i), 0), Slow)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 2.0}, daemon=True).start()
        out.append((f"http://{address(i)}:{server.server_address[1]}", server))
    return out


def registry(bases: list[str], bodies: int, path: Path) -> Path:
    """Portal i carries `bodies` of the sample portal's bodies (in turn), its URLs on portal i's host."""
    import yaml

    truth = Portal().truth("http://BASE")
    agencies = [a for a in truth["agencies"] if a["columns"]]
    rows = []
    for i, base in enumerate(bases):
        for k in range(bodies):
            a = agencies[(i * bodies + k) % len(agencies)]
            row = json.loads(json.dumps(a, ensure_ascii=False).replace("http://BASE", base))
            row["name"] = f"{a['name']}{i}"
            row["parent"] = None
            rows.append(row)
    path.write_text(yaml.safe_dump({"agencies": rows, "regions": truth.get("regions") or {}}, allow_unicode=True,
                                   sort_keys=False), "utf-8")
    return path


def runqueue_wait(pid: int) -> float:
    """Seconds the process's main thread (the reactor) spent ready to run but waiting for a CPU
    (/proc/PID/schedstat): what a busy machine adds to the wall time."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def polite_settings(concurrency: int | None) -> dict[str, Any]:
    """The project's own politeness per site, put back over the loopback relaxation; the global
    limit is left to the crawler (it follows the number of sites) unless `concurrency` is given."""
    out = {k: getattr(project, k) for k in project.LOOPBACK_SETTINGS if k != "CONCURRENT_REQUESTS"}
    if concurrency:
        out["GONGKAI_CONCURRENCY"] = concurrency
    return out


def scrapy_floor(bases: list[str], per_host: int) -> dict[str, Any]:
    """CPU per request of a bare Scrapy spider over the same portals (see --floor)."""
    settings = {k: getattr(project, k) for k in FLOOR_TUNING}
    settings.update(polite_settings(None), LOG_LEVEL="ERROR", CONCURRENT_REQUESTS=2 * len(bases),
                    SPIDER_MIDDLEWARES={"scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None})
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", FLOOR_CHILD, json.dumps(settings), json.dumps([b + "/" for b in bases]),
                           str(per_host)], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    requests = int(done.stdout.split()[-1])
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return {"requests": requests, "cpu_s": round(cpu, 2), "cpu_ms_per_request": round(1000 * cpu / max(1, requests), 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--portals", type=int, default=100)
    ap.add_argument("--latency", type=float, default=0.5, help="seconds each answer is held back")
    ap.add_argument("--bodies", type=int, default=1, help="bodies per portal")
    ap.add_argument("--concurrency", type=int, default=None, help="global requests in flight (default: the crawler's)")
    ap.add_argument("--profile", metavar="FILE", help="run the crawl process under cProfile, stats to FILE")
    ap.add_argument("--floor", action="store_true", help="also crawl the portals with a bare Scrapy spider: its CPU per request")
    ap.add_argument("--keep", metavar="DIR", help="keep the crawl's archive in DIR (default: a temporary one)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not 1 <= args.portals <= 250 * 250:
        ap.error("--portals: 1 to 62500")

    from crawler.runner import prepare_crawl, raise_open_files_limit, summary_path

    raise_open_files_limit()  # a listening socket per portal, and their connections
    servers = start_portals(args.portals, args.latency)
    bases = [b for b, _ in servers]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="gongkai-scale-") as tmp:
        data = Path(args.keep) if args.keep else Path(tmp) / "data"
        reg = registry(bases, args.bodies, Path(tmp) / "registry.yaml")
        cmd = prepare_crawl(data, reg, progress=False, impolite=False,
                            settings=polite_settings(args.concurrency), workdir=tmp)
        if args.profile:
            # profiled on CPU time, not wall time: a loaded machine must not blame whatever waited
            cmd[1:3] = ["-c", PROFILE_CHILD, str(Path(args.profile).resolve())]
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        me0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        waited = 0.0
        while proc.poll() is None:
            waited = max(waited, runqueue_wait(proc.pid))
            time.sleep(0.5)
        wall = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        me1 = resource.getrusage(resource.RUSAGE_SELF)
        s = json.loads(summary_path(cmd).read_text("utf-8"))
        db = sqlite3.connect(data / "archive.db")
        per_host = Counter(urlsplit(u).netloc for (u,) in db.execute("SELECT url FROM fetches"))
        db.close()
    load_after = os.getloadavg()  # the crawl's, before the floor's
    floor_run = scrapy_floor(bases, round(sum(per_host.values()) / max(1, len(per_host)))) if args.floor else None
    for _, server in servers:  # the serving threads are daemons: they end with this process
        server.server_close()
    user, system = ru1.ru_utime - ru0.ru_utime, ru1.ru_stime - ru0.ru_stime
    cpu = user + system
    # the portals run in this process: if they were busy the whole time, they were the limit
    servers_cpu = (me1.ru_utime - me0.ru_utime) + (me1.ru_stime - me0.ru_stime)
    delay = float(project.DOWNLOAD_DELAY)
    busiest = max(per_host.values()) if per_host else 0
    floor = busiest * delay
    requests = s.get("requests") or sum(per_host.values())
    out = {
        "portals": args.portals, "latency_s": args.latency, "bodies_per_portal": args.bodies,
        "hosts_fetched": len(per_host), "documents": s.get("documents_new", 0) + s.get("documents_unchanged", 0),
        "reports": s.get("reports", 0), "requests": requests, "failures": s.get("failures"),
        "requests_per_host_max": busiest, "requests_per_host_mean": round(sum(per_host.values()) / max(1, len(per_host)), 1),
        "per_host_rate": round(1 / delay, 3), "floor_s": round(floor, 1), "wall_s": round(wall, 1),
        "wall_over_floor": round(wall / floor, 2) if floor else None,
        "waited_for_cpu_s": round(waited, 1),
        "cpu_s": round(cpu, 2), "cpu_user_s": round(user, 2), "cpu_system_s": round(system, 2),
        "portals_cpu_s": round(servers_cpu, 2), "cpu_ms_per_request": round(1000 * cpu / max(1, requests), 2),
        "crawl_peak_rss_mb": round(ru1.ru_maxrss / 1024),  # the crawl process is this process's only child
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in load_after],
        "reason": s.get("reason"),
        "bare_scrapy": floor_run,
    }
    ok_wall = out["wall_over_floor"] is not None and out["wall_over_floor"] <= TARGET_FLOOR_RATIO
    ok_cpu = out["cpu_ms_per_request"] <= TARGET_CPU_MS
    if args.json:
        print(json.dumps(out, indent=1, ensure_ascii=False))
    else:
        print(f"{args.portals} portals × {args.bodies} bodies, latency {args.latency}s: {out['documents']} documents, "
              f"{out['reports']} reports, {requests} requests from {len(per_host)} hosts "
              f"(≤ {busiest} per host, mean {out['requests_per_host_mean']}); failures {out['failures'] or 'none'}\n"
              f"wall {wall:.1f}s vs politeness floor {floor:.1f}s ({busiest} requests at {1 / delay:g}/s per host) = "
              f"{out['wall_over_floor']}x (target ≤ {TARGET_FLOOR_RATIO:g}x: {'met' if ok_wall else 'MISSED'}); "
              f"the crawler's reactor waited {waited:.1f}s for a CPU\n"
              f"crawl CPU {cpu:.1f}s ({user:.1f}s user, {system:.1f}s system) = {out['cpu_ms_per_request']} ms per request "
              f"(target ≤ {TARGET_CPU_MS:g} ms: {'met' if ok_cpu else 'MISSED'}); peak RSS {out['crawl_peak_rss_mb']} MB; "
              f"the portals' CPU {servers_cpu:.1f}s\n"
              f"load average {' '.join(f'{x:.2f}' for x in load_before)} before, "
              f"{' '.join(f'{x:.2f}' for x in load_after)} after ({os.cpu_count()} cores)")
        if floor_run:
            print(f"bare Scrapy over the same portals (no archive, WARC or disk queues): {floor_run['requests']} requests, "
                  f"CPU {floor_run['cpu_s']:.1f}s = {floor_run['cpu_ms_per_request']} ms per request")
    return 0 if s.get("reason") == "finished" else 3


if __name__ == "__main__":
    sys.exit(main())
