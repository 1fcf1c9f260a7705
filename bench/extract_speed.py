"""Median seconds per report for each kind of document the readers handle.

Reads the committed fixtures (tests/fixtures/, made from the seed reports) and times
`extract.parse_bytes` (reader + parser) on each, several rounds, on one core:

    .venv/bin/python bench/extract_speed.py            # all kinds
    .venv/bin/python bench/extract_speed.py --kinds html pdf --rounds 5

Targets: text-layer PDF of 5 pages ≤ 0.3 s; HTML ≤ 0.05 s; OCR ≤ 3 s per page.
The fixtures are three-page reports: a PDF's figure for 5 pages is its median per page × 5.
It prints CPU time (this process and the converters it starts, e.g. LibreOffice) and wall time, judges
the targets on CPU time (a busy machine stretches wall time, not the work done), and prints the
machine's load before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# one core: onnxruntime, OpenMP and BLAS must not spread over the machine
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from tqdm import tqdm  # noqa: E402

from extract import parse_bytes  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
KINDS = {
    "html": "*.html",
    "docx": "*.docx",
    "pdf": "*.lo.pdf",  # text layer, LibreOffice
    "pdf-reportlab": "*.rl.pdf",  # text layer, CID font, doubled glyphs
    "pdf-unruled": "*.nr.pdf",  # text layer, tables without ruling lines
    "doc": "*.doc",  # LibreOffice conversion included
    "scan": "*.scan.pdf",  # OCR
}
# kind -> (what the target is for, seconds)
TARGETS = {"html": ("a report", 0.05), "pdf": ("5 pages", 0.3), "pdf-reportlab": ("5 pages", 0.3),
           "pdf-unruled": ("5 pages", 0.3), "scan": ("a page", 3.0)}


def pages(path: Path) -> int:
    if path.suffix != ".pdf":
        return 1
    import pypdfium2

    return len(pypdfium2.PdfDocument(path))


def cpu_now() -> float:
    """CPU seconds of this process and its finished children (LibreOffice for .doc)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", nargs="*", default=list(KINDS), choices=list(KINDS))
    ap.add_argument("--rounds", type=int, default=3, help="timed runs per file (scans: 1)")
    args = ap.parse_args()
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # pin to one core
    except (AttributeError, OSError):
        pass

    load_before = os.getloadavg()
    rows = []
    for kind in args.kinds:
        files = sorted(FIXTURES.glob(KINDS[kind]))
        if not files:
            continue
        rounds = 1 if kind in ("scan", "doc") else args.rounds
        walls, cpus, per_page, cpu_per_page = [], [], [], []
        for path in tqdm(files, desc=kind, unit="file", file=sys.stderr):
            data = path.read_bytes()
            if kind not in ("scan", "doc"):
                parse_bytes(data, str(path))  # warm-up: imports, font caches
            n = pages(path)
            for _ in range(rounds):
                w, c = time.perf_counter(), cpu_now()
                parse_bytes(data, str(path))
                wall, cpu = time.perf_counter() - w, cpu_now() - c
                walls.append(wall)
                cpus.append(cpu)
                per_page.append(wall / n)
                cpu_per_page.append(cpu / n)
        rows.append((kind, len(files), statistics.median(walls), statistics.median(cpus), statistics.median(per_page),
                     statistics.median(cpu_per_page)))

    print(f"{'kind':<15}{'files':>6}{'median s/report':>18}{'median CPU s':>15}{'median s/page':>16}"
          f"{'median CPU s/page':>20}")
    for kind, n, wall, cpu, page, cpu_page in rows:
        print(f"{kind:<15}{n:>6}{wall:>18.3f}{cpu:>15.3f}{page:>16.3f}{cpu_page:>20.3f}")
    for kind, _files, wall, cpu, page, cpu_page in rows:
        if kind in TARGETS:
            span, target = TARGETS[kind]
            value = {"a report": cpu, "a page": cpu_page, "5 pages": 5 * cpu_page}[span]
            wall_value = {"a report": wall, "a page": page, "5 pages": 5 * page}[span]
            verdict = "met" if value <= target else "MISSED"
            print(f"{kind}: {value:.3f} s CPU for {span} (wall {wall_value:.3f} s; target ≤ {target} s of CPU: {verdict})")
    load_after = os.getloadavg()
    print(f"load average {' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in load_after)} after ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
