"""The sample portal's sites and their columns, as data: each site is a path prefix on the one
loopback server, built as its CMS family builds real portals; the page sizes and ids the families'
list scripts carry; the traps some sites set.

The hashes that make URLs (`digest`, `digest_int`) live here too: every path the portal serves is a
pure function of names and dates, stable across runs and machines.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

YEARS = list(range(2019, 2026))
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
# The report column of each script-list site (shared by every body of the site).
SCRIPT_COLUMNS = {
    "kfq": "/kfq/zfxxgk/fdzdgknr/zfxxgknb/",
    "xianju": "/xianju/col/col1229400001/index.html",
    "altay": "/altay/zfxxgk/zfxxgknb/",
    "tacheng": "/tacheng/c120100/",
}
# The report column of each browser site.
BROWSER_COLUMNS = {"gated": "/gated/zfxxgk/ndbg/", "drawn": "/drawn/xxgk/nb/index.html"}

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


def digest(*parts: object) -> str:
    """A stable hex id made from names, years, paths (the ids in the portal's URLs)."""
    return hashlib.md5("|".join(str(p) for p in parts).encode()).hexdigest()


def digest_int(*parts: object) -> int:
    return int(digest(*parts)[:12], 16)

# Page sizes of the server-drawn lists, per CMS family.
XJ_PAGE = 6
TRS_PAGE = 5
HANWEB_PAGE = 5
# The script-list columns (SCRIPT_COLUMNS): page sizes and the ids their scripts carry.
TRT_PAGE = 10
TRT_API = "/trsapi/search/list2.trsapi"
TRT_CHANNEL = ("6f0c2d8e9a4b4c1d8e7f", "41233")  # listArgs channelid, classsql chnlid=…
JPAGE: dict[str, Any] = {"per_page": 5, "group": 3, "unitid": "6800001", "webid": "3101", "columnid": "1229400001"}
JPAGE_API = "/module/web/jpage/dataproxy.jsp"
CODEID: dict[str, Any] = {"api": "/altay/getFileListByCodeId", "codeId": "c100321", "channelId": "e3b0c44298fc1c149afbf4c8996fb924", "size": 5}
JYH_PAGE = 6
# The traps of 伊宁市's site: disallowed paths, an endless calendar, a login, dead links, a redirect chain.
ROBOTS = "User-agent: *\nDisallow: /yining/search/\nDisallow: /yining/member/\n"
DEAD_LINKS = ["/yining/old/index.html", "/yining/c118490/202203/jianbao3.shtml"]
CALENDAR = "/yining/calendar/"
LOGIN = "/yining/login.shtml"
REDIRECT_CHAIN = ["/yining/zwgk/xxgknb/2019.html", "/yining/zwgk/xxgknb/2019/"]
