"""Text whose tables lost their structure, read as a stream of label text and numbers.

Web-page text copied or archived (a whole report on one line), PDF text dumps (a label's
characters one per line, its numbers on the next line) and OCR markdown with broken rows all
keep the order of a table's cells. Read as a stream, each run of numbers closes a row whose
label is the text before it. Numbers of the prose (21件, 2024年, dates, document numbers,
telephone numbers) are not cells and stay text.

Cells whose separators were lost (`801000081` for 80 1 0 0 0 0 81) are split elsewhere
(extract/run_together.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from extract.normalize import RADICALS

# Text that holds digits but no cell: masked before numbers are looked for.
_NOT_CELLS = re.compile(
    r"https?://\S+|www\.[\w./-]+|[\w.-]+@[\w.-]+"  # addresses
    r"|(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"  # dates
    r"|\d{1,2}\s*:\s*\d{2}(?:\s*:\s*\d{2})?"  # times
    r"|[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]\s*\d*\s*号?"  # document numbers 〔2021〕30号
    r"|\d{3,4}\s*-\s*\d{7,8}"  # telephone numbers
    r"|第\s*\d+|\d+(?:\.\d+)?\s*[%％‰]"  # ordinals, percentages
)
NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")
# A number followed by one of these counts something in the prose (21件, 2024年, 3.5万元).
UNITS = "件条个项次人户家起份篇期场年月日号天万亿元余多名位页册倍周时分秒亩米"
AMOUNT_UNITS = ("万元", "元")
# "1.属于国家秘密": a row's own numbering, not a cell (its digit may be glued to the last cell)
_NUMBERING = re.compile(r"\s*[.、]\s*[\u4e00-\u9fff（(“\"]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SEPARATORS = re.compile(r"[\s|]+")
MAX_BLANK_LABEL = 40  # a row printed blank has a label, not a paragraph, before its marks
BLANK_MARKS = {"—", "——", "-", "－", "/", "／", "\\", "–"}


@dataclass
class StreamRow:
    """The text before a run of numbers, and the run (as printed: "251000元" keeps its unit)."""

    label: str
    numbers: list[str] = field(default_factory=list)


# A mobile number is masked where the prose names it (电话：139…): eleven digits after a row's
# label are cells run together (14300000143 is 143 0 0 0 0 0 143).
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_MOBILE_BEFORE = re.compile(r"(?:电话|手机|热线|联系|传真|号码|[Tt]el|[:：或、/])\s*$")


def _mask(text: str) -> str:
    text = _NOT_CELLS.sub(lambda m: "〓" * len(m.group(0)), text)
    return _MOBILE.sub(lambda m: "〓" * 11 if _MOBILE_BEFORE.search(text, max(0, m.start() - 8), m.start())
                       else m.group(0), text)


def _unit_after(text: str, end: int) -> str:
    """The unit right after a number ("21件", "21 件", "251000元"), or ""."""
    rest = text[end : end + 4].lstrip(" ")
    for unit in AMOUNT_UNITS:
        if rest.startswith(unit):
            return unit
    return rest[0] if rest and rest[0] in UNITS else ""


def _blank_rows(parts: list[str]) -> list[tuple[str, int]]:
    """Text parts as (label, blank marks after it): 规章 / / / 行政规范性文件 → (规章, 3),
    (行政规范性文件, 0). A label is a short text with Chinese in it; other text joins the label."""
    groups: list[tuple[str, int]] = []
    for p in parts:
        if p in BLANK_MARKS and groups:
            groups[-1] = (groups[-1][0], groups[-1][1] + 1)
        elif groups and (groups[-1][1] == 0 or not has_cjk(p)):
            groups[-1] = (groups[-1][0] + " " + p, 0)
        else:
            groups.append((p, 0))
    return groups or [("", 0)]


def rows(text: str, amounts: bool = False) -> list[StreamRow]:
    """The stream of `text` as rows: each maximal run of numbers with the text before it; the
    text after the last run is a row without numbers.

    `amounts`: numbers in 元/万元 are cells (table 二's fees and procurement), not prose."""
    text = unicodedata.normalize("NFKC", text).translate(RADICALS)
    masked = _mask(text)
    out: list[StreamRow] = []
    label: list[str] = []
    run: list[str] = []
    pos = 0

    def close() -> None:
        if run:
            out.append(StreamRow("".join(label), list(run)))
            label.clear()
            run.clear()

    def text_before(between: str) -> None:
        """Text between numbers ends the run, unless it is only separators or blank marks."""
        parts = [p for p in _SEPARATORS.split(between) if p]
        if parts and all(p in BLANK_MARKS for p in parts):
            run.extend([""] * len(parts))  # "| 0 | — | 5 |": a blank cell, printed
        elif parts:
            close()
            *rows_of_blanks, (last, lead) = _blank_rows(parts)
            for name, blanks in rows_of_blanks:
                if len(name) > MAX_BLANK_LABEL and " " in name:
                    text_only, name = name.rsplit(" ", 1)  # headings before the row's own label
                    out.append(StreamRow(text_only, []))
                out.append(StreamRow(name, [""] * blanks))  # "规章 / / /": a row printed blank
            if rows_of_blanks or lead:
                label.append(last)
                run.extend([""] * lead)
            else:
                label.append(between)

    for m in NUMBER.finditer(masked):
        start, end = m.span()
        token = m.group(0)
        between = text[pos:start]
        if _NUMBERING.match(text, end) and token.isdigit():
            # a row's own numbering ("1.属于国家秘密"); "01.属于…": the 0 is the last cell before it
            text_before(between)
            # (a lone "10、" in the prose numbers a list item: glued only after cells, or with 2+ digits)
            glued = len(token) >= 2 and (bool(run) or len(token) >= 3)
            if glued:
                run.append(token[:-1])
            close()
            label.append(token[-1] if glued else token)
            pos = end
            continue
        unit = _unit_after(text, end)
        if unit and not (amounts and unit in AMOUNT_UNITS):
            close()  # prose (21件, 2024年) is text: it ends the run before it
            label.append(between + token)
            pos = end
            continue
        text_before(between)
        if amounts and unit in AMOUNT_UNITS:
            run.append(token + unit)
            pos = text.index(unit, end) + len(unit)
        else:
            run.append(token)
            pos = end
    tail = text[pos:]
    close()
    if tail.strip(" |\t\n"):
        out.append(StreamRow("".join(label) + tail, []))
    return out


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
