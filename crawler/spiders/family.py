"""The family spiders: the report spider restricted to one CMS family, for `scrapy crawl <family>`
when working on one platform."""

from __future__ import annotations

from crawler.spiders.base import ReportSpider


class XjShtmlSpider(ReportSpider):
    """Xinjiang 集约化 platform: /<site>/c<colid>/<yyyymm>/<32hex>.shtml."""

    name = "xj_shtml"
    only_family = "xj_shtml"


class TrsSpider(ReportSpider):
    """TRS WCM: createPageHTML pagination, t<yyyymmdd>_<id>.html articles."""

    name = "trs"
    only_family = "trs"


class HanwebSpider(ReportSpider):
    """Hanweb 大汉 JCMS: col/col<N>/index.html, search.jsp?currpage=N, art_<col>_<id>.html."""

    name = "hanweb"
    only_family = "hanweb"


class GenericSpider(ReportSpider):
    """Any other portal: titles decide, every pagination style is tried."""

    name = "generic"
    only_family = "generic"
