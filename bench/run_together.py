"""Table 三 read back from text whose cells ran together: the share of cells right, missed
(null) and wrong, on reports with counts like real ones (tens, a few hundreds).

    .venv/bin/python bench/run_together.py [--n 200] [--seed 1]

Three shapes: a line per row with every row's cells glued (`…申请数量640020470`); the
whole report on one line as archived page text keeps it, rows glued to the next label
(`…不掌握相关政府信息2200003252.没有现成…`); a line per row with some of its separators lost
(`…予以公开27 0020 130`).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from variants import archived_run_together, run_together  # noqa: E402

from extract import form, parse_bytes  # noqa: E402


def report(rng: random.Random, fmt: str, dense: bool = False) -> dict:
    """A consistent report: most cells 0, some a few, some tens (the shapes of real tables)."""

    def count() -> int:
        r = rng.random()
        return rng.randint(1, 9) if r < 0.6 else rng.randint(10, 99) if r < 0.95 else rng.randint(100, 400)

    split = fmt == "2021" and rng.random() < 0.7
    keys = form.request_keys(fmt, split_other=split)
    results = [k for k in keys if k in form.RESULT_KEYS or k == "other"]
    rows = {k: [0] * 7 for k in keys}
    # most result rows of a real table are 0, and applicants fill one to three columns (a city's
    # table, `dense`, fills more of both)
    share = 0.6 if dense else 0.3
    used = [k for k in results if rng.random() < share]
    for c in range(6):
        active = c == 0 or rng.random() < share
        for k in results:
            rows[k][c] = count() if active and k in used and rng.random() < 0.7 else 0
        total = sum(rows[k][c] for k in results)
        rows["total_processed"][c] = total
        rows["carried_over_out"][c] = count() if active and rng.random() < 0.3 else 0
        rows["carried_over_in"][c] = rng.randint(0, min(total, 5)) if active and rng.random() < 0.3 else 0
        rows["new_received"][c] = total + rows["carried_over_out"][c] - rows["carried_over_in"][c]
    for vec in rows.values():
        vec[6] = sum(vec[:6])
    year = 2023 if fmt == "2021" else 2020
    zero3 = {"issued": 0, "repealed": 0, "in_force": 0}
    active_tab = ({"rules": zero3, "normative": zero3, "licensing": 0, "punishment": 0, "coercion": 0, "fees_wan": 0}
                  if fmt == "2021" else None)
    if active_tab is None:
        z = {"new_made": 0, "new_published": 0, "total_published": 0}
        item = {"prev_items": 0, "change": 0, "decisions": 0}
        active_tab = {"rules": z, "normative": z, "licensing": item, "other_services": item, "punishment": item,
                      "coercion": item, "fees": {"prev_items": 0, "change": 0},
                      "procurement": {"items": 0, "amount_yuan": 0, "amount_text": "0"}}
    return {"agency": "伊宁市人民政府", "year": year, "published": f"{year + 1}-01-20", "format": fmt,
            "sections": ["1", "2", "3", "4", "5", "6"], "active": active_tab, "requests": rows,
            "appeals": {g: [0] * 5 for g, _ in form.APPEAL_GROUPS}, "published_from": "end", "checks": [], "cells": {}}


def texts(rep: dict, rng: random.Random) -> dict[str, str]:
    def lose(m: re.Match) -> str:  # some of a row's separators lost, not all
        return re.sub(" ", lambda _: "" if rng.random() < 0.5 else " ", m.group(0))

    apart = run_together(rep, set())
    some = re.sub(r"(?<=[\u4e00-\u9fff）)”] )\d+(?: \d+){6}$", lose, apart, flags=re.M)
    return {"lines": run_together(rep, set(rep["requests"])), "one-line": archived_run_together(rep), "some": some}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--show", type=int, default=0, help="print the first N documents with a miss or a wrong cell")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tally: dict[str, list[int]] = {}
    shown = 0
    t0 = time.perf_counter()
    for i in range(args.n):
        rep = report(rng, "2021" if i % 4 else "2019", dense=i % 3 == 0)
        for shape, text in texts(rep, rng).items():
            got = parse_bytes(text.encode("utf-8"), f"{shape}.txt")["requests"] or {}
            t = tally.setdefault(shape, [0, 0, 0])
            bad = []
            for key, want in rep["requests"].items():
                vec = got.get(key) or [None] * 7
                for c, w in enumerate(want):
                    v = vec[c] if c < len(vec) else None
                    if v == w:
                        t[0] += 1
                    elif v is None:
                        t[1] += 1
                        bad.append(f"miss {key}.{c}={w}")
                    else:
                        t[2] += 1
                        bad.append(f"WRONG {key}.{c}={w} got {v}")
            if bad and shown < args.show:
                shown += 1
                print(shape, i, "; ".join(bad[:12]))
    elapsed = time.perf_counter() - t0
    for shape, (right, missed, wrong) in tally.items():
        n = right + missed + wrong
        print(f"{shape:9} cells {n:6}  right {100 * right / n:6.2f}%  missed {missed:5}  wrong {wrong}")
    print(f"{args.n} reports x {len(tally)} shapes in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
