"""Portal article pages (inline HTML reports) into the document model.

trafilatura finds the article (and its title and date); the blocks are then read from the
DOM inside the article in document order, so paragraphs and tables keep their order (the
parser finds sections by the headings between tables). Tables are read from the DOM
because trafilatura loses colspan: rowspan/colspan are expanded into a full grid.
The portal's metadata block (发布机构, 索引号, 发布日期 …) is returned in Document.meta.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

import lxml.html
from lxml import etree

from extract.document import Document, ExtractError, Paragraph, Table
from extract.form import SECTIONS
from extract.readers.grid import clean_text, expand

# Labels of the metadata block on article pages (发布机构, 索引号, 发布日期 …), canonical name first.
META_KEYS: dict[str, str] = {
    "发布机构": "发布机构",
    "索引号": "索引号",
    "发布日期": "发布日期",
    "生成日期": "生成日期",
    "发文日期": "发文日期",
    "成文日期": "成文日期",
    "日期": "日期",
    "公开目录": "公开目录",
    "组配分类": "组配分类",
    "主题分类": "主题分类",
    "分类": "分类",
    "文号": "文号",
    "发布文号": "文号",
    "有效性": "有效性",
    "时效性": "有效性",
    "信息来源": "信息来源",
}
_META_LABEL = re.compile(
    r"^\s*(" + "|".join(sorted(map(re.escape, META_KEYS), key=len, reverse=True)) + r")\s*[:：]\s*(.*)$"
)
_WIDE_GAPS = re.compile(r"[\s\u3000]+")

BLOCK_TAGS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article",
    "blockquote", "center", "pre", "dd", "dt", "dl", "form", "header", "footer", "main", "aside",
    "figure", "figcaption", "address", "hr", "tr", "td", "th", "caption",
}
SKIP_TAGS = {"script", "style", "noscript", "nav", "iframe", "select", "option", "button", "textarea", "head", "object"}
# class/id words of navigation, sharing and footer boxes that sit inside article containers
NOISE = re.compile(r"(^|[\s_-])(nav|menu|crumb|breadcrumb|share|footer|sidebar|print|close|pager|bdshare)", re.I)
CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w]+)""", re.I)
GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "gb_2312-80", "euc-cn", "hz-gb-2312"}


def decode_html(data: bytes) -> str:
    """Decode by BOM; then by what the bytes are when that is clear: valid UTF-8 is UTF-8 whatever
    the page declares (portals copy a gb2312 template around UTF-8 text), and bytes that are not
    UTF-8 are not read as UTF-8 because the page says so; otherwise the declared charset
    (GB2312/GBK read as GB18030, the superset portals really use)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")  # GBK text of any length is practically never valid UTF-8
    except UnicodeDecodeError:
        pass
    m = CHARSET.search(data[:4096])
    declared = m.group(1).decode("ascii", "ignore").lower() if m else ""
    if declared in ("utf-8", "utf8"):
        try:
            return data.decode("gb18030")  # GBK bytes under a UTF-8 declaration
        except UnicodeDecodeError:
            return data.decode("utf-8", errors="replace")  # UTF-8 with a few broken bytes
    if declared and declared not in GB_FAMILY:
        try:
            return data.decode(declared, errors="replace")
        except LookupError:
            pass
    return data.decode("gb18030", errors="replace")


def read_html(data: bytes, source: str) -> Document:
    text = decode_html(data)
    # lxml refuses str input that declares an encoding; the declaration has done its job.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as e:
        raise ExtractError(source, f"not a readable HTML page ({e})") from e
    body = tree.find("body")
    if body is None:
        body = tree

    meta = _meta(body)
    title, date, main_text = _trafilatura(text, tree)
    if date:
        meta.setdefault("date", date)
    if not title:
        h1 = body.find(".//h1")
        title = clean_text(h1.text_content()) if h1 is not None else None
    if not title:
        t = tree.find(".//title")
        title = clean_text(t.text_content()) if t is not None and t.text else None

    root = _article_root(body, main_text)
    blocks = list(_blocks(root))
    # the page title repeated as the article's first line is kept: the parser reads agency and year from it
    doc = Document(source=source, kind="html", blocks=blocks, title=title, meta=meta)
    text_all = doc.text() + (title or "")
    if not blocks or not _looks_like_report(text_all):
        raise ExtractError(source, "an HTML page with no annual report in it (no report text or tables found)")
    return doc


def _looks_like_report(text: str) -> bool:
    squeezed = _WIDE_GAPS.sub("", text)
    hits = sum(1 for heading in SECTIONS.values() if heading in squeezed)
    return hits >= 2 or ("年度报告" in squeezed and "政府信息公开" in squeezed)


# ----------------------------------------------------------------------------- metadata


def _meta(body: etree._Element) -> dict[str, str]:
    """Label/value pairs of the metadata block: "索引号：zfb/2021-00012" in one text node or
    split over two elements (<td>索引号：</td><td>zfb/…</td>)."""
    tokens = [t for t in (clean_text(s) for s in _texts(body)) if t]
    meta: dict[str, str] = {}
    for i, tok in enumerate(tokens[:5000]):
        m = _META_LABEL.match(_WIDE_GAPS.sub("", tok[:12]) + tok[12:] if len(tok) > 12 else _WIDE_GAPS.sub("", tok))
        if not m:
            continue
        key, value = META_KEYS[m.group(1)], m.group(2).strip()
        if not value and i + 1 < len(tokens) and not _META_LABEL.match(_WIDE_GAPS.sub("", tokens[i + 1][:12])):
            value = tokens[i + 1]
        if value and len(value) <= 80 and key not in meta:
            meta[key] = value
    return meta


def _texts(el: etree._Element) -> Iterator[str]:
    """Text nodes in document order, skipping scripts and comments."""
    for node in el.iter():
        if not isinstance(node.tag, str):  # comments, processing instructions
            if node.tail:
                yield node.tail
            continue
        if node.tag in SKIP_TAGS:
            if node.tail:
                yield node.tail
            continue
        if node.text:
            yield node.text
        if node.tail:
            yield node.tail


# ----------------------------------------------------------------------------- article


def _trafilatura(text: str, tree: etree._Element) -> tuple[str | None, str | None, str]:
    """Title, date and the main text trafilatura finds (its text marks where the article is).

    Title and date come from trafilatura's title finder and htmldate (which trafilatura
    uses for dates); its full metadata pass would also hunt for authors, site names and
    tags, which costs twice the text extraction and which the reports do not need."""
    import trafilatura
    from htmldate import find_date
    from trafilatura.metadata import examine_meta, extract_title

    try:
        result = trafilatura.bare_extraction(
            text, include_tables=False, include_comments=False, fast=True, with_metadata=False
        )
    except (TypeError, NameError):
        raise  # a call this trafilatura does not take, or a bug: never mistaken for an odd page
    except Exception:  # trafilatura raises assorted errors on odd pages; the DOM walk still works
        result = None
    main_text = (result.get("text") if isinstance(result, dict) else getattr(result, "text", None)) or ""
    try:
        title = examine_meta(tree).title or extract_title(tree)
        date = find_date(tree, original_date=True, extensive_search=False,
                         max_date=datetime.date.today().isoformat())
    except (TypeError, NameError):
        raise
    except Exception:  # the same: metadata is a bonus, the DOM walk is the reading
        title = date = None
    return title, date, main_text


def _article_root(body: etree._Element, main_text: str) -> etree._Element:
    """The smallest element holding most of the article text trafilatura found.

    Falls back to the element holding the most table cells + paragraphs when trafilatura
    found nothing (pages that are only a table)."""
    lines = [_WIDE_GAPS.sub("", re.sub(r"^\s*(?:[-*#>]+\s)+", "", ln)) for ln in main_text.splitlines()]
    lines = [ln[:30] for ln in lines if len(ln) >= 6 and not ln.startswith("|")]
    if lines:
        total = len(lines)
        best = body
        # descend while one child still holds ≥ 80 % of the article's lines
        while True:
            nxt = None
            for child in best:
                if not isinstance(child.tag, str) or child.tag in SKIP_TAGS:
                    continue
                content = _WIDE_GAPS.sub("", child.text_content())
                if sum(1 for ln in lines if ln in content) >= 0.8 * total:
                    nxt = child
                    break
            if nxt is None or nxt.tag in ("p", "table", "tr", "td", "span"):
                return best
            best = nxt
    tables = body.xpath(".//table[not(.//table)]")
    if tables:
        biggest = max(tables, key=lambda t: len(t.xpath(".//td|.//th")))
        return biggest.getparent() if biggest.getparent() is not None else body
    return body


def _is_noise(el: etree._Element) -> bool:
    attrs = f"{el.get('class', '')} {el.get('id', '')}"
    return bool(attrs.strip()) and bool(NOISE.search(attrs))


def _blocks(root: etree._Element) -> Iterator[Paragraph | Table]:
    buf: list[str] = []

    def flush() -> Iterator[Paragraph]:
        text = clean_text(" ".join(buf))
        buf.clear()
        if text and not _META_LABEL.match(_WIDE_GAPS.sub("", text[:12])):
            yield Paragraph(text)

    def walk(el: etree._Element) -> Iterator[Paragraph | Table]:
        for child in el:
            tail = child.tail
            if not isinstance(child.tag, str):  # Word's <!--[if !supportLists]--> etc.
                pass
            elif child.tag in SKIP_TAGS or _is_noise(child):
                pass
            elif child.tag == "table":
                yield from flush()
                if child.xpath(".//table"):  # a layout table: its cells hold the content
                    yield from walk(child)
                else:
                    rows, owners = _table(child)
                    if rows and not _is_meta_table(rows):
                        yield Table(rows, owners)
            elif child.tag == "br":
                yield from flush()
            elif child.tag in BLOCK_TAGS:
                yield from flush()
                if child.text:
                    buf.append(child.text)
                yield from walk(child)
                yield from flush()
            else:
                if child.text:
                    buf.append(child.text)
                yield from walk(child)
            if tail:
                buf.append(tail)

    if root.text:
        buf.append(root.text)
    yield from walk(root)
    yield from flush()


def _table(table: etree._Element) -> tuple[list[list[str]], list[list[int]]]:
    rows: list[list[tuple[str, int, int]]] = []
    for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        cells = []
        for td in tr.xpath("./td|./th"):
            cells.append((_cell_text(td), _span(td.get("rowspan")), _span(td.get("colspan"))))
        rows.append(cells)
    try:
        return expand(rows)
    except ValueError:
        return [], []


def _cell_text(td: etree._Element) -> str:
    parts: list[str] = []
    for node in td.iter():
        if node is not td and not isinstance(node.tag, str):
            if node.tail:
                parts.append(node.tail)
            continue
        if node.tag in SKIP_TAGS:
            continue
        if node.tag in ("br", "p", "div") and node is not td:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        if node is not td and node.tail:
            parts.append(node.tail)
    return clean_text("".join(parts))


def _span(value: str | None) -> int:
    try:
        return int(re.sub(r"\D", "", value or "") or 1)
    except ValueError:
        return 1


def _is_meta_table(rows: list[list[str]]) -> bool:
    """A small table of 索引号/发布机构 label cells is the metadata block, not report data."""
    cells = [c for r in rows for c in r if c]
    labels = sum(1 for c in cells if _META_LABEL.match(_WIDE_GAPS.sub("", c[:12])))
    return len(rows) <= 6 and labels >= 2
