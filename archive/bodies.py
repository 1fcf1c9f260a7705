"""Whose report is this? Body names as real titles write them, matched to the registry.

Real titles shorten, reorder and vary a body's name: 人民政府 / 政府, the county prefix present
or not (水利局 on the county's own portal), abbreviations (发改局, 文旅局, 住建局, 卫健委 …),
乡 → 镇 after a township became a town, full-width brackets. `canonical` folds those variants into
one key; `BodyIndex` looks a name up among the registry's names and aliases, with the places of the
column the document was listed in as the prefix a short name leaves out.

A name is never matched by a generic word (人民政府, 镇, 局, 委员会 …) or by a place name alone,
and never by containment: 霍城县教育局 is not 霍城县人民政府. Where two bodies fit equally, neither
is chosen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from extract.chinese import official_name

# Punctuation and spaces that vary between a title and the registry (brackets are kept apart from
# the name: 中国（福建）自由贸易试验区 and 中国(福建)… are one name).
_NOISE = re.compile(r"[\s\u3000·•、，,。.：:“”\"'《》【】\[\]\-—_()（）]+")

# Variants of a unit's name → one spelling. Longest first where one contains another.
_ABBREVIATIONS: list[tuple[str, tuple[str, ...]]] = [
    ("发改委", ("发展和改革委员会", "发展改革委员会", "发展和改革委", "发展改革委")),
    ("发改局", ("发展和改革局", "发展改革局")),
    ("文旅局", ("文化体育广播电视和旅游局", "文化体育广电和旅游局", "文化广播电视和旅游局", "文化广电和旅游局",
               "文化广电旅游局", "文化体育和旅游局", "文化和旅游局", "文化旅游局", "文体广电旅游局", "文体广旅局",
               "文体旅游局", "文体旅局", "文广旅局")),
    ("住建局", ("住房和城乡建设局", "住房城乡建设局")),
    ("卫健委", ("卫生健康委员会", "卫生和健康委员会", "卫生健康委")),
    ("卫健局", ("卫生健康局",)),
    ("市监局", ("市场监督管理局", "市场监管局")),
    ("人社局", ("人力资源和社会保障局", "人力资源社会保障局")),
    ("自然资源局", ("自然资源和规划局", "自然资源规划局")),
    ("工信局", ("工业和信息化局", "工业信息化局")),
    ("科技局", ("科学技术局",)),
    ("教科局", ("教育和科学技术局", "教育科学技术局")),
    ("生态环境局", ("生态环境分局",)),
    ("交通局", ("交通运输局",)),
    ("应急局", ("应急管理局",)),
    ("退役军人局", ("退役军人事务局",)),
    ("医保局", ("医疗保障局",)),
    ("林草局", ("林业和草原局", "林业草原局")),
    ("民宗局", ("民族宗教事务局",)),
    ("农业农村局", ("农业和农村局",)),
    ("政府办", ("政府办公室",)),
]
_ABBREV = sorted(((v, short) for short, vs in _ABBREVIATIONS for v in vs), key=lambda p: -len(p[0]))
_ABBREV_RE = re.compile("|".join(re.escape(v) for v, _ in _ABBREV))
_ABBREV_MAP = dict(_ABBREV)

# A place: 省, 自治区, 自治州, 地区, 盟, 市, 县, 区, 旗 (at least two characters before the suffix).
_PLACE = re.compile(
    r"^([\u4e00-\u9fff]{1,12}?县|[\u4e00-\u9fff]{2,12}?(?:自治区|自治州|自治旗|特别行政区|省|地区|盟|市|区|旗))")
# A place-shaped prefix that is really part of a unit's name
_NOT_PLACE = re.compile(r"^(?:城市|市场|社区|园区|景区|小区|市区|城区|辖区|地区|新区|开发区|高新区|街区)")
# Names that say what kind of body, not which one
GENERIC = frozenset({
    "政府", "人民政府", "镇", "乡", "街道", "办事处", "局", "委", "委员会", "办公室", "政府办公室", "管委会",
    "管理委员会", "本局", "本单位", "本机关", "我局", "我委", "我单位", "单位", "部门", "机关", "本镇", "本乡",
    "县", "市", "区", "州", "政务公开办", "信息公开办", "办公厅",
})


@lru_cache(maxsize=1 << 16)
def canonical(name: str | None) -> str:
    """One spelling of a body's name: NFKC, no punctuation, 政府 for 人民政府, abbreviations of
    units, 镇 for 乡 and 街道 for 街道办事处, a town without 政府 after it."""
    s = unicodedata.normalize("NFKC", name or "")
    s = _NOISE.sub("", s)
    s = s.replace("人民政府", "政府")
    s = _ABBREV_RE.sub(lambda m: _ABBREV_MAP[m.group(0)], s)
    # a town: 潘津镇政府 = 潘津镇 (its only body); 撤乡设镇: 汉宾乡 and 汉宾镇 are one body
    s = re.sub(r"(?<=[\u4e00-\u9fff])乡(政府)?$", "镇", s)
    s = re.sub(r"(?<=[\u4e00-\u9fff])镇政府$", "镇", s)
    s = re.sub(r"街道办事处$|街道办$", "街道", s)
    return s


def split_place(key: str, places: set[str] | frozenset[str] = frozenset()) -> tuple[str, str]:
    """(place prefix, rest) of a canonical name: a known place first, else a place-shaped prefix.
    The rest of a place's own government is 政府; a name that is only a place has rest ''."""
    for n in range(len(key) - 1, 1, -1):  # the longest known place the name starts with
        if key[:n] in places:
            return key[:n], key[n:]
    prefix = ""
    rest = key
    while True:
        m = _PLACE.match(rest)
        if not m or _NOT_PLACE.match(rest) or len(m.group(1)) == len(rest):
            if m and len(m.group(1)) == len(rest) and not _NOT_PLACE.match(rest):
                return prefix + rest, ""
            return prefix, rest
        prefix += m.group(1)
        rest = rest[len(m.group(1)):]


def is_generic(key: str) -> bool:
    return len(key) < 2 or key in GENERIC or key in _GENERIC_KEYS


_GENERIC_KEYS = frozenset(canonical(g) for g in GENERIC)


@dataclass
class Match:
    """The outcome of a lookup: a registry body, an unregistered body, or nothing (with why)."""

    name: str | None  # registry name, or the full name of a body outside the registry
    registered: bool = False
    how: str = ""  # "full name" | "alias" | "name without its place (X)" | "unregistered" | …
    candidates: list[str] = field(default_factory=list)  # the bodies that fit equally (ambiguous)


class BodyIndex:
    """The registry's bodies by canonical name (names and aliases), and the places they sit in."""

    def __init__(self, agencies: Iterable[dict]) -> None:
        self.full: dict[str, set[str]] = {}
        self.alias_keys: set[str] = set()
        self.place_of: dict[str, str] = {}  # a name (registry body or a parent named) → its place
        self.parent_of: dict[str, str | None] = {}
        self._context: dict[tuple[str, ...], list[str]] = {}
        self._found: dict[tuple[str | None, tuple[str, ...]], Match | None] = {}
        places: set[str] = set()
        rows = list(agencies)
        for a in rows:
            if (a.get("kind") == "government") and a["name"].endswith(("人民政府", "政府")):
                places.add(canonical(re.sub(r"(人民)?政府$", "", a["name"])))
        self.places = places
        for a in rows:
            name = a["name"]
            self.parent_of[name] = a.get("parent")
            key = canonical(name)
            self.full.setdefault(key, set()).add(name)
            self.place_of[name] = split_place(key, places)[0]
            for alias in a.get("aliases") or []:
                akey = canonical(alias)
                if not is_generic(akey):
                    self.full.setdefault(akey, set()).add(name)
                    self.alias_keys.add(akey)

    def context_places(self, owners: Iterable[str]) -> list[str]:
        """The places a short name on these bodies' column leaves out: theirs, then their parents'."""
        key = tuple(owners)
        hit = self._context.get(key)
        if hit is None:
            hit = self._context[key] = self._places_of(key)
        return hit

    def _places_of(self, owners: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for o in owners:
            for n in (o, self.parent_of.get(o)):
                if not n:
                    continue
                # each name's place is split once (a registry body's when the index was built)
                p = self.place_of.get(n)
                if p is None:
                    p = self.place_of[n] = split_place(canonical(n), self.places)[0]
                if p and p not in out:
                    out.append(p)
        return out

    def lookup(self, name: str | None, context: Iterable[str] = ()) -> Match | None:
        """The body `name` names. None when it names none (empty, generic, a place alone). The same
        name on the same column comes back every year: remembered (the Match is not to be changed)."""
        context = tuple(context)
        key = (name, context)
        if key in self._found:
            return self._found[key]
        if len(self._found) >= 1 << 17:  # bounded: a national archive has more names than that
            self._found.clear()
        found = self._found[key] = self._lookup(name, context)
        return found

    def _lookup(self, name: str | None, context: tuple[str, ...]) -> Match | None:
        key = canonical(name)
        if is_generic(key):
            return None
        place, rest = split_place(key, self.places)
        if not rest:
            return None  # a place alone names no body
        hit = self.full.get(key)
        if hit:
            how = "alias" if key in self.alias_keys else "full name"
            return self._one(hit, how)
        if is_generic(rest) and not place:
            return None
        if not place:
            # a short name (水利局, 潘津镇, 市住建局): the column's places complete it, nearest first
            # 县政府办, 市住建局: the level word stands for the column's own place
            short = key[1:] if key[0] in "县市区州旗" and len(key) > 2 else None
            for k in (key, short):
                if not k:
                    continue
                for p in context:
                    hit = self.full.get(p + k) if k == key or p.endswith(key[0]) else None
                    if hit:
                        return self._one(hit, f"name without its place ({p})")
            if short and is_generic(short):
                return None  # 县政府 on a column of no county: names no body we can tell
            if not context:
                return Match(self._display(name, key, key), False, "unregistered")
            printed = name if short is None else unicodedata.normalize("NFKC", name or "").strip()[1:]
            return Match(self._display(printed, context[0] + (short or key), short or key), False,
                         "unregistered")
        return Match(self._display(name, key, key), False, "unregistered")

    @staticmethod
    def _one(hit: set[str], how: str) -> Match:
        if len(hit) == 1:
            return Match(next(iter(hit)), True, how)
        return Match(None, False, "ambiguous", sorted(hit))

    @staticmethod
    def _display(printed: str | None, full_key: str, key: str) -> str:
        """An unregistered body's name: as printed (full-width brackets), with the place the title
        left out in front, so that 水利局 on 霍城县's column is 霍城县水利局."""
        text = official_name(printed or "")
        prefix = full_key[: len(full_key) - len(key)] if full_key.endswith(key) else ""
        return prefix + text


def spelled_out(key: str) -> list[str]:
    """The full spellings an abbreviated canonical name stands for (温县住建局 → 温县住房和城乡建设局 …),
    to find a body's full name in its report's own text."""
    out = []
    for short, variants in _ABBREVIATIONS:
        if short in key and short != "政府办":
            out += [key.replace(short, v) for v in variants]
    if key.endswith("政府") and not key.endswith("人民政府"):
        out.append(key[:-2] + "人民政府")
    return out


def similar(a: str, b: str) -> bool:
    """Two canonical names one character apart (an OCR misreading: 沐阳 for 沭阳)."""
    if len(a) != len(b) or a == b:
        return a == b
    return sum(x != y for x, y in zip(a, b, strict=True)) == 1
