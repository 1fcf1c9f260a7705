"""Every document is read within a time and a memory limit: a hostile one is stopped with an error
naming the limit and the others are read; pure-Python work is capped by input size."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import hostile
import pytest

from extract import ExtractError, parse_bytes
from extract.limits import Limits, run_limited

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def _run(target: str, jobs: list[str], limits: Limits, workers: int = 2) -> dict[str, tuple]:
    got: dict[str, tuple] = {}
    run_limited(target, jobs, workers, limits, lambda job, out, err: got.__setitem__(job, (out, err)))
    return got


def test_a_document_over_the_time_limit_is_stopped_and_the_others_read() -> None:
    t = time.monotonic()
    got = _run("hostile:sleepy", ["a", "hang", "b", "c"], Limits(seconds=2, memory_mb=1024))
    assert time.monotonic() - t < 20
    assert got["hang"][0] is None and "2 s limit per document" in got["hang"][1]
    assert {k: v for k, v in got.items() if k != "hang"} == {k: (k, None) for k in "abc"}


def test_a_document_over_the_memory_limit_is_stopped_and_the_others_read() -> None:
    got = _run("hostile:greedy", ["a", "greedy", "b", "crash", "c"], Limits(seconds=30, memory_mb=768), workers=1)
    assert got["greedy"][0] is None and "768 MB memory limit" in got["greedy"][1]
    assert got["crash"][0] is None and "died (signal 6)" in got["crash"][1]
    assert [got[k] for k in "abc"] == [(k, None) for k in "abc"]
    # the parent never took the 8 GB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1_500_000


def _refused(data: bytes, source: str, *words: str, within: float = 10.0) -> None:
    t = time.monotonic()
    with pytest.raises(ExtractError) as info:
        parse_bytes(data, source)
    assert time.monotonic() - t < within
    for w in words:
        assert w in str(info.value), str(info.value)


def test_content_stream_limits() -> None:
    # 64 MiB of text operators in 170 kB; a stream inflating to 256 MiB in 256 kB
    _refused(hostile.pdf_text_operators(64), "ops.pdf", "inflates to more than 2 MB")
    _refused(hostile.pdf_inflating(256), "bomb.pdf", "inflates to more than 2 MB")
    # under the byte cap, over the glyph cap: 40,000 glyphs on one page
    _refused(hostile.pdf_text_operators(1), "glyphs.pdf", "more than 30000 glyphs")


def test_text_signature_is_capped() -> None:
    from archive.similarity import MAX_TEXT, text_signature

    text = "".join(chr(0x4E00 + (i * 7919) % 3000) for i in range(MAX_TEXT * 20))
    t = time.monotonic()
    assert text_signature(text) == text_signature(text[:MAX_TEXT])
    assert time.monotonic() - t < 15


@pytest.mark.timeout(120)
def test_parse_and_extract_go_on_after_hostile_documents(tmp_path: Path) -> None:
    files = {"big.docx": hostile.big_docx(48), "ops.pdf": hostile.pdf_text_operators(1024),
             "bomb.pdf": hostile.pdf_inflating(2048)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    good = FIXTURES / "001.docx"
    paths = [str(tmp_path / n) for n in files] + [str(good)]
    t = time.monotonic()
    p = subprocess.run([sys.executable, "-c", "from gongkai.cli import main; main()", "parse", *paths], cwd=ROOT,
                       capture_output=True, text=True, timeout=100)
    assert time.monotonic() - t < 60
    assert p.returncode == 1
    out = [json.loads(line) for line in p.stdout.splitlines()]
    assert [o["source"] for o in out] == paths
    assert "characters of text" in out[0]["error"] and "refused" in out[1]["error"] and "refused" in out[2]["error"]
    assert out[3]["year"] == 2024

    from archive.extractor import run_extract
    from archive.store import Archive

    with Archive(tmp_path / "data") as arc:
        for name, data in [*files.items(), ("good.docx", good.read_bytes())]:
            arc.add_document(data, url=f"http://127.0.0.1/{name}")
        t = time.monotonic()
        s = run_extract(arc, workers=2, progress=False, limits=Limits(seconds=30, memory_mb=1536))
        assert time.monotonic() - t < 60
        assert s["statuses"]["error"] == 3 and s["documents"] == 4
        rows = dict(arc.db.execute("SELECT url, coalesce(error, parse_status) FROM reports").fetchall())
    assert "characters of text" in rows["http://127.0.0.1/big.docx"]
    assert "more than 2 MB" in rows["http://127.0.0.1/bomb.pdf"]
    assert rows["http://127.0.0.1/good.docx"] in ("ok", "incomplete", "inconsistent")
