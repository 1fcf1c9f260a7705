"""The sample portal's world: agencies, their report columns, every report and when it appeared.

Everything here is a pure function of the options (today, scale), so two portals started with the
same options describe the same world. Numbers are drawn from `random.Random` seeded with strings
(string seeds are hashed with SHA-512, not with the per-process `hash()`), so they are stable
across runs and machines.

Truth (what a perfect crawl must find) is derived from the same objects the server renders, so the
two cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property, partial
from importlib import resources

from extract.form import (
    ACTIVE_2019,
    APPEAL_GROUPS,
    RESULT_KEYS,
    format_for_year,
    request_keys,
)

YEARS = list(range(2019, 2026))
DEFAULT_TODAY = "2026-04-30"
# The day the static parts of the site (home pages, robots.txt…) were last changed.
SITE_EPOCH = date(2019, 1, 2)

# The sites, each a path prefix on the one loopback server (real portals are separate hosts).
SITES: dict[str, dict[str, str]] = {
    "yining": {"cms": "xj_shtml", "title": "伊宁市人民政府", "home": "/yining/"},
    "wusu": {"cms": "trs", "title": "乌苏市人民政府", "home": "/wusu/"},
    "wuzhi": {"cms": "hanweb", "title": "武陟县人民政府", "home": "/wuzhi/"},
    "bench": {"cms": "xj_shtml", "title": "样例州人民政府（基准测试）", "home": "/bench/"},
    # Columns whose lists a script draws (crawler/families.py LIST_APIS), one site per family:
    # a TRS "trt" zone site (static first page, listModel + trsapi for the rest), a Hanweb jpage
    # county site (embedded first group, dataproxy.jsp POST for the rest), a JSON list endpoint
    # (getFileListByCodeId) and a 集约化 site paged by createPageHTML('page_div', …) with 共N条.
    "kfq": {"cms": "trs", "title": "奎屯经济技术开发区管理委员会", "home": "/kfq/"},
    "xianju": {"cms": "hanweb", "title": "仙居县人民政府", "home": "/xianju/"},
    "altay": {"cms": "generic", "title": "阿勒泰市人民政府", "home": "/altay/"},
    "tacheng": {"cms": "xj_shtml", "title": "塔城市人民政府", "home": "/tacheng/"},
    # A 集约化 county whose yearly columns (政府信息公开 / 政府信息公开年报 / 2025年) list every unit's
    # report: the county, its office, bureaus and towns, some of them absent from the registry.
    "huocheng": {"cms": "xj_shtml", "title": "霍城县人民政府", "home": "/huocheng/"},
    # Sites a crawler reads only with a browser: a county behind a script gate (a computed cookie and a
    # reload, its list drawn by its own script from a JSON answer of its own shape, attachments behind
    # the gate too) and a county whose list its page's script decodes from an inline array.
    "gated": {"cms": "generic", "title": "福海县人民政府", "home": "/gated/"},
    "drawn": {"cms": "generic", "title": "吉木乃县人民政府", "home": "/drawn/"},
}
SCRIPT_SITES = ("kfq", "xianju", "altay", "tacheng")
# The report column of each script-list site (shared by every body of the site).
SCRIPT_COLUMNS = {
    "kfq": "/kfq/zfxxgk/fdzdgknr/zfxxgknb/",
    "xianju": "/xianju/col/col1229400001/index.html",
    "altay": "/altay/zfxxgk/zfxxgknb/",
    "tacheng": "/tacheng/c120100/",
}
# The report column of each browser site.
BROWSER_COLUMNS = {"gated": "/gated/zfxxgk/ndbg/", "drawn": "/drawn/xxgk/nb/index.html"}
KFQ_UNIT = "奎屯经济技术开发区管理委员会"
# Reports on years up to 2018 (the 2008 regulation's free form) on the TRS zone column.
LEGACY: dict[tuple[str, int], date] = {(KFQ_UNIT, 2017): date(2018, 3, 20), (KFQ_UNIT, 2018): date(2019, 3, 22)}
# The list shows 2026-03-10, the article URL says t20260313_… (the day the document was made).
URL_DATE_DIFFERS = (KFQ_UNIT, 2025, date(2026, 3, 10), date(2026, 3, 13))

REGIONS: dict[str, dict] = {
    # 伊宁市's open-government office asks its towns for their reports by the end of January.
    "654002": {"town_deadline": "01-31"},
    # 霍城县's shared year columns start with the 2023 reports
    "654023": {"first_year": 2023},
    # the counties only a browser reads put their reports online from 2024
    "654323": {"first_year": 2024},
    "654326": {"first_year": 2024},
}
HUOCHENG_YEAR_COLS = {2023: "c116870", 2024: "c116871", 2025: "C116872"}
# A Hanweb 政府信息公开平台 column that lists a neighbouring county's reports (none of its bodies is in
# the registry), registered under 武陟县人民政府 on a second host name of the portal (localhost, where
# the rest is 127.0.0.1); one of its records lives on the other host, as real platforms list a record
# on zwgk.<city>.gov.cn beside www.<city>.gov.cn.
PLATFORM_COLUMN = "/wuzhi/col/col1500/index.html"
PLATFORM_OWNER = "武陟县人民政府"
PLATFORM_SIBLING = ("温县住房和城乡建设局", 2025)


def platform_base(base_url: str) -> str:
    """The platform column's host: the portal's other name."""
    return base_url.replace("127.0.0.1", "localhost", 1)
HUOCHENG = "霍城县人民政府"

# 伊宁市's 政府信息公开年报 column and its per-year sub-columns (c118486 = 2020 is the real id).
YINING_ROOT_COL = "c118480"
YINING_DEPT_GROUP_COL = "c118481"
YINING_TOWN_GROUP_COL = "c118482"
YINING_YEAR_COLS = {
    2019: "c118484",
    2020: "c118486",
    2021: "c118490",
    2022: "c120315",
    2023: "c121702",
    2024: "c123118",
    2025: "c124590",
}


def _h(*parts: object) -> str:
    return hashlib.md5("|".join(str(p) for p in parts).encode()).hexdigest()


def _hint(*parts: object) -> int:
    return int(_h(*parts)[:12], 16)


def parse_day(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"--today {value!r}: not a date in YYYY-MM-DD form") from exc


@dataclass
class Agency:
    name: str
    kind: str  # government | department | town | institution
    region: str
    parent: str
    site: str
    slug: str  # column slug (TRS), sub-column id (xj_shtml) or column number (Hanweb)
    short: str  # as printed in titles and 发布机构 of some portals
    deadline: str | None = None
    login: bool = False  # its column sits behind a login: no crawl can reach it
    size: int = 1  # how busy it is (scales the request counts)
    scale: bool = False  # generated for benchmarks
    registered: bool = True  # False: publishes on the portal, but the bundled registry does not hold it
    title_name: str | None = None  # how its report titles name it, when not by its full name
    first_year: int = 2019

    @property
    def years(self) -> list[int]:
        return [y for y in YEARS if y >= self.first_year]

    @property
    def cms(self) -> str:
        return SITES[self.site]["cms"]

    def due(self, year: int) -> date:
        """The due date (2019 regulation, 第四十九条; archive/agencies.py due_date)."""
        if year <= 2018:
            return date(year + 1, 3, 31)
        if self.kind == "department":
            md = "01-31"
        elif self.kind == "government":
            md = "03-31"
        elif self.kind == "town":
            md = self.deadline or REGIONS.get(self.region, {}).get("town_deadline") or "03-31"
        else:
            md = self.deadline or "03-31"
        m, d = (int(x) for x in md.split("-"))
        return date(year + 1, m, d)

    @property
    def column_paths(self) -> list[str]:
        """Report column URLs (paths) as the registry lists them."""
        if self.site in ("yining", "bench"):
            if self.kind == "government" and self.site == "yining":
                return [f"/yining/{YINING_YEAR_COLS[y]}/" for y in YEARS]
            return [f"/{self.site}/{self.slug}/"]
        if self.site == "wusu":
            return [f"/wusu/zfxxgk/zfxxgknb/{self.slug}/"]
        if self.site in SCRIPT_COLUMNS:
            return [SCRIPT_COLUMNS[self.site]]
        if self.site in BROWSER_COLUMNS:
            return [BROWSER_COLUMNS[self.site]]
        if self.site == "huocheng":  # every unit's reports in the county's year columns
            return [f"/huocheng/{c}/" for c in HUOCHENG_YEAR_COLS.values()]
        return [f"/wuzhi/col/col{self.slug}/index.html"]


def _agencies() -> list[Agency]:
    y = "伊宁市人民政府"
    out = [
        Agency("伊宁市人民政府", "government", "654002", "伊犁哈萨克自治州人民政府", "yining", "", "伊宁市", size=40),
    ]
    depts = [
        ("伊宁市公安局", "c119001", "市公安局", 8),
        ("伊宁市住房和城乡建设局", "c119002", "市住建局", 6),
        ("伊宁市文化体育广播电视和旅游局", "c119003", "市文体旅游局", 2),
        ("伊宁市财政局", "c119004", "市财政局", 3),
        ("伊宁市教育局", "c119005", "市教育局", 4),
        ("伊宁市卫生健康委员会", "c119006", "市卫健委", 3),
        ("伊宁市市场监督管理局", "c119008", "市市场监管局", 5),
    ]
    for name, col, short, size in depts:
        out.append(Agency(name, "department", "654002", y, "yining", col, short, size=size))
    out.append(Agency("伊宁市审计局", "department", "654002", y, "yining", "c119007", "市审计局", login=True))
    towns = [
        ("伊宁市潘津镇人民政府", "c119101", "潘津镇"),
        ("伊宁市巴彦岱镇人民政府", "c119102", "巴彦岱镇"),
        ("伊宁市达达木图镇人民政府", "c119103", "达达木图镇"),
        ("伊宁市英也尔镇人民政府", "c119104", "英也尔镇"),
        ("伊宁市汉宾乡人民政府", "c119105", "汉宾乡"),
        ("伊宁市喀尔墩乡人民政府", "c119106", "喀尔墩乡"),
    ]
    for name, col, short in towns:
        out.append(Agency(name, "town", "654002", y, "yining", col, short))
    out += [
        Agency("乌苏市人民政府", "government", "654202", "塔城地区行政公署", "wusu", "szf", "乌苏市", size=20),
        Agency("乌苏市甘河子镇人民政府", "town", "654202", "乌苏市人民政府", "wusu", "ghzz", "甘河子镇"),
        Agency("武陟县人民政府", "government", "410823", "焦作市人民政府", "wuzhi", "1001", "武陟县", size=25),
        Agency("武陟县大封镇人民政府", "town", "410823", "武陟县人民政府", "wuzhi", "1123", "大封镇"),
        Agency(KFQ_UNIT, "government", "654003", "奎屯市人民政府", "kfq", "gwh", "开发区管委会", size=6),
        Agency("奎屯经济技术开发区经济发展局", "department", "654003", KFQ_UNIT, "kfq", "jfj", "经济发展局", size=2),
        Agency("奎屯经济技术开发区社会事业局", "department", "654003", KFQ_UNIT, "kfq", "sysj", "社会事业局", size=2),
        Agency("仙居县人民政府", "government", "331024", "台州市人民政府", "xianju", "1229400001", "仙居县", size=12),
        Agency("仙居县横溪镇人民政府", "town", "331024", "仙居县人民政府", "xianju", "1229400002", "横溪镇"),
        Agency("仙居县白塔镇人民政府", "town", "331024", "仙居县人民政府", "xianju", "1229400003", "白塔镇"),
        Agency("阿勒泰市人民政府", "government", "654301", "阿勒泰地区行政公署", "altay", "szf", "阿勒泰市", size=8),
        Agency("阿勒泰市红墩镇人民政府", "town", "654301", "阿勒泰市人民政府", "altay", "hdz", "红墩镇"),
        Agency("塔城市人民政府", "government", "654201", "塔城地区行政公署", "tacheng", "c120101", "塔城市", size=8),
        Agency("塔城市喀拉哈巴克乡人民政府", "town", "654201", "塔城市人民政府", "tacheng", "c120102", "喀拉哈巴克乡"),
    ]
    h = HUOCHENG
    out += [
        # (name, kind, title name, registered): titles as the real county's are written: the
        # county by its place name, bureaus by abbreviations and without the county prefix, a
        # 乡 the registry still lists that has become a 镇
        Agency(h, "government", "654023", "伊犁哈萨克自治州人民政府", "huocheng", "", "霍城县", size=10,
               title_name="霍城县"),
        Agency("霍城县人民政府办公室", "department", "654023", h, "huocheng", "", "县政府办", title_name="霍城县政府办"),
        Agency("霍城县教育局", "department", "654023", h, "huocheng", "", "教育局"),
        Agency("霍城县文化体育广播电视和旅游局", "department", "654023", h, "huocheng", "", "文旅局",
               title_name="霍城县文旅局"),
        Agency("霍城县发展和改革委员会", "department", "654023", h, "huocheng", "", "发改委", title_name="发改委"),
        Agency("霍城县三宫乡人民政府", "town", "654023", h, "huocheng", "", "三宫镇", title_name="三宫镇"),
        Agency("霍城县水利局", "department", "654023", h, "huocheng", "", "水利局", registered=False, title_name="水利局"),
        Agency("霍城县审计局", "department", "654023", h, "huocheng", "", "审计局", registered=False),
        Agency("霍城县惠远镇人民政府", "town", "654023", h, "huocheng", "", "惠远镇", registered=False,
               title_name="惠远镇"),
    ]
    out += [
        Agency("温县人民政府", "government", "410825", "焦作市人民政府", "wuzhi", "1500", "温县", size=6,
               registered=False),
        Agency("温县教育局", "department", "410825", "温县人民政府", "wuzhi", "1500", "教育局", registered=False),
        Agency("温县住房和城乡建设局", "department", "410825", "温县人民政府", "wuzhi", "1500", "住建局",
               registered=False, title_name="温县住建局"),
    ]
    out += [
        Agency("福海县人民政府", "government", "654323", "阿勒泰地区行政公署", "gated", "", "福海县", size=2),
        Agency("福海县财政局", "department", "654323", "福海县人民政府", "gated", "", "财政局"),
        Agency("吉木乃县人民政府", "government", "654326", "阿勒泰地区行政公署", "drawn", "", "吉木乃县", size=2),
    ]
    for a in out:
        if a.site in BROWSER_COLUMNS:
            a.first_year = 2024
        elif a.site == "huocheng":
            a.first_year = 2023
        elif a.slug == "1500":
            a.first_year = 2024
    return out


BENCH_KINDS = ["发展和改革委员会", "教育局", "民政局", "司法局", "人力资源和社会保障局", "自然资源局", "交通运输局", "水利局", "农业农村局", "商务局"]


def _scale_agencies(n: int) -> list[Agency]:
    out = []
    for i in range(n):
        county = f"样例县{i // len(BENCH_KINDS) + 1:04d}"
        name = f"{county}{BENCH_KINDS[i % len(BENCH_KINDS)]}"
        out.append(
            Agency(name, "department", "659000", f"{county}人民政府", "bench", f"c{300000 + i}", name, scale=True)
        )
    return out


# ----------------------------------------------------------------------------------------------
# The numbers of one report


def _split(rng: random.Random, total: int, weights: list[int]) -> list[int]:
    """`total` units spread over len(weights) rows (a deterministic multinomial draw)."""
    counts = [0] * len(weights)
    for i in rng.choices(range(len(weights)), weights=weights, k=total):
        counts[i] += 1
    return counts


RESULT_WEIGHTS_2021 = [50, 10, 1, 1, 1, 2, 1, 2, 1, 1, 12, 3, 3, 2, 2, 1, 1, 1, 2, 1, 3]
RESULT_WEIGHTS_2019 = RESULT_WEIGHTS_2021[:18] + [6]


def gen_series(agency: Agency) -> dict[int, dict]:
    """Parse-contract values for every year of one agency, generated in order so that the
    cross-year rules hold (carried_over_in = last carried_over_out; in_force rolls forward)."""
    out: dict[int, dict] = {}
    prev_out = [0] * 7
    rules_in_force = 0 if agency.kind != "government" else 12
    norm_in_force = {"government": 40, "department": 6}.get(agency.kind, 0)
    for year in YEARS:
        rng = random.Random(f"values|{agency.name}|{year}")
        fmt = format_for_year(year)
        big = agency.size
        new = [
            rng.randint(0, 6 * big) if rng.random() < 0.8 or big > 1 else 0,
            rng.randint(0, big),
            rng.randint(0, big // 8),
            rng.randint(0, big // 6),
            rng.randint(0, big // 4),
            rng.randint(0, big // 5),
        ]
        if agency.kind == "town" and rng.random() < 0.5:
            new = [0] * 6
        cin = prev_out[:6] if year > 2019 else [rng.randint(0, 1) if big > 2 else 0 for _ in range(6)]
        cout = [rng.randint(0, min(2, n + c)) if n + c and rng.random() < 0.3 else 0 for n, c in zip(new, cin, strict=True)]
        done = [n + c - o for n, c, o in zip(new, cin, cout, strict=True)]
        weights = RESULT_WEIGHTS_2019 if fmt == "2019" else RESULT_WEIGHTS_2021
        per_col = [_split(rng, d, weights) for d in done]  # [col][row]
        keys = request_keys(fmt)
        result_keys = [k for k in keys if k not in ("new_received", "carried_over_in", "total_processed", "carried_over_out")]
        requests: dict[str, list[int] | None] = {}

        def row(vals: list[int]) -> list[int]:
            return vals + [sum(vals)]

        requests["new_received"] = row(new)
        requests["carried_over_in"] = row(cin)
        for r, key in enumerate(result_keys):
            requests[key] = row([per_col[c][r] for c in range(6)])
        requests["total_processed"] = row(done)
        requests["carried_over_out"] = row(cout)
        # In the 2019 format 其他处理 is one row: the parser then reports `other` and no other_* keys.
        requests = {k: requests[k] for k in keys}
        prev_out = cout + [sum(cout)]

        appeals = {}
        for g, _ in APPEAL_GROUPS:
            n = rng.randint(0, max(0, big // 10)) if rng.random() < 0.5 else 0
            v = _split(rng, n, [5, 2, 1, 1])
            appeals[g] = v + [sum(v)]

        if fmt == "2021":
            r_iss = rng.randint(0, 2) if agency.kind == "government" else 0
            r_rep = min(rules_in_force, rng.randint(0, 1)) if agency.kind == "government" else 0
            rules_in_force += r_iss - r_rep
            n_iss = rng.randint(0, 6) if norm_in_force or agency.kind == "government" else 0
            n_rep = min(norm_in_force, rng.randint(0, 3)) if norm_in_force else 0
            norm_in_force += n_iss - n_rep
            active = {
                "rules": {"issued": r_iss, "repealed": r_rep, "in_force": rules_in_force},
                "normative": {"issued": n_iss, "repealed": n_rep, "in_force": norm_in_force},
                "licensing": rng.randint(0, 500 * big) if agency.kind != "town" else rng.randint(0, 30),
                "punishment": rng.randint(0, 80 * big) if agency.kind != "town" else rng.randint(0, 8),
                "coercion": rng.randint(0, 5 * big) if agency.kind != "town" else 0,
                "fees_wan": round(rng.uniform(0, 30 * big), 2) if agency.kind != "town" and rng.random() < 0.7 else 0,
            }
        else:
            active = {}
            for key, _, cols in ACTIVE_2019:
                if key in ("rules", "normative"):
                    made = rng.randint(0, 5) if (agency.kind == "government" or key == "normative") else 0
                    pub = min(made, rng.randint(0, made)) if made else 0
                    base = rules_in_force if key == "rules" else norm_in_force
                    active[key] = {"new_made": made, "new_published": pub, "total_published": base + pub}
                elif key == "fees":
                    active[key] = {"prev_items": rng.randint(0, 12), "change": rng.randint(-2, 2)}
                elif key == "procurement":
                    items = rng.randint(0, 30) if agency.kind != "town" else 0
                    active[key] = {"items": items, "amount_yuan": items * rng.randint(5000, 90000)}
                else:
                    prev = rng.randint(0, 120) if agency.kind != "town" else rng.randint(0, 10)
                    active[key] = {"prev_items": prev, "change": rng.randint(-3, 5), "decisions": rng.randint(0, 400 * big)}
                assert [*active[key]] == cols
            # the parse contract keeps the amount as printed too (the portal prints the bare number)
            active["procurement"]["amount_text"] = str(active["procurement"]["amount_yuan"])
        out[year] = {
            "format": fmt,
            "sections": ["1", "2", "3", "4", "5", "6"],
            "active": active,
            "requests": requests,
            "appeals": appeals,
        }
    return out


# ----------------------------------------------------------------------------------------------
# The checks a report's own numbers must pass (extract/checks.py)

# Named as extract/checks.py names them.
CHECK_NAMES = ["balance", "row_totals", "results_sum", "appeals_totals", "completeness", "narrative"]


def failing_checks(values: dict, narrative_total: int | None = None) -> list[str]:
    """Names of the checks (extract/checks.py) that `values` fail (the truth's `checks_fail`)."""
    fails: list[str] = []
    req = values.get("requests") or {}
    rows = {k: v for k, v in req.items() if v is not None}
    ends = ("new_received", "carried_over_in", "total_processed", "carried_over_out")
    if all(k in rows and None not in rows[k] for k in ends):  # a check that cannot run does not fail
        if not all(rows[ends[0]][c] + rows[ends[1]][c] == rows[ends[2]][c] + rows[ends[3]][c] for c in range(7)):
            fails.append("balance")
    if rows and not all(None in v or sum(v[:6]) == v[6] for v in rows.values()):
        fails.append("row_totals")
    result = [k for k in RESULT_KEYS + ["other"] if k in rows]
    if "total_processed" in rows and None not in rows["total_processed"]:
        if not all(sum(rows[k][c] or 0 for k in result) == rows["total_processed"][c] for c in range(7)):
            fails.append("results_sum")
    appeals = values.get("appeals")
    if appeals and not all(sum(v[:4]) == v[4] for v in appeals.values()):
        fails.append("appeals_totals")
    if values.get("sections") != ["1", "2", "3", "4", "5", "6"] or not values.get("active") or not req or not appeals:
        fails.append("completeness")
    if narrative_total is not None and "new_received" in rows and narrative_total != rows["new_received"][6]:
        fails.append("narrative")
    return fails


# ----------------------------------------------------------------------------------------------
# Reports and what happened to them


class Version:
    """One state of a report's content at its URL. Generated numbers are made on first use, so a
    portal with thousands of agencies starts fast."""

    def __init__(self, since: date, values: dict | None = None, narrative_total: int | None = None, note: str = "",
                 make: Callable[[], tuple[dict, int | None]] | None = None):
        self.since = since
        self.note = note
        self._values = values
        self._narrative = narrative_total
        self._make = make

    def _load(self) -> None:
        if self._values is None and self._make is not None:
            self._values, self._narrative = self._make()

    @property
    def values(self) -> dict:
        self._load()
        assert self._values is not None
        return self._values

    @property
    def narrative_total(self) -> int | None:
        """The request count the prose states (None: the prose states none we know of)."""
        self._load()
        return self._narrative


def copy_values(v: dict) -> dict:
    """A deep copy of parse-contract values (faster than copy.deepcopy for this shape)."""
    out = dict(v)
    out["sections"] = list(v["sections"])
    out["active"] = {k: dict(x) if isinstance(x, dict) else x for k, x in v["active"].items()}
    out["requests"] = {k: list(x) if x is not None else None for k, x in v["requests"].items()}
    out["appeals"] = {k: list(x) for k, x in v["appeals"].items()} if v.get("appeals") else v.get("appeals")
    return out


CONTRACT_KEYS = ("agency", "year", "published", "format", "sections", "active", "requests", "appeals")


@dataclass
class Report:
    agency: Agency
    year: int
    form: str  # html | pdf | docx | doc | wps | scan | html+pdf | seed-text forms
    link: str  # inline | href | onclick | iframe | embed | viewer
    portal_date: date  # the date the portal shows
    first_seen: date  # the day it appeared on the portal
    signed: date | None  # the date printed under the signature
    versions: list[Version]
    seed: str | None = None  # seed file stem for the five real reports
    static: str | None = None  # committed file under static/ (doc, wps, scan)
    extra_columns: list[str] = field(default_factory=list)  # other columns that also list it
    alias_path: str | None = None  # a second URL serving the same article (listed in another column)
    redirect_from: str | None = None  # list link that reaches the article through a redirect chain
    slow: bool = False
    flaky: int = 0  # first N requests of the article answer 503
    gbk: bool = False
    url_day: date | None = None  # the date in the article URL, when it is not the portal date

    @property
    def title(self) -> str:
        if self.seed and self.agency.site == "wusu":
            return f"{self.agency.short}政府信息公开工作{self.year}年度报告"
        return f"{self.agency.title_name or self.agency.name}{self.year}年政府信息公开工作年度报告"

    @property
    def key(self) -> str:
        return _h(self.agency.name, self.year, "article")

    @cached_property
    def article_path(self) -> str:
        a, d = self.agency, self.portal_date
        if a.site in ("yining", "bench"):
            col = YINING_YEAR_COLS[self.year] if a.kind == "government" and a.site == "yining" else a.slug
            if a.name == "伊宁市人民政府" and self.year == 2020:
                return "/yining/c118486/202101/d0795811e3b84d41b32b0b39c956bd26.shtml"  # the real URL
            return f"/{a.site}/{col}/{d:%Y%m}/{self.key}.shtml"
        if a.site == "wusu":
            return f"/wusu/zfxxgk/zfxxgknb/{a.slug}/{d:%Y%m}/t{d:%Y%m%d}_{_hint(self.key) % 900000 + 100000}.html"
        if a.site == "kfq":  # TRS: the URL carries the day the document was made
            u = self.url_day or d
            return f"{SCRIPT_COLUMNS['kfq']}{u:%Y%m}/t{u:%Y%m%d}_{_hint(self.key) % 900000 + 100000}.html"
        if a.site == "xianju":
            return f"/xianju/art/{d.year}/{d.month}/{d.day}/art_1229400001_{_hint(self.key) % 9000000 + 1000000}.html"
        if a.site == "altay":
            return f"/altay/zfxxgk/zfxxgknb/{d:%Y%m}/{self.key[:24]}.html"
        if a.site == "tacheng":
            return f"{SCRIPT_COLUMNS['tacheng']}{d:%Y%m}/{self.key}.shtml"
        if a.site == "huocheng":
            return f"/huocheng/{HUOCHENG_YEAR_COLS[self.year]}/{d:%Y%m}/{self.key}.shtml"
        if a.site in BROWSER_COLUMNS:
            return f"/{a.site}/zfxxgk/art/{d:%Y%m}/{self.key[:20]}.html"
        return f"/wuzhi/art/{d.year}/{d.month}/{d.day}/art_{a.slug}_{_hint(self.key) % 9000000 + 1000000}.html"

    @cached_property
    def attachment_path(self) -> str | None:
        ext = {"pdf": "pdf", "docx": "docx", "doc": "doc", "wps": "wps", "scan": "pdf", "html+pdf": "pdf"}.get(self.form)
        if self.seed_form == "pdf":
            ext = "pdf"
        elif self.seed_form == "docx":
            ext = "docx"
        if ext is None:
            return None
        a, d, k2 = self.agency, self.portal_date, _h(self.key, "file")
        if a.site in ("yining", "bench", "tacheng", "huocheng"):
            return f"{self.article_path[:-6]}/files/{k2}.{ext}"
        if a.site == "kfq":
            return f"{self.article_path.rsplit('/', 1)[0]}/P0{d:%Y%m%d}{_hint(k2) % 10**8:08d}.{ext}"
        if a.site in ("xianju", "altay"):
            return f"/{a.site}/attach/0/{k2}.{ext}"
        if a.site in BROWSER_COLUMNS:
            return f"/{a.site}/zfxxgk/art/{d:%Y%m}/P{k2[:16]}.{ext}"
        if a.site == "wusu":
            return f"/wusu/zfxxgk/zfxxgknb/{a.slug}/{d:%Y%m}/P0{d:%Y%m%d}{_hint(k2) % 10**8:08d}.{ext}"
        return f"/wuzhi/attach/0/{k2}.{ext}"

    @property
    def seed_form(self) -> str | None:
        return self.form.removeprefix("seed-") if self.seed else None

    def version(self, today: date) -> Version:
        return [v for v in self.versions if v.since <= today][-1]

    def urls(self) -> list[str]:
        out = [self.article_path]
        if self.alias_path:
            out.append(self.alias_path)
        if self.attachment_path:
            out.append(self.attachment_path)
        return out

    def list_path(self) -> str:
        """What the report column links to (an old URL that redirects, for one report)."""
        return self.redirect_from or self.article_path


@dataclass
class Lookalike:
    """A document in a report column that is not an annual report (or not one on the form)."""

    site: str
    column: str  # column path
    title: str
    day: date
    kind: str  # work_report | final_accounts | work_plan | rule_of_law | notice | dead | large
    agency: str

    @cached_property
    def path(self) -> str:
        k = _h("lookalike", self.column, self.title)
        if self.site == "yining":
            return f"{self.column}{self.day:%Y%m}/{k}.shtml"
        if self.site == "wusu":
            return f"{self.column}{self.day:%Y%m}/t{self.day:%Y%m%d}_{_hint(k) % 900000 + 100000}.html"
        colno = self.column.split("col/col")[1].split("/")[0]
        return f"/wuzhi/art/{self.day.year}/{self.day.month}/{self.day.day}/art_{colno}_{_hint(k) % 9000000 + 1000000}.html"

    @property
    def large_path(self) -> str:
        return f"{self.path[:-6]}/files/{_h(self.path, 'large')}.pdf"


# Which form each special report takes; the rest are drawn by hash.
FORM_OVERRIDES: dict[tuple[str, int], tuple[str, str]] = {
    ("伊宁市人民政府", 2019): ("html", "inline"),
    ("伊宁市人民政府", 2020): ("html", "inline"),
    ("伊宁市人民政府", 2021): ("pdf", "href"),
    ("伊宁市人民政府", 2022): ("html+pdf", "href"),
    ("伊宁市人民政府", 2023): ("docx", "href"),
    ("伊宁市人民政府", 2025): ("html", "inline"),
    ("伊宁市公安局", 2021): ("pdf", "onclick"),
    ("伊宁市财政局", 2022): ("pdf", "iframe"),
    ("伊宁市教育局", 2022): ("wps", "href"),
    ("伊宁市教育局", 2023): ("pdf", "embed"),
    ("伊宁市卫生健康委员会", 2023): ("pdf", "viewer"),
    ("伊宁市英也尔镇人民政府", 2021): ("doc", "href"),
    ("伊宁市达达木图镇人民政府", 2023): ("scan", "href"),
    ("伊宁市住房和城乡建设局", 2024): ("docx", "href"),
    # notice pages whose attachment holds the report (one report, two documents)
    ("霍城县教育局", 2025): ("pdf", "href"),
    ("霍城县水利局", 2024): ("html+pdf", "href"),
    (HUOCHENG, 2024): ("html+pdf", "href"),
    ("霍城县三宫乡人民政府", 2025): ("docx", "href"),
    # the two PDF attachments behind the gate
    ("福海县人民政府", 2024): ("pdf", "href"),
    ("福海县人民政府", 2025): ("html", "inline"),
    ("福海县财政局", 2024): ("html", "inline"),
    ("福海县财政局", 2025): ("pdf", "href"),
    ("吉木乃县人民政府", 2024): ("html", "inline"),
    ("吉木乃县人民政府", 2025): ("html", "inline"),
}
STATIC_FILES = {"doc": "report.doc", "wps": "report.wps", "scan": "scan.pdf"}

# The five real reports (tests/seeds), with the portal date each was published on.
SEEDS: dict[str, tuple[str, int, date, str]] = {
    "000_d00dabea609a4446": ("伊宁市潘津镇人民政府", 2024, date(2025, 1, 21), "seed-pdf"),
    "001_70dbf32ff745fb63": ("伊宁市人民政府", 2024, date(2025, 1, 28), "seed-html"),
    "002_f13d2195483ea46f": ("武陟县大封镇人民政府", 2024, date(2025, 1, 24), "seed-html"),  # undated: portal date chosen
    "003_1e1d37345e448265": ("乌苏市甘河子镇人民政府", 2024, date(2025, 1, 22), "seed-html"),
    "004_4a1ee8622544226d": ("伊宁市巴彦岱镇人民政府", 2025, date(2026, 1, 23), "seed-docx"),
}

# Reports whose numbers deliberately break a check: (agency, year) -> how.
BROKEN: dict[tuple[str, int], str] = {
    ("伊宁市公安局", 2022): "row_totals",
    ("伊宁市财政局", 2023): "balance",
    ("伊宁市汉宾乡人民政府", 2021): "appeals_totals",
    ("伊宁市卫生健康委员会", 2024): "narrative",
    ("伊宁市住房和城乡建设局", 2020): "completeness",
    ("乌苏市人民政府", 2022): "results_sum",
}
# Published, then silently replaced at the same URL (the first version fails the balance check).
EDITED = ("伊宁市市场监督管理局", 2024, date(2025, 1, 20), date(2025, 2, 17))
# Appeared on 2025-03-20 with a portal date of 2025-01-24.
BACKDATED = ("伊宁市英也尔镇人民政府", 2024, date(2025, 1, 24), date(2025, 3, 20))
# Published on a day of the plan, or never: explicit cases so every status exists as of the default today.
PLAN: dict[tuple[str, int], date | None] = {
    ("伊宁市汉宾乡人民政府", 2025): None,
    ("伊宁市喀尔墩乡人民政府", 2024): None,
    ("伊宁市文化体育广播电视和旅游局", 2025): date(2026, 3, 9),  # late
    ("伊宁市人民政府", 2025): date(2026, 3, 27),
    ("乌苏市人民政府", 2025): date(2026, 6, 15),  # late, after the default today: missing until then
    ("武陟县人民政府", 2025): date(2026, 3, 30),
    ("乌苏市甘河子镇人民政府", 2025): date(2026, 2, 3),
    ("武陟县大封镇人民政府", 2025): None,
    (URL_DATE_DIFFERS[0], URL_DATE_DIFFERS[1]): URL_DATE_DIFFERS[2],
    ("温县人民政府", 2024): date(2025, 3, 20),
    ("温县人民政府", 2025): date(2026, 3, 18),
    ("温县教育局", 2024): None,
    ("温县教育局", 2025): date(2026, 1, 22),
    ("温县住房和城乡建设局", 2024): None,
    (PLATFORM_SIBLING[0], PLATFORM_SIBLING[1]): date(2026, 1, 26),
    ("奎屯经济技术开发区经济发展局", 2019): None,  # the zone column then lists 20
    ("福海县人民政府", 2024): date(2025, 3, 18),
    ("福海县人民政府", 2025): date(2026, 3, 16),
    ("福海县财政局", 2024): date(2025, 1, 16),
    ("福海县财政局", 2025): date(2026, 1, 20),
    ("吉木乃县人民政府", 2024): date(2025, 3, 12),
    ("吉木乃县人民政府", 2025): date(2026, 3, 10),
}


def legacy_values(a: Agency, year: int, signed: date) -> dict:
    """The parse contract of a pre-2019 free-form report: no standard tables."""
    return {"agency": a.name, "year": year, "published": signed.isoformat(), "format": "legacy",
            "sections": ["1", "2", "3", "4", "5", "6"], "active": None, "requests": None, "appeals": None}


def load_seed(stem: str) -> tuple[list[dict], dict]:
    """A real report as blocks ({"p": text} | {"table": rows}, made by make_static from its text)
    and its gold values."""
    base = resources.files("crawler.portal") / "data" / "seeds"
    blocks = json.loads((base / f"{stem}.blocks.json").read_text(encoding="utf-8"))
    gold = json.loads((base / f"{stem}.json").read_text(encoding="utf-8"))
    return blocks, gold


def seed_values(gold: dict) -> dict:
    """Gold → parse-contract values (gold's `inferred` becomes the contract's `cells`)."""
    values = {k: gold[k] for k in ("agency", "year", "published", "format", "sections", "active", "requests", "appeals")}
    cells = {}
    for key, cols in (gold.get("inferred") or {}).items():
        for c in cols:
            cells[f"requests.{key}.{c}"] = "inferred"
    if cells:
        values["cells"] = cells
    return values


def _break(values: dict, how: str) -> None:
    req = values["requests"]
    if how == "row_totals":
        # A wrong 总计 cell in 予以公开, and the table's later totals built on it: only row totals fail.
        req["granted"][6] += 1
        req["total_processed"][6] += 1
        req["new_received"][6] += 1
    elif how == "balance":
        req["carried_over_out"][0] += 2
        req["carried_over_out"][6] += 2
    elif how == "appeals_totals":
        values["appeals"]["review"][4] = values["appeals"]["review"][4] + 1
    elif how == "completeness":
        values["sections"] = ["1", "2", "3", "5", "6"]
        values["appeals"] = None
    elif how == "results_sum":
        req["total_processed"] = [v + (1 if i in (0, 6) else 0) for i, v in enumerate(req["total_processed"])]
        req["carried_over_out"] = [v - (1 if i in (0, 6) else 0) for i, v in enumerate(req["carried_over_out"])]


@dataclass
class World:
    today: date
    scale: int = 0

    @cached_property
    def agencies(self) -> list[Agency]:
        return _agencies() + _scale_agencies(self.scale)

    @cached_property
    def agency_by_name(self) -> dict[str, Agency]:
        return {a.name: a for a in self.agencies}

    @cached_property
    def all_reports(self) -> list[Report]:
        """Every report that is ever published, including those after `today`."""
        seeds = {(agency, year): (stem, day, form) for stem, (agency, year, day, form) in SEEDS.items()}
        out: list[Report] = []
        series: dict[str, dict[int, dict]] = {}
        for a in self.agencies:
            if a.login:
                continue  # its reports sit behind the login; nothing to find
            for year in a.years:
                key = (a.name, year)
                rng = random.Random(f"plan|{a.name}|{year}")
                due = a.due(year)
                if key in seeds:
                    stem, day, form = seeds[key]
                    _, gold = load_seed(stem)
                    vals = seed_values(gold)
                    signed = date.fromisoformat(gold["published"]) if gold["published"] else None
                    v = Version(day, vals, None)
                    out.append(
                        Report(a, year, form, "href" if form != "seed-html" else "inline", day, day, signed, [v], seed=stem,
                               gbk=a.site == "wusu")
                    )
                    continue
                if key in PLAN:
                    day = PLAN[key]
                else:
                    roll = _hint("plan", a.name, year) % 100
                    if a.kind == "government" or roll < 70:
                        day = due - timedelta(days=rng.randint(1, 20))
                    elif roll < 88:
                        day = due + timedelta(days=rng.randint(3, 75))
                    else:
                        day = None
                if day is None:
                    continue
                day = max(day, date(year + 1, 1, 6))
                form, link = FORM_OVERRIDES.get(key, ("", ""))
                if not form:
                    pick = _hint("form", a.name, year) % 100
                    form, link = ("html", "inline") if pick < 60 or a.scale else ("pdf", "href") if pick < 85 else ("docx", "href")
                if form == "html":
                    link = "inline"
                signed = day - timedelta(days=rng.randint(0, 4))
                first_seen = day
                edited = key == EDITED[:2]
                if edited:
                    day = first_seen = EDITED[2]
                if key == BACKDATED[:2]:
                    day, first_seen = BACKDATED[2], BACKDATED[3]
                    signed = day - timedelta(days=1)

                def make(a: Agency = a, year: int = year, signed: date = signed, how: str | None = BROKEN.get(key),
                         first: bool = False) -> tuple[dict, int]:
                    got = series.get(a.name)
                    if got is None:  # a small cache: requests come from many threads in any order
                        got = gen_series(a)
                        if len(series) > 64:
                            series.clear()
                        series[a.name] = got
                    vals = {"agency": a.name, "year": year, "published": signed.isoformat(), **copy_values(got[year])}
                    if how and how != "narrative":
                        _break(vals, how)
                    if first:  # the first version of the edited report fails the balance check
                        _break(vals, "balance")
                    # The prose states the year's new requests; one report's prose disagrees with its table.
                    narrative = vals["requests"]["new_received"][6] + (3 if how == "narrative" else 0)
                    return {k: vals[k] for k in CONTRACT_KEYS}, narrative

                versions = [Version(first_seen, make=make)]
                if edited:
                    versions = [Version(first_seen, make=partial(make, first=True), note="first version"),
                                Version(EDITED[3], make=make, note="edited")]
                r = Report(a, year, form, link, day, first_seen, signed, versions, static=STATIC_FILES.get(form))
                out.append(r)
        for (name, year), day in LEGACY.items():
            a = self.agency_by_name[name]
            signed = day - timedelta(days=2)
            vals = legacy_values(a, year, signed)
            out.append(Report(a, year, "legacy", "inline", day, day, signed, [Version(day, vals, None)]))
        by = {(r.agency.name, r.year): r for r in out}
        r = by.get(URL_DATE_DIFFERS[:2])
        if r:
            r.url_day = URL_DATE_DIFFERS[3]
        # The traps a crawler meets on the way to some reports.
        if ("伊宁市潘津镇人民政府", 2024) in by:
            by[("伊宁市潘津镇人民政府", 2024)].extra_columns.append(f"/yining/{YINING_YEAR_COLS[2024]}/")
        if ("伊宁市巴彦岱镇人民政府", 2025) in by:
            by[("伊宁市巴彦岱镇人民政府", 2025)].extra_columns.append(f"/yining/{YINING_YEAR_COLS[2025]}/")
        r = by.get(("伊宁市达达木图镇人民政府", 2022))
        if r:  # listed in the 2022 year column under a second URL (a copy of the article)
            r.extra_columns.append(f"/yining/{YINING_YEAR_COLS[2022]}/")
            r.alias_path = f"/yining/{YINING_YEAR_COLS[2022]}/{r.portal_date:%Y%m}/{_h(r.key, 'copy')}.shtml"
        r = by.get(("伊宁市人民政府", 2019))
        if r:
            r.redirect_from = "/yining/zwgk/xxgknb/2019.html"
        r = by.get(("伊宁市人民政府", 2022))
        if r:
            r.slow = True  # its attachment answers slowly
        r = by.get(("伊宁市公安局", 2023))
        if r:
            r.flaky = 2
        return out

    @cached_property
    def reports(self) -> list[Report]:
        """Reports on the portal as of `today`."""
        return [r for r in self.all_reports if r.first_seen <= self.today]

    @cached_property
    def lookalikes(self) -> list[Lookalike]:
        out: list[Lookalike] = []
        for y in YEARS:
            col = f"/yining/{YINING_YEAR_COLS[y]}/"
            nxt = y + 1
            out += [
                Lookalike("yining", col, f"伊宁市人民政府{nxt}年政府工作报告", date(nxt, 1, 12), "work_report", "伊宁市人民政府"),
                Lookalike("yining", col, f"伊宁市{y}年财政决算报告", date(nxt, 8, 20), "final_accounts", "伊宁市财政局"),
                Lookalike("yining", col, f"伊宁市人民政府{nxt}年度工作要点", date(nxt, 2, 10), "work_plan", "伊宁市人民政府"),
                Lookalike("yining", col, f"伊宁市{y}年法治政府建设年度报告", date(nxt, 3, 25), "rule_of_law", "伊宁市人民政府"),
                Lookalike("yining", col, f"关于做好{y}年度政府信息公开工作年度报告编制发布工作的通知", date(y, 12, 20), "notice", "伊宁市人民政府办公室"),
            ]
        out.append(Lookalike("yining", f"/yining/{YINING_YEAR_COLS[2023]}/", "伊宁市2023年财政决算报告（附表）", date(2024, 8, 22), "large", "伊宁市财政局"))
        out.append(Lookalike("yining", "/yining/c119001/", "伊宁市公安局2024年法治政府建设年度报告", date(2025, 3, 15), "rule_of_law", "伊宁市公安局"))
        out.append(Lookalike("yining", "/yining/c119004/", "伊宁市2024年财政决算报告", date(2025, 8, 19), "final_accounts", "伊宁市财政局"))
        out.append(Lookalike("yining", "/yining/c119101/", "潘津镇2025年度工作要点", date(2025, 2, 14), "work_plan", "伊宁市潘津镇人民政府"))
        for y in (2023, 2024, 2025):
            out.append(Lookalike("wusu", "/wusu/zfxxgk/zfxxgknb/szf/", f"乌苏市人民政府{y + 1}年政府工作报告", date(y + 1, 1, 18), "work_report", "乌苏市人民政府"))
            out.append(Lookalike("wuzhi", "/wuzhi/col/col1001/index.html", f"武陟县{y}年法治政府建设年度报告", date(y + 1, 3, 20), "rule_of_law", "武陟县人民政府"))
        out.append(Lookalike("wuzhi", "/wuzhi/col/col1123/index.html", "大封镇2025年度工作要点", date(2025, 2, 21), "work_plan", "武陟县大封镇人民政府"))
        return [x for x in out if x.day <= self.today]

    # --------------------------------------------------------------------------------------
    # Truth

    def compliance(self) -> list[dict]:
        found = {(r.agency.name, r.year): r for r in self.reports}
        out = []
        for a in self.agencies:
            if not a.registered:
                continue  # no verdicts until the registry holds it
            for year in a.years:
                due = a.due(year)
                r = found.get((a.name, year))
                row: dict = {"agency": a.name, "year": year, "as_of": self.today.isoformat(), "due": due.isoformat(), "published": None}
                if a.login:
                    row["status"] = "unreachable"
                elif r is not None:
                    row["published"] = r.portal_date.isoformat()
                    late = (r.portal_date - due).days
                    row["status"] = "late" if late > 0 else "on_time"
                    if late > 0:
                        row["days_late"] = late
                    if r.first_seen != r.portal_date:
                        row["backdated"] = True
                        row["first_seen"] = r.first_seen.isoformat()
                else:
                    row["status"] = "pending" if self.today <= due else "missing"
                out.append(row)
        return out

    def registry_rows(self, base_url: str) -> list[dict]:
        return [
            {
                "name": a.name,
                "kind": a.kind,
                "region": a.region,
                "parent": a.parent,
                "portal": base_url + SITES[a.site]["home"],
                "cms": a.cms,
                "columns": [base_url + p for p in a.column_paths]
                + ([platform_base(base_url) + PLATFORM_COLUMN] if a.name == PLATFORM_OWNER else []),
                "deadline": a.deadline,
            }
            for a in self.agencies
            if a.registered
        ]

    def unregistered(self, base_url: str) -> list[dict]:
        """Bodies whose reports the portal lists but the registry does not hold."""
        return [{"name": a.name, "kind": a.kind, "parent": a.parent, "region": a.region,
                 "years": sorted({r.year for r in self.reports if r.agency is a}),
                 "columns": sorted({(platform_base(base_url) if p == PLATFORM_COLUMN else base_url) + p
                                    for p in a.column_paths})}
                for a in self.agencies if not a.registered]
