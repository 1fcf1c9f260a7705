"""Datasette that one visitor cannot take down: no arbitrary SQL unless `--allow-sql`, the canned
queries stay, and ids or offsets out of range are 404s, not server errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

from archive.store import Archive
from archive.web.app import make_datasette

HUGE = "9" * 30


def get(ds, path: str):
    async def go():
        return await ds.client.get(path)

    return asyncio.run(go())


def test_no_arbitrary_sql_by_default_and_404s(tmp_path: Path) -> None:
    Archive(tmp_path).close()
    ds = make_datasette(tmp_path)
    assert get(ds, "/archive.json?sql=select+1").status_code == 403
    assert get(ds, "/archive/reports.json?_where=1").status_code in (400, 403)
    assert get(ds, "/archive/missing.json").status_code == 200  # a canned query
    assert get(ds, "/archive/reports.json?parse_status=ok").status_code == 200  # filters
    assert get(ds, f"/-/gongkai/report/{HUGE}").status_code == 404
    assert get(ds, f"/-/gongkai/warc/x.warc.gz?offset={HUGE}").status_code == 404
    assert get(ds, "/-/gongkai/warc/x.warc.gz?offset=-1").status_code == 404
    assert get(ds, f"/archive/reports/{HUGE}").status_code == 404
    assert ds.setting("sql_time_limit_ms") <= 2000

    ds = make_datasette(tmp_path, allow_sql=True)
    assert get(ds, "/archive.json?sql=select+1").status_code == 200
