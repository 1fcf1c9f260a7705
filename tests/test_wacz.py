"""`gongkai export --format wacz`: a WACZ 1.1.1 package of the demo's crawl whose zip opens, whose
datapackage digests verify, whose CDXJ index (SURT keys, sorted) finds every report URL of the
sample portal's truth, and whose WARCs pass `warcio check` and `warcio index`."""

from __future__ import annotations

import bisect
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from surt import surt

import crawler.portal.server as portal_server
from gongkai.cli import main

WARCIO = str(Path(sys.executable).parent / "warcio")


def test_surt_keys() -> None:
    assert surt("http://www.Example.com/A/b/?z=1&a=2#frag") == "com,example)/a/b?a=2&z=1"
    assert surt("http://127.0.0.1:8080/yining/c1/") == "1,0,0,127:8080)/yining/c1"
    assert surt("https://gov.cn:443/") == "cn,gov)/"
    # escapes normalised as the reference indexer does: %3D is "=", non-ASCII stays escaped
    assert surt("http://a.gov.cn/l?s=chnlid%3D1&n=%E4%BC%8A") == "cn,gov,a)/l?n=%e4%bc%8a&s=chnlid=1"


def test_wacz_package(demo_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "crawl.wacz"
    res = CliRunner().invoke(main, ["export", "--format", "wacz", "-o", str(out), "--data", str(demo_data),
                                    "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert out.is_file() and not list(tmp_path.glob(".tmp-*"))
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        package = json.loads(z.read("datapackage.json"))
        assert package["profile"] == "data-package" and package["wacz_version"] == "1.1.1"
        digest = json.loads(z.read("datapackage-digest.json"))
        assert digest["path"] == "datapackage.json"
        assert digest["hash"] == "sha256:" + hashlib.sha256(z.read("datapackage.json")).hexdigest()
        # every resource is there with its size and sha256; every file is a resource
        for r in package["resources"]:
            data = z.read(r["path"])
            assert len(data) == r["bytes"] and r["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert {r["path"] for r in package["resources"]} == names - {"datapackage.json", "datapackage-digest.json"}
        warcs = [n for n in names if n.startswith("archive/")]
        assert warcs and all(n.endswith(".warc.gz") for n in warcs)
        assert all(z.getinfo(n).compress_type == zipfile.ZIP_STORED for n in warcs)  # random access
        lines = z.read("indexes/index.cdx").decode("utf-8").splitlines()
        pages = [json.loads(x) for x in z.read("pages/pages.jsonl").decode("utf-8").splitlines()]
        for n in warcs:
            (tmp_path / Path(n).name).write_bytes(z.read(n))
    assert lines == sorted(lines) and len(lines) == summary["records"]
    assert pages[0]["format"] == "json-pages-1.0" and all("url" in p and "ts" in p for p in pages[1:])
    # the index finds every report URL of the truth, by its SURT key, in the WARC it names at its offset
    port = json.loads((demo_data / "demo-portal.json").read_text("utf-8"))["port"]
    with portal_server.start_portal(port=port) as p:
        truth = p.truth()
    keys = [line.split(" ", 2)[0] for line in lines]
    want = {u for r in truth["reports"] for u in r["urls"]}
    assert want
    for url in want:
        i = bisect.bisect_left(keys, surt(url))
        assert i < len(keys) and keys[i] == surt(url), url
        entry = json.loads(lines[i].split(" ", 2)[2])
        assert entry["url"] == url and entry["status"] == "200"
        with open(tmp_path / entry["filename"], "rb") as f:
            f.seek(int(entry["offset"]))
            assert f.read(2) == b"\x1f\x8b"  # a gzip member starts there: the record
    assert want <= {p["url"] for p in pages[1:]}
    # warcio's checker and indexer on the packaged WARCs
    files = [str(tmp_path / Path(n).name) for n in warcs]
    check = subprocess.run([WARCIO, "check", *files], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run([WARCIO, "index", "-f", "warc-type,warc-target-uri,offset", *files],
                           capture_output=True, text=True, check=True)
    indexed = [json.loads(x) for x in index.stdout.splitlines()]
    ours = {(e["url"], e["offset"]) for e in (json.loads(x.split(" ", 2)[2]) for x in lines)}
    assert ours == {(r["warc-target-uri"], r["offset"]) for r in indexed if r["warc-type"] in ("response", "revisit")}


def test_cdxj_equals_the_reference_indexer(demo_data: Path, tmp_path: Path) -> None:
    """The index gongkai writes is, line for line, what cdxj-indexer --post-append (the indexer
    py-wacz packages WACZ files with) writes for the same WARCs."""
    indexer = Path(sys.executable).parent / "cdxj-indexer"
    if not indexer.exists():
        pytest.skip("cdxj-indexer's command not installed (pip install gongkai)")
    out = tmp_path / "c.wacz"
    res = CliRunner().invoke(main, ["export", "--format", "wacz", "-o", str(out), "--data", str(demo_data)])
    assert res.exit_code == 0, res.output
    with zipfile.ZipFile(out) as z:
        ours = z.read("indexes/index.cdx").decode("utf-8").splitlines()
        warcs = [n for n in z.namelist() if n.startswith("archive/")]
        for n in warcs:
            (tmp_path / Path(n).name).write_bytes(z.read(n))
    ref = subprocess.run([str(indexer), "--post-append", *(str(tmp_path / Path(n).name) for n in sorted(warcs))],
                         capture_output=True, text=True, check=True).stdout.splitlines()

    def parsed(lines: list[str]) -> list[tuple[str, str, list]]:
        return sorted((k, t, sorted(json.loads(j).items())) for k, t, j in (x.split(" ", 2) for x in lines))

    assert any('"method": "POST"' in x for x in ours)  # the list APIs' POSTs, keyed with their bodies
    assert parsed(ours) == parsed(ref)


def test_wacz_needs_a_file(demo_data: Path) -> None:
    res = CliRunner().invoke(main, ["export", "--format", "wacz", "--data", str(demo_data)])
    assert res.exit_code != 0 and "-o" in res.output
