"""Spiders: `gongkai` (whole registry, family per agency) and one per CMS family."""

from crawler.spiders.base import ReportSpider
from crawler.spiders.family import GenericSpider, HanwebSpider, TrsSpider, XjShtmlSpider

__all__ = ["GenericSpider", "HanwebSpider", "ReportSpider", "TrsSpider", "XjShtmlSpider"]
