"""WARC captures: what `gongkai demo --no-serve` leaves under <data>/warc/ passes warcio's own checker
and index, holds one response record per stored payload (documents and column pages) with the blob's
sha256 as payload digest, and a second run writes revisits only. A crawl killed with SIGKILL leaves
its file readable up to the last complete record; the next run seals it and writes a new one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from servers import held_after, wait_count

import crawler.portal.server as portal_server
from archive.store import Archive
from archive.warc import CrawlWarc, complete_length, iter_records, read_member, seal_stale

WARCIO = str(Path(sys.executable).parent / "warcio")
FIELDS = "warc-type,warc-target-uri,warc-payload-digest,warc-refers-to,warc-record-id,warc-profile,offset,length"


def warcio_check(*files: Path) -> None:
    res = subprocess.run([WARCIO, "check", *map(str, files)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def warcio_index(path: Path) -> list[dict]:
    res = subprocess.run([WARCIO, "index", "-f", FIELDS, str(path)], capture_output=True, text=True, check=True)
    return [json.loads(line) for line in res.stdout.splitlines()]


def warcs(data: Path) -> list[Path]:
    return sorted((data / "warc").glob("*.warc.gz"))


def test_demo_warcs_pass_warcio_and_hold_every_payload_once(demo_data: Path) -> None:
    files = warcs(demo_data)
    assert len(files) == 1 and not list((demo_data / "warc").glob("*.open"))  # one crawl, one file, sealed
    warcio_check(*files)
    index = warcio_index(files[0])
    by_offset = {int(r["offset"]): r for r in index}
    responses = [r for r in index if r["warc-type"] == "response"]
    digests = [r["warc-payload-digest"] for r in responses]
    assert len(digests) == len(set(digests)), "a payload written twice"
    assert all(d.startswith("sha256:") and len(d) == 71 for d in digests)
    db = sqlite3.connect(demo_data / "archive.db")
    # every stored document: a response record whose payload digest is its blob's name
    docs = [r[0] for r in db.execute("SELECT sha256 FROM documents")]
    assert docs and {f"sha256:{s}" for s in docs} <= set(digests)
    for sha, name, off, length in db.execute(
            "SELECT sha256, warc_file, warc_offset, warc_length FROM warc_payloads"):
        rec = by_offset[off]
        assert name == files[0].name and rec["warc-type"] == "response" and int(rec["length"]) == length
        assert rec["warc-payload-digest"] == f"sha256:{sha}"
    # the record's payload is the blob's bytes
    arc = Archive(demo_data)
    sha = docs[0]
    off = db.execute("SELECT warc_offset FROM warc_payloads WHERE sha256 = ?", [sha]).fetchone()[0]
    for o, _, payload in iter_records(files[0]):
        if o == off:
            assert payload == arc.read_blob(sha)
            break
    else:
        pytest.fail("record not found")
    arc.close()
    # every column capture: its own record of its column page, and its payload in a response record
    caps = db.execute("SELECT column_url, sha256, warc_file, warc_offset FROM column_captures").fetchall()
    assert caps and all(c[2] == files[0].name for c in caps)
    redirected = {u for (u,) in db.execute("SELECT url FROM fetches WHERE status BETWEEN 300 AND 399")}
    for url, sha, _, off in caps:
        rec = by_offset[off]
        assert rec["warc-type"] in ("response", "revisit")
        # a redirect: the page it led to; a list API call: "URL [POST body]"
        assert rec["warc-target-uri"] == url or url in redirected or url.startswith(rec["warc-target-uri"] + " [")
        if sha:
            assert f"sha256:{sha}" in digests
    # robots.txt, and every fetch that got an answer, has its record
    assert any(r["warc-target-uri"].endswith("/robots.txt") for r in responses)
    rows = db.execute("SELECT warc_offset, warc_type, sha256 FROM fetches WHERE status IS NOT NULL").fetchall()
    assert rows and all(by_offset[o]["warc-type"] == t for o, t, _ in rows)
    # each response/revisit is followed by its request record
    reqs = {r["warc-record-id"] for r in index if r["warc-type"] == "request"}
    assert len(reqs) == len(rows)


def test_second_demo_run_writes_only_revisits(demo_data: Path, tmp_path: Path) -> None:
    from gongkai.demo import run_demo

    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    first = warcs(data)
    s = run_demo(str(data), progress=False)
    assert s["reason"] == "finished" and s["documents_new"] == 0
    new = [p for p in warcs(data) if p not in first]
    assert len(new) == 1 and s["warc"]["file"] == new[0].name
    warcio_check(*warcs(data))
    index = warcio_index(new[0])
    types = {r["warc-type"] for r in index}
    assert types == {"warcinfo", "revisit", "request"}, types
    assert s["warc"]["records"].get("response", 0) == 0
    # every revisit names the record holding its payload, in the first file
    first_ids = {r["warc-record-id"] for r in warcio_index(first[0]) if r["warc-type"] == "response"}
    revisits = [r for r in index if r["warc-type"] == "revisit"]
    assert all(r.get("warc-refers-to") in first_ids for r in revisits)
    profiles = {r["warc-profile"].rsplit("/", 1)[1] for r in revisits}
    assert profiles == {"server-not-modified", "identical-payload-digest"}  # 304s and unchanged pages
    # one crawl's WACZ carries the files its revisits refer to, so it replays on its own
    import zipfile

    from archive.export import export_wacz

    with Archive(data) as arc:
        out = export_wacz(arc, tmp_path / "second.wacz", crawl_id=s["crawl_id"])
    assert set(out["warc_files"]) == {first[0].name, new[0].name}
    with zipfile.ZipFile(tmp_path / "second.wacz") as z:
        assert {n for n in z.namelist() if n.startswith("archive/")} == {f"archive/{p.name}" for p in (first[0], new[0])}


class _Payloads:
    """A stand-in for the archive's warc_payloads (CrawlWarc's only use of it)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.known: dict[str, dict] = {}

    def warc_payload(self, sha: str) -> dict | None:
        return self.known.get(sha)

    def add_warc_payload(self, sha, name, offset, length, rid, url, date) -> None:  # noqa: ANN001
        self.known[sha] = {"record_id": rid, "url": url, "date": date}


def exchange(w: CrawlWarc, n: int, body: bytes) -> dict:
    return w.write_exchange(url=f"http://127.0.0.1:9/{n}", method="GET", request_headers=[("Accept", "*/*")],
                            request_body=b"", status=200, body=body,
                            response_headers=[("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])


def test_a_torn_record_is_cut_and_the_file_sealed(tmp_path: Path) -> None:
    w = CrawlWarc(_Payloads(tmp_path), 7)
    recs = [exchange(w, i, f"<p>{i}</p>".encode() * 50) for i in range(3)]
    assert exchange(w, 9, b"<p>0</p>" * 50)["type"] == "revisit"  # the same payload again
    open_file = w.path
    assert open_file is not None and open_file.name.endswith(".warc.gz.open")
    # a write cut short by SIGKILL: half of a record's bytes at the end
    part = read_member(open_file, recs[1]["offset"])
    with open(open_file, "ab") as f:
        f.write(part[: len(part) // 2])
    good, n = complete_length(open_file)
    assert n == 1 + 2 * 4 and good == open_file.stat().st_size - len(part) // 2
    assert seal_stale(tmp_path) == []  # the writer is alive (it holds the lock): not touched
    w.f.close()  # the writer dies without closing
    torn_only = tmp_path / "warc" / "gongkai-0-crawl8-1.warc.gz.open"  # killed inside its first record
    torn_only.write_bytes(part[:10])
    (sealed,) = seal_stale(tmp_path)
    assert not torn_only.exists() and not torn_only.with_suffix("").exists()
    assert sealed.name == recs[0]["file"] and not open_file.exists()
    warcio_check(sealed)
    types = [r["warc-type"] for r in warcio_index(sealed)]
    assert types == ["warcinfo"] + ["response", "request"] * 3 + ["revisit", "request"]
    # the record at a row's offset is readable alone: a one-record WARC
    one = tmp_path / "one.warc.gz"
    one.write_bytes(read_member(sealed, recs[2]["offset"], recs[2]["length"]))
    warcio_check(one)
    assert [r["warc-type"] for r in warcio_index(one)] == ["response"]
    # the recorded headers say what the recorded body is: de-chunked, its own Content-Length
    (_, rec, _), = list(iter_records(one))
    assert rec.http_headers.get_header("Transfer-Encoding") is None
    assert rec.http_headers.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert rec.http_headers.get_header("Content-Length") == str(len(b"<p>2</p>" * 50))




def test_killed_crawl_leaves_readable_warc_and_the_next_run_a_new_file(tmp_path: Path) -> None:
    from crawler.runner import prepare_crawl, run_crawl
    from gongkai.demo import write_registry

    with portal_server.start_portal() as portal:
        truth = portal.truth()
        reg = write_registry(truth, tmp_path / "registry.yaml")
        data = tmp_path / "data"
        # every request after the 60th answer is held: the crawl cannot finish before the kill
        cmd = prepare_crawl(data, reg, progress=False, today=truth["today"], settings={"DOWNLOAD_TIMEOUT": 600})
        with held_after(portal, 60) as held:
            proc = subprocess.Popen(cmd, start_new_session=True, stdin=subprocess.DEVNULL)
            assert held.wait(120), "the crawl never made its 61st request"
            # what was answered reaches the WARC
            n = wait_count(data / "archive.db", "SELECT count(*) FROM fetches WHERE warc_file IS NOT NULL", 20)
            assert n >= 20 and proc.poll() is None, (n, proc.poll())
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        (killed,) = list((data / "warc").glob("*.warc.gz.open"))
        db = sqlite3.connect(data / "archive.db")
        rows = db.execute("SELECT warc_offset FROM fetches WHERE warc_file IS NOT NULL").fetchall()
        # every record a row names is there, complete, and ArchiveIterator reads them all
        good, n_records = complete_length(killed)
        cut = tmp_path / "complete.warc.gz"
        cut.write_bytes(killed.read_bytes()[:good])
        offsets = {o for o, _, _ in iter_records(cut)}
        assert len(offsets) == n_records and {o for (o,) in rows} <= offsets
        warcio_check(cut)
        # the next run (the same crawl, resumed) seals the killed file and writes its own
        s = run_crawl(data, reg, progress=False, today=truth["today"])
    assert s["reason"] == "finished" and s["resumed"]
    files = warcs(data)
    assert len(files) == 2 and not list((data / "warc").glob("*.open"))
    assert killed.name[: -len(".open")] in {p.name for p in files} and s["warc"]["file"] in {p.name for p in files}
    warcio_check(*files)
    # every row's record is where it says, in either file
    for name, off, typ in db.execute("SELECT warc_file, warc_offset, warc_type FROM fetches"
                                     " WHERE warc_file IS NOT NULL"):
        assert typ in ("response", "revisit")
        rec = read_member(data / "warc" / name, off)
        assert rec[:2] == b"\x1f\x8b"
    # no payload is in two response records (one may be, if the kill fell between a record's write
    # and the commit of its row: the record is complete, the archive just does not know it)
    digests = [r["warc-payload-digest"] for p in files for r in warcio_index(p) if r["warc-type"] == "response"]
    assert len(digests) - len(set(digests)) <= 1


def test_datasette_links_every_report_and_missing_verdict_to_its_warc_record(demo_data: Path,
                                                                              tmp_path: Path) -> None:
    import asyncio
    import re

    from archive.web.app import make_datasette

    ds = make_datasette(demo_data)

    def get(path: str):
        async def go():
            return await ds.client.get(path)

        return asyncio.run(go())

    def fetch_record(href: str, name: str) -> dict:
        r = get(href.replace("&amp;", "&"))
        assert r.status_code == 200 and r.headers["content-type"] == "application/warc"
        f = tmp_path / name
        f.write_bytes(r.content)
        warcio_check(f)
        (rec,) = [x for x in warcio_index(f)]
        return rec

    # a report's page: the record holding its bytes (payload digest = the stored copy's sha256)
    rid, sha = sqlite3.connect(demo_data / "archive.db").execute(
        "SELECT id, sha256 FROM reports WHERE current = 1 AND parse_status = 'ok' LIMIT 1").fetchone()
    page = get(f"/-/gongkai/report/{rid}").text
    assert f"/-/blob/{sha}" in page
    href = re.search(r'id="gk-warc" href="([^"]+)"', page).group(1)
    rec = fetch_record(href, "report.warc.gz")
    assert rec["warc-type"] == "response" and rec["warc-payload-digest"] == f"sha256:{sha}"
    assert "gk-url-warc" in page
    head = get(href.replace("&amp;", "&") + "&view=headers").text
    assert "WARC-Type: response" in head and f"sha256:{sha}" in head
    # each `missing` verdict: its column capture's record, in the canned query, the table, the dashboard
    rows = get("/archive/missing.json?_shape=array").json()
    assert rows and all(r["warc"] for r in rows)
    for i, r in enumerate(rows):
        name, _, off = r["warc"].rpartition(":")
        rec = fetch_record(f"/-/gongkai/warc/{name}?offset={off}", f"missing-{i}.warc.gz")
        uri = rec["warc-target-uri"]  # a list API's capture is named "URL [POST body]"
        assert rec["warc-type"] in ("response", "revisit")
        assert r["column_url"] == uri or r["column_url"].startswith(uri + " [")
    html = get("/archive/missing").text
    assert html.count("WARC 记录</a>") == len(rows)
    assert "gk-problem-warc" in get("/-/gongkai").text
    table = get("/archive/compliance?status=missing").text
    assert "/-/gongkai/warc/" in table
    # only records the archive names are served
    name = rows[0]["warc"].rpartition(":")[0]
    assert get(f"/-/gongkai/warc/{name}?offset=1").status_code == 404
    assert get("/-/gongkai/warc/nothing.warc.gz?offset=0").status_code == 404


def test_merge_copies_the_warcs(demo_data: Path, tmp_path: Path) -> None:
    from archive.merge import merge_archives

    out = tmp_path / "merged"
    s = merge_archives(out, [demo_data], progress=False)
    assert s["added"]["warc_files"] == len(warcs(demo_data))
    assert [p.name for p in warcs(out)] == [p.name for p in warcs(demo_data)]
    q = "SELECT sha256, warc_file, warc_offset FROM warc_payloads ORDER BY sha256"
    assert sqlite3.connect(out / "archive.db").execute(q).fetchall() == \
        sqlite3.connect(demo_data / "archive.db").execute(q).fetchall()
    again = merge_archives(out, [demo_data], progress=False)["added"]
    assert again.get("warc_files") == 0 and again.get("warc_payloads") == 0


def test_documents_stored_before_warcs_are_captured_whole_once(tmp_path: Path) -> None:
    """An archive from before WARCs: the first crawl with them fetches each stored document whole
    (no validators) so a WARC holds a real capture; the next one revalidates (304 revisits)."""
    from crawler.runner import run_crawl
    from gongkai.demo import write_registry

    with portal_server.start_portal() as portal:
        truth = portal.truth()
        reg = write_registry(truth, tmp_path / "registry.yaml")
        data = tmp_path / "data"
        agency = "伊宁市潘津镇人民政府"
        kw = {"progress": False, "today": truth["today"]}
        s0 = run_crawl(data, reg, [agency], settings={"GONGKAI_WARC": False}, **kw)
        assert s0["documents_new"] > 0 and not (data / "warc").exists()
        s1 = run_crawl(data, reg, [agency], **kw)
        s2 = run_crawl(data, reg, [agency], **kw)
    db = sqlite3.connect(data / "archive.db")
    docs = {r[0] for r in db.execute("SELECT sha256 FROM documents")}
    assert docs <= {r[0] for r in db.execute("SELECT sha256 FROM warc_payloads")}
    assert s1["warc"]["records"].get("response", 0) >= len(docs) and s1["documents_new"] == 0
    assert s2["warc"]["records"].get("response", 0) == 0  # everything known: revisits only
    warcio_check(*warcs(data))
