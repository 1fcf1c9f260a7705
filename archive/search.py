"""Full-text search over the reports' text, for every query length, in one place.

Chinese has no spaces between words, and most words are two characters (伊宁, 公开, 申请). Two
FTS5 indexes cover every length:

- `report_text_fts` (trigram tokenizer): any substring of three characters or more;
- `report_text_grams` (schema v9): every one- and two-character substring of the same text as a
  token (the text cut into overlapping bigrams, stored as "伊宁 宁市 市人 …" through the `ascii`
  tokenizer, so every non-ASCII character and punctuation is a token character and only
  whitespace separates). A two-character query is one token; a one-character query is a prefix
  query (`"伊"*`, with a one-character prefix index). `detail=none` and contentless: the index
  holds rowid lists only. Triggers keep it with report_text, in plain SQL (no user function, so any
  SQLite client may write report_text).

A query is one substring (trimmed), like the trigram index's phrase query. The same SQL fragment
(`MATCH_SQL`, parameter :q) serves the canned query `search`, the page /-/gongkai/search and the
`_search=` of Datasette's table page and JSON API on report_text (archive/web/plugin.py rewrites it),
so all of them return the same reports: the table page newest report first (report_id desc), the
search page and the canned query newest year first.
Only current reports (reports.current = 1) are found; older extractors' texts are kept, not searched.
"""

from __future__ import annotations

GRAM_TABLE = "report_text_grams"
DIGITS_TABLE = "_search_digits"  # 0..9999: the positions of a text, up to 100,000,000 characters
DIGITS = 10_000
# ASCII punctuation counts as part of a token too: only whitespace separates bigrams
_TOKENCHARS = "!#$%&()*+,-./:;<=>?@[]^_`{|}~"
GRAM_TOKENIZER = f"ascii tokenchars '{_TOKENCHARS}'"

# report_text columns that are searched, as one string (a space between them breaks bigrams)
_DOC = "coalesce({r}.agency, '') || ' ' || coalesce({r}.title, '') || ' ' || coalesce({r}.text, '')"


def grams_sql(row: str) -> str:
    """SQL for the space-separated one/two-character substrings of `row` (new/old/a table alias)."""
    doc = _DOC.format(r=row)
    return (
        f"(SELECT group_concat(substr({doc}, x.d * {DIGITS} + y.d + 1, 2), ' ') "
        f"FROM {DIGITS_TABLE} x, {DIGITS_TABLE} y "
        f"WHERE x.d <= length({doc}) / {DIGITS} AND y.d < length({doc}) - x.d * {DIGITS})"
    )


def create_gram_index(db) -> None:  # noqa: ANN001 - a sqlite_utils.Database
    """The bigram index, its triggers, and its rows for the text already there (idempotent)."""
    db.execute(f"CREATE TABLE IF NOT EXISTS {DIGITS_TABLE} (d INTEGER PRIMARY KEY)")
    if db.execute(f"SELECT count(*) FROM {DIGITS_TABLE}").fetchone()[0] != DIGITS:
        with db.conn:
            db.execute(f"DELETE FROM {DIGITS_TABLE}")
            db.conn.executemany(f"INSERT INTO {DIGITS_TABLE} VALUES (?)", [(i,) for i in range(DIGITS)])
    exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [GRAM_TABLE]).fetchone()
    with db.conn:
        if not exists:
            db.execute(
                f"CREATE VIRTUAL TABLE {GRAM_TABLE} USING fts5(grams, content='', detail=none, "
                f"prefix='1', tokenize=\"{GRAM_TOKENIZER}\")"
            )
            db.execute(
                f"INSERT INTO {GRAM_TABLE}(rowid, grams) SELECT t.report_id, {grams_sql('t')} FROM report_text t"
            )
        insert = f"INSERT INTO {GRAM_TABLE}(rowid, grams) VALUES (new.report_id, {grams_sql('new')});"
        # contentless: a deletion names the tokens it removes (the same substrings, recomputed)
        delete = (
            f"INSERT INTO {GRAM_TABLE}({GRAM_TABLE}, rowid, grams) "
            f"VALUES ('delete', old.report_id, {grams_sql('old')});"
        )
        for name, op, body in (
            ("report_text_grams_insert", "AFTER INSERT", insert),
            ("report_text_grams_delete", "AFTER DELETE", delete),
            ("report_text_grams_update", "AFTER UPDATE", delete + " " + insert),
        ):
            db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {op} ON report_text BEGIN {body} END")


def _phrase(param: str) -> str:
    return f"'\"' || replace(trim({param}), '\"', '\"\"') || '\"'"


def match_sql(param: str = ":q") -> str:
    """The report_ids whose text holds the substring `param`: trigram FTS for 3+ characters, the
    bigram index for one or two (a prefix query for one)."""
    return (
        f"select rowid from report_text_fts where length(trim({param})) >= 3 "
        f"and report_text_fts match {_phrase(param)} "
        f"union all "
        f"select rowid from {GRAM_TABLE} where length(trim({param})) between 1 and 2 "
        f"and {GRAM_TABLE} match {_phrase(param)} "
        f"|| case when length(trim({param})) = 1 then '*' else '' end"
    )


MATCH_SQL = match_sql(":q")
# per candidate row (a primary-key lookup), not a list of every current report built up front
CURRENT_SQL = "(select current from reports where reports.id = report_text.report_id) = 1"


def search_sql(extra_where: str = "") -> str:
    """The canned query `search` and /-/gongkai/search: newest year first (then newest report);
    `extra_where` (" and r.year = ?"…) narrows it to a year, region or kind."""
    return f"""
select r.id as report_id, r.agency, r.year, r.region, r.kind, r.parse_status, r.url,
  substr(t.text, max(1, instr(t.text, trim(:q)) - 40), 120) as context
from report_text t join reports r on r.id = t.report_id
where r.current = 1 and t.report_id in ({MATCH_SQL}){extra_where}
order by r.year desc nulls last, t.report_id desc
limit 500
"""


SEARCH_SQL = search_sql()

# Datasette's table view of report_text: its order (and so the search's ranking) is this
TABLE_SORT_DESC = "report_id"


def table_filter(q: str, param: str = "gk_search") -> tuple[str, dict[str, str]]:
    """The where clause (and its parameters) the table page adds for `_search=q`."""
    return (
        f"report_id in ({match_sql(':' + param)}) and {CURRENT_SQL}",
        {param: q},
    )
