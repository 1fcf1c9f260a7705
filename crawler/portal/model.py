"""The sample portal's world model: every report that is ever published, when it appeared, what it
holds, and what the portal's truth says of it (compliance, registry rows).

Everything here is a pure function of the options (today, scale), so two portals started with the
same options describe the same world. Numbers are drawn from `random.Random` seeded with strings
(string seeds are hashed with SHA-512, not with the per-process `hash()`), so they are stable
across runs and machines.

Truth (what a perfect crawl must find) is derived from the same objects the server renders, so the
two cannot drift apart. The special cases below are data: (agency, year) -> what is special.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, partial

from .agencies import KFQ_UNIT, Agency, agencies
from .reports import Lookalike, Report, Version
from .sites import (
    HUOCHENG,
    PLATFORM_COLUMN,
    PLATFORM_OWNER,
    PLATFORM_SIBLING,
    SITES,
    YEARS,
    YINING_YEAR_COLS,
    digest,
    digest_int,
    platform_base,
)
from .values import (
    CONTRACT_KEYS,
    break_values,
    copy_values,
    gen_series,
    legacy_values,
    load_seed,
    seed_values,
)

# The day the sample portal shows unless told otherwise (`--today`).
DEFAULT_TODAY = "2026-04-30"


def parse_day(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"--today {value!r}: not a date in YYYY-MM-DD form") from exc


# Reports on years up to 2018 (the 2008 regulation's free form) on the TRS zone column.
LEGACY: dict[tuple[str, int], date] = {(KFQ_UNIT, 2017): date(2018, 3, 20), (KFQ_UNIT, 2018): date(2019, 3, 22)}
# The list shows 2026-03-10, the article URL says t20260313_… (the day the document was made).
URL_DATE_DIFFERS = (KFQ_UNIT, 2025, date(2026, 3, 10), date(2026, 3, 13))
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


def _make_values(series: dict[str, dict[int, dict]], a: Agency, year: int, signed: date, how: str | None,
                 first: bool = False) -> tuple[dict, int]:
    """One generated report's values and the request count its prose states."""
    got = series.get(a.name)
    if got is None:  # a small cache: requests come from many threads in any order
        got = gen_series(a)
        if len(series) > 64:
            series.clear()
        series[a.name] = got
    vals = {"agency": a.name, "year": year, "published": signed.isoformat(), **copy_values(got[year])}
    if how and how != "narrative":
        break_values(vals, how)
    if first:  # the first version of the edited report fails the balance check
        break_values(vals, "balance")
    # The prose states the year's new requests; one report's prose disagrees with its table.
    narrative = vals["requests"]["new_received"][6] + (3 if how == "narrative" else 0)
    return {k: vals[k] for k in CONTRACT_KEYS}, narrative


def _seed_report(a: Agency, year: int, stem: str, day: date, form: str) -> Report:
    """One of the five real reports (tests/seeds), published on its planned day."""
    _, gold = load_seed(stem)
    vals = seed_values(gold)
    signed = date.fromisoformat(gold["published"]) if gold["published"] else None
    v = Version(day, vals, None)
    return Report(a, year, form, "href" if form != "seed-html" else "inline", day, day, signed, [v], seed=stem,
                  gbk=a.site == "wusu")


def _generated_report(a: Agency, year: int, series: dict[str, dict[int, dict]]) -> Report | None:
    """The report of (a, year) with generated numbers, or None when it is never published."""
    key = (a.name, year)
    rng = random.Random(f"plan|{a.name}|{year}")
    due = a.due(year)
    if key in PLAN:
        day = PLAN[key]
    else:
        roll = digest_int("plan", a.name, year) % 100
        if a.kind == "government" or roll < 70:
            day = due - timedelta(days=rng.randint(1, 20))
        elif roll < 88:
            day = due + timedelta(days=rng.randint(3, 75))
        else:
            day = None
    if day is None:
        return None
    day = max(day, date(year + 1, 1, 6))
    form, link = FORM_OVERRIDES.get(key, ("", ""))
    if not form:
        pick = digest_int("form", a.name, year) % 100
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
    make = partial(_make_values, series, a, year, signed, BROKEN.get(key))
    versions = [Version(first_seen, make=make)]
    if edited:
        versions = [Version(first_seen, make=partial(make, first=True), note="first version"),
                    Version(EDITED[3], make=make, note="edited")]
    return Report(a, year, form, link, day, first_seen, signed, versions, static=STATIC_FILES.get(form))


def _set_traps(by: dict[tuple[str, int], Report]) -> None:
    """The traps a crawler meets on the way to some reports."""
    r = by.get(URL_DATE_DIFFERS[:2])
    if r:
        r.url_day = URL_DATE_DIFFERS[3]
    if ("伊宁市潘津镇人民政府", 2024) in by:
        by[("伊宁市潘津镇人民政府", 2024)].extra_columns.append(f"/yining/{YINING_YEAR_COLS[2024]}/")
    if ("伊宁市巴彦岱镇人民政府", 2025) in by:
        by[("伊宁市巴彦岱镇人民政府", 2025)].extra_columns.append(f"/yining/{YINING_YEAR_COLS[2025]}/")
    r = by.get(("伊宁市达达木图镇人民政府", 2022))
    if r:  # listed in the 2022 year column under a second URL (a copy of the article)
        r.extra_columns.append(f"/yining/{YINING_YEAR_COLS[2022]}/")
        r.alias_path = f"/yining/{YINING_YEAR_COLS[2022]}/{r.portal_date:%Y%m}/{digest(r.key, 'copy')}.shtml"
    r = by.get(("伊宁市人民政府", 2019))
    if r:
        r.redirect_from = "/yining/zwgk/xxgknb/2019.html"
    r = by.get(("伊宁市人民政府", 2022))
    if r:
        r.slow = True  # its attachment answers slowly
    r = by.get(("伊宁市公安局", 2023))
    if r:
        r.flaky = 2


@dataclass
class World:
    today: date
    scale: int = 0

    @cached_property
    def agencies(self) -> list[Agency]:
        return agencies(self.scale)

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
                seed = seeds.get((a.name, year))
                r = _seed_report(a, year, *seed) if seed else _generated_report(a, year, series)
                if r is not None:
                    out.append(r)
        for (name, year), day in LEGACY.items():
            a = self.agency_by_name[name]
            signed = day - timedelta(days=2)
            vals = legacy_values(a, year, signed)
            out.append(Report(a, year, "legacy", "inline", day, day, signed, [Version(day, vals, None)]))
        _set_traps({(r.agency.name, r.year): r for r in out})
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
