"""Search speed on the scale archive (bench/archive_scale.py's synthetic N agencies × 7 years):
every query length through Datasette's real app (`ds.client.get`), in the four forms the archive
offers, target ≤ 1 s each.

    .venv/bin/python bench/search_speed.py                          # 100,000 agencies
    .venv/bin/python bench/search_speed.py --agencies 10000         # quicker
    .venv/bin/python bench/search_speed.py --data DIR --keep        # build once, keep it
    .venv/bin/python bench/search_speed.py --data DIR --reuse       # measure again

Every report's text holds 结转 and 依申请公开 (the worst case: every report matches); 第1234 and
9号 match a few or a tenth of the agencies.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = ["结", "结转", "9号", "依申请公开", "第12345号单位"]
FORMS = {
    "table page": "/archive/report_text?_search={q}",
    "table JSON": "/archive/report_text.json?_search={q}&_shape=array",
    "canned query JSON": "/archive/search.json?q={q}&_shape=array",
    "/-/gongkai/search": "/-/gongkai/search?q={q}",
}


def measure(data: Path) -> dict[str, dict[str, float]]:
    from bench.archive_scale import time_paths

    paths = {(q, form): path.format(q=quote(q)) for q in QUERIES for form, path in FORMS.items()}
    out: dict[str, dict[str, float]] = {}
    for (q, form), best in time_paths(data, paths).items():
        out.setdefault(f"{q} ({len(q)} chars)", {})[form] = round(best, 3)
    return out


def main() -> None:
    from bench.archive_scale import bench_parser, build

    args = bench_parser(__doc__.splitlines()[0]).parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="gongkai-search-bench-"))
    try:
        if args.reuse:
            from archive.store import Archive

            t0 = time.perf_counter()
            Archive(data).close()  # brings an archive built by an older gongkai up to date (schema 9)
            info = {"reused": str(data), "migrate_s": round(time.perf_counter() - t0, 1)}
        else:
            if (data / "archive.db").exists():
                raise SystemExit(f"{data}: an archive is already there; give an empty --data (or --reuse)")
            print(f"building {args.agencies} agencies in {data} …", file=sys.stderr)
            info = build(data, args.agencies)
        con = sqlite3.connect(data / "archive.db")
        info["reports"] = con.execute("SELECT count(*) FROM report_text").fetchone()[0]
        con.close()
        print(f"archive: {json.dumps(info)}", file=sys.stderr)
        times = measure(data)
        print(json.dumps({**info, "seconds": times}, ensure_ascii=False, indent=1))
        worst = max(v for row in times.values() for v in row.values())
        print(f"slowest {worst:.3f} s; target ≤ 1 s each: {'met' if worst <= 1 else 'NOT met'}", file=sys.stderr)
    finally:
        if not args.keep and args.data is None:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
