"""The crawl's global concurrency follows the number of sites; per-site politeness is untouched."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.registry import Registry
from crawler import runner
from crawler import settings as project
from crawler.runner import CrawlError, crawl_settings, open_files_limit, prepare_crawl, raise_open_files_limit


def registry(n: int, sites: dict | None = None, loopback: bool = False) -> Registry:
    host = "127.0.1.{}" if loopback else "www.site{}.gov.cn"
    rows = [{"name": f"body {i}", "kind": "department", "region": None, "parent": None,
             "portal": f"http://{host.format(i)}/", "cms": None, "columns": [f"http://{host.format(i)}/nb/"],
             "deadline": None} for i in range(n)]
    return Registry(rows, {}, sites=sites or {})


def settings_for(n: int, extra: dict | None = None, **kw: object) -> dict:
    return crawl_settings({"data": "/tmp/x", "settings": extra or {}}, registry(n, **kw))


@pytest.fixture(autouse=True)
def plenty_of_open_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caps below, whatever this machine's open-files limit (a test that needs it sets its own)."""
    monkeypatch.setattr(runner, "open_files_limit", lambda: 65536)


def test_global_cap_is_two_per_site_between_16_and_1024(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GONGKAI_CONCURRENCY", raising=False)
    assert settings_for(3)["CONCURRENT_REQUESTS"] == 16
    s = settings_for(100)
    assert s["CONCURRENT_REQUESTS"] == 200
    # politeness per site is what it was
    assert s["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2
    assert s["DOWNLOAD_DELAY"] == project.DOWNLOAD_DELAY
    assert s["AUTOTHROTTLE_ENABLED"] is True
    assert s["ROBOTSTXT_OBEY"] is True
    assert settings_for(3000)["CONCURRENT_REQUESTS"] == 1024
    assert settings_for(3000)["REACTOR_THREADPOOL_MAXSIZE"] > 10


def test_a_site_with_its_own_concurrency_counts_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GONGKAI_CONCURRENCY", raising=False)
    s = settings_for(20, sites={"www.site0.gov.cn": {"concurrency": 1}})
    assert s["CONCURRENT_REQUESTS"] == 39


def test_explicit_concurrency_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GONGKAI_CONCURRENCY", raising=False)
    assert settings_for(100, {"GONGKAI_CONCURRENCY": 7})["CONCURRENT_REQUESTS"] == 7
    assert settings_for(100, {"CONCURRENT_REQUESTS": 3})["CONCURRENT_REQUESTS"] == 3
    assert settings_for(100, {"CONCURRENT_REQUESTS": 3, "GONGKAI_CONCURRENCY": 9})["CONCURRENT_REQUESTS"] == 9
    monkeypatch.setenv("GONGKAI_CONCURRENCY", "50")
    assert settings_for(100)["CONCURRENT_REQUESTS"] == 50
    monkeypatch.setenv("GONGKAI_CONCURRENCY", "lots")
    with pytest.raises(CrawlError, match="GONGKAI_CONCURRENCY='lots'"):
        prepare_crawl("/tmp/gongkai-conc-test", None, workdir=None)


def test_loopback_relaxation_still_follows_the_sites(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GONGKAI_CONCURRENCY", raising=False)
    s = settings_for(100, {"DOWNLOAD_DELAY": 1.0, "CONCURRENT_REQUESTS_PER_DOMAIN": 2}, loopback=True)
    assert s["CONCURRENT_REQUESTS"] == 200
    assert settings_for(1, loopback=True)["CONCURRENT_REQUESTS"] == project.LOOPBACK_SETTINGS["CONCURRENT_REQUESTS"]


def test_crawl_cli_rejects_a_bad_concurrency(tmp_path: Path) -> None:
    from gongkai.cli import main

    r = CliRunner().invoke(main, ["crawl", "--concurrency", "0", "--data", str(tmp_path)])
    assert r.exit_code == 2
    assert "--concurrency" in r.output


def test_the_crawl_raises_its_open_files_limit_and_the_global_cap_fits_in_it(monkeypatch: pytest.MonkeyPatch,
                                                                             caplog: pytest.LogCaptureFixture) -> None:
    """A socket per request in flight, and the sites' idle connections and queue files besides:
    the global cap is at most a quarter of the open-files limit, which the crawl first raises to
    the hard limit (the usual soft 1,024 ran out at 500 sites)."""
    monkeypatch.delenv("GONGKAI_CONCURRENCY", raising=False)
    monkeypatch.setattr(runner, "open_files_limit", open_files_limit)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (400, hard))
        assert settings_for(1000)["CONCURRENT_REQUESTS"] == 100
        assert "1000 sites and an open-files limit of 400: some fetches may fail" in caplog.text
        caplog.clear()
        assert settings_for(10)["CONCURRENT_REQUESTS"] == 20
        assert not caplog.records
        raised = raise_open_files_limit()
        assert raised == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        assert raised == hard or (hard == resource.RLIM_INFINITY and raised > 400)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
