"""Text reports parsed per second on one core (target ≥ 200/s).

    .venv/bin/python bench/parse_speed.py [--seconds 5]

Parses the five seed texts plus reports rendered in the four seed layouts, in one process. The rate
is judged on CPU time (a busy machine stretches wall time, not the work done); wall time and the
machine's load are printed beside it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from render import LAYOUTS, render  # noqa: E402
from reports import reports  # noqa: E402

from extract import parse_bytes  # noqa: E402


def corpus(n_random: int = 40) -> list[bytes]:
    docs = [p.read_bytes() for p in sorted((ROOT / "tests" / "seeds").glob("*.txt"))]
    rng = random.Random(1)
    strategy = reports()
    for i in range(n_random):
        report = strategy.example() if i else strategy.example()
        docs.append(render(report, LAYOUTS[rng.randrange(len(LAYOUTS))]).encode("utf-8"))
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    import warnings

    warnings.simplefilter("ignore")
    docs = corpus()
    for d in docs:  # warm up imports and regex caches
        parse_bytes(d, "warmup")
    load_before = os.getloadavg()
    n = 0
    start, cpu0 = time.perf_counter(), time.process_time()
    while time.process_time() - cpu0 < args.seconds:
        for d in docs:
            parse_bytes(d, "bench")
            n += 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    size = sum(map(len, docs)) / len(docs)
    rate = n / cpu
    print(f"{n} text reports in {cpu:.2f} s of CPU ({elapsed:.2f} s wall): {rate:.0f} reports per CPU second, "
          f"{n / elapsed:.0f} per wall second (mean size {size / 1024:.1f} KiB; target ≥ 200/s of CPU: "
          f"{'met' if rate >= 200 else 'MISSED'})")
    load_after = os.getloadavg()
    print(f"load average {' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in load_after)} after ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
