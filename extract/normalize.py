"""Small text helpers shared by the parser: normalisation, numbers, label matching.

Dates and Chinese numerals: extract/chinese.py."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"^[-+]?\d[\d,]*(?:\.\d+)?$")
_UNIT = re.compile(r"(万元|元|件|个|项|条|次|人次)$")
# Typos and variants seen in real reports, mapped to the form's wording (after norm()).
_ALIASES = [
    ("总记", "总计"),
    ("不再受理", "不再处理"),
    ("社会组织", "社会公益组织"),
    ("其他法律和行政法规", "其他法律行政法规"),
]
# Numbering in front of labels: （三） (3) 三、 1. 2、
NUMBERING = re.compile(r"(?:\([一二三四五六七八九十]{1,2}\)|[一二三四五六七八九十]{1,2}、|\d{1,2}\s*[.．、])")


# PDFs (WPS, Quartz) often map glyphs to radicals rather than characters: 国⼟ for 国土. NFKC turns
# the Kangxi radicals (U+2F00–) into characters; these CJK radical supplement forms it leaves.
RADICALS = str.maketrans({
    "⺠": "民", "⻓": "长", "⻔": "门", "⻅": "见", "⻋": "车", "⻛": "风", "⻜": "飞", "⻝": "食", "⻢": "马",
    "⻥": "鱼", "⻚": "页", "⻉": "贝", "⻆": "角", "⻄": "西", "⻘": "青", "⻩": "黄", "⻬": "齐", "⻰": "龙",
    "⻦": "鸟", "⻨": "麦", "⻭": "齿", "⻗": "雨", "⻙": "韦", "⻊": "足", "⺗": "心", "⺮": "竹", "⺌": "小",
    "⻣": "骨", "⻤": "鬼", "⻧": "卤", "⻪": "黾", "⻲": "龟",
})


_RADICAL = re.compile("[\u2e80-\u2fdf]")


def unify(text: str) -> str:
    """Radical code points as the characters they stand for, in document text (search finds 国土)."""
    if not _RADICAL.search(text):
        return text
    return "".join(unicodedata.normalize("NFKC", ch) if "\u2f00" <= ch <= "\u2fdf" else ch
                   for ch in text).translate(RADICALS)


@lru_cache(maxsize=8192)
def squeeze(text: str) -> str:
    """NFKC (full-width brackets and digits to half-width, radicals to characters), no whitespace."""
    # the checks are a third of the work they spare: most text is already NFKC and has no radical
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if _RADICAL.search(text):
        text = text.translate(RADICALS)
    return _SPACE.sub("", text)


@lru_cache(maxsize=8192)
def norm(text: str) -> str:
    """squeeze(), and the form's labels' known variants and typos unified (for label matching)."""
    text = squeeze(text)
    for variant, canonical in _ALIASES:
        text = text.replace(variant, canonical)
    return text


@lru_cache(maxsize=8192)
def parse_number(cell: str) -> int | float | None:
    """A cell's number, or None when the cell holds no number ("", text, garbage)."""
    s = norm(cell).replace("，", ",").replace("−", "-").replace("–", "-")
    s = _UNIT.sub("", s)
    if not s or not _NUMBER.match(s):
        return None
    s = s.replace(",", "")
    if "." in s:
        return float(s)
    return int(s)


def is_number(cell: str) -> bool:
    return parse_number(cell) is not None


def leaf(label: str) -> str:
    """The row's own label: the text after its last numbering mark (三、…（三）不予公开 1.属于国家秘密 → 属于国家秘密)."""
    s = norm(label)
    parts = [p for p in NUMBERING.split(s) if p and re.search(r"[\u4e00-\u9fff]", p)]
    return parts[-1] if parts else s


_NOT_CJK = re.compile(r"[^\u4e00-\u9fff]")


@lru_cache(maxsize=8192)
def _cjk(s: str) -> str:
    return _NOT_CJK.sub("", s)


@lru_cache(maxsize=8192)
def _bigrams(s: str) -> frozenset[str]:
    return frozenset(s[i : i + 2] for i in range(len(s) - 1)) or (frozenset({s}) if s else frozenset())


@lru_cache(maxsize=65536)  # the same labels come back in every report
def label_score(observed: str, canonical: str) -> float:
    """How well an observed (possibly cut, wrapped or garbled) label matches a form label, 0..1.

    Shared character pairs over the smaller label, so that a label cut short by a page or a
    text export still matches; a single shared pair counts only for an exact match (其他).
    """
    a, b = _cjk(observed), _cjk(canonical)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ga, gb = _bigrams(a), _bigrams(b)
    shared = len(ga & gb)
    if shared < 2:
        return 0.0
    return shared / min(len(ga), len(gb)) * (0.99 if len(ga) != len(gb) else 1.0)
