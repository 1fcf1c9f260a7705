"""The gongkai Datasette plugin: its hooks. The pages are in archive/web/pages.py, the stored copies,
WARC records, CSV and feed in archive/web/downloads.py, the Chinese cells of the table pages in
archive/web/cells.py.

Routes (every page but the report and the stored copies takes ?year= ?kind= ?region=; a region is a
name or a code, and a parent region includes its children):
  /  and /-/gongkai             the compliance dashboard (the home page)
  /-/gongkai/list?status=       every verdict of a status (default: late, missing, unreachable)
  /-/gongkai/verdict?agency=&year=   one verdict: the report, or the column pages it rests on
  /-/gongkai/compare?a=&b=&ya=&yb=   two regions / years side by side (&vs=parent: a and its parent)
  /-/gongkai/export.csv         the scope's reports (or &verdicts=1) as CSV for Excel (BOM, Chinese)
  /-/gongkai/feed.atom          late and missing verdicts, newest first
  /-/gongkai/report/<id>        one report: verdict, checks, its tables with Chinese labels, provenance
  /-/gongkai/search?q=          full-text search, any length (archive/search.py), newest year first
  /-/blob/<sha256>              the stored copy, served from the blob store (sandboxed, never executed)
  /-/gongkai/warc/<file>?offset=N   one WARC record of a capture (a one-record .warc.gz that warcio,
                                pywb or ReplayWeb.page read); &view=headers: its WARC and HTTP headers
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette import hookimpl

from archive.metadata import DB_NAME, metadata
from archive.search import table_filter
from archive.web import cells
from archive.web.cells import value_label
from archive.web.downloads import blob, export_csv, feed, warc_record
from archive.web.pages import compare_page, dashboard, list_page, report_page, search_page, verdict_page

TEMPLATES = Path(__file__).parent / "templates"

# tables whose table page and JSON API answer `_search=` with archive/search.py
SEARCHABLE = {"report_text"}


@hookimpl(trylast=True)
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """`?_search=` on report_text (the table page's search box and the JSON API): the same search as
    /-/gongkai/search, for every query length. The table declares no fts_table, so Datasette's own
    search (a trigram MATCH, blind to one or two characters) stays out; trylast so that our
    `supports_search` wins over the default hook's False."""
    if database != DB_NAME or table not in SEARCHABLE:
        return None
    from datasette.filters import FilterArguments

    q = (request.args.get("_search") or "").strip()
    if not q:
        return FilterArguments([], extra_context={"supports_search": True, "search": ""})
    where, params = table_filter(q)
    return FilterArguments(
        [where],
        params,
        [f'全文包含 "{q}"（当前版本的年报）'],
        extra_context={"supports_search": True, "search": q},
    )


@hookimpl
def prepare_jinja2_environment(env: Any, datasette: Any) -> None:
    """Our templates (dashboard, pages, the table with Chinese headers) for a plain `datasette`
    too: Datasette finds a plugin's templates only beside a package, and this plugin is a module."""
    from jinja2 import ChoiceLoader, FileSystemLoader


    if not getattr(env, "_gongkai_templates", False):
        env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), env.loader])
        env._gongkai_templates = True


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict | None:
    """The archive's titles, labels and canned queries for a plain `datasette archive.db` too (the
    archive folder's metadata.json, when Datasette reads it, takes precedence)."""
    if DB_NAME not in datasette.databases:
        return None
    return metadata()


@hookimpl
def prepare_connection(conn: Any) -> None:
    # the dashboard's group-bys scan the compliance table: a larger cache and memory-mapped reads
    conn.execute("PRAGMA cache_size=-131072")
    conn.execute("PRAGMA mmap_size=1073741824")


@hookimpl
def register_routes(datasette: Any) -> list:
    return [
        # the home page is the answer: the dashboard; Datasette's list of databases stays at /-/databases
        (r"^/$", dashboard),
        (r"^/-/gongkai$", dashboard),
        (r"^/-/gongkai/list$", list_page),
        (r"^/-/gongkai/verdict$", verdict_page),
        (r"^/-/gongkai/compare$", compare_page),
        (r"^/-/gongkai/export\.csv$", export_csv),
        (r"^/-/gongkai/feed\.atom$", feed),
        (r"^/-/gongkai/report/(?P<id>\d+)$", report_page),
        (r"^/-/gongkai/search$", search_page),
        (r"^/-/blob/(?P<sha>[0-9a-f]{64})$", blob),
        (r"^/-/gongkai/warc/(?P<file>[A-Za-z0-9._-]+\.warc\.gz)$", warc_record),
    ]


@hookimpl
def menu_links(datasette: Any) -> list[dict]:
    return [
        {"href": datasette.urls.path("/"), "label": "合规仪表盘（首页）"},
        {"href": datasette.urls.path("/-/gongkai/compare"), "label": "地区与年度对比"},
        {"href": datasette.urls.path("/-/gongkai/search"), "label": "全文检索"},
        {"href": datasette.urls.database(DB_NAME), "label": "全部数据表"},
    ]


@hookimpl
def extra_template_vars(datasette: Any) -> dict:
    def column_label(database: str, table: str | None, column: str) -> str:
        cols = (datasette.table_metadata(database, table) or {}).get("columns") or {} if table else {}
        label = (cols.get(column) or "").split("（")[0]
        return f"{label}（{column}）" if label else column

    return {"gk_value_label": value_label, "gk_column_label": column_label}


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    return cells.cell_html(row, value, column, table, database, datasette)
