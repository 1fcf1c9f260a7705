"""`gongkai merge OUT IN...`: combine archives (for instance those of several crawler machines that
shared one Redis queue) into one, without duplicates.

- blobs are content-addressed: copied by sha256 (each verified against its name), never twice;
- rows that have their own identity are merged on it: agencies (name), documents (sha256, keeping
  the earliest first_seen and the latest last_seen), document_urls (url + sha256), reports (sha256 +
  extractor version) and their numbers and text;
- rows that only have a rowid are re-keyed: crawls, fetches, column_captures, reports and report
  check results get new ids in OUT, and every reference to them (crawl_id, report_id) is mapped.
  Such a row is recognised as already merged by its content, so merging the same input twice, or
  an archive that was itself merged from the inputs, adds nothing: the merge is idempotent;
- WARC files (archive/warc.py) are copied by name (each names its time, crawl and process), and
  warc_payloads by sha256, the first record holding a payload staying the one revisits refer to.

Derived tables are not merged but recomputed: run `gongkai check` on OUT afterwards (compliance,
checks across reports, crawl health); the scheduler's own tables (schedule_runs, alerts,
alert_state) belong to the machine that ran it. Each input is merged in one transaction, after its
blobs are in place, so an interrupted merge leaves OUT consistent and can simply be re-run.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from archive.lock import writer_lock
from archive.reports import organise
from archive.store import Archive

# tables recomputed from the merged data (gongkai check) or private to one machine
DERIVED = {"compliance", "compliance_summary", "report_summary", "check_summary", "crawl_health", "_state",
           "report_dates", "alerts", "alert_state", "schedule_runs", "_migrations"}
# tables merged below, in dependency order
MERGED = ("agencies", "regions", "crawls", "fetches", "documents", "document_urls", "column_captures",
          "reports", "report_requests", "report_active", "report_appeals", "report_text", "check_results",
          "warc_payloads")
REPORT_CHILDREN = ("report_requests", "report_active", "report_appeals", "report_text")


class MergeError(RuntimeError):
    pass


def _cols(db: Any, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info([{table}])").fetchall()]


def _rows(db: Any, table: str, cols: list[str], where: str = "") -> list[dict]:
    sel = ", ".join(f"[{c}]" for c in cols)
    return [dict(zip(cols, r, strict=True)) for r in db.execute(f"SELECT {sel} FROM [{table}] {where}")]


def _insert(db: Any, table: str, row: dict) -> int:
    cols = list(row)
    cur = db.execute(f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in cols)}) VALUES "
                     f"({', '.join('?' * len(cols))})", [row[c] for c in cols])
    return int(cur.lastrowid)


def _key(row: dict, skip: tuple[str, ...] = ("id",)) -> str:
    """A row's content identity (everything but its rowid)."""
    return hashlib.sha256(json.dumps({k: v for k, v in row.items() if k not in skip}, sort_keys=True,
                                     default=str).encode()).hexdigest()


class Merger:
    def __init__(self, out: Archive, progress: bool = True) -> None:
        self.out = out
        self.db = out.db.conn
        self.progress = progress

    def merge(self, src: Archive) -> dict[str, int]:
        stats = {"blobs": self._blobs(src), "warc_files": self._warc_files(src)}
        sdb = src.db.conn
        skipped = sorted(t for t in src.db.table_names()
                         if t not in MERGED and t not in DERIVED and not t.startswith(("report_text_fts", "report_text_grams", "_search_digits", "sqlite_")))
        with self.db:  # one transaction per input
            common = {t: [c for c in _cols(sdb, t) if c in set(_cols(self.db, t))]
                      for t in MERGED if t in src.db.table_names()}
            stats["agencies"] = self._agencies(sdb, common)
            crawl_map = self._rekeyed(sdb, "crawls", common["crawls"], {}, stats)
            self._rekeyed(sdb, "fetches", common["fetches"], {"crawl_id": crawl_map}, stats)
            self._documents(sdb, common["documents"], crawl_map, stats)
            self._document_urls(sdb, common["document_urls"], crawl_map, stats)
            self._rekeyed(sdb, "column_captures", common["column_captures"], {"crawl_id": crawl_map}, stats)
            report_map = self._reports(sdb, common, stats)
            self._rekeyed(sdb, "check_results", common["check_results"], {"report_id": report_map}, stats,
                          where="WHERE scope = 'report'")
            if "warc_payloads" in common:
                # the first record that holds a payload stays the one revisits refer to
                cols = common["warc_payloads"]
                before = self.db.total_changes
                self.db.executemany(
                    f"INSERT OR IGNORE INTO warc_payloads ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [tuple(r[c] for c in cols) for r in _rows(sdb, "warc_payloads", cols)])
                stats["warc_payloads"] = self.db.total_changes - before
        stats["skipped_tables"] = len(skipped)
        if skipped:
            click.echo(f"merge: not merged from {src.data_dir}: {', '.join(skipped)} (unknown tables)", err=True)
        return stats

    # -- blobs and WARC files ------------------------------------------------------------------

    def _warc_files(self, src: Archive) -> int:
        """The input's WARC files, by name (a name holds its time, crawl id and process: unique)."""
        import shutil

        from archive.warc import seal_stale, warc_dir

        seal_stale(src.data_dir)  # a killed crawl's file: cut at its last complete record
        out_dir = warc_dir(self.out.data_dir)
        copied = 0
        for p in sorted(warc_dir(src.data_dir).glob("*.warc.gz")):
            target = out_dir / p.name
            if target.exists() and target.stat().st_size == p.stat().st_size:
                continue
            out_dir.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(".tmp-" + p.name)
            shutil.copyfile(p, tmp)
            tmp.replace(target)
            copied += 1
        return copied

    def _blobs(self, src: Archive) -> int:
        files = [p for p in src.blobs.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")]
        copied = 0
        for p in tqdm(files, desc=f"blobs {src.data_dir}", unit="blob", file=sys.stderr,
                      disable=not self.progress, leave=False):
            target = self.out.blob_path(p.name) if len(p.name) == 64 else None
            if target is None:
                raise MergeError(f"{p}: not a blob (its name is not a sha256)")
            if target.exists() and target.stat().st_size == p.stat().st_size:
                continue
            data = p.read_bytes()
            if hashlib.sha256(data).hexdigest() != p.name:
                raise MergeError(f"{p}: corrupt blob (its bytes do not hash to its name); not merged")
            self.out.put_blob(data)
            copied += 1
        return copied

    # -- rows ----------------------------------------------------------------------------------

    def _agencies(self, sdb: Any, common: dict[str, list[str]]) -> int:
        n = 0
        for table, pk in (("agencies", "name"), ("regions", "code")):
            if table not in common:
                continue
            have = {r[pk]: r for r in _rows(self.db, table, common[table])}
            for row in _rows(sdb, table, common[table]):
                old = have.get(row[pk])
                if old is None:
                    _insert(self.db, table, row)
                    n += 1
                elif table == "agencies" and (row.get("updated") or "") > (old.get("updated") or ""):
                    # the newer registry row wins
                    sets = [c for c in row if c != pk]
                    self.db.execute(f"UPDATE agencies SET {', '.join(f'[{c}] = ?' for c in sets)} WHERE name = ?",
                                    [row[c] for c in sets] + [row[pk]])
        return n

    def _rekeyed(self, sdb: Any, table: str, cols: list[str], maps: dict[str, dict[int, int]],
                 stats: dict[str, int], where: str = "") -> dict[int, int]:
        """Rows identified only by their rowid: insert each one whose content (references mapped)
        OUT does not hold yet; returns old id -> new id."""
        have: dict[str, int] = {}
        for row in _rows(self.db, table, cols, where):
            have.setdefault(_key(row), row["id"])
        mapping: dict[int, int] = {}
        added = 0
        for row in _rows(sdb, table, cols, where):
            old_id = row["id"]
            for col, m in maps.items():
                if row.get(col) is not None:
                    row[col] = m.get(row[col], row[col] if not m else None)
            k = _key(row)
            if k in have:
                mapping[old_id] = have[k]
                continue
            row.pop("id")
            new_id = _insert(self.db, table, row)
            have[k] = mapping[old_id] = new_id
            added += 1
        stats[table] = added
        return mapping

    def _documents(self, sdb: Any, cols: list[str], crawl_map: dict[int, int], stats: dict[str, int]) -> None:
        have = {r["sha256"]: r for r in _rows(self.db, "documents", cols)}
        added = 0
        for row in _rows(sdb, "documents", cols):
            if row.get("crawl_id") is not None:
                row["crawl_id"] = crawl_map.get(row["crawl_id"])
            old = have.get(row["sha256"])
            if old is None:
                _insert(self.db, "documents", row)
                added += 1
                continue
            merged = _combine(old, row, earliest="first_seen", latest="last_seen",
                              with_earliest=("crawl_id", "url"))
            if merged != old:
                sets = [c for c in merged if c != "sha256"]
                self.db.execute(f"UPDATE documents SET {', '.join(f'[{c}] = ?' for c in sets)} WHERE sha256 = ?",
                                [merged[c] for c in sets] + [row["sha256"]])
        stats["documents"] = added

    def _document_urls(self, sdb: Any, cols: list[str], crawl_map: dict[int, int], stats: dict[str, int]) -> None:
        have = {(r["url"], r["sha256"]): r for r in _rows(self.db, "document_urls", cols)}
        added = 0
        for row in _rows(sdb, "document_urls", cols):
            for c in ("crawl_id", "last_crawl_id"):
                if row.get(c) is not None:
                    row[c] = crawl_map.get(row[c])
            old = have.get((row["url"], row["sha256"]))
            if old is None:
                row.pop("id")
                _insert(self.db, "document_urls", row)
                added += 1
                continue
            merged = _combine(old, row, earliest="first_seen", latest="last_seen", with_earliest=("crawl_id",),
                              with_latest=("last_crawl_id",), keep=("id",))
            if merged != old:
                sets = [c for c in merged if c != "id"]
                self.db.execute(f"UPDATE document_urls SET {', '.join(f'[{c}] = ?' for c in sets)} WHERE id = ?",
                                [merged[c] for c in sets] + [old["id"]])
        stats["document_urls"] = added

    def _reports(self, sdb: Any, common: dict[str, list[str]], stats: dict[str, int]) -> dict[int, int]:
        cols = common["reports"]
        have = {(r["sha256"], r["extractor_version"]): r["id"]
                for r in _rows(self.db, "reports", ["id", "sha256", "extractor_version"])}
        mapping: dict[int, int] = {}
        added = 0
        touched: set[str] = set()
        for row in _rows(sdb, "reports", cols):
            old_id = row.pop("id")
            k = (row["sha256"], row["extractor_version"])
            if k in have:
                mapping[old_id] = have[k]
                continue
            new_id = _insert(self.db, "reports", row)
            have[k] = mapping[old_id] = new_id
            touched.add(row["sha256"])
            added += 1
        # the reports' numbers and text (one row per report): copied where OUT has none for it
        for child in REPORT_CHILDREN:
            if child not in common:
                continue
            ccols = common[child]
            present = {r[0] for r in self.db.execute(f"SELECT report_id FROM [{child}]")}
            for crow in _rows(sdb, child, ccols):
                nid = mapping.get(crow["report_id"])
                if nid is None or nid in present:
                    continue
                crow["report_id"] = nid
                _insert(self.db, child, crow)
                present.add(nid)
        # one current parse per document: where both archives had one, the most recently extracted
        # wins (which documents are one report is decided again by `organise` after the merge)
        if "parse_current" in cols and touched:
            for sha in touched:
                cur = self.db.execute("SELECT id FROM reports WHERE sha256 = ? AND parse_current = 1"
                                      " ORDER BY extracted DESC, id DESC", [sha]).fetchall()
                for (rid,) in cur[1:]:
                    self.db.execute("UPDATE reports SET current = 0, parse_current = 0 WHERE id = ?", [rid])
        stats["reports"] = added
        return mapping


def _combine(old: dict, new: dict, *, earliest: str, latest: str, with_earliest: tuple[str, ...] = (),
             with_latest: tuple[str, ...] = (), keep: tuple[str, ...] = ()) -> dict:
    """One row from two sightings of the same thing: the earliest first sighting (and what came
    with it), the latest last sighting, otherwise the known value wins over null."""
    out = dict(old)
    new_first = (new.get(earliest) or "~") < (old.get(earliest) or "~")
    new_last = (new.get(latest) or "") > (old.get(latest) or "")
    for c, v in new.items():
        if c in keep or c not in out:
            continue
        if c == earliest:
            out[c] = min(x for x in (old.get(c), v) if x) if (old.get(c) or v) else None
        elif c == latest:
            out[c] = max(x for x in (old.get(c), v) if x) if (old.get(c) or v) else None
        elif c in with_earliest:
            out[c] = v if new_first and v is not None else (old.get(c) if old.get(c) is not None else v)
        elif c in with_latest:
            out[c] = v if new_last and v is not None else (old.get(c) if old.get(c) is not None else v)
        elif out.get(c) is None:
            out[c] = v
    return out


def merge_archives(out_dir: str | Path, inputs: list[str | Path], progress: bool = True) -> dict[str, Any]:
    out_path = Path(out_dir).resolve()
    for i in inputs:
        p = Path(i)
        if not (p / "archive.db").exists():
            raise MergeError(f"{p}: not a gongkai archive (no archive.db)")
        if p.resolve() == out_path:
            raise MergeError(f"{p}: an input cannot be the output")
    totals: dict[str, int] = {}
    with writer_lock(out_dir, "gongkai merge"), Archive(out_dir) as out:
        merger = Merger(out, progress)
        for i in inputs:
            with Archive(i) as src:  # opening migrates an older input to the same schema
                s = merger.merge(src)
            click.echo(f"merge: {i}: " + ", ".join(f"{v} {k}" for k, v in s.items() if v), err=True)
            for k, v in s.items():
                totals[k] = totals.get(k, 0) + v
        organise(out)  # documents from several archives may be one report
    return {"out": str(out_dir), "inputs": [str(i) for i in inputs], "added": totals}

