"""A report on the sample portal and what happened to it (its versions at one URL, the columns and
URLs that serve it), and the lookalikes: documents in report columns that are not annual reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from .agencies import Agency
from .sites import BROWSER_COLUMNS, HUOCHENG_YEAR_COLS, SCRIPT_COLUMNS, YINING_YEAR_COLS, digest, digest_int


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
        return digest(self.agency.name, self.year, "article")

    @cached_property
    def article_path(self) -> str:
        a, d = self.agency, self.portal_date
        if a.site in ("yining", "bench"):
            col = YINING_YEAR_COLS[self.year] if a.kind == "government" and a.site == "yining" else a.slug
            if a.name == "伊宁市人民政府" and self.year == 2020:
                return "/yining/c118486/202101/d0795811e3b84d41b32b0b39c956bd26.shtml"  # the real URL
            return f"/{a.site}/{col}/{d:%Y%m}/{self.key}.shtml"
        if a.site == "wusu":
            return f"/wusu/zfxxgk/zfxxgknb/{a.slug}/{d:%Y%m}/t{d:%Y%m%d}_{digest_int(self.key) % 900000 + 100000}.html"
        if a.site == "kfq":  # TRS: the URL carries the day the document was made
            u = self.url_day or d
            return f"{SCRIPT_COLUMNS['kfq']}{u:%Y%m}/t{u:%Y%m%d}_{digest_int(self.key) % 900000 + 100000}.html"
        if a.site == "xianju":
            return f"/xianju/art/{d.year}/{d.month}/{d.day}/art_1229400001_{digest_int(self.key) % 9000000 + 1000000}.html"
        if a.site == "altay":
            return f"/altay/zfxxgk/zfxxgknb/{d:%Y%m}/{self.key[:24]}.html"
        if a.site == "tacheng":
            return f"{SCRIPT_COLUMNS['tacheng']}{d:%Y%m}/{self.key}.shtml"
        if a.site == "huocheng":
            return f"/huocheng/{HUOCHENG_YEAR_COLS[self.year]}/{d:%Y%m}/{self.key}.shtml"
        if a.site in BROWSER_COLUMNS:
            return f"/{a.site}/zfxxgk/art/{d:%Y%m}/{self.key[:20]}.html"
        return f"/wuzhi/art/{d.year}/{d.month}/{d.day}/art_{a.slug}_{digest_int(self.key) % 9000000 + 1000000}.html"

    @cached_property
    def attachment_path(self) -> str | None:
        ext = {"pdf": "pdf", "docx": "docx", "doc": "doc", "wps": "wps", "scan": "pdf", "html+pdf": "pdf"}.get(self.form)
        if self.seed_form == "pdf":
            ext = "pdf"
        elif self.seed_form == "docx":
            ext = "docx"
        if ext is None:
            return None
        a, d, k2 = self.agency, self.portal_date, digest(self.key, "file")
        if a.site in ("yining", "bench", "tacheng", "huocheng"):
            return f"{self.article_path[:-6]}/files/{k2}.{ext}"
        if a.site == "kfq":
            return f"{self.article_path.rsplit('/', 1)[0]}/P0{d:%Y%m%d}{digest_int(k2) % 10**8:08d}.{ext}"
        if a.site in ("xianju", "altay"):
            return f"/{a.site}/attach/0/{k2}.{ext}"
        if a.site in BROWSER_COLUMNS:
            return f"/{a.site}/zfxxgk/art/{d:%Y%m}/P{k2[:16]}.{ext}"
        if a.site == "wusu":
            return f"/wusu/zfxxgk/zfxxgknb/{a.slug}/{d:%Y%m}/P0{d:%Y%m%d}{digest_int(k2) % 10**8:08d}.{ext}"
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
        k = digest("lookalike", self.column, self.title)
        if self.site == "yining":
            return f"{self.column}{self.day:%Y%m}/{k}.shtml"
        if self.site == "wusu":
            return f"{self.column}{self.day:%Y%m}/t{self.day:%Y%m%d}_{digest_int(k) % 900000 + 100000}.html"
        colno = self.column.split("col/col")[1].split("/")[0]
        return f"/wuzhi/art/{self.day.year}/{self.day.month}/{self.day.day}/art_{colno}_{digest_int(k) % 9000000 + 1000000}.html"

    @property
    def large_path(self) -> str:
        return f"{self.path[:-6]}/files/{digest(self.path, 'large')}.pdf"
