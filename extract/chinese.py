"""Dates, Chinese numerals and bodies' names as reports and list pages print them.

One table of numerals for everyone who reads a year such as 二〇二〇 or 二O二O (a Latin or Greek
O, a full-width Ｏ, 〇, ○ or 零 for zero): the report parser reading a signature's date and the
crawler reading a list page's link text must agree on which years they see.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from extract.normalize import squeeze

CN_DIGITS: dict[str, int] = {
    "〇": 0, "○": 0, "零": 0, "O": 0, "o": 0, "Ο": 0, "Ｏ": 0,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
# the characters a year may be written in: 二〇二三, 二O二三
_YEAR_NUMERALS = "[" + "".join(CN_DIGITS) + "]"
_SMALL_NUMERALS = "[一二三四五六七八九十]"
# a year as printed: 2023 or four numerals
YEAR = rf"(?:19|20)\d{{2}}|{_YEAR_NUMERALS}{{4}}"
DATE = re.compile(
    rf"(?P<y>(?:19|20)\d{{2}}|{_YEAR_NUMERALS}{{4}})\s*年\s*"
    rf"(?P<m>\d{{1,2}}|{_SMALL_NUMERALS}{{1,3}})\s*月\s*"
    rf"(?P<d>\d{{1,2}}|{_SMALL_NUMERALS}{{1,3}})\s*日"
)
DATE_ISO = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-./]\s*(?P<m>\d{1,2})\s*[-./]\s*(?P<d>\d{1,2})")
# a year in numerals inside a title (二〇二〇年度…): it starts 一 or 二, the rest are any numerals
_CN_YEAR = re.compile(rf"[一二]{_YEAR_NUMERALS}{{3}}")


def cn_number(s: str) -> int:
    """Chinese numerals up to 99 (十二, 二十, 二十一) or digits."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS.get(ones, 0) if ones else 0)
    return CN_DIGITS[s]


def cn_year(s: str) -> int:
    """A year in digits or numerals digit by digit (二〇二三 → 2023)."""
    if s.isdigit():
        return int(s)
    return int("".join(str(CN_DIGITS[c]) for c in s))


def to_date(m: re.Match) -> date | None:
    """The date a DATE or DATE_ISO match names, or None when it names no real day."""
    try:
        return date(cn_year(m.group("y")), cn_number(m.group("m")), cn_number(m.group("d")))
    except (KeyError, ValueError):
        return None


def years_as_digits(text: str) -> str:
    """Years written in numerals as digits (二〇二〇年度 → 2020年度); other numerals stay."""
    return _CN_YEAR.sub(lambda m: str(cn_year(m.group(0))), text)


@lru_cache(maxsize=65536)  # the same link texts come back on every list page
def fold_title(text: str) -> str:
    """A title as matched: NFKC (full-width digits and brackets), radicals as characters, years in
    numerals as digits, no whitespace."""
    return years_as_digits(squeeze(text or ""))


_BEFORE_YEAR = re.compile(r"^(?:关于)?(.*?)(?:关于)?(?:(?:19|20)\d\d)")


def title_body(title: str) -> str:
    """The words before a report title's year: the body it names, if it names one first
    (霍城县教育局2025年… → 霍城县教育局; 2025年… → '')."""
    m = _BEFORE_YEAR.match(fold_title(title))
    return m.group(1) if m else ""


def official_name(name: str) -> str:
    """A body's name as an official text writes it: NFKC, no whitespace, brackets full-width
    (中国（福建）自由贸易试验区 however a title printed the brackets)."""
    return squeeze(name).replace("(", "（").replace(")", "）")
