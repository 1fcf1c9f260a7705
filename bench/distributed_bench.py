"""Speed-up of crawling with several processes sharing one Redis queue (scrapy-redis), and proof
that the merged archive equals a single process's.

    .venv/bin/python bench/distributed_bench.py --scale 500 [--workers 2] [--json]

Starts a real `redis-server` and the sample portal (`gongkai portal --scale N`, its own process) on
loopback; crawls once with one process, then (on a fresh portal, so its deterministic faults start
over) with one process on Redis (the same scheduler as the workers: the fair baseline) and with N
processes sharing Redis, each into its own archive; merges the N archives with `gongkai merge` and
compares with the single crawl: fetches (URL, status), stored documents (URL, sha256) and
column captures must be equal; no URL fetched with success twice (robots.txt excepted: every
process reads it itself, as Scrapy's robots middleware bypasses the scheduler).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.merge import merge_archives  # noqa: E402
from crawler.distributed import redis_settings, run_key  # noqa: E402
from crawler.runner import run_crawl  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis() -> tuple[subprocess.Popen, str]:
    exe = shutil.which("redis-server")
    if exe is None:
        sys.exit("redis-server not found: apt-get install redis-server")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"redis-server did not answer on port {port}")


def start_portal(scale: int, today: str | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    args = [sys.executable, "-c", "from gongkai.cli import main; main()", "portal", "--scale", str(scale),
            "--port", str(port)] + (["--today", today] if today else [])
    proc = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urlopen(base + "/robots.txt", timeout=1).read()
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("the sample portal did not start")


def write_registry(base: str, scale: int, today: str | None, path: Path) -> Path:
    import yaml

    args = [sys.executable, "-c", "from gongkai.cli import main; main()", "portal", "--truth", "--scale", str(scale),
            "--base-url", base] + (["--today", today] if today else [])
    truth = json.loads(subprocess.run(args, cwd=ROOT, capture_output=True, check=True).stdout)
    path.write_text(yaml.safe_dump({"agencies": truth["agencies"], "regions": truth.get("regions") or {}},
                                   allow_unicode=True), "utf-8")
    return path


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[-1] if url.count("/") >= 3 else url


def content(dirs: list[Path]) -> dict[str, Counter]:
    """What the crawl(s) did, without hosts, ids and times."""
    import sqlite3

    out: dict[str, Counter] = {"fetches": Counter(), "documents": Counter(), "captures": Counter()}
    for d in dirs:
        con = sqlite3.connect(d / "archive.db")
        out["fetches"].update((_path(u), s) for u, s in con.execute("SELECT url, status FROM fetches"))
        out["documents"].update((_path(u), h) for u, h in con.execute("SELECT url, sha256 FROM document_urls"))
        out["captures"].update((a, _path(u), s, n, h) for a, u, s, n, h in con.execute(
            "SELECT agency, column_url, status, reports_seen, sha256 FROM column_captures"))
        con.close()
    return out


def compare(single: dict[str, Counter], merged: dict[str, Counter]) -> dict[str, object]:
    robots = {k: v for k, v in merged["fetches"].items() if k[0] == "/robots.txt"}
    f_single = Counter({k: v for k, v in single["fetches"].items() if k[0] != "/robots.txt"})
    f_merged = Counter({k: v for k, v in merged["fetches"].items() if k[0] != "/robots.txt"})
    twice = sorted(k[0] for k, v in f_merged.items() if v > 1 and k[1] in (200, 304))
    return {
        "fetches_equal": f_single == f_merged,
        "documents_equal": single["documents"] == merged["documents"],
        "captures_equal": single["captures"] == merged["captures"],
        "fetched_twice": twice[:20],
        "robots_fetches": sum(robots.values()),
        "only_single": [list(k) for k in (f_single - f_merged)][:10],
        "only_merged": [list(k) for k in (f_merged - f_single)][:10],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--today", default=None)
    ap.add_argument("--keep", action="store_true", help="Keep the archives (printed path).")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gongkai-dist-bench-"))
    redis_proc, redis_url = start_redis()
    result: dict[str, object] = {"scale": args.scale, "workers": args.workers}

    def phase(name: str, workers: int, shared: bool) -> list[Path]:
        """One crawl of a fresh portal (its faults and counters start over) by `workers` processes."""
        portal, base = start_portal(args.scale, args.today)
        try:
            reg = write_registry(base, args.scale, args.today, work / f"registry-{name}.yaml")
            settings = redis_settings(redis_url, run_key(reg) + name) if shared else None
            dirs = [work / f"{name}-{i}" for i in range(workers)]
            sums: dict[int, dict] = {}

            def worker(i: int) -> None:
                sums[i] = run_crawl(dirs[i], reg, progress=False, settings=settings)

            t0 = time.monotonic()
            threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            result[f"{name}_s"] = round(time.monotonic() - t0, 1)
            result[f"{name}_requests"] = [sums[i].get("requests") for i in range(workers)]
            print(f"{name}: {workers} process(es), {result[f'{name}_s']} s, requests {result[f'{name}_requests']}",
                  file=sys.stderr)
            return dirs
        finally:
            portal.terminate()
            portal.wait()

    try:
        single = phase("single", 1, shared=False)  # Scrapy's own scheduler (JOBDIR disk queue)
        phase("redis1", 1, shared=True)  # the same scheduler as the workers, one process
        workers = phase("redisN", args.workers, shared=True)
        merge_archives(work / "merged", workers, progress=False)
        result.update(compare(content(single), content([work / "merged"])))
        result["speedup"] = round(float(result["redis1_s"]) / float(result["redisN_s"]), 2)
        result["speedup_vs_plain"] = round(float(result["single_s"]) / float(result["redisN_s"]), 2)
    finally:
        redis_proc.terminate()
        redis_proc.wait()
        if args.keep:
            result["archives"] = str(work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    ok = result.get("fetches_equal") and result.get("documents_equal") and result.get("captures_equal") \
        and not result.get("fetched_twice")
    print(f"scale {args.scale}: 1 process {result['redis1_s']} s ({result['single_s']} s with Scrapy's own scheduler),"
          f" {args.workers} processes {result['redisN_s']} s: speed-up {result['speedup']}x"
          f" ({result['speedup_vs_plain']}x over the plain crawl); merged archive"
          f" {'equals' if ok else 'DIFFERS FROM'} the single crawl (robots.txt read {result['robots_fetches']} times)",
          file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
