"""Fill cells that the table's own totals fix exactly; a blank cell they do not fix is 0.

The equations are the form's: every row's total is the sum of its six columns; （七）总计
is the sum of the result rows, column by column; 一 + 二 = 三（七） + 四 in every column; in
table 四 each total is the sum of its four results. A cell without a number is filled when an
equation with it as the only unknown gives a non-negative whole number, or when non-negative
unknowns must sum to zero ("inferred"). A fill that contradicts another equation is withdrawn:
better null than wrong.

A cell printed blank (&nbsp;, —) that the totals leave open is 0, as the table says ("blank");
a total printed blank is then the sum of its parts ("inferred"). A number that was printed but
not read (lost in a PDF text dump) is never taken for 0: it stays null unless the totals fix it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet

import extract.form as form
from extract.tables import AppealTable, Cell, CellRef, RequestTable

Equation = list[tuple[CellRef, int]]  # sum of coef * value == 0
MAX_COMBINATIONS = 4096


def request_equations(keys: list[str], present: set[str]) -> tuple[list[Equation], list[Equation]]:
    """(row and column sums, the balance) of table 三. The balance is the rule real reports break
    most: it fills a number lost in extraction, never a cell printed blank (that is 0)."""
    sums: list[Equation] = []
    balance: list[Equation] = []
    for key in keys:
        if key in present:
            sums.append([((key, c), 1) for c in range(6)] + [((key, 6), -1)])
    results = [k for k in keys if k in form.RESULT_KEYS or k == "other"]
    for c in range(7):
        if all(k in present for k in results) and "total_processed" in present:
            sums.append([((k, c), 1) for k in results] + [(("total_processed", c), -1)])
        if all(k in present for k in ("new_received", "carried_over_in", "total_processed", "carried_over_out")):
            balance.append([
                (("new_received", c), 1), (("carried_over_in", c), 1),
                (("total_processed", c), -1), (("carried_over_out", c), -1),
            ])
    return sums, balance


def appeal_equations(present: set[str]) -> list[Equation]:
    return [[((g, c), 1) for c in range(4)] + [((g, 4), -1)] for g, _ in form.APPEAL_GROUPS if g in present]


def _known_sum(values: dict[CellRef, Cell], eq: Equation) -> int | float:
    """The sum of coef * value over the equation's cells that hold a number."""
    return sum(k * v for ref, k in eq if (v := values.get(ref)) is not None)


def solve(values: dict[CellRef, Cell], eqs: list[Equation], weak: Sequence[Equation] = (),
          blank: AbstractSet[CellRef] = frozenset()) -> tuple[dict[CellRef, Cell], set[CellRef]] | None:
    """Propagate the equations; None when a fill would contradict the table.

    `weak` equations fill only cells not in `blank`, and are checked only where they filled."""
    values = dict(values)
    filled: set[CellRef] = set()
    by_weak: set[CellRef] = set()
    tagged = [(eq, False) for eq in eqs] + [(eq, True) for eq in weak]
    changed = True
    while changed:
        changed = False
        for eq, is_weak in tagged:
            unknown = [(ref, k) for ref, k in eq if values.get(ref) is None]
            if not unknown or (is_weak and any(ref in blank for ref, _ in unknown)):
                continue
            residual = _known_sum(values, eq)
            if len(unknown) == 1:
                ref, k = unknown[0]
                x = -residual / k
                if x < 0 or x != int(x):
                    return None
                values[ref] = int(x)
                fills = [ref]
            elif len({k for _, k in unknown}) == 1 and residual == 0:
                fills = [ref for ref, _ in unknown]  # non-negative numbers that sum to zero are all zero
                for ref in fills:
                    values[ref] = 0
            else:
                continue
            filled.update(fills)
            if is_weak:
                by_weak.update(fills)
            changed = True
    for eq, is_weak in tagged:
        check = by_weak if is_weak else filled
        if any(ref in check for ref, _ in eq) and all(values.get(ref) is not None for ref, _ in eq):
            if _known_sum(values, eq) != 0:
                return None
    return values, filled


def _one_slip(read: int | float, fit: int | float) -> bool:
    """OCR's slips: a digit dropped, added or taken for another (17 read 7, 141399 read 14199)."""
    a, b = str(read), str(fit)
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return len(long_) == len(short) + 1 and any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def distrust(values: dict[CellRef, Cell], eqs: list[Equation]) -> set[CellRef]:
    """Numbers read by OCR that break the table's totals where a slip of one digit would fit
    them: the cells to leave unread (the totals may then fill them, "inferred"). A suspect is
    in every broken equation; it is distrusted when the totals, without it, fix it to a number
    one slip away from what was read. Every such suspect goes: when two would fit, neither is
    guessed."""
    broken = [eq for eq in eqs if all(values.get(r) is not None for r, _ in eq)
              and _known_sum(values, eq) != 0]
    if not broken:
        return set()
    suspects = set.intersection(*({r for r, _ in eq} for eq in broken))
    out: set[CellRef] = set()
    for ref in suspects:
        solved = solve({**values, ref: None}, eqs)
        fit = solved[0].get(ref) if solved else None
        read = values[ref]  # a number: the suspect is in an equation whose cells all hold one
        if fit is not None and read is not None and _one_slip(read, fit):
            out.add(ref)
    return out


def _flatten(rows: dict[str, list[Cell]]) -> dict[CellRef, Cell]:
    return {(key, c): v for key, vec in rows.items() for c, v in enumerate(vec)}


def _settle_blanks(values: dict[CellRef, Cell], blank: set[CellRef], eqs: list[Equation],
                   is_total: Callable[[CellRef], bool]) -> dict[CellRef, str]:
    """Printed blanks the totals left open: a part is 0 as printed; a total printed blank is the
    sum of its parts, where they are known (else it stays null: no total is guessed)."""
    how: dict[CellRef, str] = {}
    open_ = {r for r in blank if values.get(r) is None}
    if not open_:
        return how
    for ref in sorted(r for r in open_ if not is_total(r)):
        values[ref] = 0
        how[ref] = "blank"
    changed = True
    while changed:
        changed = False
        for eq in eqs:
            unknown = [(ref, k) for ref, k in eq if values.get(ref) is None]
            if len(unknown) != 1 or unknown[0][0] not in open_:
                continue
            ref, k = unknown[0]
            x = -_known_sum(values, eq) / k
            if x >= 0 and x == int(x):
                values[ref] = int(x)
                how[ref] = "inferred"
                changed = True
    return how


Reading = tuple[list[Cell], frozenset[int]]  # a row's 7 cells, and the columns split from one token
Vector = tuple[int, ...]
MAX_WORK = 100_000  # partial sums tried in all: a table read whole takes at most a second or so


def _layers(options: list[list[Vector]], target: list[Cell], bounded: set[int],
            budget: int = MAX_WORK) -> list[set[Vector]] | None:
    """The partial column sums (over the rows so far) that can still reach `target`: exactly in
    its columns, at most in the `bounded` ones (a cell there is unknown), not at all where the
    target is unknown. None when the search grows too large to finish."""
    forward: list[set[Vector]] = [{(0,) * 7}]
    work = 0
    for opts in options:
        work += len(forward[-1]) * len(opts)
        if work > budget:
            return None
        nxt: set[Vector] = set()
        for s in forward[-1]:
            for r in opts:
                t = tuple(a + b for a, b in zip(s, r, strict=True))
                if all(lim is None or v <= lim for v, lim in zip(t, target, strict=True)):
                    nxt.add(t)
        forward.append(nxt)
    end = {s for s in forward[-1]
           if all(t is None or c in bounded or s[c] == t for c, t in enumerate(target))}
    back: list[set[Vector]] = [end]
    for i in range(len(options) - 1, -1, -1):
        keep = back[0]
        back.insert(0, {s for s in forward[i] if any(
            tuple(a + b for a, b in zip(s, r, strict=True)) in keep for r in options[i])})
    return back


def _vector(reading: list[Cell]) -> Vector:
    return tuple(int(v) if isinstance(v, int) else 0 for v in reading)


def narrow_readings(table: RequestTable, keys: list[str]) -> dict[str, list[Reading]] | None:
    """The table solved whole: of every row's readings (a row read as printed has one; a short row
    every split that makes its own total and every placement of its numbers), those that take part in some
    choice of one reading per row where the result rows add up to （七）总计 column by column and,
    where some choice also satisfies it, 一 + 二 = （七） + 四. None when the totals cannot be used
    (a row of the sum missing, or the search too large)."""
    results = [k for k in keys if (k in form.RESULT_KEYS or k == "other")]
    if not table.candidates or not all(k in table.rows for k in [*results, "total_processed"]):
        return None

    def options(key: str) -> list[Reading]:
        found = table.candidates.get(key)
        out: list[Reading] = []
        for vec, cols in found or [(table.rows[key], frozenset())]:
            if all(vec != o[0] for o in out):
                out.append((list(vec), cols))
        return out

    opts = {k: options(k) for k in [*results, *(a for a in _BALANCE if a in table.rows)]}
    unknown_cols = {c for k in results for vec, _ in opts[k] for c, v in enumerate(vec) if v is None}
    feasible: dict[str, list[Reading]] = {k: [] for k in opts}

    def add(key: str, reading: Reading) -> None:
        if all(reading[0] != o[0] for o in feasible[key]):
            feasible[key].append(reading)

    totals = []  # (reading of 总计, per result row the readings that fit it)
    for total in opts["total_processed"]:
        target = list(total[0])
        vecs = [[_vector(v) for v, _ in opts[k]] for k in results]
        layers = _layers(vecs, target, unknown_cols, MAX_WORK // len(opts["total_processed"]))
        if layers is None:
            return None
        if not layers[-1]:
            continue
        fit = {}
        for i, k in enumerate(results):
            fit[k] = [o for o, v in zip(opts[k], vecs[i], strict=True)
                      if any(tuple(a + b for a, b in zip(s, v, strict=True)) in layers[i + 1] for s in layers[i])]
        totals.append((total, fit))
    if not totals:
        return None  # no reading adds up: the table contradicts itself or was misread
    anchors = [a for a in _BALANCE[:2] + _BALANCE[3:] if a in table.rows]
    balanced = []
    if len(anchors) == 3 and len(totals) * math.prod(len(opts[a]) for a in anchors) <= MAX_COMBINATIONS * 4:
        for total, _ in totals:
            for nr, ci, co in itertools.product(*(opts[a] for a in anchors)):
                if all(None in (x, y, t, z) or x + y == t + z  # type: ignore[operator]
                       for x, y, t, z in zip(nr[0], ci[0], total[0], co[0], strict=True)):
                    balanced.append((total, {"new_received": nr, "carried_over_in": ci, "carried_over_out": co}))
    if balanced:
        kept = {id(t) for t, _ in balanced}
        totals = [(t, fit) for t, fit in totals if id(t) in kept]
        for _, rows in balanced:
            for a, r in rows.items():
                add(a, r)
    else:
        for a in anchors:
            for r in opts[a]:
                add(a, r)
    for total, fit in totals:
        add("total_processed", total)
        for k, readings in fit.items():
            for r in readings:
                add(k, r)
    return {k: v for k, v in feasible.items() if k in table.candidates}


_BALANCE = ["new_received", "carried_over_in", "total_processed", "carried_over_out"]


def _agreed(readings: list[Reading]) -> tuple[list[Cell], set[int]]:
    """The cells every reading gives the same number (None elsewhere), and which were split."""
    vec: list[Cell] = []
    split: set[int] = set()
    for c in range(7):
        vals = {r[0][c] for r in readings}
        v = vals.pop() if len(vals) == 1 else None
        vec.append(v)
        if v is not None and all(c in r[1] for r in readings):
            split.add(c)
    return vec, split


def infer_requests(table: RequestTable, keys: list[str], read_by_ocr: bool = False) -> dict[CellRef, str]:
    """Fill table.rows in place; returns how each cell not read as printed got its value
    ("inferred", "blank", "split"). A table read by OCR first loses the numbers its totals
    distrust (a printed table that does not add up is the report's own fault: it stays)."""
    eqs, balance = request_equations(keys, set(table.rows))
    doubted = distrust(_flatten(table.rows), eqs) if read_by_ocr else set()
    for key, c in doubted:
        table.rows[key][c] = None
        table.unknown.add((key, c))
    # the balance, the rule real reports break most, never fills a doubted number: only the sums do
    weak_never = table.blank | doubted
    narrowed = narrow_readings(table, keys)
    if narrowed is not None:
        table.candidates = narrowed
    base = _flatten(table.rows)
    short = [k for k in table.candidates if table.candidates[k]]
    combos = 1
    for k in short:
        combos *= len(table.candidates[k])
    outcomes: list[tuple[dict[CellRef, Cell], set[CellRef], set[CellRef]]] = []
    if short and combos <= MAX_COMBINATIONS:
        for choice in itertools.product(*(table.candidates[k] for k in short)):
            trial = dict(base)
            split: set[CellRef] = set()
            for key, (vec, cols) in zip(short, choice, strict=True):
                trial.update({(key, c): v for c, v in enumerate(vec)})
                split.update((key, c) for c in cols)
            solved = solve(trial, eqs, balance, weak_never)
            if solved is None:
                continue
            vals, filled = solved
            if all(vals.get((k, c)) is not None for k in short for c in range(7)):
                outcomes.append((vals, filled, split))
    how: dict[CellRef, str] = {}
    if outcomes and all(
        [o[0][(k, c)] for k in short for c in range(7)] == [outcomes[0][0][(k, c)] for k in short for c in range(7)]
        for o in outcomes
    ):
        # every reading of the short rows that fits the totals gives the same numbers
        values, filled, split = outcomes[0]
        filled = set(filled) | {(k, c) for k in short for c in range(7) if any((k, c) in o[1] for o in outcomes)}
        split = split - filled
        how.update({ref: "inferred" for ref in filled})
        how.update({ref: "split" for ref in split if all(ref in o[2] for o in outcomes)})
    else:
        split = set()
        if narrowed is not None:
            # too many choices to try one by one, or more than one fits: each row's cells on
            # which all its fitting readings agree are known, the others stay open
            for key in short:
                agreed, agreed_split = _agreed(table.candidates[key])
                base.update({(key, c): v for c, v in enumerate(agreed)})
                split.update((key, c) for c in agreed_split)
        solved = solve(base, eqs, balance, weak_never)
        values, filled = solved if solved is not None else (dict(base), set())
        how.update({ref: "inferred" for ref in filled})
        how.update({ref: "split" for ref in split - filled})
    how.update(_settle_blanks(values, table.blank, eqs, lambda r: r[1] == 6 or r[0] == "total_processed"))
    for (key, c), v in values.items():
        if key in table.rows:
            table.rows[key][c] = v
    return {ref: h for ref, h in how.items() if ref[0] in table.rows}


def infer_appeals(table: AppealTable, read_by_ocr: bool = False) -> dict[CellRef, str]:
    eqs = appeal_equations(set(table.groups))
    if read_by_ocr:
        for key, c in distrust(_flatten(table.groups), eqs):
            table.groups[key][c] = None
            table.unknown.add((key, c))
    solved = solve(_flatten(table.groups), eqs)
    values, filled = solved if solved is not None else (_flatten(table.groups), set())
    how: dict[CellRef, str] = {ref: "inferred" for ref in filled}
    how.update({ref: "split" for ref in table.split})
    how.update(_settle_blanks(values, table.blank, eqs, lambda r: r[1] == 4))
    for (key, c), v in values.items():
        table.groups[key][c] = v
    return how
