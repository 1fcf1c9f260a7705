"""The crawl's disk request queue: Scrapy's, with callbacks named from a table, emptied queues reused
and only the queues used last holding open files."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy import FormRequest, Request, Spider
from scrapy.squeues import PickleFifoDiskQueue

from crawler import queues
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


def test_only_the_queues_used_last_keep_their_files_open(spider: DemoSpider, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A thousand sites' queues would need thousands of file descriptors: only OPEN_MAX queues keep
    theirs; the others reopen where they were, so every request still comes out once, in order."""
    monkeypatch.setattr(queues, "OPEN_MAX", 3)
    crawler = SimpleNamespace(spider=spider)
    fds = len(os.listdir("/proc/self/fd"))
    qs = [FifoDiskQueue.from_crawler(crawler, str(tmp_path / f"site{i}" / "0")) for i in range(12)]
    for n in range(4):
        for i, q in enumerate(qs):
            q.push(Request(f"http://s{i}.gov.cn/{n}", callback=spider.parse_list, meta={"n": n}))
            assert len(os.listdir("/proc/self/fd")) <= fds + 2 * 3
    assert sum(not q.tailf.closed for q in qs) == 3
    # popped a request at a time from each in turn, as the scheduler moves from site to site
    out: list[list[tuple[str, int]]] = [[] for _ in qs]
    for _ in range(4):
        for i, q in enumerate(qs):
            r = q.pop()
            out[i].append((r.url, r.meta["n"]))
            assert len(os.listdir("/proc/self/fd")) <= fds + 2 * 3
    assert out == [[(f"http://s{i}.gov.cn/{n}", n) for n in range(4)] for i in range(12)]
    assert all(len(q) == 0 and q.pop() is None for q in qs)
    # a queue closed while its files are closed still saves where it was, for a resumed crawl
    q = qs[0]
    q.push(Request("http://s0.gov.cn/left", callback=spider.failed))
    for other in qs[1:5]:
        other.push(Request("http://other.gov.cn/", callback=spider.parse_list))
    assert q.tailf.closed
    q.close()
    stock = PickleFifoDiskQueue.from_crawler(crawler, q.path)
    assert stock.pop().url == "http://s0.gov.cn/left"
    stock.close()
    for other in qs[1:]:
        other.really_close()


def test_the_next_site_is_the_one_scrapys_queue_picks() -> None:
    """The same site as Scrapy's own choice (fewest downloads in flight, in turn by name after the
    last one chosen), pop after pop, for random sites and counts."""
    import random

    from scrapy.pqueues import DownloaderAwarePriorityQueue

    from crawler.queues import SiteAwarePriorityQueue

    rnd = random.Random(7)
    ours = SiteAwarePriorityQueue.__new__(SiteAwarePriorityQueue)
    theirs = DownloaderAwarePriorityQueue.__new__(DownloaderAwarePriorityQueue)
    ours._last_selected_slot = theirs._last_selected_slot = None
    for _ in range(2000):
        sites = rnd.sample([f"127.0.{i // 250}.{i % 250}:80" for i in range(300)], rnd.randint(1, 40))
        stats = [(rnd.randint(0, 2), s) for s in sites]
        update = rnd.random() < 0.8
        assert ours._next_slot(stats, update_state=update) == theirs._next_slot(stats, update_state=update)
        assert ours._last_selected_slot == theirs._last_selected_slot


def test_active_downloads_are_counted_as_scrapy_counts_them() -> None:
    from scrapy.pqueues import DownloaderInterface

    from crawler.queues import _ActiveDownloads

    downloader = SimpleNamespace(slots={"a": SimpleNamespace(active={1, 2}), "b": SimpleNamespace(active=set())})
    crawler = SimpleNamespace(engine=SimpleNamespace(downloader=downloader))
    sites = ["a", "b", "c"]
    assert _ActiveDownloads(crawler).stats(sites) == DownloaderInterface(crawler).stats(sites) == [
        (2, "a"), (0, "b"), (0, "c")]
