"""Cells run together: a row whose printed numbers lost the separators between them (20 3 1
printed 2031, 0 0 20 printed 0020), or lost cells altogether. Every way to read such a row is
kept and the table's totals choose (extract/infer.py); a number is never guessed."""

from __future__ import annotations

from collections.abc import Iterator
from math import comb

from extract.cells import Cell
from extract.normalize import parse_number

# A count of applications above this cannot be one cell: its digits are cells run together.
MAX_COUNT_DIGITS = 6
# Readings of one run-together row kept for the whole table to choose from; a row with more is
# left unknown (every reading must be kept, or the table's choice could be a wrong one).
MAX_READINGS = 512
# Beyond these a run of digits is not split at all (the ways to cut it grow combinatorially).
MAX_SPLIT_DIGITS = 40
MAX_COMPOSITIONS = 200_000


def _digits(token: str) -> str | None:
    t = token.replace(",", "")
    return t if t.isdigit() else None


def split_readings(tokens: list[str], sizes: list[int], limit: int = 2) -> list[list[int]]:
    """Readings of number tokens whose separators were lost as groups of `sizes` numbers, each
    group's last number the sum of the others (a row of table 三: [7]; table 四: [5, 5, 5]).

    A token is split only inside itself, never into a part with a leading zero ("081"); up to
    `limit` readings are returned (one means the form's sums leave exactly one)."""
    maybe = [_digits(t) for t in tokens]
    digits = [d for d in maybe if d is not None]
    if len(digits) < len(maybe):
        return []
    parts_needed = sum(sizes)
    n_digits = sum(len(d) for d in digits)
    if len(tokens) > parts_needed or n_digits < parts_needed or n_digits > MAX_SPLIT_DIGITS:
        return []
    free_cuts = n_digits - len(tokens)
    if comb(free_cuts, parts_needed - len(tokens)) > MAX_COMPOSITIONS:
        return []
    splitter = _Splitter([d for d in digits if d is not None], sizes, limit)
    splitter.group(0, 0, [])
    return splitter.found


class _Splitter:
    """The search behind `split_readings`: parts never cross a token boundary, every group's
    last part is the sum of the others, the search stops at `limit` readings."""

    def __init__(self, digits: list[str], sizes: list[int], limit: int) -> None:
        self.s = "".join(digits)
        self.last_token = len(digits[-1])
        self.sizes = sizes
        self.limit = limit
        self.found: list[list[int]] = []
        # for each digit position, where the token holding it ends
        self.token_end: list[int] = []
        at = 0
        for d in digits:
            at += len(d)
            self.token_end += [at] * len(d)

    def full(self) -> bool:
        return len(self.found) >= self.limit

    def parts_from(self, i: int) -> Iterator[tuple[int, int]]:
        """(value, end) of each part that may start at i."""
        s = self.s
        if s[i] == "0":
            yield 0, i + 1
            return
        for j in range(i + 1, self.token_end[i] + 1):
            yield int(s[i:j]), j

    def group(self, i: int, g: int, acc: list[int]) -> None:
        if self.full():
            return
        if g == len(self.sizes):
            if i == len(self.s):
                self.found.append(list(acc))
            return
        if g == len(self.sizes) - 1:
            self.last_group(i, self.sizes[g], acc)
            return
        self.parts(i, g, 0, [], acc)

    def parts(self, j: int, g: int, k: int, vals: list[int], acc: list[int]) -> None:
        """Part k of group g from position j on: the last one must be the sum of the others."""
        size = self.sizes[g]
        if self.full() or j >= len(self.s):
            return
        if k == size - 1:
            total = sum(vals)
            for v, e in self.parts_from(j):
                if v == total:
                    acc.extend([*vals, v])
                    self.group(e, g + 1, acc)
                    del acc[-size:]
                elif v > total:
                    break
            return
        for v, e in self.parts_from(j):
            self.parts(e, g, k + 1, [*vals, v], acc)

    def last_group(self, i: int, size: int, acc: list[int]) -> None:
        """The last group ends the digits: its total is a suffix of the last token, so the
        parts before it are known to sum to it (which keeps a long row quick to read)."""
        s = self.s
        first_end = len(s) - self.last_token
        for e in range(max(i + size - 1, first_end), len(s)):
            if self.full():
                return
            if s[e] == "0" and e != len(s) - 1:
                continue
            self.fill(i, e, size - 1, int(s[e:]), acc)

    def fill(self, j: int, e: int, left: int, remaining: int, acc: list[int]) -> None:
        if self.full():
            return
        if left == 0:
            if j == e and remaining == 0:
                self.found.append([*acc, int(self.s[e:])])
            return
        if e - j < left:
            return
        for v, end in self.parts_from(j):
            if v > remaining or end > e:
                break
            acc.append(v)
            self.fill(end, e, left - 1, remaining - v, acc)
            acc.pop()


def unique_split(tokens: list[str], sizes: list[int]) -> list[int] | None:
    """The one reading of `split_readings`, or None when there is none or more than one."""
    found = split_readings(tokens, sizes, limit=2)
    return found[0] if len(found) == 1 else None


def must_split(printed: list[str], width: int) -> bool:
    """Whether a short row's numbers must be cells run together: a count too long to be one
    cell or printed with a leading zero (0020: 0 0 20), or a number larger than the row's total
    (printed last)."""
    ints = [parse_number(p) for p in printed]
    if any(not isinstance(v, int) for v in ints):
        return False
    digits = [p.replace(",", "").lstrip("+-") for p in printed]
    if any(len(d) > MAX_COUNT_DIGITS or (len(d) > 1 and d[0] == "0") for d in digits):
        return True
    return len(ints) >= 2 and any(v > ints[-1] for v in ints[:-1])  # type: ignore[operator]


def readings(printed: list[str], width: int) -> list[tuple[list[Cell], frozenset[int]]]:
    """The ways a short row's printed numbers fill its 7 cells: cells run together split where
    the row's total allows; and, unless the numbers cannot be cells as printed, every placement
    with the lost numbers as None. Every way is kept (the table chooses), or none."""
    found = split_readings(printed, [width], limit=MAX_READINGS + 1) if printed else []
    if len(found) > MAX_READINGS:
        return []  # too many ways to read it: its cells are unknown (the totals may fix them)
    splits: list[tuple[list[Cell], frozenset[int]]] = [(list(v), split_columns(printed, v)) for v in found]
    if splits and must_split(printed, width):
        return splits  # a number too long, printed with a leading zero or above the total
    return splits + [(v, frozenset()) for v in insertions([parse_number(p) for p in printed], width)]


def split_columns(printed: list[str], reading: list[int]) -> frozenset[int]:
    """The columns of a reading that came from splitting a printed token."""
    out: set[int] = set()
    c = 0
    for token in printed:
        digits = token.replace(",", "")
        k, acc = 0, ""
        while c + k < len(reading) and acc != digits:
            acc += str(reading[c + k])
            k += 1
        if k > 1:
            out.update(range(c, c + k))
        c += k
    return frozenset(out)


def insertions(nums: list[Cell], width: int) -> list[list[Cell]]:
    """Every way to put the printed numbers, in order, into `width` cells (None where one was lost)."""
    if len(nums) > width:
        return []
    out: list[list[Cell]] = []

    def rec(prefix: list[Cell], rest: list[Cell]) -> None:
        if len(prefix) == width:
            if not rest:
                out.append(prefix)
            return
        if len(rest) < width - len(prefix):
            rec(prefix + [None], rest)
        if rest:
            rec(prefix + [rest[0]], rest[1:])

    rec([], list(nums))
    unique: list[list[Cell]] = []
    for v in out:
        if v not in unique:
            unique.append(v)
    return unique


def zeros_run_together(token: str, width: int) -> list[int] | None:
    """"000" for three cells: zeros run together. Any other lone number stays one cell: table 二
    has no totals to tell 500 (two cells blank) from 5 0 0 or 50 0."""
    return [0] * width if width > 1 and token == "0" * width else None


def settle_by_last_year(token: str, prev_in_force: int) -> dict[str, int] | None:
    """The one reading of a run of digits as (issued, repealed, in force) in which last year's
    in-force count plus this year's issued less repealed is this year's in-force count; None
    when no reading or more than one does (a number is never guessed)."""
    found: list[dict[str, int]] = []
    for i in range(1, len(token) - 1):
        for j in range(i + 1, len(token)):
            parts = (token[:i], token[i:j], token[j:])
            if any(len(p) > 1 and p[0] == "0" for p in parts):
                continue
            issued, repealed, in_force = (int(p) for p in parts)
            if prev_in_force + issued - repealed == in_force:
                found.append({"issued": issued, "repealed": repealed, "in_force": in_force})
    return found[0] if len(found) == 1 else None
