"""The sample portal over real HTTP on loopback: structure, forms, traps, time, faults, truth."""

from __future__ import annotations

import base64
import http.client
import io
import json
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlencode, urljoin, urlsplit

import pytest
from click.testing import CliRunner
from lxml import html as lhtml

from crawler.portal import gated, start_portal
from crawler.portal.model import World, parse_day
from crawler.portal.portal import Portal
from crawler.portal.values import CHECK_NAMES, failing_checks
from extract.form import request_keys

SEEDS = Path(__file__).parent / "seeds"


def get(url: str, headers: dict | None = None, method: str = "GET", timeout: float = 10, read: bool = True):
    """One request, no redirect following: (status, headers lower-cased, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        resp = conn.getresponse()
        body = resp.read() if read else resp.read(64)
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def fetch(url: str, **kw):
    """Follow redirects and retry 503s, as a crawler would."""
    for _ in range(8):
        status, hdrs, body = get(url, **kw)
        if status in (301, 302):
            url = urljoin(url, hdrs["location"])
            continue
        if status == 503:
            continue
        if status == 412 and gated.GATE_COOKIE.encode() in body:  # the script gate: its script's cookie
            seed = body.split(b"_$s='", 1)[1].split(b"'", 1)[0].decode()
            kw["headers"] = {**(kw.get("headers") or {}), "Cookie": f"{gated.GATE_COOKIE}={gated.gate_value(seed)}"}
            continue
        return status, hdrs, body, url
    raise AssertionError(f"{url}: no answer after retries")


def post(url: str, form: dict) -> str:
    """A form POST (the list APIs of script-drawn columns); the answer's text, which must be a 200."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("POST", parts.path + (f"?{parts.query}" if parts.query else ""), body=urlencode(form),
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status == 200, (url, resp.status, body[:200])
        return body.decode()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def portal():
    with start_portal(slow_delay=0.3) as p:
        yield p


@pytest.fixture(scope="module")
def truth(portal):
    return portal.truth()


def reports_by(truth: dict) -> dict[tuple[str, int], dict]:
    return {(r["agency"], r["year"]): r for r in truth["reports"]}


# ------------------------------------------------------------------------------------------------
# A small crawler for the three list styles (what the real spiders must also do)


def list_items(col_url: str) -> list[tuple[str, str]]:
    """(title, absolute URL) of every item in a report column, over all its pages."""
    status, _, body, final = fetch(col_url)
    assert status == 200, col_url
    text = body.decode("gbk" if "/wusu/" in col_url else "utf-8")
    items: list[tuple[str, str]] = []

    def anchors(page_text: str, base: str, css: str) -> list[tuple[str, str]]:
        doc = lhtml.fromstring(page_text)
        return [(a.get("title") or a.text_content(), urljoin(base, a.get("href"))) for a in doc.cssselect(css)]

    if "/wusu/" in col_url:
        m = re.search(r'createPageHTML\((\d+), (\d+), "index", "html"\)', text)
        assert m, "TRS list without createPageHTML"
        for i in range(int(m.group(1))):
            page = urljoin(final, "index.html" if i == 0 else f"index_{i}.html")
            st, _, b, _ = fetch(page)
            assert st == 200, page
            items += anchors(b.decode("gbk"), page, ".zfxxgk_zdgkc a")
            assert "下一页" not in b.decode("gbk") and "index_" not in b.decode("gbk").split("<script")[0]
        return items
    if "/wuzhi/" in col_url:
        total = int(re.search(r"<totalpage>(\d+)</totalpage>", text).group(1))
        colid = re.search(r"columnid = (\d+)", text).group(1)
        recs = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", text)
        for n in range(2, total + 1):
            st, hd, b, _ = fetch(urljoin(col_url, f"/wuzhi/module/web/jpage/dataproxy.jsp?columnid={colid}&currpage={n}"))
            assert st == 200 and hd["content-type"].startswith("text/xml")
            recs += re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", b.decode())
        for r in recs:
            items += anchors(r, col_url, "a")
        return items
    if "/kfq/" in col_url:  # TRS trt: 10 static, the rest from list2.trsapi as listModel asks
        items += anchors(text.split("<li ms-repeat")[0], final, "ul.gl-ul a")
        count = int(re.search(r"recordCount: '(\d+)'", text).group(1))
        chan = re.search(r"channelid: '(\w+)', classsql: \"(chnlid=\d+)\"", text)
        for n in range(2, -(-count // 10) + 1):
            st, hd, b, _ = fetch(urljoin(col_url, "/trsapi/search/list2.trsapi?" + urlencode(
                {"channelid": chan.group(1), "classsql": chan.group(2), "sortfield": "-docreltime", "page": n, "prepage": 10})))
            assert st == 200 and hd["content-type"].startswith("application/json")
            items += [(d["doctitle"], urljoin(col_url, d["docpuburl"])) for d in json.loads(b)["datas"]]
        assert len(items) == count
        return items
    if "/xianju/" in col_url:  # Hanweb jpage: the first group embedded, later ones by POST
        recs = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", text)
        total, per = int(re.search(r"totalRecord: (\d+)", text).group(1)), int(re.search(r"perPage: (\d+)", text).group(1))
        form = {"col": 1, "appid": 1, "webid": 3101, "path": "/", "columnid": 1229400001, "sourceContentType": 1,
                "unitid": 6800001, "permissiontype": 0}
        start = len(recs) + 1
        while start <= total:
            url = urljoin(col_url, f"/module/web/jpage/dataproxy.jsp?startrecord={start}&endrecord={start + 3 * per - 1}&perpage={per}")
            b = post(url, form)
            assert f"<totalrecord>{total}</totalrecord>" in b
            recs += re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", b)
            start += 3 * per
        for r in recs:
            items += anchors(r, col_url, "a")
        assert len(items) == total
        return items
    if "/altay/" in col_url:  # JSON: nothing on the page, every record from getFileListByCodeId
        assert "<li" not in text
        page, total = 1, None
        while total is None or len(items) < total:
            data = json.loads(post(urljoin(col_url, "/altay/getFileListByCodeId"), {"codeId": "c100321",
                              "channelId": "e3b0c44298fc1c149afbf4c8996fb924", "page": page, "size": 5}))["results"]["data"]
            total = data["total"]
            items += [(d["title"], urljoin(col_url, d["url"])) for d in data["results"]]
            page += 1
        return items
    if "/tacheng/" in col_url:  # 集约化: createPageHTML('page_div', pages, 1, 'common_list', 'shtml', records)
        m = re.search(r"createPageHTML\('page_div', (\d+), 1, 'common_list', 'shtml', (\d+)\)", text)
        assert m and f"共{m.group(2)}条" in text and "<a" not in text.split('class="page"')[1]
        for n in range(1, int(m.group(1)) + 1):
            st, _, b, _ = fetch(urljoin(final, "common_list.shtml" if n == 1 else f"common_list_{n}.shtml"))
            items += anchors(b.decode(), col_url, "ul.list a")
        assert len(items) == int(m.group(2))
        return items
    if "/gated/" in col_url:  # the page's script draws its list from getNbList.do, behind the gate too
        assert "<li" not in text.split("<script")[0]
        st, _, b, _ = fetch(urljoin(col_url, "/gated/zfxxgk/ndbg/getNbList.do?cid=ndbg"))
        assert st == 200
        return [(base64.b64decode(t).decode(), urljoin(col_url, u[::-1])) for t, u, _ in json.loads(b)["d"]]
    if "/drawn/" in col_url:  # an inline array (base64 JSON in pieces) the page's script decodes
        pieces = re.findall(r"'([A-Za-z0-9+/=]+)'", re.search(r"var _0x4e1a=\[(.*?)\];", text).group(1))
        rows = json.loads(base64.b64decode("".join(pieces)))
        assert f"共{len(rows)}条" in text
        return [(t, urljoin(col_url, u)) for t, u, _ in rows]
    # xj_shtml: the column page links its template-named list; pages by links or by a JS pager
    more = lhtml.fromstring(text).cssselect("a.more")[0].get("href")
    page = urljoin(final, more)
    seen = set()
    while page and page not in seen:
        seen.add(page)
        st, _, b, _ = fetch(page)
        assert st == 200, page
        t = b.decode()
        items += anchors(t, page, "ul.list a")
        conf = re.search(r"var pageConf = (\{.*?\});", t)
        if conf:
            c = json.loads(conf.group(1))
            assert "<a" not in t.split('id="pagination"')[1].split("</div>")[0]  # no plain links
            page = urljoin(page, c["pattern"].replace("{n}", str(c["current"] + 1))) if c["current"] < c["total"] else None
        else:
            nxt = [a for a in lhtml.fromstring(t).cssselect(".page a") if a.text_content() == "下一页"]
            page = urljoin(page, nxt[0].get("href")) if nxt else None
    return items


# ------------------------------------------------------------------------------------------------


def test_starts_fast_and_truth_names_the_bodies(truth: dict) -> None:
    t0 = time.monotonic()
    with start_portal() as p:
        assert time.monotonic() - t0 < 3
        assert p.base_url.startswith("http://127.0.0.1:")
    names = {a["name"]: a for a in truth["agencies"]}
    kinds = [a["kind"] for a in truth["agencies"] if a["portal"].endswith("/yining/")]
    assert kinds.count("department") >= 6 and kinds.count("town") >= 5 and "伊宁市人民政府" in names
    for n in ("伊宁市潘津镇人民政府", "伊宁市巴彦岱镇人民政府", "武陟县大封镇人民政府", "乌苏市甘河子镇人民政府"):
        assert n in names
    assert names["武陟县大封镇人民政府"]["cms"] == "hanweb" and names["乌苏市甘河子镇人民政府"]["cms"] == "trs"
    assert names["伊宁市潘津镇人民政府"]["cms"] == "xj_shtml"
    for a in truth["agencies"]:
        # the portal's two host names: 127.0.0.1, and localhost for the platform column
        other = truth["base_url"].replace("127.0.0.1", "localhost")
        assert a["columns"] and all(c.startswith((truth["base_url"], other)) for c in a["columns"])
        assert set(a) >= {"name", "kind", "region", "parent", "portal", "cms", "columns", "deadline"}
    assert {r["year"] for r in truth["reports"]} == set(range(2017, 2026))  # 2017, 2018: legacy, on the TRS zone column
    for r in truth["reports"]:
        assert r["values"]["format"] == ("legacy" if r["year"] <= 2018 else "2019" if r["year"] <= 2020 else "2021")


def test_seed_reports_are_published_with_their_gold(truth: dict) -> None:
    by = reports_by(truth)
    for gold_file in sorted((SEEDS / "gold").glob("*.json")):
        gold = json.loads(gold_file.read_text("utf-8"))
        r = by[(gold["agency"], gold["year"])]
        assert r["seed"] == gold_file.stem
        for k in ("agency", "year", "format", "sections", "active", "requests", "appeals"):
            assert r["values"][k] == gold[k], (gold_file.name, k)
        if gold["published"]:
            assert r["values"]["published"] == gold["published"]
            assert r["portal_date"] >= gold["published"]  # published on or after the signed date
    # undated, on a page of its own: the date the page prints at the top
    assert by[("武陟县大封镇人民政府", 2024)]["values"]["published"] == "2025-01-24"
    assert by[("武陟县大封镇人民政府", 2024)]["portal_date"] == "2025-01-24"


def test_every_report_document_is_served_in_its_form(truth: dict) -> None:
    forms: dict[str, set] = {}
    for r in truth["reports"]:
        st, hd, body, _ = fetch(r["article_url"])
        assert st == 200 and hd["content-type"].startswith("text/html"), r["article_url"]
        forms.setdefault(r["form"], set()).add(r["link"])
        if not r["attachment_url"]:
            continue
        st, hd, data, _ = fetch(r["attachment_url"])
        assert st == 200, r["attachment_url"]
        kind = {"pdf": "pdf", "scan": "pdf", "html+pdf": "pdf", "seed-pdf": "pdf", "docx": "docx", "seed-docx": "docx",
                "doc": "doc", "wps": "doc"}[r["form"]]
        if kind == "pdf":
            assert data.startswith(b"%PDF")
        elif kind == "docx":
            xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
            if r["form"] == "docx":  # the form's merged header cells, as Word merges
                assert '<w:vMerge w:val="restart"/>' in xml and '<w:gridSpan w:val="7"/>' in xml
        else:
            assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file (Word 97 / WPS)
        if r["form"] == "scan":
            import pdfplumber

            with pdfplumber.open(io.BytesIO(data)) as pdf:
                assert len(pdf.pages) >= 1 and not "".join(p.extract_text() or "" for p in pdf.pages).strip()
                assert pdf.pages[0].images  # an image-only PDF
    assert {"html", "pdf", "docx", "doc", "wps", "scan", "html+pdf"} <= set(forms)
    assert {"inline", "href", "onclick", "iframe", "embed", "viewer"} <= set().union(*forms.values())


def test_attachment_link_styles(truth: dict, portal) -> None:
    for r in truth["reports"]:
        page = fetch(r["article_url"])[2].decode("gbk" if r["encoding"] == "gbk" else "utf-8")
        att = r["attachment_url"]
        if not att or r["form"] == "html+pdf":
            continue
        path = urlsplit(att).path
        if r["link"] == "onclick":
            assert f"window.open('{path}')" in page and f'href="{path}"' not in page
        elif r["link"] == "iframe":
            assert re.search(rf'<iframe src="{re.escape(path)}"', page)
        elif r["link"] == "embed":
            assert re.search(rf'<embed src="{re.escape(path)}"', page)
        elif r["link"] == "viewer":
            m = re.search(r'href="(/yining/pdfjs/web/viewer\.html\?file=([^"]+))"', page)
            assert m and unquote(m.group(2)) == path
            assert fetch(portal.base_url + m.group(1))[0] == 200
        else:
            href = lhtml.fromstring(page).cssselect("div.TRS_Editor a")[0].get("href")
            assert urljoin(r["article_url"], href) == att


def test_article_pages_carry_the_portal_metadata(truth: dict) -> None:
    by = reports_by(truth)
    page = fetch(by[("伊宁市人民政府", 2020)]["article_url"])[2].decode()
    assert by[("伊宁市人民政府", 2020)]["article_url"].endswith("/yining/c118486/202101/d0795811e3b84d41b32b0b39c956bd26.shtml")
    for label in ("发布机构", "索引号", "公开目录", "日期"):
        assert f"<th>{label}：</th>" in page
    assert "<td>2020</td>" in page and "伊宁市人民政府" in page
    trs = fetch(by[("乌苏市甘河子镇人民政府", 2024)]["article_url"])[2].decode("gbk")
    assert "发文日期" in trs and "2025年1月22日" in trs
    han = fetch(by[("武陟县大封镇人民政府", 2024)]["article_url"])[2].decode()
    assert "组配分类" in han and "生成日期" in han and "2025-01-24" in han
    assert re.search(r"/wuzhi/art/2025/1/24/art_1123_\d+\.html$", by[("武陟县大封镇人民政府", 2024)]["article_url"])
    assert re.search(r"/wusu/zfxxgk/zfxxgknb/ghzz/202501/t20250122_\d{6}\.html$", by[("乌苏市甘河子镇人民政府", 2024)]["article_url"])


def test_gbk_site(truth: dict) -> None:
    r = reports_by(truth)[("乌苏市甘河子镇人民政府", 2024)]
    st, hd, body, _ = fetch(r["article_url"])
    assert "charset=gbk" in hd["content-type"].lower() and b'charset=gb2312' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "甘河子镇" in body.decode("gbk")


def test_columns_list_every_report_and_lookalike(truth: dict) -> None:
    """Crawling each agency's columns (three pagination styles) finds exactly the truth's items."""
    reports_at = {}
    for r in truth["reports"]:
        for u in (r["list_url"], r["article_url"], *r["urls"]):
            reports_at[u] = r
    look = {lk["url"] for lk in truth["lookalikes"]}
    dead = set(truth["traps"]["dead_links"])
    login = set(truth["traps"]["login_protected_columns"])
    found: dict[tuple[str, int], set[str]] = {}
    listed_lookalikes: set[str] = set()
    pages_seen = 0
    for a in truth["agencies"]:
        for col in a["columns"]:
            if col in login:
                st, hd, _ = get(col)
                assert st == 302 and "/yining/login.shtml" in hd["location"]
                continue
            for title, url in list_items(col):
                pages_seen += 1
                if url in look:
                    listed_lookalikes.add(url)
                    continue
                if url in dead:
                    continue
                r = reports_at.get(url)
                assert r is not None, (col, title, url)
                assert title == r["title"]
                found.setdefault((r["agency"], r["year"]), set()).add(url)
    assert set(found) == set(reports_by(truth))
    assert listed_lookalikes == look
    kinds = {lk["kind"] for lk in truth["lookalikes"]}
    assert {"work_report", "final_accounts", "work_plan", "rule_of_law"} <= kinds
    # the same report listed in two columns (and once under a second URL)
    assert any(len(r["listed_in"]) > 1 for r in truth["reports"])
    assert any(len([u for u in r["urls"] if u.endswith(".shtml")]) > 1 for r in truth["reports"])


def test_truth_values_are_the_served_tables(truth: dict) -> None:
    """Inline HTML reports: the numbers in the page's tables are the truth's values, cell for cell."""

    def grid(table) -> list[list[str]]:
        out: dict[tuple[int, int], str] = {}
        for r, tr in enumerate(table.findall(".//tr")):
            c = 0
            for td in tr.findall("td"):
                while (r, c) in out:
                    c += 1
                rs, cs = int(td.get("rowspan", 1)), int(td.get("colspan", 1))
                for dr in range(rs):
                    for dc in range(cs):
                        out[(r + dr, c + dc)] = td.text_content().strip().replace("\xa0", "")
                c += cs
        rows = max(r for r, _ in out) + 1
        return [[out.get((r, c), "") for c in range(max(c for _, c in out) + 1)] for r in range(rows)]

    def n(s: str):
        return None if s == "" else float(s) if "." in s else int(s)

    checked = 0
    for r in truth["reports"]:
        if r["form"] != "html":
            continue
        v = r["values"]
        tables = lhtml.fromstring(fetch(r["article_url"])[2].decode()).cssselect("div.TRS_Editor table")
        req = grid(tables[1])
        keys = [k for k in request_keys(v["format"]) if k in v["requests"]]
        assert [[n(x) for x in row[-7:]] for row in req[3:]] == [v["requests"][k] for k in keys]
        if v["appeals"]:
            app = grid(tables[2])
            assert [n(x) for x in app[-1]] == v["appeals"]["review"] + v["appeals"]["suit_direct"] + v["appeals"]["suit_after_review"]
        act = grid(tables[0])
        if v["format"] == "2021":
            assert [n(x) for x in act[2][1:]] == list(v["active"]["rules"].values())
            assert n(act[-1][1]) == v["active"]["fees_wan"]
        else:
            assert [n(x) for x in act[3][1:]] == list(v["active"]["normative"].values())
        page = fetch(r["article_url"])[2].decode()
        assert f'rowspan="{22 if v["format"] == "2021" else 20}">三、本年度办理结果' in page  # merged label cells
        assert 'colspan="7">申请人情况' in page and 'rowspan="2">自然人' in page
        checked += 1
    assert checked > 20


def test_parser_reads_the_truth(truth: dict) -> None:
    """gongkai's own parser reads exactly the truth's values from each single-document report."""
    import extract
    misses = []
    sample: dict[tuple, dict] = {}
    for r in truth["reports"]:  # one report of each form, link style and format, and every seed
        sample.setdefault((r["form"], r["link"], r["values"]["format"], r["seed"], bool(r["checks_fail"])), r)
    from extract.readers.doc import soffice_path

    for r in sample.values():
        if r["form"] in ("html+pdf", "scan"):  # two documents; OCR (slow, tested by extract)
            continue
        if r["form"] in ("doc", "wps") and not soffice_path():
            continue  # DOC/WPS need LibreOffice (installed by .ci/run)
        url = r["attachment_url"] or r["article_url"]
        got = extract.parse_bytes(fetch(url)[2], url)
        diff = [k for k in ("agency", "year", "published", "format", "sections", "active", "requests", "appeals")
                if got[k] != r["values"][k]]
        if diff:
            misses.append((r["agency"], r["year"], r["form"], diff))
    assert not misses


def test_checks_fail_as_designed(truth: dict) -> None:
    fails = {name for r in truth["reports"] for name in r["checks_fail"]}
    assert fails == set(CHECK_NAMES)
    for r in truth["reports"]:
        assert r["checks_fail"] == failing_checks(r["values"], None) or r["checks_fail"] == ["narrative"]
    by = reports_by(truth)
    assert by[("伊宁市人民政府", 2024)]["checks_fail"] == ["balance"]  # the real report does not balance
    assert "completeness" in by[("伊宁市巴彦岱镇人民政府", 2025)]["checks_fail"]


def test_traps(portal, truth: dict) -> None:
    base, traps = portal.base_url, truth["traps"]
    st, _, body = get(base + "/robots.txt")
    assert st == 200 and b"Disallow: /yining/search/" in body
    home = get(base + "/yining/")[2].decode()
    assert "/yining/search/" in home and "/yining/calendar/" in home and "/yining/login.shtml" in home
    # redirect chain: 301 then 302 then the article
    chain = traps["redirect_chains"][0]
    st, hd, _ = get(chain["from"])
    assert st == 301 and urljoin(chain["from"], hd["location"]) == chain["via"][0]
    st, hd, _ = get(chain["via"][0])
    assert st == 302 and urljoin(chain["via"][0], hd["location"]) == chain["to"]
    for url in traps["dead_links"]:
        assert get(url)[0] == 404
    slow = traps["slow"][0]
    t0 = time.monotonic()
    assert fetch(slow["url"])[0] == 200 and time.monotonic() - t0 >= slow["delay"]
    with start_portal() as fresh:  # attempts are counted per running portal
        flaky = fresh.truth()["traps"]["flaky"][0]
        statuses = [get(flaky["url"])[0] for _ in range(flaky["fails"] + 1)]
        assert statuses == [503] * flaky["fails"] + [200]
    # the calendar never ends
    url = traps["calendar"] + "2025-01.shtml"
    for _ in range(30):
        st, _, body = get(url)
        assert st == 200
        url = urljoin(url, re.search(r'href="([^"]+)">下一月', body.decode()).group(1))
    assert url.endswith("2027-07.shtml")
    st, hd, body = get(traps["login"])
    assert st == 200 and b'type="password"' in body
    large = traps["large"][0]
    st, hd, _ = get(large["url"], method="HEAD")
    assert st == 200 and int(hd["content-length"]) == large["size"] >= 30 * 1024 * 1024
    st, _, head = get(large["url"], read=False)
    assert st == 200 and head.startswith(b"%PDF")


def test_deterministic_and_conditional(portal, truth: dict) -> None:
    by = reports_by(truth)
    paths = [
        "/yining/", "/yining/c123118/zfxxgk_list.shtml", "/wusu/zfxxgk/zfxxgknb/szf/index_1.html",
        "/wuzhi/module/web/jpage/dataproxy.jsp?columnid=1001&currpage=2",
    ] + [urlsplit(by[k]["attachment_url"]).path for k in [("伊宁市人民政府", 2021), ("伊宁市人民政府", 2023), ("伊宁市潘津镇人民政府", 2024)]]
    with start_portal() as other:
        for p in paths:
            a, b = get(portal.base_url + p), get(other.base_url + p)
            assert a[0] == b[0] == 200, p
            assert a[2] == b[2], p
            assert a[1]["etag"] == b[1]["etag"] and a[1]["last-modified"] == b[1]["last-modified"], p
    url = by[("伊宁市人民政府", 2023)]["attachment_url"]
    st, hd, _ = get(url)
    assert get(url, {"If-None-Match": hd["etag"]})[0] == 304
    assert get(url, {"If-None-Match": '"other"'})[0] == 200
    assert get(url, {"If-Modified-Since": hd["last-modified"]})[0] == 304
    assert get(url, {"If-Modified-Since": "Mon, 01 Jan 2018 00:00:00 GMT"})[0] == 200


def test_today_shows_the_site_of_that_day() -> None:
    w = World(parse_day("2026-04-30"))
    edited = next(r for r in w.reports if len(r.versions) > 1)
    back = next(r for r in w.reports if r.first_seen != r.portal_date)
    with start_portal(today="2025-01-20") as before, start_portal(today="2025-01-21") as on:
        tb, to = before.truth(), on.truth()
        r = reports_by(to)[("伊宁市潘津镇人民政府", 2024)]
        assert ("伊宁市潘津镇人民政府", 2024) not in reports_by(tb)
        path = urlsplit(r["article_url"]).path
        assert get(before.base_url + path)[0] == 404 and get(on.base_url + path)[0] == 200
        col = "/yining/c119101/zfxxgk_list.shtml"
        assert path not in get(before.base_url + col)[2].decode() and path in get(on.base_url + col)[2].decode()
    # the edited report: same URL, new content from the edit day
    with start_portal(today=edited.versions[0].since) as v1, start_portal(today=edited.versions[1].since) as v2:
        path = edited.article_path
        a, b = get(v1.base_url + path), get(v2.base_url + path)
        assert a[0] == b[0] == 200 and a[2] != b[2] and a[1]["etag"] != b[1]["etag"]
        e1, e2 = v1.truth()["edited"][0], v2.truth()["edited"][0]
        assert not e1["edited_as_of_today"] and e2["edited_as_of_today"]
        assert e2["versions"][0]["checks_fail"] == ["balance"] and e2["versions"][1]["checks_fail"] == []
    # the backdated report: missing the day before it appeared, although its portal date is earlier
    from datetime import timedelta

    with start_portal(today=back.first_seen - timedelta(days=1)) as p1, start_portal(today=back.first_seen) as p2:
        assert get(p1.base_url + back.article_path)[0] == 404
        assert get(p2.base_url + back.article_path)[0] == 200
        row = next(c for c in p2.truth()["compliance"] if (c["agency"], c["year"]) == (back.agency.name, back.year))
        assert row["backdated"] and row["published"] == back.portal_date.isoformat() < back.first_seen.isoformat()
        assert p2.truth()["backdated"][0]["first_seen"] == back.first_seen.isoformat()


def test_compliance_calendar() -> None:
    t = Portal("2026-04-30").truth("http://x")
    rows = {(c["agency"], c["year"]): c for c in t["compliance"]}
    # seven years for every registered body, from the region's first year where it sets one
    assert len(rows) == sum(2026 - t["regions"].get(a["region"], {}).get("first_year", 2019) for a in t["agencies"])
    assert rows[("伊宁市公安局", 2024)]["due"] == "2025-01-31"  # department
    assert rows[("伊宁市人民政府", 2024)]["due"] == "2025-03-31"  # government
    assert rows[("伊宁市潘津镇人民政府", 2024)]["due"] == "2025-01-31"  # town, 654002's local rule
    assert rows[("武陟县大封镇人民政府", 2024)]["due"] == "2025-03-31"  # town, no local rule
    assert {c["status"] for c in t["compliance"]} == {"on_time", "late", "missing", "unreachable"}
    assert all(c["status"] == "unreachable" for c in t["compliance"] if c["agency"] == "伊宁市审计局")
    for c in t["compliance"]:
        if c["status"] == "late":
            assert c["published"] > c["due"] and c["days_late"] > 0
        if c["status"] == "on_time":
            assert c["published"] <= c["due"]
    early = Portal("2026-01-15").truth("http://x")
    statuses = {(c["agency"], c["year"]): c["status"] for c in early["compliance"]}
    assert statuses[("伊宁市人民政府", 2025)] == "pending" and statuses[("乌苏市人民政府", 2025)] == "pending"
    assert Portal("2026-07-01").truth("http://x")["compliance"] != t["compliance"]


def test_faults_are_deterministic_and_retries_succeed() -> None:
    a, b = Portal(faults=0.5), Portal(faults=0.5)
    urls = [f"/yining/c1190{i:02d}/zfxxgk_list.shtml" for i in range(1, 9)] + ["/yining/", "/wusu/"]
    seq = [[a.fault_for(u, n) for n in range(1, 6)] for u in urls]
    assert seq == [[b.fault_for(u, n) for n in range(1, 6)] for u in urls]
    assert all(s[3] is None and s[4] is None for s in seq)  # the 4th attempt always gets through
    assert {"reset", "503", "timeout"} <= {f for s in seq for f in s}
    assert Portal(faults=0.0).fault_for("/yining/", 1) is None
    with start_portal(faults=1.0, fault_timeout=0.5) as p:
        kinds = {u: p.portal.fault_for(u, 1) for u in urls}
        for u, kind in kinds.items():
            try:
                st = get(p.base_url + u, timeout=0.3)[0]
                got = "503" if st == 503 else str(st)
            except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
                got = "reset"
            except TimeoutError:
                got = "timeout"
            assert got == kind, u
        u = urls[0]
        for _ in range(2):
            try:
                get(p.base_url + u, timeout=0.3)
            except OSError:
                pass
        assert get(p.base_url + u)[0] == 200  # attempt 4


def test_scale_adds_agencies_quickly() -> None:
    t0 = time.monotonic()
    with start_portal(scale=2000) as p:
        assert time.monotonic() - t0 < 10
        w = p.portal.world
        assert len(w.agencies) == len(World(w.today).agencies) + 2000
        bench = next(a for a in w.agencies if a.scale)
        items = list_items(p.base_url + bench.column_paths[0])
        assert len(items) == sum(1 for r in w.reports if r.agency is bench) > 0


def test_cli_truth_and_errors() -> None:
    from gongkai.cli import main

    res = CliRunner().invoke(main, ["portal", "--truth", "--today", "2025-06-01", "--port", "9999"])
    assert res.exit_code == 0, res.output
    t = json.loads(res.stdout)
    assert t["today"] == "2025-06-01" and t["base_url"] == "http://127.0.0.1:9999"
    assert all(r["first_seen"] <= "2025-06-01" for r in t["reports"])
    bad = CliRunner().invoke(main, ["portal", "--truth", "--today", "June"])
    assert bad.exit_code != 0 and "June" in bad.output
    assert CliRunner().invoke(main, ["portal", "--faults", "2"]).exit_code != 0


def test_cli_serves_on_loopback() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "from gongkai.cli import main; main()", "portal", "--port", "0"],
                            stderr=subprocess.PIPE, text=True)
    try:
        t0 = time.monotonic()
        line = proc.stderr.readline()
        assert "ready" in line and time.monotonic() - t0 < 5, line
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        assert get(url + "yining/")[0] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_committed_documents_match_their_manifest() -> None:
    """static/ (made by make_static.py) holds what the manifest says, for the reports the model says."""
    import hashlib
    from importlib import resources

    static = resources.files("crawler.portal") / "static"
    manifest = json.loads((static / "manifest.json").read_text("utf-8"))
    w = World(parse_day("2026-04-30"))
    for form, entry in manifest["files"].items():
        data = (static / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        rep = next(r for r in w.all_reports if r.form == form)
        assert (rep.agency.name, rep.year) == (entry["agency"], entry["year"])
        assert rep.versions[-1].values == entry["values"], f"{entry['file']} is stale: run python -m crawler.portal.make_static"
