"""Who reports, on which year, and when it was printed: the title, the preamble, the signature.

Real titles are split over two lines (洪泽区人民政府 / 2023 年政府信息公开工作年度报告), put the
year first (2019年上海市人民政府办公厅政府信息公开工作年度报告), sit under a portal's or an
archiver's header lines (标题：, 当前位置：首页>…, 来源：), or shorten the body's name (甘河子镇),
which the preamble (本报告由淮安市洪泽区人民政府办公室…编制) or the signature completes. The
printed date is the one under the signature (落款), else the one printed at the top
(发布日期：2020-01-31, 时间：2022-02-08 16:34); `published_from` says which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.chinese import DATE, DATE_ISO, YEAR, cn_year, official_name, to_date
from extract.document import Document, Paragraph, Table
from extract.normalize import squeeze

_REPORT = r"(?:的)?(?:政府信息公开|政务公开|信息公开)(?:工作)?(?:的)?(?:年度)?(?:报告|年报)"
_NAME = r"[^:;,，。；：、\"“”《》【】\[\]|>]"
TITLE_PATTERNS = [
    # 淮安市洪泽区人民政府2023年政府信息公开工作年度报告 (squeeze() removed the spaces)
    re.compile(rf"(?P<agency>{_NAME}{{0,40}}?)(?:关于)?(?P<year>{YEAR})年度?{_REPORT}"),
    # 2019年上海市人民政府办公厅政府信息公开工作年度报告
    re.compile(rf"(?P<year>{YEAR})年度?(?P<agency>{_NAME}{{2,40}}?){_REPORT}"),
    # 甘河子镇政府信息公开工作2024年度报告
    re.compile(rf"(?P<agency>{_NAME}{{0,40}}?)(?:政府信息公开|政务公开|信息公开)(?:工作)?(?P<year>{YEAR})年度?(?:报告|年报)"),
    # 沭阳县人民政府办公室政府信息公开工作年度报告（2023年度）
    re.compile(rf"(?P<agency>{_NAME}{{2,40}}?){_REPORT}\((?P<year>{YEAR})年?度?\)"),
    # 年上海市人民政府办公厅政府信息公开工作年度报告: a PDF dump lost the year or printed it elsewhere
    re.compile(rf"^年度?(?P<agency>{_NAME}{{2,40}}?){_REPORT}$"),
]
# words in front of a name in a preamble sentence (现将伊宁市人民政府2024年…)
_LEAD = re.compile(r"^.*?(?:现将|现公布|现予公布|现发布|特发布|予以公布|现印发|印发|公布|发布|编制|根据|依据|按照)")
_HEADER_PREFIX = re.compile(r"^(?:标题|题目|名称|信息名称|文章标题|【标题】)[:：]?")
YEAR_IN_TEXT = [
    re.compile(r"现将\s*(?P<year>(?:19|20)\d{2})\s*年"),
    re.compile(r"(?:自|从|为|期限|期间)\s*(?P<year>(?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日"),
    re.compile(r"(?P<year>(?:19|20)\d{2})\s*年\s*度?\s*政府信息公开"),
]
INSTITUTION = re.compile(
    r"(人民政府|政府|办公室|办公厅|委员会|局|委|办|院|中心|街道办事处|办事处|管委会|管理委员会|厅|署|所|站|队|会|公司|集团|馆|处|部)$")
REGION = re.compile(r"^[\u4e00-\u9fff]{1,14}?(?:省|自治区|自治州|地区|州|盟|市|县|区|旗)$")
PLACE = re.compile(r"(?:市|县|区|镇|乡|旗|街道|自治县|自治旗)$")
# the preamble's own name for the body: 本报告由…编制, or a first sentence "XX根据《条例》…"
PREAMBLE_NAME = [
    re.compile(rf"本(?:年度)?报告由(?P<name>{_NAME}{{2,40}}?)(?:根据|依据|按照|依照|编制|负责|综合|汇总)"),
    re.compile(rf"^(?P<name>{_NAME}{{2,30}}?)(?:根据|依据|按照|依照)《"),
    # 本年报是根据…要求，由武进区卫生健康局编制的…年度报告
    re.compile(rf"本(?:年度)?(?:报告|年报)[^。]{{0,80}}[，,]由(?P<name>{_NAME}{{2,30}}?)(?:编制|负责编制)"),
]
OFFICE = re.compile(r"(?:党政办公室|综合办公室|办公室|办公厅|党政办|政务公开办公室|政务公开办|信息公开工作领导小组办公室|"
                    r"信息公开领导小组办公室|信息公开办公室|信息公开办)$")
TOP_DATE_LABEL = re.compile(
    # not the time an archiver captured the page, or a reader opened or printed it
    r"(?<!采集)(?<!抓取)(?<!访问)(?<!打印)(?<!下载)(?<!存档)(?<!归档)(?<!当前)(?<!浏览)"
    r"(?:发布日期|发布时间|发文日期|成文日期|生成日期|印发日期|公开日期|日期|时间)\s*[:：]\s*"
    rf"(?:(?P<iso>(?:19|20)\d{{2}}\s*[-./]\s*\d{{1,2}}\s*[-./]\s*\d{{1,2}})|(?P<cn>(?:{YEAR})\s*年[^日]{{1,8}}日))"
)
META_DATE_KEYS = ("发布日期", "生成日期", "发文日期", "成文日期", "日期")
# a note after the date: （填报人：王荣，电话：…）, （此件公开发布）
_NOTE = re.compile(r"^\s*[（(][^（()）]{0,60}[)）]\s*$")
SIGNATURE_MAX = 30
MAX_AGENCY = 40
TOP_BLOCKS = 12


@dataclass
class Meta:
    agency: str | None
    year: int | None
    published: str | None
    published_from: str | None  # "end" (under the signature) | "top" (at the top) | None


def _title_match(text: str) -> tuple[str | None, int | None] | None:
    """(agency or None, year) named by a title-like text: the first title in it (a preamble
    that cites 《关于做好2024年度…年度报告…的通知》 comes after the title)."""
    t = _HEADER_PREFIX.sub("", squeeze(text).lstrip("#"))
    found: list[re.Match[str]] = []
    for p in TITLE_PATTERNS:
        m = p.search(t)
        if m is None:
            continue
        if m.start() == 0 and not found:  # no other pattern can come first: the usual title, read once
            named = _title_named(m)
            if named is not None:
                return named
        found.append(m)
    for m in sorted(found, key=lambda m: m.start()):
        named = _title_named(m)
        if named is not None:
            return named
    return None


def _title_named(m: re.Match) -> tuple[str | None, int | None] | None:
    """(agency, year) of one title pattern's match, None when its agency is no body's name."""
    agency = _clean_agency(m.group("agency"))
    if agency is not None and (len(agency) > MAX_AGENCY or not _is_name(agency)):
        return None  # a sentence or a verb (关于做好…), not a body's name
    return agency, (cn_year(m.group("year")) if "year" in m.groupdict() else None)


# a title's year, blanked to one placeholder of the same length that every title pattern reads alike
_TITLE_YEAR = re.compile(r"(?:19|20)\d{2}(?=\s*年)")
_YEAR_BLANK = "2000"
_title_bodies: dict[str, str | None] = {}


def title_names(title: str | None) -> str | None:
    """The body a report title (a list entry's, a page's) names, as printed, or None
    (2025年政府信息公开工作年度报告 names none). Remembered per title with its year blanked: the
    archive asks for every list entry's title and page title, and a column lists a body's report
    under the same title every year."""
    if not title:
        return None
    key = _TITLE_YEAR.sub(_YEAR_BLANK, title)
    if key in _title_bodies:
        return _title_bodies[key]
    name = _title_name(key)
    if name is not None and _YEAR_BLANK in name:
        return _title_name(title)  # the name itself holds a year (rare): its own digits, not remembered
    if len(_title_bodies) >= 1 << 17:  # bounded: a national archive has more titles than that
        _title_bodies.clear()
    _title_bodies[key] = name
    return name


def _title_name(title: str) -> str | None:
    found = _title_match(title)
    return found[0] if found else None


def _is_name(text: str) -> bool:
    """A body's name ends like one: 人民政府, 局, 办公室, 镇, 街道 …"""
    return bool(INSTITUTION.search(text) or PLACE.search(text))


# words of a portal's navigation that a page's text runs into the title: the name comes after them
_NAV = re.compile(r"(?:报告|意见箱|指南|目录|首页|制度规定|返回网站|专栏)")


# a date or a portal's section name the page text ran into the title: 2019-01-04湖里区…, 政府信息公开福州市…
_RUN_IN = re.compile(r"^(?:[\d\-./:：]+|政府信息公开|政务公开|信息公开)+")
_VERB = re.compile(r"^(?:印发|公布|发布)")
_OWN = re.compile(r"^(?:我|本)(?=[市县区镇乡局委办])")  # 我市, 本局


def _clean_agency(raw: str) -> str | None:
    a = _RUN_IN.sub("", _NAV.split(raw)[-1].strip(" ：:，,"))
    if "关于" in a:
        a = a.split("关于")[-1]
    a = _VERB.sub("", a)
    lead = _LEAD.match(a)
    if lead and len(a) > lead.end():
        a = a[lead.end():]
    a = _OWN.sub("", a)
    a = a.strip(" ：:，,")
    return a if len(a) >= 2 else None


_BARE_YEAR = re.compile(r"(?:19|20)\d{2}")


def _title_candidates(doc: Document, blocks: list, first_section: int) -> list[str]:
    """The title and the lines before the first section (two short lines joined: a split title)."""
    paras = [b.text for b in blocks[:first_section] if isinstance(b, Paragraph)][:TOP_BLOCKS]
    if not paras:
        paras = [b.text for b in blocks if isinstance(b, Paragraph)][:3]
    out = [doc.title or ""]
    for i, p in enumerate(paras):
        nxt = paras[i + 1] if i + 1 < len(paras) else None
        if nxt is not None and len(squeeze(p)) <= MAX_AGENCY and len(squeeze(nxt)) <= 60 \
                and not (_title_match(nxt) or (None, None))[0]:
            # a split title (洪泽区人民政府 / 2023年…报告); not a header line (时间:…, a portal's
            # section name) before a title that names its body itself
            out.append(p + nxt)
        if i + 1 < len(paras) and squeeze(p).startswith("年") and _BARE_YEAR.fullmatch(squeeze(paras[i + 1])):
            out.append(squeeze(paras[i + 1]) + p)  # a PDF dump printed the title's year (another font) after it
        out.append(p)
    return out


def _title_agency_year(doc: Document, blocks: list, first_section: int) -> tuple[str | None, int | None]:
    year_only: int | None = None
    for text in _title_candidates(doc, blocks, first_section):
        found = _title_match(text)
        if found is None:
            continue
        agency, year = found
        if agency:
            return agency, year
        year_only = year_only or year
    return None, year_only


def year_from_text(text: str) -> int | None:
    for pattern in YEAR_IN_TEXT:
        m = pattern.search(text)
        if m:
            return int(m.group("year"))
    return None


def _end_date(paras: list[str]) -> tuple[str | None, str | None]:
    """The printed date at the end (落款) and the signature line above it."""
    tail = [p.strip() for p in paras if p.strip()][-8:]
    for i in range(len(tail) - 1, -1, -1):
        text = tail[i]
        m = None
        for pattern in (DATE, DATE_ISO):
            for m_ in pattern.finditer(text):
                if m is None or m_.end() > m.end():
                    m = m_
        if m is None:
            continue
        if re.search(r"(?:日期|时间)\s*[:：]\s*$", text[: m.start()]):
            continue  # a portal's labelled date (发布时间：…) is the top date, not the signature's
        after = _NOTE.sub("", text[m.end():]).strip(" 　）)")
        if after and (len(after) > 16 or re.search(r"[。；;]", after)):
            continue  # a date inside a sentence, not under the signature
        before = text[: m.start()].strip()
        if len(squeeze(before)) > SIGNATURE_MAX:
            # a long paragraph ending in a signature and date (text on one line): the signature
            # is what follows the last sentence
            parts = re.split(r"[。；;！!]", before)
            before = parts[-1].strip() if len(parts) > 1 and len(squeeze(parts[-1])) <= SIGNATURE_MAX else ""
            if not before and len(parts) <= 1:
                continue
        d = to_date(m)
        if d is None:
            continue
        signature = before or (tail[i - 1] if i > 0 and len(squeeze(tail[i - 1])) <= SIGNATURE_MAX else None)
        return (signature.strip() if signature else None), d.isoformat()
    return None, None


def _top_date(doc: Document, blocks: list, first_section: int) -> str | None:
    """A date printed at the top: labelled (发布日期：…, 时间：…), a line of its own under the
    title, or the portal's metadata block."""
    head = [b.text for b in blocks[: max(first_section, 1)] if isinstance(b, Paragraph)][:TOP_BLOCKS]
    if not head:
        head = [b.text for b in blocks if isinstance(b, Paragraph)][:1]
    # a labelled date may sit in a table above the text (a portal's info table, a dump's indented lines)
    labelled = head + [" ".join(" ".join(row) for row in b.rows)
                       for b in blocks[: max(first_section, 1)][:TOP_BLOCKS] if isinstance(b, Table)]
    for text in labelled:
        m = TOP_DATE_LABEL.search(text[:600])
        if m:
            sub = (DATE_ISO if m.group("iso") else DATE).search(m.group("iso") or m.group("cn"))
            d = to_date(sub) if sub else None
            if d:
                return d.isoformat()
    for text in head[:4]:
        t = text.strip()
        for pattern in (DATE, DATE_ISO):
            m = pattern.fullmatch(t) or pattern.fullmatch(t.strip("（）() "))
            if m and (d := to_date(m)):
                return d.isoformat()
    for key in META_DATE_KEYS:
        value = doc.meta.get(key)
        m = (DATE_ISO.search(value) or DATE.search(value)) if value else None
        if m and (d := to_date(m)):
            return d.isoformat()
    return None


def _preamble_name(blocks: list, first_section: int) -> str | None:
    paras = [b.text for b in blocks[: max(first_section, 1)] if isinstance(b, Paragraph)][:TOP_BLOCKS]
    for text in paras:
        t = squeeze(text)
        for pattern in PREAMBLE_NAME:
            m = pattern.search(t)
            if m:
                name = _clean_agency(m.group("name"))
                if name and INSTITUTION.search(name):
                    return name
    return None


def _government(name: str) -> str:
    """A signing office names the body it works for: 宿迁市人民政府办公室 → 宿迁市人民政府."""
    stripped = OFFICE.sub("", name)
    return stripped if stripped != name and stripped.endswith(("人民政府", "政府")) else name


def choose_agency(title: str | None, signature: str | None, preamble: str | None, meta: dict[str, str]) -> str | None:
    """The full official name of the reporting body.

    The title's name, completed: a region in front (洪泽区人民政府 → 淮安市洪泽区人民政府) or the
    institution after it (甘河子镇 → 乌苏市甘河子镇人民政府) from the preamble, the signature or the
    portal's 发布机构. A signing office does not replace the body it signs for."""
    sig = squeeze(signature) if signature else None
    fuller = [n for n in (preamble, sig, squeeze(meta["发布机构"]) if meta.get("发布机构") else None) if n]
    if title:
        t = squeeze(title)
        if INSTITUTION.search(t):
            for name in fuller:
                i = name.find(t)
                if i > 0 and REGION.match(name[:i]):
                    return name[:i] + t
            return t
        for name in fuller:
            i = name.find(t)
            if i >= 0 and INSTITUTION.search(name) and (i == 0 or REGION.match(name[:i])):
                return _government(name)
        if PLACE.search(t):
            return t + ("办事处" if t.endswith("街道") else "人民政府")
        return t
    for signed in (sig, preamble):
        if signed and INSTITUTION.search(signed) and len(signed) <= MAX_AGENCY:
            return signed
    publisher = meta.get("发布机构")
    return squeeze(publisher) if publisher else None


def read_meta(doc: Document, blocks: list, first_section: int, full_text: str) -> Meta:
    title_agency, year = _title_agency_year(doc, blocks, first_section)
    if year is None:
        year = year_from_text(full_text)
    signature, published = _end_date([b.text for b in blocks if isinstance(b, Paragraph)])
    published_from = "end" if published else None
    if published is None:
        published = _top_date(doc, blocks, first_section)
        published_from = "top" if published else None
    agency = choose_agency(title_agency, signature, _preamble_name(blocks, first_section), doc.meta)
    if agency:
        # names are matched NFKC-folded; an official name writes its brackets full-width: 中国（福建）…
        agency = official_name(agency)
    return Meta(agency, year, published, published_from)
