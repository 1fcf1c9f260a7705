"""`gongkai ingest PATH...`: put local files (or folders of them) into the archive.

Each file is stored as a document seen at `file://<absolute path>`. Its first-seen time is the
file's modification time, so ingesting the same folder again changes nothing. The agency and the
year come from the parse (`gongkai extract`); `--agency` sets the agency and overrides the parse.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from archive.limits import DOWNLOAD_MAXSIZE
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
    # each file once, in the order given, however it was named
    first: dict[Path, Path] = {}
    for f in out:
        first.setdefault(f.resolve(), f)
    return list(first.values())


def read_limited(f: Path, limit: int) -> bytes:
    """The file's bytes, read in chunks and refused past `limit` (the file may be growing, or a device)."""
    chunks: list[bytes] = []
    size = 0
    with open(f, "rb") as fh:
        while chunk := fh.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise IngestError(f"{f}: larger than the {limit >> 20} MB a document may be (the download limit); "
                                  "not stored")
            chunks.append(chunk)
    return b"".join(chunks)


def ingest(arc: Archive, paths: list[str], agency: str | None = None, progress: bool = True,
           max_bytes: int = DOWNLOAD_MAXSIZE) -> dict:
    """Store each file; a file that cannot be read, is too large, is not a document or cannot be
    written is listed in `errors` and the others go on."""
    from extract.readers import UNSUPPORTED
    from extract.sniff import sniff

    files = collect(paths)
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    errors: list[dict] = []
    for f in tqdm(files, desc="ingest", unit="file", file=sys.stderr, disable=not progress):
        try:
            size = f.stat().st_size
            if size > max_bytes:  # refused before reading
                raise IngestError(f"{f}: {size >> 20} MB, larger than the {max_bytes >> 20} MB a document may be "
                                  "(the download limit); not stored")
            data = read_limited(f, max_bytes)
            kind = sniff(data)
            if kind in UNSUPPORTED:
                raise IngestError(f"{f}: {UNSUPPORTED[kind]}; not stored")
            mtime = datetime.fromtimestamp(f.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            _, state = arc.add_document(
                data,
                url=f.resolve().as_uri(),
                agency=agency,
                agency_override=agency is not None,
                fetched_at=mtime,
                meta={"ingested_from": str(f)},
            )
        except IngestError as e:
            errors.append({"path": str(f), "error": str(e)})
            continue
        except (OSError, sqlite3.Error) as e:
            errors.append({"path": str(f), "error": f"{f}: cannot read or store: {getattr(e, 'strerror', None) or e}"})
            continue
        counts[state] += 1
    return {"files": len(files), **counts, "errors": errors}
