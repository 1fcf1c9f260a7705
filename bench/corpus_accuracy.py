"""Accuracy on the real-report corpus (tests/real/), per document and per variant class.

    .venv/bin/python bench/corpus_accuracy.py [--docs]

Cells: every number of tables 二, 三 and 四 in the gold (a blank cell is 0); metadata: agency,
year, format, published. A miss is a null where the document prints a number; a wrong cell is
any other difference (the test suite fails on those).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from corpus import documents, parse, score, summary  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", action="store_true", help="a line per document too")
    args = ap.parse_args()
    t0 = time.perf_counter()
    scores = [score(doc, gold, parse(doc)) for doc, gold in documents()]
    elapsed = time.perf_counter() - t0
    if args.docs:
        for s in scores:
            print(f"{s.doc:44} {s.kind:14} cells {s.right:4}/{s.cells:<4} missed {s.missed:3} wrong {len(s.wrong):2}"
                  f"  meta {s.meta_right}/{s.meta_total} {'; '.join(s.meta_wrong)}")
            for w in s.wrong[:5]:
                print(f"    wrong {w}")
    print(f"{'class':24} {'docs':>4} {'cells':>6} {'right':>6} {'wrong':>5} {'cells %':>8} {'meta %':>7}")
    for name, n, cells, right, wrong, acc, meta in summary(scores):
        print(f"{name:24} {n:4} {cells:6} {right:6} {wrong:5} {100 * acc:7.1f}% {100 * meta:6.1f}%")
    print(f"{len(scores)} documents parsed in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
