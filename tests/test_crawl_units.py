"""Crawler units: report titles, the registry, list/article parsing on each CMS family's markup,
WAF recognition. Pure functions and Scrapy responses built in memory: no network."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response

from archive.registry import RegistryError, load_registry, parse_registry
from crawler.articles import article_meta, attachments
from crawler.links import fmt_date, viewer_target
from crawler.middlewares import (
    OfficialDomainMiddleware,
    OffsiteDocument,
    SeenRequestsMiddleware,
    is_official,
    looks_like_challenge,
)
from crawler.spiders.base import ReportSpider
from crawler.titles import is_report_column, report_year, year_column


@pytest.mark.parametrize(
    "title, year",
    [
        ("伊宁市人民政府2020年政府信息公开工作年度报告", 2020),
        ("甘河子镇政府信息公开工作2024年度报告", 2024),
        ("伊宁市潘津镇人民政府 2024 年政府信息公开工作年度报告", 2024),
        ("二〇二一年政府信息公开工作年度报告", 2021),
        ("伊宁市公安局２０２３年政务公开工作年报", 2023),
        ("伊宁市2023年法治政府建设年度报告", None),
        ("伊宁市人民政府2024年政府工作报告", None),
        ("伊宁市2023年财政决算报告", None),
        ("伊宁市人民政府2025年度工作要点", None),
        ("关于做好2024年度政府信息公开工作年度报告编制发布工作的通知", None),
        ("政府信息公开工作年度报告", None),  # no year: not a report item (maybe a column)
        ("某行业协会2023年年报", None),
    ],
)
def test_report_titles(title: str, year: int | None) -> None:
    assert report_year(title) == year


def test_columns() -> None:
    assert is_report_column("政府信息公开年报")
    assert is_report_column("信息公开年度报告")
    assert not is_report_column("2020年政府信息公开工作年度报告")
    assert year_column("2022年") == 2022 and year_column("2022年度") == 2022
    assert year_column("2022年工作") is None


def test_bundled_registry() -> None:
    reg = load_registry()
    names = [a["name"] for a in reg.agencies]
    assert "伊宁市人民政府" in names and "伊宁市潘津镇人民政府" in names
    assert "乌苏市甘河子镇人民政府" in names and "武陟县大封镇人民政府" in names
    city = next(a for a in reg.agencies if a["name"] == "伊宁市人民政府")
    assert city["columns"] == ["http://www.yining.gov.cn/yining/c118486/"] and city["cms"] == "xj_shtml"
    assert reg.select(["潘津镇"]).agencies[0]["name"] == "伊宁市潘津镇人民政府"
    with pytest.raises(RegistryError, match="no agency named"):
        reg.select(["不存在镇"])


def test_registry_csv_and_errors(tmp_path: Path) -> None:
    csv = tmp_path / "bodies.csv"
    csv.write_text(
        "name,kind,region,parent,portal,cms,columns,deadline\n"
        "某县某镇人民政府,town,659999,某县人民政府,http://www.x.gov.cn/,generic,"
        "http://www.x.gov.cn/a/ http://www.x.gov.cn/b/,01-31\n", "utf-8")
    reg = load_registry(csv)
    assert reg.agencies[0]["columns"] == ["http://www.x.gov.cn/a/", "http://www.x.gov.cn/b/"]
    assert reg.agencies[0]["deadline"] == "01-31"
    with pytest.raises(RegistryError, match=r"bodies.csv:2 .*kind 'village'"):
        parse_registry("name,kind,portal\n某村,village,http://x.gov.cn/\n", str(csv))
    with pytest.raises(RegistryError, match="deadline"):
        parse_registry("agencies:\n - {name: a, portal: 'http://a.gov.cn/', deadline: 'Jan 31'}\n", "r.yaml")
    with pytest.raises(RegistryError, match="not an http"):
        parse_registry("agencies:\n - {name: a, columns: ['ftp://a.gov.cn/']}\n", "r.yaml")
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry(tmp_path / "missing.yaml")


def test_helpers() -> None:
    assert fmt_date("发布日期：2021年1月20日") == "2021-01-20"
    assert fmt_date("[2025-01-28]") == "2025-01-28"
    assert viewer_target("http://a.gov.cn/pdfjs/web/viewer.html?file=%2Ff%2Fr.pdf") == "/f/r.pdf"
    assert is_official("www.yining.gov.cn", set()) and is_official("127.0.0.1", {"127.0.0.1"})
    assert not is_official("evil.com", {"127.0.0.1"}) and not is_official("gov.cn.evil.com", set())


def test_offsite_is_scrapys_filter_with_official_domains() -> None:
    from types import SimpleNamespace

    from scrapy import Spider
    from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
    from scrapy.utils.test import get_crawler

    from crawler import settings

    # Scrapy's own filter, extended: the stock one is switched off so that requests meet one filter
    assert issubclass(OfficialDomainMiddleware, OffsiteMiddleware)
    assert settings.DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.offsite.OffsiteMiddleware"] is None
    crawler = get_crawler(Spider)
    mw = OfficialDomainMiddleware.from_crawler(crawler)
    registry = SimpleNamespace(agencies=[{"portal": "http://127.0.0.1:8080/", "columns": []}])
    crawler.spider = SimpleNamespace(official_hosts={"127.0.0.1"}, registry=registry)
    allowed = ["http://www.yining.gov.cn/a.pdf", "https://x.gov.cn:8443/b", "http://127.0.0.1:8080/c"]
    for url in allowed:
        assert mw.process_request(Request(url)) is None, url
    # Scrapy would let dont_filter through; an official-domain crawl does not
    for url in ["http://evil.com/a.pdf", "ftp://www.yining.gov.cn/a.pdf", "http://gov.cn.evil.com/"]:
        with pytest.raises(OffsiteDocument):
            mw.process_request(Request(url, dont_filter=True))
    # a redirect lands on the default port, where it came from, or a registry origin; not another port
    hop = {"redirect_urls": ["http://www.yining.gov.cn/a"]}
    assert mw.process_request(Request("http://www.yining.gov.cn/b", meta=hop)) is None
    assert mw.process_request(Request("http://127.0.0.1:8080/d", meta=hop)) is None
    with pytest.raises(OffsiteDocument, match="port 8081"):
        mw.process_request(Request("http://www.yining.gov.cn:8081/b", meta=hop))
    assert mw.process_request(Request("http://evil.com/", meta={"official_ok": True})) is None
    assert crawler.stats.get_value("offsite/filtered") == 4
    # scheduling drops nothing: the errback of a filtered request learns why when it is downloaded
    assert mw.request_scheduled(Request("http://evil.com/"), crawler.spider) is None
    from pydispatch.dispatcher import getAllReceivers, liveReceivers
    from scrapy import signals

    receivers = list(liveReceivers(getAllReceivers(crawler.signals.sender, signals.request_scheduled)))
    assert mw.request_scheduled not in receivers
    # a spider without a registry: Scrapy's allowed_domains policy
    crawler.spider = SimpleNamespace(allowed_domains=["example.org"])
    mw.spider_opened(crawler.spider)
    assert mw.process_request(Request("http://www.example.org/")) is None
    with pytest.raises(IgnoreRequest):
        mw.process_request(Request("http://evil.com/"))


def test_repeated_requests_are_dropped_next_to_the_spider() -> None:
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from crawler import settings

    assert settings.SPIDER_MIDDLEWARES["crawler.middlewares.SeenRequestsMiddleware"] > 1000
    mw = SeenRequestsMiddleware.from_crawler(get_crawler(Spider))
    page = _html("http://a.gov.cn/list.html", "<p>list</p>")
    out = [Request("http://a.gov.cn/r1.html"), {"item": 1}, Request("http://a.gov.cn/r1.html"),
           Request("http://a.gov.cn/r1.html", method="POST", body=b"page=2"),
           Request("http://a.gov.cn/r1.html", method="POST", body=b"page=3"),
           Request("http://a.gov.cn/r1.html", method="POST", body=b"page=2"),
           Request("http://a.gov.cn/r1.html", dont_filter=True), {"item": 1}]
    kept = list(mw.process_spider_output(page, out))
    assert [(getattr(o, "method", None), getattr(o, "body", None)) for o in kept] == [
        ("GET", b""), (None, None), ("POST", b"page=2"), ("POST", b"page=3"), ("GET", b""), (None, None)]
    assert kept[4].dont_filter
    # a bounded memory: past MAX it starts afresh rather than grow with the crawl
    mw.MAX = 2
    assert len(list(mw.process_spider_output(page, [Request(f"http://a.gov.cn/{i}") for i in range(5)]))) == 5
    assert len(mw.seen) <= 2


def _spider() -> ReportSpider:
    return ReportSpider()


def _html(url: str, body: str, **meta: object) -> HtmlResponse:
    req = Request(url, meta=meta)
    return HtmlResponse(url, body=body.encode("utf-8"), encoding="utf-8", request=req)


FAMILY_PAGES = {
    # xj_shtml: plain "next page" links to common_list_N.shtml
    "xj_shtml": ("http://www.a.gov.cn/a/c100/common_list.shtml",
                 '<a href="common_list_2.shtml">下一页</a><a href="common_list_5.shtml">尾页</a>'
                 '<a href="/a/c999/index.shtml">其他栏目</a>',
                 {"http://www.a.gov.cn/a/c100/common_list_2.shtml", "http://www.a.gov.cn/a/c100/common_list_5.shtml"}),
    # TRS: createPageHTML(countPage, currentPage, "index", "html") — 0-based
    "trs": ("http://www.b.gov.cn/zfxxgk/nb/index.html",
            '<script>createPageHTML(3, 0, "index", "html");</script>',
            {"http://www.b.gov.cn/zfxxgk/nb/index_1.html", "http://www.b.gov.cn/zfxxgk/nb/index_2.html"}),
    # Hanweb JSP: ?currpage=N with the page count in a script
    "hanweb": ("http://www.c.gov.cn/module/xxgk/search.jsp?divid=div1001&currpage=1",
               '<script>var totalpage = 3; function go(n){location.href="search.jsp?divid=div1001&currpage="+n}'
               '</script><a href="search.jsp?divid=div1001&currpage=2">2</a>',
               {"http://www.c.gov.cn/module/xxgk/search.jsp?divid=div1001&currpage=2",
                "http://www.c.gov.cn/module/xxgk/search.jsp?divid=div1001&currpage=3"}),
    # xj_shtml with a script pager and no <a> at all: a {n} pattern plus the page count
    "xj_shtml/js": ("http://www.a.gov.cn/a/c101/zfxxgk_list.shtml",
                    '<script>var pageConf = {"total": 3, "current": 1, "first": "zfxxgk_list.shtml", '
                    '"pattern": "common_list_{n}.shtml"};</script>',
                    {"http://www.a.gov.cn/a/c101/common_list_2.shtml", "http://www.a.gov.cn/a/c101/common_list_3.shtml"}),
    # 集约化: createPageHTML('page_div', pages, current (1-based), name, ext, records), no links at all
    "xj_shtml/page_div": ("http://www.d.gov.cn/d/c1/common_list.shtml",
                          "<span>共14条</span><script>createPageHTML('page_div', 3, 1, 'common_list', 'shtml', 14);</script>",
                          {"http://www.d.gov.cn/d/c1/common_list_2.shtml", "http://www.d.gov.cn/d/c1/common_list_3.shtml"}),
    # Hanweb column page: first records in <datastore>, the rest from dataproxy.jsp?currpage=N
    "hanweb/datastore": ("http://www.c.gov.cn/col/col1001/index.html",
                         '<script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/'
                         'dataproxy.jsp?columnid=1001&currpage=2"></a>]]></nextgroup><totalpage>3</totalpage>'
                         '</datastore></script>',
                         {"http://www.c.gov.cn/module/web/jpage/dataproxy.jsp?columnid=1001&currpage=2",
                          "http://www.c.gov.cn/module/web/jpage/dataproxy.jsp?columnid=1001&currpage=3"}),
}


@pytest.mark.parametrize("fam", sorted(FAMILY_PAGES))
def test_pagination_styles(fam: str) -> None:
    from crawler.families import family

    url, body, want = FAMILY_PAGES[fam]
    got = set(_spider().pagination(_html(url, f"<html><body>{body}</body></html>"), family(fam.split("/")[0])))
    assert want <= got
    assert url not in got
    assert not any("c999" in u for u in got)


def test_list_entries_dates_and_hidden_links() -> None:
    body = """<ul>
      <li><a href="202501/x.shtml" title="伊宁市人民政府2024年政府信息公开工作年度报告">伊宁市人民政府2024年…</a>
          <span>2025-01-28</span></li>
      <li><a href="javascript:;" onclick="window.open('202501/y.shtml')">伊宁市公安局2024年政府信息公开工作年度报告</a>
          <span>2025/01/20</span></li></ul>"""
    entries = list(_spider().list_entries(_html("http://www.a.gov.cn/a/c1/", body)))
    assert ("http://www.a.gov.cn/a/c1/202501/x.shtml", "伊宁市人民政府2024年政府信息公开工作年度报告",
            "2025-01-28") in entries
    assert ("http://www.a.gov.cn/a/c1/202501/y.shtml", "伊宁市公安局2024年政府信息公开工作年度报告",
            "2025-01-20") in entries


def test_hanweb_datastore_records() -> None:
    body = """<script type="text/xml"><datastore><recordset>
      <record><![CDATA[<li><a href="/art/2025/1/24/art_1123_1.html" title="大封镇2024年政府信息公开工作年度报告">x</a>
      <span>2025-01-24</span></li>]]></record></recordset></datastore></script>"""
    entries = list(_spider().list_entries(_html("http://www.c.gov.cn/col/col1123/index.html", body)))
    assert ("http://www.c.gov.cn/art/2025/1/24/art_1123_1.html", "大封镇2024年政府信息公开工作年度报告",
            "2025-01-24") in entries


def test_attachments_wherever_they_hide() -> None:
    body = """<a href="files/a.pdf">附件</a>
      <a href="javascript:void(0)" onclick="downloadFile('/f/b.docx')">下载</a>
      <iframe src="/pdfjs/web/viewer.html?file=%2Ff%2Fc.pdf"></iframe>
      <embed src="/f/d.pdf" type="application/pdf">
      <object data="/f/e.wps"></object>
      <a href="/static/viewer.html?file=/f/g.pdf">在线预览</a>
      <a href="/other/page.shtml">相关链接</a>"""
    got = set(attachments(_html("http://www.a.gov.cn/a/c1/202501/x.shtml", body)))
    base = "http://www.a.gov.cn"
    assert got == {f"{base}/a/c1/202501/files/a.pdf", f"{base}/f/b.docx", f"{base}/f/c.pdf", f"{base}/f/d.pdf",
                   f"{base}/f/e.wps", f"{base}/f/g.pdf"}


def test_article_metadata() -> None:
    body = """<meta name="ArticleTitle" content="伊宁市人民政府2020年政府信息公开工作年度报告">
      <table><tr><td>发布机构：</td><td>伊宁市人民政府</td><td>索引号：</td><td>zfb/2021-00012</td></tr>
      <tr><td>公开目录：</td><td>2020</td><td>日期：</td><td>2021年01月20日</td></tr></table>"""
    info = article_meta(_html("http://www.a.gov.cn/a/c1/202101/x.shtml", body))
    assert info["发布机构"] == "伊宁市人民政府" and info["索引号"] == "zfb/2021-00012"
    assert info["公开目录"] == "2020" and info["_date"] == "2021-01-20"
    assert info["title"].endswith("年度报告")


def test_challenge_pages() -> None:
    js = (b"<html><script>document.cookie='__jsl_clearance=1;path=/';location.href=location.pathname"
          b"</script></html>")
    ok = "<html><body><p>伊宁市人民政府2020年政府信息公开工作年度报告正文</p></body></html>".encode()
    req = Request("http://a.gov.cn/x")
    assert looks_like_challenge(HtmlResponse("http://a.gov.cn/x", body=js, request=req))
    assert looks_like_challenge(Response("http://a.gov.cn/x", status=521, body=b"", request=req))
    assert looks_like_challenge(Response("http://a.gov.cn/x", status=412, body=b"x", request=req))
    assert not looks_like_challenge(HtmlResponse("http://a.gov.cn/x", body=ok, request=req))


def test_registry_import_and_list(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from gongkai.cli import main

    csv = tmp_path / "bodies.csv"
    csv.write_text("name,kind,region,parent,portal,cms,columns\n"
                   "某县人民政府,government,659999,,http://www.x.gov.cn/,trs,http://www.x.gov.cn/nb/\n", "utf-8")
    runner = CliRunner()
    r = runner.invoke(main, ["registry", "import", str(csv), "--data", str(tmp_path / "d")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["registry", "list", "--json", "--data", str(tmp_path / "d")])
    rows = json.loads(r.stdout)
    assert [(a["name"], a["cms"], a["columns"]) for a in rows] == [("某县人民政府", "trs", ["http://www.x.gov.cn/nb/"])]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,kind\n某村,village\n", "utf-8")
    r = runner.invoke(main, ["registry", "import", str(bad), "--data", str(tmp_path / "d")])
    assert r.exit_code != 0 and "bad.csv:2" in r.output


def test_scrapy_knows_the_family_spiders() -> None:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    names = set(SpiderLoader.from_settings(get_project_settings()).list())
    assert {"gongkai", "xj_shtml", "trs", "hanweb", "generic"} <= names


def test_cookie_domains_never_fetch_the_suffix_list() -> None:
    """Scrapy's cookie middleware must not make tldextract fetch the Public Suffix List online."""
    import scrapy.downloadermiddlewares.cookies as cookies

    import crawler.middlewares  # noqa: F401 - sets the extractor

    assert tuple(cookies._split_domain.suffix_list_urls) == ()
    assert cookies._is_public_domain("gov.cn") and not cookies._is_public_domain("www.yining.gov.cn")


def test_label_noise_is_what_the_pattern_removes() -> None:
    import re
    import sys

    from crawler.articles import _NOISE_CHARS

    space = re.compile(r"\s")
    assert set(_NOISE_CHARS) == {chr(c) for c in range(sys.maxunicode + 1) if space.match(chr(c))} | {":", "："}


def test_article_meta_reads_spaced_and_nested_labels_among_figures() -> None:
    rows = "".join(f"<tr><td>{n}</td><td>{n * 7}</td></tr>" for n in range(40))
    page = ("<html><head><title>t</title></head><body><table>"
            "<tr><td>\u3000发 布 机 构：</td><td>伊宁市人民政府</td></tr>"
            "<tr><th><b>索引</b>号</th><td>11654002-2024-001</td></tr>"
            "<tr><td>：成文日期</td><td>2024-01-20</td></tr>"
            f"{rows}<tr><td>机构</td><td>not a label</td></tr></table></body></html>")
    meta = article_meta(_html("http://www.a.gov.cn/a/1.html", page))
    assert meta["发布机构"] == "伊宁市人民政府" and meta["索引号"] == "11654002-2024-001"
    assert meta["成文日期"] == "2024-01-20" and meta["_date"] == "2024-01-20" and "机构" not in meta


def test_declared_counts_whatever_the_case() -> None:
    from crawler.listapi import declared

    assert declared("var RecordCount = '57'; TOTALPAGE: 3") == (57, 3)
    assert declared("<TotalRecord>12</TotalRecord><totalpage>2</totalpage>") == (12, 2)
    assert declared("共 8 条 页次：1/4 createPageHTML('page_div',4,1,'index','shtml',48)") == (48, 4)
    assert declared("no count here, only recordcounting") == (None, None)


def test_meta_refresh_is_still_followed() -> None:
    from scrapy.utils.test import get_crawler

    from crawler.middlewares import QuickMetaRefreshMiddleware

    mw = QuickMetaRefreshMiddleware.from_crawler(get_crawler(settings_dict={"METAREFRESH_MAXDELAY": 100}))
    req = Request("http://www.a.gov.cn/col/")
    page = _html(req.url, '<html><head><META HTTP-EQUIV="Refresh" content="0; url=/col/list.html"></head></html>')
    page.request = req
    out = mw.process_response(req, page)
    assert isinstance(out, Request) and out.url == "http://www.a.gov.cn/col/list.html"
    plain = _html(req.url, "<html><head><title>x</title></head><body>refreshments</body></html>")
    assert mw.process_response(req, plain) is plain


def test_binary_sniffing_is_scrapys() -> None:
    import os
    import random

    from scrapy.utils.python import binary_is_text as scrapys

    from crawler.middlewares import binary_is_text

    rnd = random.Random(3)
    samples = [bytes([i]) for i in range(256)] + [b"", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b"<html>\x00</html>"]
    samples += [os.urandom(rnd.randint(1, 300)) for _ in range(200)]
    samples += [bytes(rnd.choice(b"\t\n\r abc\x00\xff") for _ in range(500)) for _ in range(50)]
    assert [binary_is_text(s) for s in samples] == [scrapys(s) for s in samples]
    import scrapy.responsetypes

    assert scrapy.responsetypes.binary_is_text is binary_is_text


def test_crawl_stats_are_scrapys() -> None:
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    from crawler import settings
    from crawler.stats import CrawlStats

    assert settings.STATS_CLASS == "crawler.stats.CrawlStats"
    crawler = get_crawler()
    ours, scrapys = CrawlStats(crawler), MemoryStatsCollector(crawler)
    for stats in (ours, scrapys):
        stats.inc_value("requests")
        stats.inc_value("requests", 2)
        stats.max_value("depth", 3)
        stats.max_value("depth", 1)
        stats.min_value("first", 5)
        stats.set_value("reason", "finished")
    assert ours.get_stats() == scrapys.get_stats() == {"requests": 3, "depth": 3, "first": 5, "reason": "finished"}


def test_referer_policy_is_scrapys() -> None:
    from scrapy.spidermiddlewares.referer import RefererMiddleware
    from scrapy.utils.test import get_crawler

    from crawler.middlewares import KnownRefererMiddleware

    crawler = get_crawler()
    page = _html("https://www.a.gov.cn/col/index.html", "<html></html>")
    for make in (lambda: Request("https://www.a.gov.cn/a/1.html"),  # the policy's Referer
                 lambda: Request("http://www.a.gov.cn/a/1.html"),  # a downgrade: none
                 lambda: Request("https://www.a.gov.cn/a/2.html", headers={"Referer": "https://x.gov.cn/"})):
        ours = KnownRefererMiddleware.from_crawler(crawler).get_processed_request(make(), page)
        theirs = RefererMiddleware.from_crawler(crawler).get_processed_request(make(), page)
        assert ours is not None and theirs is not None
        assert ours.headers.get("Referer") == theirs.headers.get("Referer")


def test_article_meta_inline_layout_skips_scripts_and_styles() -> None:
    # no date in a label cell: the page's text is read, without what scripts and styles hold
    page = ("<html><head><style>p{x:1}</style></head><body>"
            "<script>var s = '发布机构：脚本里的';</script><style>b{}</style>"
            "<div>发布<b>机构</b>：不是</div><p>发布机构：伊宁市人民政府 <span>日期：2024-01-20</span></p>"
            "<div><script>document.write('索引号：x')</script>索引号：11654002-2024-001</div>"
            "<!-- 公开目录：注释 --><h1>伊宁市<i>2023</i>年年报</h1></body></html>")
    meta = article_meta(_html("http://www.a.gov.cn/a/1.html", page))
    assert meta["发布机构"] == "伊宁市人民政府" and meta["日期"] == "2024-01-20"
    assert meta["索引号"] == "11654002-2024-001" and "公开目录" not in meta
    assert meta["title"] == "伊宁市 2023 年年报" and meta["_date"] == "2024-01-20"


def test_only_the_extensions_a_crawl_runs_are_loaded() -> None:
    """Scrapy imports every extension its settings name, even one set to None: the crawl's settings
    name only those it runs, and the ones it turns off (remote control, telnet) stay off."""
    import subprocess
    import sys

    code = """
import sys
from scrapy.utils.conf import build_component_list
from scrapy.utils.test import get_crawler
from crawler import settings
names = {k: getattr(settings, k) for k in dir(settings) if k.isupper()}
crawler = get_crawler(settings_dict=names)
print(sorted(p if isinstance(p, str) else p.__module__ + "." + p.__name__
             for p in build_component_list(crawler.settings.getwithbase("EXTENSIONS"))))
print(sorted(m for m in ("aiohttp", "twisted.conch", "scrapy.extensions.feedexport") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert eval(out[0]) == sorted([  # noqa: S307 - our own subprocess's repr of a list of names
        "crawler.pipelines.ProgressExtension", "scrapy.extensions.closespider.CloseSpider",
        "scrapy.extensions.corestats.CoreStats", "scrapy.extensions.logcount.LogCount",
        "scrapy.extensions.logstats.LogStats", "scrapy.extensions.memusage.MemoryUsage",
        "scrapy.extensions.spiderstate.SpiderState", "scrapy.extensions.throttle.AutoThrottle"])
    assert out[1] == "[]"
    # a Scrapy that brings a new extension fails here: whether a crawl runs it is to be decided
    from scrapy.settings import default_settings

    from crawler import settings

    assert set(default_settings.EXTENSIONS_BASE) - set(settings.EXTENSIONS_BASE) == {
        "scrapy.extensions.remote_control.RemoteControl", "scrapy.extensions.telnet.TelnetConsole",
        "scrapy.extensions.memdebug.MemoryDebugger", "scrapy.extensions.feedexport.FeedExporter"}
    assert set(settings.EXTENSIONS_BASE) <= set(default_settings.EXTENSIONS_BASE)


def test_crawl_process_start_up() -> None:
    """The crawl process's collector is tuned and numpy (which sqlite-utils would import) is not loaded."""
    import subprocess
    import sys

    code = """
import gc
from crawler.runner import skip_unused_imports, tune_gc
skip_unused_imports()
import archive.store, sqlite_utils.db
tune_gc()
print(gc.get_threshold(), gc.get_freeze_count() > 0, sqlite_utils.db.np is None)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "(10000, 10, 10) True True"


def test_the_reactor_is_asyncio_only_where_the_browser_needs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twisted's epoll reactor by default (cheaper per request); scrapy-playwright's asyncio one
    whenever a Chromium is there to drive."""
    import shutil
    import sys

    from crawler import settings
    from crawler.browser import browser_settings

    if sys.platform == "linux":
        assert settings.TWISTED_REACTOR == "twisted.internet.epollreactor.EPollReactor"
    assert "TWISTED_REACTOR" not in browser_settings({"GONGKAI_BROWSER": False})
    for name in ("GONGKAI_BROWSER", "GONGKAI_CHROMIUM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: sys.executable if name == "chromium" else None)
    assert browser_settings({})["TWISTED_REACTOR"] == "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
