"""`gongkai ingest PATH...`: put local files (or folders of them) into the archive.

Each file is stored as a document seen at `file://<absolute path>`. Its first-seen time is the
file's modification time, so ingesting the same folder again changes nothing. The agency and the
year come from the parse (`gongkai extract`); `--agency` sets the agency and overrides the parse.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from archive.store import Archive


class IngestError(Exception):
    pass


def collect(paths: list[str]) -> list[Path]:
    """Files named, and files under folders named (recursively; hidden files skipped), sorted."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(
                sorted(
                    f
                    for f in p.rglob("*")
                    if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
                )
            )
        elif p.is_file():
            out.append(p)
        else:
            raise IngestError(f"{raw}: no such file or folder")
    seen: set[Path] = set()
    return [f for f in out if not (f.resolve() in seen or seen.add(f.resolve()))]


def ingest(arc: Archive, paths: list[str], agency: str | None = None, progress: bool = True) -> dict:
    files = collect(paths)
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    errors: list[dict] = []
    for f in tqdm(files, desc="ingest", unit="file", file=sys.stderr, disable=not progress):
        try:
            data = f.read_bytes()
        except OSError as e:
            errors.append({"path": str(f), "error": f"{f}: cannot read: {e.strerror or e}"})
            continue
        if not data:
            errors.append({"path": str(f), "error": f"{f}: empty file, not stored"})
            continue
        mtime = datetime.fromtimestamp(f.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        _, state = arc.add_document(
            data,
            url=f.resolve().as_uri(),
            agency=agency,
            agency_override=agency is not None,
            fetched_at=mtime,
            meta={"ingested_from": str(f)},
        )
        counts[state] += 1
    return {"files": len(files), **counts, "errors": errors}
