"""WARC (ISO 28500, WARC/1.1) captures of every HTTP exchange the crawler stores, written with warcio.

One file per crawl run under `<data>/warc/`: `gongkai-<UTC time>-crawl<id>-<pid>.warc.gz`, each
record its own gzip member (so any record can be read from its offset alone). Every exchange is a
`response` (or `revisit`) record followed by its `request` record (WARC-Concurrent-To).

- Payload digests are `sha256:<hex>`, the very name of the blob in `<data>/blobs/`: the WARC and
  the blob store refer to the same bytes by the same digest.
- A payload already in some WARC of this archive (table `warc_payloads`, sha256 → its response
  record) is written as a `revisit` record (profile identical-payload-digest) that refers to that
  record: a second crawl of unchanged pages adds headers, never a second copy of the bytes. A 304
  revalidation is a `revisit` with the server-not-modified profile, referring to the stored copy.
- Bodies are recorded as the crawler's blob store keeps them: de-chunked and, when the server sent
  a Content-Encoding, decoded; the original headers are kept as `X-Archive-Orig-<name>` (as pywb
  does) and Content-Length is the recorded body's.

Crash safety: a file is written as `….warc.gz.open` and renamed when the crawl ends. Each
exchange is built in memory and appended with one write, then flushed, before the archive row that
names it is committed. A crawl killed with SIGKILL leaves the `.open` file readable up to its last
complete record; the next writer on the same folder seals it (cuts a torn last record, renames it)
and writes its own new file. Rows name the final file name (without `.open`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import re
import socket
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from archive.schema import now

WARC_DIR = "warc"
OPEN_SUFFIX = ".open"
FILE_RE = re.compile(r"^[A-Za-z0-9._-]+\.warc\.gz$")
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
SOFTWARE = "gongkai/0.1 (warcio)"


class _HexDigester(Digester):
    """sha256 digests written as hex: `sha256:<hex>` equals the blob's name (warcio check reads hex)."""

    def __init__(self, type_: str = "sha256") -> None:
        super().__init__(type_)

    def __str__(self) -> str:
        return f"{self.type_}:{self.digester.hexdigest()}"


class _Writer(WARCWriter):
    @staticmethod
    def _create_digester() -> Digester:
        return _HexDigester("sha256")


def warc_dir(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / WARC_DIR


def resolve(data_dir: str | os.PathLike, name: str) -> Path | None:
    """The file behind a WARC name of the archive (sealed, or still open), or None."""
    if not FILE_RE.match(name or ""):
        return None
    base = warc_dir(data_dir)
    for p in (base / name, base / (name + OPEN_SUFFIX)):
        if p.is_file():
            return p
    return None


def read_member(path: Path, offset: int, length: int | None = None) -> bytes:
    """The gzip member (one record) at `offset`: `length` bytes, or found by decompressing."""
    with open(path, "rb") as f:
        f.seek(offset)
        if length:
            return f.read(length)
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        raw = bytearray()
        while not d.eof:
            chunk = f.read(65536)
            if not chunk:
                raise ValueError(f"{path}: no complete record at offset {offset}")
            d.decompress(chunk)
            raw += chunk
        return bytes(raw[: len(raw) - len(d.unused_data)])


def complete_length(path: Path) -> tuple[int, int]:
    """(bytes, records) of the complete gzip members at the start of `path`: where a torn last record
    (a crawl killed in the middle of a write) begins."""
    good = 0
    records = 0
    with open(path, "rb") as f:
        pos = 0
        buf = b""
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        head = b""
        while True:
            chunk = buf or f.read(1 << 20)
            buf = b""
            if not chunk:
                break
            out = d.decompress(chunk)
            if len(head) < 5:
                head += out[:5]
            if d.eof:
                used = len(chunk) - len(d.unused_data)
                pos += used
                if not head.startswith(b"WARC/"):
                    break
                good, records = pos, records + 1
                buf = d.unused_data
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                head = b""
            else:
                pos += len(chunk)
    return good, records


def seal(path: Path) -> Path | None:
    """Close a `.open` file a dead writer left: cut a torn last record, rename to `.warc.gz`
    (a file without one complete record is removed: no row can name it)."""
    good, _ = complete_length(path)
    if good == 0:
        path.unlink()
        return None
    with open(path, "r+b") as f:
        if f.seek(0, os.SEEK_END) != good:
            f.truncate(good)
        f.flush()
        os.fsync(f.fileno())
    final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
    os.replace(path, final)
    return final


def seal_stale(data_dir: str | os.PathLike) -> list[Path]:
    """Seal every `.open` file of the folder whose writer is gone (its lock is free)."""
    sealed = []
    for p in sorted(warc_dir(data_dir).glob("*.warc.gz" + OPEN_SUFFIX)):
        try:
            fd = os.open(p, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live crawl is writing it
            done = seal(p)
            if done is not None:
                sealed.append(done)
        finally:
            os.close(fd)
    return sealed


def _status_line(status: int, reason: str | None = None) -> str:
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    return f"{status} {reason}".strip()


# The most a body is inflated to for its record (the crawler's download limit): beyond it a body
# is a decompression bomb and is recorded as it came, still encoded.
MAX_DECODED = 64 * 1024 * 1024


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    """zlib-inflate, refusing (while inflating, not after) more than `limit` bytes."""
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, limit + 1)
    if len(out) > limit:
        raise ValueError(f"inflates to more than {limit} bytes")
    return out


def _decode(body: bytes, encoding: str, limit: int = MAX_DECODED) -> bytes | None:
    """A body with Content-Encoding undone, or None when it cannot be (or inflates past `limit`)."""
    try:
        out = body
        for enc in reversed([e.strip().lower() for e in encoding.split(",") if e.strip()]):
            if enc in ("gzip", "x-gzip"):
                out = _inflate(out, 16 + zlib.MAX_WBITS, limit)
            elif enc == "deflate":
                try:
                    out = _inflate(out, zlib.MAX_WBITS, limit)
                except zlib.error:
                    out = _inflate(out, -zlib.MAX_WBITS, limit)
            elif enc == "br":
                import brotli

                dec = brotli.Decompressor()
                out = dec.process(out, output_buffer_limit=limit + 1)
                if len(out) > limit or not dec.is_finished():
                    return None
            elif enc != "identity":
                return None
        return out
    except Exception:  # noqa: BLE001 - any failure: keep the bytes as received
        return None


def recorded_body(headers: list[tuple[str, str]], body: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """The headers and body as recorded: de-chunked, decoded, Content-Length of what is recorded."""
    enc = next((v for k, v in headers if k.lower() == "content-encoding"), None)
    if enc:
        decoded = _decode(body, enc)
        if decoded is not None:
            body = decoded
        else:
            enc = None
    out = []
    for k, v in headers:
        low = k.lower()
        if low == "transfer-encoding" or (low == "content-encoding" and enc):
            out.append((f"X-Archive-Orig-{k}", v))
        elif low == "content-length":
            if v.strip() != str(len(body)):
                out.append((f"X-Archive-Orig-{k}", v))
        else:
            out.append((k, v))
    out.append(("Content-Length", str(len(body))))
    return out, body


class CrawlWarc:
    """The WARC file of one crawl run. `archive` (archive.store.Archive) answers and records which
    payloads are in a WARC already (`warc_payload`, `add_warc_payload`)."""

    def __init__(self, archive: Any, crawl_id: int | None, info: dict[str, str] | None = None,
                 now: Callable[[], str] = now) -> None:
        self.archive = archive
        self.now = now  # the archive's clock: a crawl of the sample portal stamps its day (schema.clock_at)
        self.crawl_id = crawl_id
        self.dir = warc_dir(archive.data_dir)
        self.info = info or {}
        self.path: Path | None = None
        self.name: str | None = None
        self.f: io.FileIO | None = None
        self.pos = 0
        self.counts: dict[str, int] = {}

    # -- file --------------------------------------------------------------------------------

    def _open(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        seal_stale(self.archive.data_dir)  # a killed run's file: sealed, never appended to
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        self.name = f"gongkai-{stamp}-crawl{self.crawl_id or 0}-{os.getpid()}.warc.gz"
        self.path = self.dir / (self.name + OPEN_SUFFIX)
        # unbuffered: each exchange goes to the OS in one write, nothing waits in a userspace buffer
        self.f = open(self.path, "xb", buffering=0)  # noqa: SIM115 - held open for the whole crawl
        fcntl.flock(self.f.fileno(), fcntl.LOCK_EX)  # tells seal_stale this file is alive
        self.pos = 0
        w = self._writer()
        fields = {
            "software": SOFTWARE,
            "format": "WARC File Format 1.1",
            "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            "isPartOf": f"gongkai crawl {self.crawl_id}",
            "robots": "obey",
            **self.info,
        }
        rec = w.create_warcinfo_record(self.name, fields)
        rec.rec_headers.replace_header("WARC-Date", self.now())
        self._append(self._gzip(w, rec))
        self.counts["warcinfo"] = 1

    @staticmethod
    def _writer() -> _Writer:
        return _Writer(io.BytesIO(), gzip=False, warc_version="1.1")

    @staticmethod
    def _gzip(w: _Writer, rec: Any, level: int = 6) -> bytes:
        """One record as its own gzip member (level 6: warcio's own gzip uses 9, slow on big PDFs)."""
        buf = io.BytesIO()
        w.out = buf
        w.write_record(rec)
        data = buf.getvalue()
        # a window and hash table no bigger than the record: zlib's defaults (32 KB window, 64 KB of
        # hash) cost ten times the compression of a 1 KB request record just to set up; from 32 KB
        # on they are the defaults
        bits = max(9, min(zlib.MAX_WBITS, (len(data) - 1).bit_length()))
        z = zlib.compressobj(level, zlib.DEFLATED, 16 + bits, max(1, bits - 7))
        return z.compress(data) + z.flush()

    def _append(self, data: bytes) -> int:
        assert self.f is not None
        start = self.pos
        view = memoryview(data)
        while view:  # one write in the common case; a short write continues where it stopped
            n = self.f.write(view) or 0
            view = view[n:]
        self.pos += len(data)
        return start

    def close(self) -> Path | None:
        if self.f is None:
            return None
        os.fsync(self.f.fileno())
        assert self.path is not None and self.name is not None
        final = self.path.with_name(self.name)
        os.replace(self.path, final)
        self.f.close()  # releases the lock
        self.f = None
        self.path = final
        return final

    # -- records -----------------------------------------------------------------------------

    def write_exchange(
        self,
        *,
        url: str,
        method: str,
        request_headers: Iterable[tuple[str, str]],
        request_body: bytes,
        status: int,
        response_headers: list[tuple[str, str]],
        body: bytes,
        protocol: str = "HTTP/1.1",
        reason: str | None = None,
        not_modified_sha: str | None = None,
        ip: str | None = None,
    ) -> dict[str, Any]:
        """Append one exchange: a response (or revisit) record and its request record. Returns where
        the response/revisit record lies: {file, offset, length, type, sha256, record_id}."""
        if self.f is None:
            self._open()
        date = self.now()
        w = self._writer()
        http = StatusAndHeaders(_status_line(status, reason), [], protocol=protocol or "HTTP/1.1")
        if status == 304 and not_modified_sha:
            sha = not_modified_sha
            http.headers = list(response_headers)
            rec = self._revisit(w, url, sha, http, date, NOT_MODIFIED_PROFILE)
        else:
            headers, body = recorded_body(response_headers, body)
            http.headers = headers
            sha = hashlib.sha256(body).hexdigest()
            known = self.archive.warc_payload(sha)
            if known is not None:
                rec = self._revisit(w, url, sha, http, date, IDENTICAL_PROFILE, known)
            else:
                extra = {"WARC-Date": date, "WARC-Payload-Digest": f"sha256:{sha}"}
                if ip:
                    extra["WARC-IP-Address"] = ip
                rec = w.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                           http_headers=http, warc_headers_dict=extra)
        member = self._gzip(w, rec, gzip_level(body) if rec.rec_type == "response" else 6)
        rec_len = len(member)
        rec_id = rec.rec_headers.get_header("WARC-Record-ID")
        parts = urlsplit_path(url)
        req_http = StatusAndHeaders(f"{method} {parts[1]} HTTP/1.1", [], protocol="", is_http_request=True)
        req_headers = list(request_headers)
        if not any(k.lower() == "host" for k, _ in req_headers):
            req_headers.insert(0, ("Host", parts[0]))
        req_http.headers = req_headers
        req = w.create_warc_record(url, "request", payload=io.BytesIO(request_body or b""),
                                   length=len(request_body or b""), http_headers=req_http,
                                   warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": rec_id})
        offset = self._append(member + self._gzip(w, req))
        kind = rec.rec_type
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.counts["request"] = self.counts.get("request", 0) + 1
        assert self.name is not None
        out = {"file": self.name, "offset": offset, "length": rec_len, "type": kind, "sha256": sha,
               "record_id": rec_id, "date": date, "url": url}
        if kind == "response":
            self.archive.add_warc_payload(sha, self.name, offset, rec_len, rec_id, url, date)
        return out

    def _revisit(self, w: _Writer, url: str, sha: str, http: StatusAndHeaders, date: str, profile: str,
                 known: dict | None = None) -> Any:
        known = known if known is not None else self.archive.warc_payload(sha)
        extra = {"WARC-Date": date}
        if known:
            extra["WARC-Refers-To"] = known["record_id"]
        rec = w.create_revisit_record(url, f"sha256:{sha}", known["url"] if known else url,
                                      known["date"] if known else date, http_headers=http,
                                      warc_headers_dict=extra)
        rec.rec_headers.replace_header("WARC-Profile", profile)
        return rec


def gzip_level(body: bytes, probe: int = 4096) -> int:
    """6 for a payload that compresses, 0 (stored, still a valid gzip member) for one that does not:
    PDFs, DOCX and images are compressed already, and deflating them again costs ~5 ms per 200 KB
    to save a few per cent. Four samples from across the body decide."""
    if len(body) <= 16 * probe:
        return 6
    step = len(body) // 5
    sample = b"".join(body[i * step:i * step + probe] for i in range(1, 5))
    return 6 if len(zlib.compress(sample, 1)) < 0.9 * len(sample) else 0


def urlsplit_path(url: str) -> tuple[str, str]:
    """(host[:port], path?query) of a URL, for a request record's Host header and request line."""
    u = urlsplit(url)
    return u.netloc, (u.path or "/") + (f"?{u.query}" if u.query else "")


def iter_records(source: Path | BinaryIO) -> Iterator[tuple[int, Any, bytes]]:
    """(offset, record, payload) of every record of a WARC file or stream (warcio's ArchiveIterator;
    the payload is read first: asking for the offset reads the record to its end)."""
    from warcio.archiveiterator import ArchiveIterator

    with open(source, "rb") if isinstance(source, Path) else contextlib.nullcontext(source) as f:
        it = ArchiveIterator(f)
        for rec in it:
            payload = rec.content_stream().read()
            yield it.get_record_offset(), rec, payload
