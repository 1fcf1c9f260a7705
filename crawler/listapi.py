"""Lists drawn by script: recognise each family's call on a list page (crawler/families.py
LIST_APIS), build the API requests it would make, and read the answers (JSON, Hanweb <datastore>).

Pure functions of page text, so they are tested without a crawl; the spider (spiders/base.py)
turns `ApiCall`s into ordinary Scrapy requests (robots.txt, delays and retries apply as to any page).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin

from crawler.families import DECLARED_PAGES, DECLARED_RECORDS, LIST_APIS

# each pattern with the words one of which any match of it spells (in lower case: the patterns
# ignore case, and no character that matches their letters lowers to anything else): a pattern
# whose words are not in the page is not run over it (a dozen scans of every list page otherwise)
_RECORDS = [(re.compile(p, re.I), words) for p, words in zip(DECLARED_RECORDS, (
    ("recordcount",), ("totalrecord",), ("<totalrecord>",), ("共",), ("createpagehtml",)), strict=True)]
_PAGES = [(re.compile(p, re.I), words) for p, words in zip(DECLARED_PAGES, (
    ("countpage",), ("totalpage", "pagecount"), ("<totalpage>",), ("共",), ("页次",), ("createpagehtml",),
    ("createpagehtml",)), strict=True)]
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_MAX_CALLS = 200  # API pages per column: more is a trap, not a report column


@dataclass
class ApiCall:
    """One request a list script would make."""

    family: str
    url: str
    method: str = "GET"
    form: dict[str, str] | None = None  # POST body (application/x-www-form-urlencoded)
    page: int = 1
    conf: dict[str, Any] = field(default_factory=dict)  # what follow-up calls need (size, form …)

    @property
    def body(self) -> str | None:
        return urlencode(self.form) if self.form is not None else None

    def label(self) -> str:
        """The call as one string (the column capture's URL): a POST keeps its form."""
        return self.url if self.form is None else f"{self.url} [POST {self.body}]"


def _max(found: list[str]) -> int | None:
    nums = [int(x) for x in found if x and x.isdigit()]
    return max(nums) if nums else None


def declared(text: str) -> tuple[int | None, int | None]:
    """(records, pages) a list page (or an API answer) says it has, or None where it says nothing."""
    low = text.lower()
    records = _max([m for rx, words in _RECORDS if any(w in low for w in words) for m in rx.findall(text)])
    pages = _max([m for rx, words in _PAGES if any(w in low for w in words) for m in rx.findall(text)])
    return records, pages


# -- reading the options a script passes ----------------------------------------------------------


def js_object(text: str, start: int) -> str:
    """The `{…}` object literal opening at or after `start` (braces balanced, strings skipped)."""
    i = text.find("{", start)
    if i < 0:
        return ""
    depth, quote, escaped = 0, "", False
    for j in range(i, min(len(text), i + 20000)):
        ch = text[j]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True  # the next character is part of the string: 'it\'s'
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[i : j + 1]
    return text[i:]


def js_value(obj: str, key: str) -> str | None:
    """The scalar value of `key` in a JS object literal or a `var key = …` (first one), as text."""
    m = re.search(rf"""(?:\b|['"]){re.escape(key)}['"]?\s*[:=]\s*(?:'([^']*)'|"([^"]*)"|(-?[\w.]+))""", obj)
    if not m:
        return None
    return next(g for g in m.groups() if g is not None)


def js_flat(obj: str) -> dict[str, str]:
    """A flat object literal ({a: 1, b: 'x', "c": "y"}) as strings; nested objects are skipped."""
    inner = obj.strip()[1:-1] if obj.strip().startswith("{") else obj
    out: dict[str, str] = {}
    for m in re.finditer(r"""['"]?(\w+)['"]?\s*:\s*(?:'([^']*)'|"([^"]*)"|(-?[\w.]+))""", inner):
        out[m.group(1)] = next(g for g in m.groups()[1:] if g is not None)
    return out


def _int(value: str | None, text: str = "") -> int | None:
    """A number, or the number a variable of that name holds (`size: pageSize` … `pageSize = 5`)."""
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    ref = js_value(text, value) if re.fullmatch(r"[A-Za-z_]\w*", value) else None
    return int(ref) if ref and ref.isdigit() else None


# -- the calls each family's script makes ----------------------------------------------------------


def script_calls(text: str, base: str, static_records: int | None = None) -> list[ApiCall]:
    """The API requests the list scripts on this page make (first calls; see `follow_ups`).
    `static_records`: the records the page itself lists (where a script's own count of static
    pages is unclear, what the page holds decides: no listed record is skipped)."""
    calls: list[ApiCall] = []
    for family, spec in LIST_APIS.items():
        if spec.get("answer") == "html":
            continue  # paged by file name: the spider's pagination reads those
        m = re.search(spec["marker"], text)
        if not m:
            continue
        if family == "trs_trt":
            calls += _trt_calls(text, m.start(), base, spec, static_records)
        elif family == "hanweb_jpage":
            calls += _jpage_calls(text, m.start(), base, spec)
        elif family == "json_codeid":
            calls += _codeid_calls(text, base, spec)
    return calls[:_MAX_CALLS]


def _trt_calls(text: str, at: int, base: str, spec: dict[str, Any], static_records: int | None) -> list[ApiCall]:
    obj = js_object(text, at)
    records = _int(js_value(obj, "recordCount"))
    static = _int(js_value(obj, spec["static_pages"]))
    static = 1 if static is None else static
    args_at = obj.find(spec["args"])
    args = js_flat(js_object(obj, args_at)) if args_at >= 0 else {}
    size = _int(args.get(spec["size_param"])) or _int(js_value(obj, spec["size_param"])) or 10
    api = urljoin(base, js_value(obj, "url") or spec["api"])
    if records is None:
        return []
    pages = math.ceil(records / size)
    if static_records is not None:
        # maxStaticIndex counts static pages (1: the first); a page holding fewer records than
        # that many pages would is read by what it holds
        static = min(static, static_records // size)
    out = []
    for n in range(static + 1, pages + 1):
        q = {**args, spec["page_param"]: str(n), spec["size_param"]: str(size)}
        out.append(ApiCall("trs_trt", f"{api}?{urlencode(q)}", page=n, conf={"size": size}))
    return out


def _jpage_calls(text: str, at: int, base: str, spec: dict[str, Any]) -> list[ApiCall]:
    obj = js_object(text, at)
    per = _int(js_value(obj, spec["per_page"])) or 15
    group = _int(js_value(obj, spec["group"])) or spec["group_default"]
    total = _int(js_value(obj, "totalRecord"))
    form_at = obj.find(spec["form"])
    form = js_flat(js_object(obj, form_at)) if form_at >= 0 else {}
    proxy = urljoin(base, js_value(obj, "proxyUrl") or spec["api"])
    embedded = len(_RECORD.findall(text))  # the first group comes with the page
    step = per * group
    out: list[ApiCall] = []
    start = embedded + 1
    while (total is None and not out) or (total is not None and start <= total):
        q = spec["query"].format(start=start, end=start + step - 1, perpage=per)
        out.append(ApiCall("hanweb_jpage", f"{proxy}?{q}", "POST", dict(form), page=start,
                           conf={"per": per, "step": step, "form": form, "proxy": proxy, "known_total": total}))
        start += step
        if len(out) >= _MAX_CALLS:
            break
    return out


def _codeid_calls(text: str, base: str, spec: dict[str, Any]) -> list[ApiCall]:
    api = next((q for q in re.findall(r"""['"]([^'"\s]*getFileListByCodeId[^'"\s]*)['"]""", text)), spec["api"])
    form = {k: js_value(text, k) or "" for k in spec["params"]}
    data_at = text.find("data:", text.find("getFileListByCodeId"))
    data = js_object(text, data_at) if data_at >= 0 else ""
    page_key = next((k for k in spec["page_param"] if re.search(rf"\b{k}\s*:", data)), spec["page_param"][0])
    size_key = next((k for k in spec["size_param"] if re.search(rf"\b{k}\s*:", data)), spec["size_param"][0])
    size = _int(js_value(data, size_key), text) or 20
    form.update({page_key: "1", size_key: str(size)})
    return [ApiCall("json_codeid", urljoin(base, api), "POST", form, page=1,
                    conf={"page_key": page_key, "size_key": size_key, "size": size})]


def follow_ups(call: ApiCall, total_records: int | None) -> list[ApiCall]:
    """Calls the first answer makes necessary (its total says how many pages there are)."""
    if call.family == "json_codeid" and call.page == 1 and total_records:
        pages = min(math.ceil(total_records / call.conf["size"]), _MAX_CALLS)
        form = call.form or {}
        return [ApiCall(call.family, call.url, "POST", {**form, call.conf["page_key"]: str(n)}, page=n, conf=call.conf)
                for n in range(2, pages + 1)]
    if call.family == "hanweb_jpage" and call.conf.get("known_total") is None and total_records:
        spec = LIST_APIS["hanweb_jpage"]
        out: list[ApiCall] = []
        start = call.page + call.conf["step"]
        while start <= total_records and len(out) < _MAX_CALLS:
            q = spec["query"].format(start=start, end=start + call.conf["step"] - 1, perpage=call.conf["per"])
            out.append(ApiCall(call.family, f"{call.conf['proxy']}?{q}", "POST", dict(call.conf["form"]), page=start,
                               conf={**call.conf, "known_total": total_records}))
            start += call.conf["step"]
        return out
    return []


# -- answers ------------------------------------------------------------------------------------


def _dig(data: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def read_answer(family: str, text: str) -> tuple[list[tuple[str, str, str | None]], int | None]:
    """(href, title, date text) of every record in an API answer, and the total records it states.
    Raises ValueError when the answer is not what the family answers (an error page, HTML)."""
    spec = LIST_APIS[family]
    out: list[tuple[str, str, str | None]] = []
    if spec["answer"] == "xml":
        if "<datastore" not in text and "<recordset" not in text:
            raise ValueError("not a <datastore> answer")
        for frag in _RECORD.findall(text):
            for m in re.finditer(r"""<a\b[^>]*href=["']([^"']+)["'][^>]*>(.*?)</a>""", frag, re.S):
                named = re.search(r"""title=["']([^"']+)["']""", m.group(0))
                text_title = re.sub(r"<[^>]+>", "", m.group(2)).strip()
                out.append((m.group(1), named.group(1) if named else text_title, re.sub(r"<[^>]+>", " ", frag)))
        records, _ = declared(text)
        return out, records
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    rows = next((r for r in (_dig(data, p) for p in spec["records"]) if isinstance(r, list)), None)
    if rows is None:
        raise ValueError("the answer holds no record list ({})".format(", ".join(spec["records"])))
    for row in rows:
        if not isinstance(row, dict):
            continue
        f = spec["fields"]
        url = next((row[k] for k in f["url"] if row.get(k)), None)
        title = next((row[k] for k in f["title"] if row.get(k)), "")
        date = next((str(row[k]) for k in f["date"] if row.get(k)), None)
        if url:
            out.append((str(url), re.sub(r"<[^>]+>", "", str(title)), date))
    total = next((int(t) for t in (_dig(data, p) for p in spec["total_records"]) if str(t or "").isdigit()), None)
    return out, total
