"""Cells right and wrong numbers on degraded scans of the seed reports, and CPU seconds per page.

The scans are made by tests/scans.py from the seeds' LibreOffice PDFs (red seals over the
tables, phone photos on a desk, two pages on one A3 sheet, 150 dpi JPEG q50); "clean" is the
committed 150 dpi scan fixture. Scored like the real corpus (tests/corpus.py): every number of
tables 二, 三 and 四, and the metadata (agency, year, format, published). Runs on one core:

    .venv/bin/python bench/scan_accuracy.py                    # every kind, every seed
    .venv/bin/python bench/scan_accuracy.py --kinds seal --seeds 001 --docs

Targets: ≥ 99 % of cells and 0 wrong numbers per kind; CPU per page within 1.5 × the clean scan's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import json  # noqa: E402

from corpus import score  # noqa: E402
from scans import FIXTURES, KINDS, make  # noqa: E402

from extract import parse_bytes, parse_document, read_document  # noqa: E402

SEEDS = ROOT / "tests" / "seeds" / "gold"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", nargs="*", default=["clean", *KINDS], choices=["clean", *KINDS])
    ap.add_argument("--seeds", nargs="*", default=[p.stem[:3] for p in sorted(SEEDS.glob("*.json"))])
    ap.add_argument("--docs", action="store_true", help="a line per document, and its wrong cells")
    args = ap.parse_args()
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass
    parse_bytes((FIXTURES / "004.scan.pdf").read_bytes(), "warm-up.pdf")  # loads the OCR models

    rows = []
    for kind in args.kinds:
        cells = right = missed = wrong = meta = meta_total = pages = 0
        cpu = 0.0
        for seed in args.seeds:
            gold = json.loads(next(SEEDS.glob(f"{seed}_*.json")).read_text("utf-8"))
            data = (FIXTURES / f"{seed}.scan.pdf").read_bytes() if kind == "clean" else make(kind, seed)
            t0 = time.process_time()
            doc = read_document(data, f"{seed}.{kind}.pdf")
            result = parse_document(doc)
            cpu += time.process_time() - t0
            pages += 3  # every seed is three A4 pages, whatever the sheets they are scanned on
            s = score(Path(f"{seed}.{kind}.pdf"), gold, result)
            cells += s.cells
            right += s.right
            missed += s.missed
            wrong += len(s.wrong)
            meta += s.meta_right
            meta_total += s.meta_total
            if args.docs:
                print(f"{seed} {kind:6} cells {s.right:4}/{s.cells:<4} missed {s.missed:3} wrong {len(s.wrong):2} "
                      f"meta {s.meta_right}/{s.meta_total} {'; '.join(s.meta_wrong)}  notes: {[n for n in doc.notes if not n.startswith('pages read')]}")
                for w in s.wrong:
                    print(f"    wrong {w}")
        rows.append((kind, right, cells, missed, wrong, meta, meta_total, cpu / max(pages, 1)))
    print(f"{'kind':7} {'cells right':>13} {'share':>7} {'missed':>6} {'wrong':>5} {'meta':>7} {'CPU s/page':>10}")
    for kind, right, cells, missed, wrong, meta, meta_total, per_page in rows:
        print(f"{kind:7} {right:6}/{cells:<6} {right / max(cells, 1):7.3f} {missed:6} {wrong:5} "
              f"{meta:3}/{meta_total:<3} {per_page:10.2f}")


if __name__ == "__main__":
    main()
