"""What an article page says besides its text: its metadata block (发布机构, 索引号, dates …), its
title, and the report files it links (href, onclick, iframe/embed, pdf.js viewer, scripts)."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from scrapy.http import TextResponse

from crawler.families import DATE_LABELS, META_LABELS
from crawler.links import DOC_EXT, clean, fmt_date, is_document_url, same_host, viewer_target

QUOTED = re.compile(r"""["']([^"'\s<>]{4,400})["']""")  # a quoted URL-like string in an attribute or a script
_LABEL_NOISE = re.compile(r"[\s:：]+")
_META_SET = frozenset(META_LABELS)
_LABEL_FIRST = frozenset(label[0] for label in META_LABELS)
# what _LABEL_NOISE removes: \s of a str pattern is what str.isspace() is true of, these
_NOISE_CHARS = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000:：")
# XPath compiled once, answering plain strings (lxml's default "smart" strings each keep a link to
# their node). Script and style hold no elements in a parsed HTML page, so a text node inside one
# is a child of it: the parent test is the ancestor test, without walking up from every text node.
_BODY_TEXT = etree.XPath("//body//text()[not(parent::script or parent::style)]", smart_strings=False)
_H1_TEXT = etree.XPath("//h1//text()", smart_strings=False)
_TITLE_TEXT = etree.XPath("//title/text()", smart_strings=False)
_EMBEDDED = etree.XPath("//iframe/@src | //embed/@src | //object/@data | //frame/@src", smart_strings=False)
_SCRIPT_TEXT = etree.XPath("//script/text()", smart_strings=False)
_INLINE_META = re.compile(
    r"(?<!\w)({})\s*[:：]\s*([^\s:：]{{1,60}})".format("|".join(sorted(map(re.escape, META_LABELS), key=len, reverse=True))))


def article_meta(response: TextResponse) -> dict[str, Any]:
    """The article's own metadata block (发布机构 / 索引号 / 公开目录 / 日期 …) and title."""
    out: dict[str, Any] = {}
    # table/definition-list layout: a label cell followed by its value cell (lxml directly: this
    # runs on every article, a Selector per cell is ten times slower, and most cells are leaves
    # of a report's tables of figures, whose text is all there is)
    root = response.selector.root
    for cell in root.iter("td", "th", "dt", "span", "label", "b", "strong"):
        if (children := len(cell)) > 2 or len(text := cell.text or "") > 16:
            continue  # a label cell holds a few characters, not a table or a paragraph
        raw = "".join(cell.itertext()) if children else text
        if raw.lstrip(_NOISE_CHARS)[:1] not in _LABEL_FIRST:
            continue  # most cells are figures: their first character starts no label
        label = _LABEL_NOISE.sub("", raw)
        if label in _META_SET and label not in out:
            nxt = cell.getnext()
            value = clean("".join(nxt.itertext())) if nxt is not None else ""
            if value and _LABEL_NOISE.sub("", value) not in _META_SET:
                out[label] = value
    # inline layout: "发布机构：伊宁市人民政府  日期：2021-01-20" (only when the block had no date:
    # the page text holds the whole report, and scanning it is the costliest step here)
    text = "" if any(k in out for k in DATE_LABELS) else clean(
        " ".join(_BODY_TEXT(root)))
    for m in _INLINE_META.finditer(text):
        label, value = m.group(1), m.group(2)
        if label not in out and value not in _META_SET:
            out[label] = value
    metas: dict[str, str] = {}  # the <meta> tags in one pass: the first of each name, as XPath's
    for m in root.iter("meta"):
        if m.get("name") is not None and m.get("content") is not None:
            metas.setdefault(m.get("name"), m.get("content"))
    title = (metas.get("ArticleTitle") or " ".join(_H1_TEXT(root))
             or next(iter(_TITLE_TEXT(root)), None))
    if clean(title):
        out["title"] = clean(title)
    date = None
    for name in ("PubDate", "pubdate", "publishdate", "firstpublishedtime", "Maketime"):
        date = fmt_date(metas.get(name))
        if date:
            break
    for label in DATE_LABELS:
        if date:
            break
        date = fmt_date(out.get(label))
    out["_date"] = date
    return out

def attachments(response: TextResponse) -> list[str]:
    """Report files linked from an article: href, onclick, iframe/embed/object, pdf.js viewer
    (?file=), and file URLs written into scripts."""
    found: list[str] = []

    def add(raw: str | None) -> None:
        if not raw:
            return
        raw = raw.strip()
        if raw.lower().startswith("javascript") or raw.startswith("#"):
            return
        url = response.urljoin(raw)
        target = viewer_target(url)
        if target:
            url = response.urljoin(target)
        if is_document_url(url) or re.search(r"download|attach|getfile|fileid=", url, re.I):
            found.append(url)

    root = response.selector.root
    for a in root.iter("a"):
        href = a.get("href")
        text = clean(" ".join(a.itertext()))
        if href and not href.strip().lower().startswith("javascript"):
            url = response.urljoin(href.strip())
            if viewer_target(url) or is_document_url(url) or (
                    DOC_EXT.search(text) and same_host(url, response.url)):
                found.append(response.urljoin(viewer_target(url) or href.strip()))
            elif re.search(r"download|attach|getfile|fileid=", url, re.I):
                add(href)
        hidden = (a.get("onclick") or "") + " " + (href or "")
        for cand in QUOTED.findall(hidden):
            if DOC_EXT.search(cand) or viewer_target(response.urljoin(cand)):
                add(cand)
    for src in _EMBEDDED(root):
        add(str(src))
    for script in _SCRIPT_TEXT(root):
        for cand in QUOTED.findall(script):
            if DOC_EXT.search(cand) and ("/" in cand):
                add(cand)
    return [u for u in dict.fromkeys(found) if u != response.url]
