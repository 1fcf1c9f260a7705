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
from collections.abc import Callable

from extract import form
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


def solve(values: dict[CellRef, Cell], eqs: list[Equation], weak: list[Equation] = (),  # type: ignore[assignment]
          blank: set[CellRef] = frozenset()) -> tuple[dict[CellRef, Cell], set[CellRef]] | None:  # type: ignore[assignment]
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
            residual = sum(k * values[ref] for ref, k in eq if values.get(ref) is not None)
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
            if sum(k * values[ref] for ref, k in eq) != 0:
                return None
    return values, filled


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
            x = -sum(c * values[r] for r, c in eq if values.get(r) is not None) / k
            if x >= 0 and x == int(x):
                values[ref] = int(x)
                how[ref] = "inferred"
                changed = True
    return how


def infer_requests(table: RequestTable, keys: list[str]) -> dict[CellRef, str]:
    """Fill table.rows in place; returns how each cell not read as printed got its value
    ("inferred", "blank", "split")."""
    eqs, balance = request_equations(keys, set(table.rows))
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
            solved = solve(trial, eqs, balance, table.blank)
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
        solved = solve(base, eqs, balance, table.blank)
        values, filled = solved if solved is not None else (dict(base), set())
        how.update({ref: "inferred" for ref in filled})
    how.update(_settle_blanks(values, table.blank, eqs, lambda r: r[1] == 6 or r[0] == "total_processed"))
    for (key, c), v in values.items():
        if key in table.rows:
            table.rows[key][c] = v
    return {ref: h for ref, h in how.items() if ref[0] in table.rows}


def infer_appeals(table: AppealTable) -> dict[CellRef, str]:
    eqs = appeal_equations(set(table.groups))
    solved = solve(_flatten(table.groups), eqs)
    values, filled = solved if solved is not None else (_flatten(table.groups), set())
    how: dict[CellRef, str] = {ref: "inferred" for ref in filled}
    how.update({ref: "split" for ref in table.split})
    how.update(_settle_blanks(values, table.blank, eqs, lambda r: r[1] == 4))
    for (key, c), v in values.items():
        table.groups[key][c] = v
    return how
