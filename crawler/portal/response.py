"""What the sample portal answers: a response (status, body or stream, headers), its ETag, and the
portal's committed static files.

Every page is built once and cached with its ETag, so responses are byte-for-byte stable;
`Last-Modified` is the day the content appeared (never the wall clock), so two portals started with
the same options serve the same bytes and headers.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    ctype: str = "text/html; charset=utf-8"
    modified: date | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    stream: Callable[[], Iterator[bytes]] | None = None  # for the very large file
    length: int | None = None
    etag: str | None = None

    def finish(self) -> Response:
        if self.status == 200 and self.etag is None:
            seed = self.body if self.stream is None else f"stream|{self.length}".encode()
            self.etag = '"' + hashlib.sha1(seed).hexdigest()[:20] + '"'
        return self


def http_date(d: date) -> str:
    return email.utils.format_datetime(datetime(d.year, d.month, d.day, 2, 0, 0, tzinfo=UTC), usegmt=True)


def html_response(text: str, modified: date | None, gbk: bool = False) -> Response:
    if gbk:
        return Response(body=text.encode("gbk", "xmlcharrefreplace"), ctype="text/html; charset=GBK", modified=modified)
    return Response(body=text.encode("utf-8"), modified=modified)


def static_file(name: str) -> bytes:
    return (resources.files("crawler.portal") / "static" / name).read_bytes()


def static_manifest() -> dict:
    try:
        return json.loads(static_file("manifest.json"))
    except FileNotFoundError:
        return {}
