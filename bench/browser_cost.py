"""What a rendered page costs against a plain request, on the sample portal on loopback.

Each measurement runs in a child process, which times its pages (wall) and reads from /proc the CPU
time (user + system) of itself and everything it started (Playwright's driver, Chromium and its
renderers); the portal's own CPU (a thread of this process) is left out of both:

- plain: N plain HTTP requests of the drawn column page (what the crawler does for any page);
- launch: Chromium started and stopped, nothing rendered (paid once per crawl, at its first render);
- drawn: N renders of the column whose list an inline array draws (load, script, DOM read back);
- gated: N renders of the gated column from a fresh browser context each time (the 412, the gate's
  script, the reload, the list's JSON call), as the crawler meets a gate.

Per-page figures leave the launch out (it is printed apart). The browser is driven as crawler/browser.py drives it (the
same Chromium, launch arguments, skipped resources, wait for a quiet network).

Usage: python bench/browser_cost.py [--pages 20] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of process `root` and every live descendant, from /proc."""
    parent: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        parent[int(d)] = int(fields[1])
        times[int(d)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += [c for c, pp in parent.items() if pp == pid]
    return total


def child(mode: str, base: str, n: int) -> dict[str, float]:
    """Wall and CPU seconds for `n` pages (the child's own and its descendants'), launch apart."""
    from crawler.browser import LAUNCH_ARGS, chromium_path
    from crawler.portal.sites import BROWSER_COLUMNS

    drawn, gated = base + BROWSER_COLUMNS["drawn"], base + BROWSER_COLUMNS["gated"]
    me = os.getpid()
    if mode == "plain":
        u = urlsplit(drawn)
        t0, c0 = time.perf_counter(), tree_cpu(me)
        for _ in range(n):  # a connection each (a kept-alive one waits on delayed ACKs: 40 ms a page)
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            conn.request("GET", u.path, headers={"Connection": "close"})
            assert conn.getresponse().read()
            conn.close()
        return {"wall_s": time.perf_counter() - t0, "cpu_s": tree_cpu(me) - c0}

    async def run() -> dict[str, float]:
        from playwright.async_api import async_playwright

        t0, c0 = time.perf_counter(), tree_cpu(me)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium_path({}), args=LAUNCH_ARGS)
            t1, c1 = time.perf_counter(), tree_cpu(me)
            for _ in range(n):
                context = await browser.new_context()  # a fresh context: the gate is met each time
                await context.route("**/*", lambda r: r.abort() if r.request.resource_type in
                                    ("image", "media", "font", "stylesheet") else r.continue_())
                page = await context.new_page()
                await page.goto(gated if mode == "gated" else drawn)
                await page.wait_for_load_state("networkidle")
                html = await page.content()
                assert html.count("<li><a") >= 2, html[:300]
                await context.close()
            t2, c2 = time.perf_counter(), tree_cpu(me)
            await browser.close()
        return {"wall_s": t2 - t1, "cpu_s": c2 - c1, "launch_wall_s": t1 - t0, "launch_cpu_s": c1 - c0}

    return asyncio.run(run())


def measure(mode: str, base: str, n: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", mode, base, str(n)], check=True, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child[0], a.child[1], int(a.child[2]))))
        return
    from crawler.browser import chromium_path
    from crawler.portal.server import start_portal

    if chromium_path({}) is None:
        raise SystemExit("no Chromium: apt-get install chromium")
    n = a.pages
    with start_portal() as p:
        plain = measure("plain", p.base_url, n * 10)
        drawn = measure("drawn", p.base_url, n)
        gated = measure("gated", p.base_url, n)

    def per(m: dict, k: int) -> dict[str, float]:
        return {key: round(m[key] / k, 4) for key in ("wall_s", "cpu_s")}

    out = {
        "pages": n,
        "plain_request": per(plain, n * 10),
        "browser_launch": {"wall_s": round(drawn["launch_wall_s"], 3), "cpu_s": round(drawn["launch_cpu_s"], 3)},
        "rendered_drawn_page": per(drawn, n),
        "rendered_gated_page": per(gated, n),
    }
    for key in ("rendered_drawn_page", "rendered_gated_page"):
        out[key]["x_plain_wall"] = round(out[key]["wall_s"] / max(out["plain_request"]["wall_s"], 1e-6))
        out[key]["x_plain_cpu"] = round(out[key]["cpu_s"] / max(out["plain_request"]["cpu_s"], 1e-6))
    if a.json:
        print(json.dumps(out))
        return
    print(f"plain request      {out['plain_request']['wall_s'] * 1000:8.2f} ms wall {out['plain_request']['cpu_s'] * 1000:8.2f} ms CPU")
    print(f"browser launch     {out['browser_launch']['wall_s'] * 1000:8.0f} ms wall {out['browser_launch']['cpu_s'] * 1000:8.0f} ms CPU (once per crawl)")
    for key, label in (("rendered_drawn_page", "rendered list"), ("rendered_gated_page", "rendered gate")):
        r = out[key]
        print(f"{label:<18} {r['wall_s'] * 1000:8.1f} ms wall {r['cpu_s'] * 1000:8.1f} ms CPU "
              f"(x{r['x_plain_wall']} wall, x{r['x_plain_cpu']} CPU of a plain request)")


if __name__ == "__main__":
    main()
