"""The two users' paths in a real headless Chromium (Debian's, driven by Playwright; no browser is
downloaded): the county office from the home page to one verdict's evidence, and the researcher
comparing two regions and exporting a year. Screenshots are kept in ci-artifacts/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from servers import free_port, wait_listening

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "ci-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]
playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def server(demo_data: Path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gongkai.cli", "serve", "--data", str(demo_data), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
    )
    wait_listening(port, proc)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def blocked_requests(page, base: str) -> list[str]:
    """Every request a page makes outside the server under test (there must be none)."""
    out: list[str] = []
    page.on("request", lambda r: out.append(r.url) if not r.url.startswith((base, "data:", "about:")) else None)
    return out


def test_county_office_three_clicks_to_the_evidence(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    outside = blocked_requests(page, server)
    page.goto(server + "/")
    assert "合规仪表盘" in page.inner_text("h1")
    clicks = 0
    page.click('#gk-regions a[data-region="654002"]')  # 1: my region, by name
    clicks += 1
    assert page.locator("#gk-regions a.on").inner_text() == "伊宁市"
    page.click('#gk-years a:text-is("2025")')  # 2: the year
    clicks += 1
    assert "伊宁市" in page.inner_text("#gk-scope") and "2025" in page.inner_text("#gk-scope")
    rows = page.locator("#gk-problems tr[class^=gk-problem-]")
    statuses = {rows.nth(i).get_attribute("class") for i in range(rows.count())}
    assert statuses == {"gk-problem-late", "gk-problem-missing", "gk-problem-unreachable"}
    assert "伊宁市审计局" in page.inner_text("#gk-problems")  # the unreachable body, named
    assert all(rows.nth(i).locator("td").nth(2).inner_text() == "2025" for i in range(rows.count()))
    shot(page, "web-county-dashboard.png")
    page.click("#gk-problems tr.gk-problem-missing a.gk-evidence-link")  # 3: one verdict's evidence
    clicks += 1
    assert clicks == 3
    assert "逾期未公开" in page.inner_text("#gk-verdict-status")
    frame = page.frame_locator("#gk-capture-frame")
    assert frame.locator("body").inner_text(timeout=5000).strip()  # the captured column page, shown
    assert page.locator(".gk-as-of").first.inner_text() == "2026-04-30"
    shot(page, "web-county-evidence.png")
    assert outside == [], outside  # neither the app nor the captured page asks anything of the outside
    page.close()


def test_researcher_compares_and_exports(server: str, browser, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(server + "/")
    page.click("#gk-dashboard a:text-is(\"地区与年度对比\")")
    page.fill("input[name=a]", "伊宁市")
    page.select_option("select[name=ya]", "2024")
    page.fill("input[name=b]", "奎屯市")
    page.select_option("select[name=yb]", "2024")
    page.click("#gk-compare-form button")
    assert "伊宁市 2024" in page.inner_text("#gk-compare-table") and "奎屯市 2024" in page.inner_text(
        "#gk-compare-table")
    # chart labels at least 12 px as drawn
    sizes = page.eval_on_selector_all(
        "svg.gk-chart text", "els => els.map(e => e.getBoundingClientRect().height)")
    font = page.eval_on_selector_all(
        "svg.gk-chart text",
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a)")
    assert sizes and min(font) >= 12, min(font)
    shot(page, "web-compare.png")
    # the year's CSV, from the dashboard, opens in Excel: a UTF-8 BOM, Chinese headers
    page.goto(server + "/?year=2024")
    with page.expect_download() as dl:
        page.click("#gk-export")
    path = tmp_path / "export.csv"
    dl.value.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "报告年度".encode() in raw.splitlines()[0]
    page.close()


def test_phone_puts_the_problems_first(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    for path, first, name in (("/?region=654002&year=2025", "#gk-problem-card", "web-phone-dashboard.png"),
                              ("/-/gongkai/compare?a=654002&vs=parent&ya=2025&yb=2025", "#gk-compare-problems",
                               "web-phone-compare.png")):
        page.goto(server + path)
        top = page.locator(first).bounding_box()["y"]
        chart = page.locator("svg.gk-chart").first.bounding_box()["y"]
        assert top < chart and top < 844 * 1.5, (path, top, chart)
        if path.startswith("/?"):  # before the tiles too
            assert top < page.locator(".gk-kpis").bounding_box()["y"]
        font = page.eval_on_selector_all(
            "svg.gk-chart text",
            "els => els.map(e => parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a)")
        assert min(font) >= 12
        shot(page, name)
    page.close()
