"""Per-crawl state shared by the spider, the middlewares and the pipeline, and kept across a
killed-and-restarted crawl.

Scrapy's JOBDIR only survives a *clean* stop (SIGINT/SIGTERM let it flush the request queue and
the seen-set). After SIGKILL its queue is not trustworthy, so we keep our own small state file
(`gongkai-state.json`: crawl id, counters, report statuses) written atomically as the crawl goes,
and on restart after an unclean stop we drop Scrapy's queue and crawl again under the same crawl
id: everything already stored is revalidated with conditional requests, not downloaded again, so
the archive ends exactly as an uninterrupted crawl would leave it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

from archive.health import partial_reasons

# worst status wins when a report's page and attachments disagree
_RANK = {"unchanged": 0, "changed": 1, "new": 2}
# seconds between saves at least: every save writes the whole state (a few ms at a hundred portals)
SAVE_EVERY = 5.0


class CrawlState:
    def __init__(self, archive: Any, jobdir: Path, options: dict[str, Any]) -> None:
        self.archive = archive
        self.jobdir = jobdir
        self.path = jobdir / "gongkai-state.json"
        self._last_save = 0.0
        self._save_every = SAVE_EVERY
        saved = self._load()
        if saved and saved.get("running"):
            # unclean stop: Scrapy's queue/seen-set may be torn, start the request graph again
            for name in ("requests.queue", "requests.seen", "spider.state"):
                p = jobdir / name
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                elif p.exists():
                    p.unlink()
        if saved:
            self.crawl_id: int = saved["crawl_id"]
            self.resumed = True
        else:
            self.crawl_id = archive.start_crawl(kind="crawl", options=options)
            self.resumed = False
        self.counts: Counter[str] = Counter(saved.get("counts", {}) if saved else {})
        self.failures: Counter[str] = Counter(saved.get("failures", {}) if saved else {})
        self.reports: dict[str, str] = dict(saved.get("reports", {}) if saved else {})
        self.reached: set[str] = set(saved.get("reached", []) if saved else [])
        self.tried: set[str] = set(saved.get("tried", []) if saved else [])
        self.documents: dict[str, str] = dict(saved.get("documents", {}) if saved else {})
        # per report column: what its pages declared and what this crawl reached of it (see tally)
        self.columns: dict[str, dict[str, Any]] = {
            c: {**v, "items": set(v.get("items", [])), "pages": set(v.get("pages", []))}
            for c, v in (saved.get("columns", {}) if saved else {}).items()
        }
        self.running = True
        self.warc: Any = None  # the crawl's WARC file (archive/warc.py CrawlWarc), set by the spider
        self.save(force=True)

    def _load(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def save(self, force: bool = False) -> None:
        """Atomic write (tmp + rename), at most every SAVE_EVERY seconds unless forced, and at most a
        fiftieth of the time: the file grows with the crawl (every document's status), so a big crawl
        saves less often (what a killed crawl's state lacks, its restart revalidates: conditional
        requests, no new bytes)."""
        now = time.monotonic()
        if not force and now - self._last_save < self._save_every:
            return
        self._last_save = now
        started = time.process_time()
        # the rows first: the state must never claim what a crash could still take back
        self.archive.commit()
        self.jobdir.mkdir(parents=True, exist_ok=True)
        data = {
            "crawl_id": self.crawl_id,
            "running": self.running,
            "counts": dict(self.counts),
            "failures": dict(self.failures),
            "reports": self.reports,
            "reached": sorted(self.reached),
            "tried": sorted(self.tried),
            "documents": self.documents,
            # only columns whose size is declared or whose pages failed: the rest need no counting
            "columns": {c: {**v, "items": sorted(v["items"]), "pages": sorted(v["pages"])}
                        for c, v in self.columns.items() if v["records"] or v["pages_declared"] or v["failed"]},
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        os.replace(tmp, self.path)
        self._save_every = max(SAVE_EVERY, 50 * (time.process_time() - started))

    def document(self, url: str, status: str) -> str:
        """Record a stored document's status once per URL and crawl (a resumed crawl sees its own
        earlier downloads as 304s: they still count as what they were the first time)."""
        first = self.documents.setdefault(url, status)
        return first

    def report(self, report_url: str, status: str) -> None:
        old = self.reports.get(report_url)
        if old is None or _RANK[status] > _RANK[old]:
            self.reports[report_url] = status

    def tally(self, column: str, page: str, records: set[str], declared_records: int | None = None,
              declared_pages: int | None = None, failed: str | None = None) -> dict[str, int | None]:
        """Count one list page (or list API answer) of `column`: its records, what it declares.
        Returns the column's running figures for this crawl (stored on the column capture)."""
        c = self.columns.setdefault(column, {"items": set(), "pages": set(), "records": None, "pages_declared": None,
                                             "failed": []})
        if failed:
            if len(c["failed"]) < 20:
                c["failed"].append(f"{page}: {failed}")
        else:
            if page not in c["pages"] and not records - c["items"]:
                c["stale"] = c.get("stale", 0) + 1  # a list page with no record not seen before
            c["pages"].add(page)
            c["items"] |= records
        if declared_records:
            c["records"] = max(c["records"] or 0, declared_records)
        if declared_pages:
            c["pages_declared"] = max(c["pages_declared"] or 0, declared_pages)
        return {"declared_records": c["records"], "declared_pages": c["pages_declared"],
                "items_seen": len(c["items"]), "pages_seen": len(c["pages"])}

    def partial(self) -> list[dict[str, Any]]:
        """Columns this crawl reached only in part: fewer records than listed, fewer pages than the
        pager names, or list pages / API calls that failed while the column itself answered."""
        out = []
        for column, c in sorted(self.columns.items()):
            if not c["pages"]:
                continue  # never reached: unreachable, not partial
            reasons = partial_reasons(len(c["items"]), c["records"], len(c["pages"]), c["pages_declared"], c["failed"])
            if reasons:
                out.append({"column": column, "reached": len(c["items"]), "listed": c["records"],
                            "reason": "; ".join(reasons)})
        return out

    def fail(self, kind: str) -> None:
        self.failures[kind] += 1

    def summary(self) -> dict[str, Any]:
        statuses = Counter(self.reports.values())
        docs = Counter(self.documents.values())
        return {
            "crawl_id": self.crawl_id,
            "agencies": len(self.reached),
            "agencies_unreachable": len(self.tried - self.reached),
            "unreachable": sorted(self.tried - self.reached),
            "reports": len(self.reports),
            "reports_new": statuses["new"],
            "reports_changed": statuses["changed"],
            "reports_unchanged": statuses["unchanged"],
            "documents_new": docs["new"] + docs["changed"],
            "documents_unchanged": docs["unchanged"],
            "requests": self.counts["requests"],
            "bytes": self.counts["bytes"],
            "list_pages": self.counts["list_pages"],
            "failures": dict(sorted(self.failures.items())),
            "partial": self.partial(),
            "resumed": self.resumed,
            # this run's WARC file and its records by type (archive/warc.py)
            "warc": ({"file": self.warc.name, "records": dict(sorted(self.warc.counts.items()))}
                     if self.warc is not None and self.warc.name else None),
        }
