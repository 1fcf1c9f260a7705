"""The numbers of the sample portal's reports: parse-contract values generated per body and year,
the checks (as extract/checks.py names them) those values fail, the ways some reports are broken on
purpose, and the five real reports' values (tests/seeds)."""

from __future__ import annotations

import json
import random
from datetime import date
from importlib import resources
from typing import Any

from extract.form import (
    ACTIVE_2019,
    APPEAL_GROUPS,
    RESULT_KEYS,
    format_for_year,
    request_keys,
)

from .agencies import Agency
from .sites import YEARS


def _split(rng: random.Random, total: int, weights: list[int]) -> list[int]:
    """`total` units spread over len(weights) rows (a deterministic multinomial draw)."""
    counts = [0] * len(weights)
    for i in rng.choices(range(len(weights)), weights=weights, k=total):
        counts[i] += 1
    return counts


RESULT_WEIGHTS_2021 = [50, 10, 1, 1, 1, 2, 1, 2, 1, 1, 12, 3, 3, 2, 2, 1, 1, 1, 2, 1, 3]
RESULT_WEIGHTS_2019 = RESULT_WEIGHTS_2021[:18] + [6]


def gen_series(agency: Agency) -> dict[int, dict]:
    """Parse-contract values for every year of one agency, generated in order so that the
    cross-year rules hold (carried_over_in = last carried_over_out; in_force rolls forward)."""
    out: dict[int, dict] = {}
    prev_out = [0] * 7
    # rules and normative documents in force, rolled forward from year to year
    in_force = [0 if agency.kind != "government" else 12, {"government": 40, "department": 6}.get(agency.kind, 0)]
    for year in YEARS:
        rng = random.Random(f"values|{agency.name}|{year}")
        fmt = format_for_year(year)
        big = agency.size
        new = [
            rng.randint(0, 6 * big) if rng.random() < 0.8 or big > 1 else 0,
            rng.randint(0, big),
            rng.randint(0, big // 8),
            rng.randint(0, big // 6),
            rng.randint(0, big // 4),
            rng.randint(0, big // 5),
        ]
        if agency.kind == "town" and rng.random() < 0.5:
            new = [0] * 6
        cin = prev_out[:6] if year > 2019 else [rng.randint(0, 1) if big > 2 else 0 for _ in range(6)]
        cout = [rng.randint(0, min(2, n + c)) if n + c and rng.random() < 0.3 else 0 for n, c in zip(new, cin, strict=True)]
        done = [n + c - o for n, c, o in zip(new, cin, cout, strict=True)]
        weights = RESULT_WEIGHTS_2019 if fmt == "2019" else RESULT_WEIGHTS_2021
        per_col = [_split(rng, d, weights) for d in done]  # [col][row]
        keys = request_keys(fmt)
        result_keys = [k for k in keys if k not in ("new_received", "carried_over_in", "total_processed", "carried_over_out")]
        requests: dict[str, list[int] | None] = {}

        def row(vals: list[int]) -> list[int]:
            return vals + [sum(vals)]

        requests["new_received"] = row(new)
        requests["carried_over_in"] = row(cin)
        for r, key in enumerate(result_keys):
            requests[key] = row([per_col[c][r] for c in range(6)])
        requests["total_processed"] = row(done)
        requests["carried_over_out"] = row(cout)
        # In the 2019 format 其他处理 is one row: the parser then reports `other` and no other_* keys.
        requests = {k: requests[k] for k in keys}
        prev_out = cout + [sum(cout)]

        appeals = {}
        for g, _ in APPEAL_GROUPS:
            n = rng.randint(0, max(0, big // 10)) if rng.random() < 0.5 else 0
            v = _split(rng, n, [5, 2, 1, 1])
            appeals[g] = v + [sum(v)]

        active = _active(rng, agency.kind, big, fmt, in_force)
        out[year] = {
            "format": fmt,
            "sections": ["1", "2", "3", "4", "5", "6"],
            "active": active,
            "requests": requests,
            "appeals": appeals,
        }
    return out


def _active(rng: random.Random, kind: str, big: int, fmt: str, in_force: list[int]) -> dict:
    """The year's 主动公开 table (the 2021 or the 2019 form); `in_force` = [rules, normative] in force
    at the start of the year, updated in place."""
    rules_in_force, norm_in_force = in_force
    active: dict[str, Any]
    if fmt == "2021":
        r_iss = rng.randint(0, 2) if kind == "government" else 0
        r_rep = min(rules_in_force, rng.randint(0, 1)) if kind == "government" else 0
        rules_in_force += r_iss - r_rep
        n_iss = rng.randint(0, 6) if norm_in_force or kind == "government" else 0
        n_rep = min(norm_in_force, rng.randint(0, 3)) if norm_in_force else 0
        norm_in_force += n_iss - n_rep
        active = {
            "rules": {"issued": r_iss, "repealed": r_rep, "in_force": rules_in_force},
            "normative": {"issued": n_iss, "repealed": n_rep, "in_force": norm_in_force},
            "licensing": rng.randint(0, 500 * big) if kind != "town" else rng.randint(0, 30),
            "punishment": rng.randint(0, 80 * big) if kind != "town" else rng.randint(0, 8),
            "coercion": rng.randint(0, 5 * big) if kind != "town" else 0,
            "fees_wan": round(rng.uniform(0, 30 * big), 2) if kind != "town" and rng.random() < 0.7 else 0,
        }
    else:
        active = {}
        for key, _, cols in ACTIVE_2019:
            if key in ("rules", "normative"):
                made = rng.randint(0, 5) if (kind == "government" or key == "normative") else 0
                pub = min(made, rng.randint(0, made)) if made else 0
                base = rules_in_force if key == "rules" else norm_in_force
                active[key] = {"new_made": made, "new_published": pub, "total_published": base + pub}
            elif key == "fees":
                active[key] = {"prev_items": rng.randint(0, 12), "change": rng.randint(-2, 2)}
            elif key == "procurement":
                items = rng.randint(0, 30) if kind != "town" else 0
                active[key] = {"items": items, "amount_yuan": items * rng.randint(5000, 90000)}
            else:
                prev = rng.randint(0, 120) if kind != "town" else rng.randint(0, 10)
                active[key] = {"prev_items": prev, "change": rng.randint(-3, 5), "decisions": rng.randint(0, 400 * big)}
            assert [*active[key]] == cols
        # the parse contract keeps the amount as printed too (the portal prints the bare number)
        active["procurement"]["amount_text"] = str(active["procurement"]["amount_yuan"])
    in_force[:] = [rules_in_force, norm_in_force]
    return active


# ----------------------------------------------------------------------------------------------
# The checks a report's own numbers must pass (extract/checks.py)

# Named as extract/checks.py names them.
CHECK_NAMES = ["balance", "row_totals", "results_sum", "appeals_totals", "completeness", "narrative"]


def failing_checks(values: dict, narrative_total: int | None = None) -> list[str]:
    """Names of the checks (extract/checks.py) that `values` fail (the truth's `checks_fail`)."""
    fails: list[str] = []
    req = values.get("requests") or {}
    rows = {k: v for k, v in req.items() if v is not None}
    ends = ("new_received", "carried_over_in", "total_processed", "carried_over_out")
    if all(k in rows and None not in rows[k] for k in ends):  # a check that cannot run does not fail
        if not all(rows[ends[0]][c] + rows[ends[1]][c] == rows[ends[2]][c] + rows[ends[3]][c] for c in range(7)):
            fails.append("balance")
    if rows and not all(None in v or sum(v[:6]) == v[6] for v in rows.values()):
        fails.append("row_totals")
    result = [k for k in RESULT_KEYS + ["other"] if k in rows]
    if "total_processed" in rows and None not in rows["total_processed"]:
        if not all(sum(rows[k][c] or 0 for k in result) == rows["total_processed"][c] for c in range(7)):
            fails.append("results_sum")
    appeals = values.get("appeals")
    if appeals and not all(sum(v[:4]) == v[4] for v in appeals.values()):
        fails.append("appeals_totals")
    if values.get("sections") != ["1", "2", "3", "4", "5", "6"] or not values.get("active") or not req or not appeals:
        fails.append("completeness")
    if narrative_total is not None and "new_received" in rows and narrative_total != rows["new_received"][6]:
        fails.append("narrative")
    return fails


def copy_values(v: dict) -> dict:
    """A deep copy of parse-contract values (faster than copy.deepcopy for this shape)."""
    out = dict(v)
    out["sections"] = list(v["sections"])
    out["active"] = {k: dict(x) if isinstance(x, dict) else x for k, x in v["active"].items()}
    out["requests"] = {k: list(x) if x is not None else None for k, x in v["requests"].items()}
    out["appeals"] = {k: list(x) for k, x in v["appeals"].items()} if v.get("appeals") else v.get("appeals")
    return out


CONTRACT_KEYS = ("agency", "year", "published", "format", "sections", "active", "requests", "appeals")


def legacy_values(a: Agency, year: int, signed: date) -> dict:
    """The parse contract of a pre-2019 free-form report: no standard tables."""
    return {"agency": a.name, "year": year, "published": signed.isoformat(), "format": "legacy",
            "sections": ["1", "2", "3", "4", "5", "6"], "active": None, "requests": None, "appeals": None}


def load_seed(stem: str) -> tuple[list[dict], dict]:
    """A real report as blocks ({"p": text} | {"table": rows}, made by make_static from its text)
    and its gold values."""
    base = resources.files("crawler.portal") / "data" / "seeds"
    blocks = json.loads((base / f"{stem}.blocks.json").read_text(encoding="utf-8"))
    gold = json.loads((base / f"{stem}.json").read_text(encoding="utf-8"))
    return blocks, gold


def seed_values(gold: dict) -> dict:
    """Gold → parse-contract values (gold's `inferred` becomes the contract's `cells`)."""
    values = {k: gold[k] for k in ("agency", "year", "published", "format", "sections", "active", "requests", "appeals")}
    cells = {}
    for key, cols in (gold.get("inferred") or {}).items():
        for c in cols:
            cells[f"requests.{key}.{c}"] = "inferred"
    if cells:
        values["cells"] = cells
    return values


def break_values(values: dict, how: str) -> None:
    """Break `values` the way a report's own numbers fail the check `how`."""
    req = values["requests"]
    if how == "row_totals":
        # A wrong 总计 cell in 予以公开, and the table's later totals built on it: only row totals fail.
        req["granted"][6] += 1
        req["total_processed"][6] += 1
        req["new_received"][6] += 1
    elif how == "balance":
        req["carried_over_out"][0] += 2
        req["carried_over_out"][6] += 2
    elif how == "appeals_totals":
        values["appeals"]["review"][4] = values["appeals"]["review"][4] + 1
    elif how == "completeness":
        values["sections"] = ["1", "2", "3", "5", "6"]
        values["appeals"] = None
    elif how == "results_sum":
        req["total_processed"] = [v + (1 if i in (0, 6) else 0) for i, v in enumerate(req["total_processed"])]
        req["carried_over_out"] = [v - (1 if i in (0, 6) else 0) for i, v in enumerate(req["carried_over_out"])]
