"""The crawl's disk request queue: Scrapy's, with callbacks named from a table and emptied queues reused."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy import FormRequest, Request, Spider
from scrapy.squeues import PickleFifoDiskQueue

from crawler.queues import FifoDiskQueue, request_to_dict


class DemoSpider(Spider):
    name = "demo"

    def parse_list(self, response: object) -> None: ...

    def failed(self, failure: object) -> None: ...


class Other:
    def parse_other(self, response: object) -> None: ...


@pytest.fixture()
def spider() -> DemoSpider:
    return DemoSpider()


def test_request_dict_is_scrapys(spider: DemoSpider) -> None:
    for r in (Request("http://a.gov.cn/x", callback=spider.parse_list, errback=spider.failed,
                      meta={"agency": "某局", "depth": 2}, priority=-3, dont_filter=True),
              Request("http://a.gov.cn/y"),
              FormRequest("http://a.gov.cn/api", formdata={"page": "2"}, callback=spider.parse_list)):
        assert request_to_dict(r, spider) == r.to_dict(spider=spider)


def test_a_callback_that_is_no_spider_method_is_refused(spider: DemoSpider) -> None:
    # the scheduler keeps such a request in memory, as with Scrapy's own queue
    with pytest.raises(ValueError):
        request_to_dict(Request("http://a.gov.cn/x", callback=lambda r: None), spider)
    with pytest.raises(ValueError):
        request_to_dict(Request("http://a.gov.cn/x", callback=Other().parse_other), spider)


def test_an_emptied_queue_is_reused_and_a_full_one_persists(spider: DemoSpider, tmp_path: Path) -> None:
    crawler = SimpleNamespace(spider=spider)
    path = str(tmp_path / "slot" / "0")
    q = FifoDiskQueue.from_crawler(crawler, path)
    q.push(Request("http://a.gov.cn/1", callback=spider.parse_list))
    assert q.pop().callback == spider.parse_list
    q.close()
    assert Path(path).is_dir()  # no rmdir / mkdir for the next request of this site
    again = FifoDiskQueue.from_crawler(crawler, path)
    assert again is q
    again.push(Request("http://a.gov.cn/2", callback=spider.parse_list, meta={"k": 1}))
    again.close()  # not empty: closed for real, kept on disk for a resumed crawl
    stock = PickleFifoDiskQueue.from_crawler(crawler, path)
    r = stock.pop()
    assert (r.url, r.callback, r.meta["k"]) == ("http://a.gov.cn/2", spider.parse_list, 1)
    stock.close()


def test_a_queue_closed_for_good_while_empty_reopens_where_it_was(spider: DemoSpider, tmp_path: Path) -> None:
    crawler = SimpleNamespace(spider=spider)
    path = str(tmp_path / "slot" / "5")
    q = FifoDiskQueue.from_crawler(crawler, path)
    for i in range(3):
        q.push(Request(f"http://a.gov.cn/{i}", callback=spider.parse_list))
    assert [q.pop().url for _ in range(3)] == [f"http://a.gov.cn/{i}" for i in range(3)]
    q.close()
    FifoDiskQueue._idle.pop(path).really_close()  # as when more queues are idle than IDLE_MAX
    again = FifoDiskQueue.from_crawler(crawler, path)
    assert again is not q and len(again) == 0 and again.pop() is None
    again.push(Request("http://a.gov.cn/next", callback=spider.failed))
    r = again.pop()
    assert (r.url, r.callback) == ("http://a.gov.cn/next", spider.failed)
