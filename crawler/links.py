"""What a list or article page's links and text say, without a spider: dates in a row, document
URLs, pdf.js viewer targets, record keys, login walls."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

from scrapy.http import TextResponse

from crawler.families import DOC_EXTENSIONS

_DATE = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
DOC_EXT = re.compile(r"\.(?:{})(?:$|[?#])".format("|".join(DOC_EXTENSIONS)), re.I)


def fmt_date(text: str | None) -> str | None:
    """The first date in `text` as YYYY-MM-DD, or None."""
    m = _DATE.search(text or "")
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def same_host(url: str, base: str) -> bool:
    return _host(url) == _host(base)


@lru_cache(maxsize=65536)
def _host(url: str) -> str:
    # asked of every link of a page against the page's own URL: the page's is split once
    return urlsplit(url).hostname or ""


def record_keys(urls: set[str]) -> list[str]:
    """Short keys of a list page's record URLs: crawl health unions them over the pages of a column
    (and over the processes of a shared crawl) to count the distinct records reached."""
    return sorted(hashlib.sha1(u.encode()).hexdigest()[:10] for u in urls)


_SPACES = re.compile(r"\s+")


def clean(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip()


@lru_cache(maxsize=65536)
def is_document_url(url: str) -> bool:
    u = urlsplit(url)
    return bool(DOC_EXT.search(u.path + ("?" + u.query if u.query else "")))


def viewer_target(url: str) -> str | None:
    """pdf.js and similar viewers: `…/viewer.html?file=<encoded url>` → the file's URL."""
    parts = urlsplit(url)
    q = parse_qs(parts.query)
    for key in ("file", "url", "src", "filepath", "fileUrl"):
        if key in q and q[key]:
            return unquote(q[key][0])
    return None


_LOGIN_URL = re.compile(r"login|logon|signin|passport|/sso/|/cas/|/uc/|denglu|returnurl=", re.I)


def login_wall(response: TextResponse) -> str | None:
    """Why this list page is a login wall (a redirect to a login URL, a password form), or None."""
    redirected = response.meta.get("redirect_urls")
    if redirected and _LOGIN_URL.search(urlsplit(response.url).path + "?" + urlsplit(response.url).query):
        return f"login required: redirected to {response.url}"
    if response.xpath("//input[@type='password']") and not response.xpath("//a[contains(@href, '.')]")[20:]:
        return "login required: the column answers with a password form"
    return None
