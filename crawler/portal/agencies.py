"""The bodies that publish on the sample portal: who they are, which site and column they use, when
their reports are due. The list is data (one row a body); `agencies(scale)` adds generated bodies for
benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .sites import (
    BROWSER_COLUMNS,
    HUOCHENG,
    HUOCHENG_YEAR_COLS,
    REGIONS,
    SCRIPT_COLUMNS,
    SITES,
    YEARS,
    YINING_YEAR_COLS,
)

KFQ_UNIT = "奎屯经济技术开发区管理委员会"


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


def _yining() -> list[Agency]:
    """伊宁市: the city, its departments (one behind a login) and its towns."""
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
    return out


def _fixed() -> list[Agency]:
    """Every body of the sample sites, as the registry (or, for the unregistered, the portal) names it."""
    out = _yining()
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
    """n generated departments on the benchmark site, ten to a county."""
    out = []
    for i in range(n):
        county = f"样例县{i // len(BENCH_KINDS) + 1:04d}"
        name = f"{county}{BENCH_KINDS[i % len(BENCH_KINDS)]}"
        out.append(
            Agency(name, "department", "659000", f"{county}人民政府", "bench", f"c{300000 + i}", name, scale=True)
        )
    return out


def agencies(scale: int = 0) -> list[Agency]:
    """The sample portal's bodies, then `scale` generated ones."""
    return _fixed() + _scale_agencies(scale)
