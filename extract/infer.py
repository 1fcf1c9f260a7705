"""Fill blank cells that the table's own totals fix exactly, and nothing else.

The equations are the form's: every row's total is the sum of its six columns; （七）总计
is the sum of the result rows, column by column; 一 + 二 = 三（七） + 四 in every column; in
table 四 each total is the sum of its four results. A blank is filled when an equation with
it as the only unknown gives a non-negative whole number, or when non-negative unknowns must
sum to zero. A fill that contradicts another equation is withdrawn: better null than wrong.
"""

from __future__ import annotations

import itertools

from extract import form
from extract.tables import Cell, RequestTable

CellRef = tuple[str, int]
Equation = list[tuple[CellRef, int]]  # sum of coef * value == 0
MAX_COMBINATIONS = 4096


def request_equations(keys: list[str], present: set[str]) -> list[Equation]:
    eqs: list[Equation] = []
    for key in keys:
        if key in present:
            eqs.append([((key, c), 1) for c in range(6)] + [((key, 6), -1)])
    results = [k for k in keys if k in form.RESULT_KEYS or k == "other"]
    for c in range(7):
        if all(k in present for k in results) and "total_processed" in present:
            eqs.append([((k, c), 1) for k in results] + [(("total_processed", c), -1)])
        if all(k in present for k in ("new_received", "carried_over_in", "total_processed", "carried_over_out")):
            eqs.append([
                (("new_received", c), 1), (("carried_over_in", c), 1),
                (("total_processed", c), -1), (("carried_over_out", c), -1),
            ])
    return eqs


def appeal_equations(present: set[str]) -> list[Equation]:
    return [[((g, c), 1) for c in range(4)] + [((g, 4), -1)] for g, _ in form.APPEAL_GROUPS if g in present]


def solve(values: dict[CellRef, Cell], eqs: list[Equation]) -> tuple[dict[CellRef, Cell], set[CellRef]] | None:
    """Propagate the equations; None when a fill would contradict the table."""
    values = dict(values)
    filled: set[CellRef] = set()
    changed = True
    while changed:
        changed = False
        for eq in eqs:
            unknown = [(ref, k) for ref, k in eq if values.get(ref) is None]
            if not unknown:
                continue
            residual = sum(k * values[ref] for ref, k in eq if values.get(ref) is not None)
            if len(unknown) == 1:
                ref, k = unknown[0]
                x = -residual / k
                if x < 0 or x != int(x):
                    return None
                values[ref] = int(x)
                filled.add(ref)
                changed = True
            elif len({k for _, k in unknown}) == 1 and residual == 0:
                for ref, _ in unknown:  # non-negative numbers that sum to zero are all zero
                    values[ref] = 0
                    filled.add(ref)
                changed = True
    for eq in eqs:
        if any(ref in filled for ref, _ in eq) and all(values.get(ref) is not None for ref, _ in eq):
            if sum(k * values[ref] for ref, k in eq) != 0:
                return None
    return values, filled


def _flatten(rows: dict[str, list[Cell]]) -> dict[CellRef, Cell]:
    return {(key, c): v for key, vec in rows.items() for c, v in enumerate(vec)}


def infer_requests(table: RequestTable, keys: list[str]) -> set[CellRef]:
    """Fill table.rows in place; returns the cells filled."""
    eqs = request_equations(keys, set(table.rows))
    base = _flatten(table.rows)
    short = [k for k in table.candidates if table.candidates[k]]
    combos = 1
    for k in short:
        combos *= len(table.candidates[k])
    outcomes: list[tuple[dict[CellRef, Cell], set[CellRef]]] = []
    if short and combos <= MAX_COMBINATIONS:
        for choice in itertools.product(*(table.candidates[k] for k in short)):
            trial = dict(base)
            for key, vec in zip(short, choice, strict=True):
                trial.update({(key, c): v for c, v in enumerate(vec)})
            solved = solve(trial, eqs)
            if solved is None:
                continue
            vals, _ = solved
            if all(vals.get((k, c)) is not None for k in short for c in range(7)):
                outcomes.append(solved)
    if outcomes and all(
        [o[0][(k, c)] for k in short for c in range(7)] == [outcomes[0][0][(k, c)] for k in short for c in range(7)]
        for o in outcomes
    ):
        # every reading of the short rows that fits the totals gives the same numbers
        values, filled = outcomes[0]
        filled = set(filled) | {(k, c) for k in short for c in range(7) if any(
            (k, c) in o[1] for o in outcomes)}
    else:
        solved = solve(base, eqs)
        if solved is None:
            return set()
        values, filled = solved
    for (key, c), v in values.items():
        if key in table.rows:
            table.rows[key][c] = v
    return {ref for ref in filled if ref[0] in table.rows}


def infer_appeals(appeals: dict[str, list[Cell]]) -> set[CellRef]:
    solved = solve(_flatten(appeals), appeal_equations(set(appeals)))
    if solved is None:
        return set()
    values, filled = solved
    for (key, c), v in values.items():
        appeals[key][c] = v
    return filled
