"""`gongkai parse` of one 5-page PDF against a script that only imports pypdfium2 and extracts the
text of every page: CPU time of the whole process (user + system, the worker included), target
≤ 3 × the script's.

    .venv/bin/python bench/parse_start.py [--runs 5] [--pdf FILE]

Without --pdf the PDF is made here: the three pages of tests/fixtures/000.lo.pdf and the first two
of 001.lo.pdf (pypdfium2 copies the pages; the same bytes on every run but the creation date). Each
command runs --runs times; the least CPU time of each is compared (a busy machine adds to it, never
takes from it). Wall time and the machine's load are printed beside.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
TARGET = 3.0
CLI = "gongkai"
PDFIUM_ONLY = (
    "import sys, pypdfium2\n"
    "pdf = pypdfium2.PdfDocument(sys.argv[1])\n"
    "print(sum(len(pdf[i].get_textpage().get_text_range()) for i in range(len(pdf))))\n"
)


def five_pages(target: Path) -> Path:
    """A 5-page report PDF from the fixtures."""
    import pypdfium2

    out = pypdfium2.PdfDocument.new()
    out.import_pages(pypdfium2.PdfDocument(FIXTURES / "000.lo.pdf"))
    out.import_pages(pypdfium2.PdfDocument(FIXTURES / "001.lo.pdf"), [0, 1])
    if len(out) != 5:
        raise SystemExit(f"{target}: expected 5 pages from the fixtures, got {len(out)}")
    out.save(target)
    return target


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds of the process and the children it waited for, wall seconds) of one run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pdf", type=Path, default=None, help="a PDF to parse (default: 5 pages of the fixtures)")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # a warm start, as an installed gongkai has: the first run writes the bytecode the others load
    # (with PYTHONDONTWRITEBYTECODE every run would compile the modules changed since it was written)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="gongkai-start-") as tmp:
        pdf = str(args.pdf or five_pages(Path(tmp) / "five.pdf"))
        commands = {
            "pypdfium2 only": [sys.executable, "-c", PDFIUM_ONLY, pdf],
            "gongkai parse": [sys.executable, "-m", CLI, "parse", pdf],
        }
        load_before = os.getloadavg()
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.runs):
            for label, cmd in commands.items():  # interleaved: both see the same load
                cpu, wall = measure(cmd, env)
                prev = best.get(label)
                best[label] = (min(cpu, prev[0]), min(wall, prev[1])) if prev else (cpu, wall)
        load_after = os.getloadavg()
    for label, (cpu, wall) in best.items():
        print(f"{label:15} {cpu:.3f} s CPU  {wall:.3f} s wall  (least of {args.runs})")
    ratio = best["gongkai parse"][0] / best["pypdfium2 only"][0]
    wall_ratio = best["gongkai parse"][1] / best["pypdfium2 only"][1]
    print(f"ratio {ratio:.1f}× on CPU ({wall_ratio:.1f}× on wall); target ≤ {TARGET:g}× on CPU: "
          f"{'met' if ratio <= TARGET else 'MISSED'}")
    print(f"load average {' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in load_after)} after ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
