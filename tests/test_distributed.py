"""Two crawler processes sharing a real Redis (scrapy-redis queue + seen-set) crawl the sample
portal; merged with `gongkai merge`, their archives equal one process's, and no page was fetched
twice. Skipped only when the `redis-server` binary is absent (Debian package redis-server)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from servers import free_port

from archive.merge import merge_archives
from crawler.distributed import check_redis, run_key
from crawler.portal.server import start_portal
from crawler.runner import run_crawl

REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (apt-get install redis-server)")
SCALE = 6
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def redis_url():
    import redis

    port = free_port()
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(10)


def registry_of(portal, path: Path) -> Path:
    """Every third body of the portal (all CMS families, generated ones too): enough pages for two
    processes to share, few enough for a fast test (bench/distributed_bench.py crawls --scale 500).

    Not the sites read through a browser (behind a script gate, or a list drawn by script): each
    process earns its own gate cookie and runs its own browser, by design, so their requests are not
    shared one for one and would make the counts below depend on which process got there first."""
    truth = portal.truth()
    plain = [a for a in truth["agencies"] if not any(("/gated/" in c or "/drawn/" in c) for c in a["columns"])]
    path.write_text(yaml.safe_dump({"agencies": plain[::3], "regions": truth.get("regions") or {}},
                                   allow_unicode=True), "utf-8")
    return path


def content(dirs: list[Path]) -> dict[str, list]:
    """What the crawls did, without hosts (each portal has its own port), ids and times."""
    import sqlite3

    def path(u: str) -> str:
        return "/" + u.split("/", 3)[-1]

    out: dict[str, list] = {"fetches": [], "documents": [], "captures": []}
    for d in dirs:
        con = sqlite3.connect(d / "archive.db")
        out["fetches"] += [(path(u), s) for u, s in con.execute("SELECT url, status FROM fetches")
                           if not u.endswith("/robots.txt")]
        out["documents"] += [(path(u), h) for u, h in con.execute("SELECT url, sha256 FROM document_urls")]
        out["captures"] += [(a, path(u), s, n, h) for a, u, s, n, h in con.execute(
            "SELECT agency, column_url, status, reports_seen, sha256 FROM column_captures")]
        con.close()
    return {k: sorted(v) for k, v in out.items()}


def test_two_processes_share_the_work_and_merge_to_one_crawl(tmp_path, redis_url):
    import redis

    with start_portal(scale=SCALE, slow_delay=0.05) as portal:
        reg = registry_of(portal, tmp_path / "one.yaml")
        single = run_crawl(tmp_path / "single", reg, progress=False)
    assert single["reason"] == "finished"

    with start_portal(scale=SCALE, slow_delay=0.05) as portal:  # fresh portal: its faults start over
        reg = registry_of(portal, tmp_path / "shared.yaml")
        # two `gongkai crawl --redis` processes, started together, each with its own archive
        procs = {n: subprocess.Popen([sys.executable, "-c", "from gongkai.cli import main; main()", "crawl",
                                      "--redis", redis_url, "--registry", str(reg), "--data", str(tmp_path / n),
                                      "--json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for n in ("a", "b")}
        sums: dict[str, dict] = {}
        for n, p in procs.items():
            out, err = p.communicate(timeout=240)
            assert p.returncode == 0, err[-3000:]
            sums[n] = json.loads(out)
    assert all(s["reason"] == "finished" for s in sums.values()), sums
    # both did a share of the work (how much depends on which started first)
    assert min(sums["a"]["requests"], sums["b"]["requests"]) > 0, (sums["a"]["requests"], sums["b"]["requests"])
    assert sums["a"]["requests"] + sums["b"]["requests"] <= single["requests"] + 1  # robots.txt twice
    # the last process out deleted the queue; the seen-set expires a minute later (a late process
    # finds the crawl done), then the next crawl starts afresh
    key = f"gongkai:{run_key(reg)}"
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    assert set(r.keys(key + ":*")) == {key + ":done", key + ":seen"}
    assert 0 < r.pttl(key + ":seen") <= 60_000
    late = subprocess.run([sys.executable, "-c", "from gongkai.cli import main; main()", "crawl", "--redis", redis_url,
                           "--registry", str(reg), "--data", str(tmp_path / "late"), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert late.returncode == 0, late.stderr[-3000:]
    assert json.loads(late.stdout)["documents_new"] == 0  # nothing crawled twice: not even tried
    import sqlite3

    tried = [u for (u,) in sqlite3.connect(tmp_path / "late" / "archive.db").execute("SELECT url FROM fetches")]
    assert all(u.endswith("/robots.txt") for u in tried), tried[:5]

    merge_archives(tmp_path / "merged", [tmp_path / "a", tmp_path / "b"], progress=False)
    one, merged = content([tmp_path / "single"]), content([tmp_path / "merged"])
    assert merged["documents"] == one["documents"] and len(one["documents"]) > 30
    # the same column pages, read the same; which body a page several bodies share is captured
    # under depends on whose request reached it first, in either crawl
    assert sorted(c[1:] for c in merged["captures"]) == sorted(c[1:] for c in one["captures"])
    assert merged["fetches"] == one["fetches"]
    ok = [u for u, s in merged["fetches"] if s in (200, 304)]
    assert len(ok) == len(set(ok)), "a page was fetched twice"


def test_unreachable_redis_is_named():
    from crawler.distributed import RedisUnavailable

    with pytest.raises(RedisUnavailable, match=r"redis://127\.0\.0\.1:1/0"):
        check_redis("redis://127.0.0.1:1/0")
