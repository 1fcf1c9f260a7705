"""Bad bytes read honestly: a page whose declared charset is wrong is decoded by what its bytes
are (in the extractor and in the crawler), and garbage a converter turns into mojibake is an error,
not an empty report."""

from __future__ import annotations

import random
import shutil

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from crawler.middlewares import CharsetMiddleware
from extract import ExtractError, parse_bytes
from extract.readers.html import decode_html

TITLE = "伊宁市人民政府2024年政府信息公开工作年度报告"


def page(declared: str) -> str:
    return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={declared}">'
            f"<title>{TITLE}</title></head><body><h1>{TITLE}</h1></body></html>")


@pytest.mark.parametrize(("declared", "actual"), [("gb2312", "utf-8"), ("utf-8", "gb18030"), ("gbk", "gbk"),
                                                  ("utf-8", "utf-8")])
def test_html_decoded_by_its_bytes(declared: str, actual: str) -> None:
    data = page(declared).encode(actual)
    assert TITLE in decode_html(data)


@pytest.mark.parametrize(("declared", "actual"), [("gb2312", "utf-8"), ("utf-8", "gbk")])
def test_crawler_reads_mislabelled_pages(declared: str, actual: str) -> None:
    body = page(declared).encode(actual)
    resp = HtmlResponse("http://127.0.0.1/col/", body=body, request=Request("http://127.0.0.1/col/"),
                        headers={"Content-Type": f"text/html; charset={declared}"})
    assert TITLE not in resp.text  # what Scrapy alone makes of it
    fixed = CharsetMiddleware(None).process_response(resp.request, resp)  # type: ignore[arg-type]
    assert TITLE in fixed.xpath("//h1/text()").get()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.timeout(120)
def test_garbage_doc_is_an_error_not_an_empty_report() -> None:
    rng = random.Random(3)
    data = bytes.fromhex("D0CF11E0A1B11AE1") + rng.randbytes(200_000)  # OLE magic, then noise
    with pytest.raises(ExtractError, match="not Chinese prose") as info:
        parse_bytes(data, "garbage.doc")
    assert str(info.value).startswith("garbage.doc")
