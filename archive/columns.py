"""Column names (and Chinese labels) of the typed number tables, derived from extract/form.py.

One row per report; a column per number, named `<row key>_<column key>` so SQL stays readable:
`report_requests.new_received_total`, `report_active.normative_in_force`, `report_appeals.review_total`.
"""

from __future__ import annotations

from extract import form

REQUEST_ROW_KEYS: list[str] = [*form.REQUEST_KEYS, form.OTHER_SINGLE[0]]
# grouped rows (不予公开 / 无法提供 / 不予处理 / 其他处理) carry their group: 其他 alone says nothing
_REQUEST_ROW_LABELS = {
    key: (f"{group[3:]}·{label}" if len(group) > 3 else label) for key, label, group in form.REQUEST_ROWS
}
_REQUEST_ROW_LABELS[form.OTHER_SINGLE[0]] = form.OTHER_SINGLE[1]

REQUEST_COLUMN_NAMES: list[str] = [f"{r}_{c}" for r in REQUEST_ROW_KEYS for c in form.REQUEST_COLUMNS]


def _flatten(spec: list[tuple[str, str, list[str]]]) -> list[str]:
    out: list[str] = []
    for key, _label, cols in spec:
        out += [f"{key}_{c}" for c in cols] if cols else [key]
    return out


ACTIVE_2021_COLUMNS: list[str] = _flatten(form.ACTIVE_2021)
ACTIVE_2019_COLUMNS: list[str] = _flatten(form.ACTIVE_2019)
APPEAL_COLUMN_NAMES: list[str] = [f"{g}_{c}" for g, _ in form.APPEAL_GROUPS for c in form.APPEAL_COLUMNS]

_ACTIVE_COL_LABELS = {
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "new_made": "本年新制作数量",
    "new_published": "本年新公开数量",
    "total_published": "对外公开总数量",
    "prev_items": "上一年项目数量",
    "change": "本年增/减",
    "decisions": "处理决定数量",
    "items": "采购项目数量",
    "amount_yuan": "采购总金额（元）",
}


def column_labels() -> dict[str, dict[str, str]]:
    """table -> column -> Chinese label, for Datasette metadata."""
    req = {}
    for key in REQUEST_ROW_KEYS:
        for col, clabel in zip(form.REQUEST_COLUMNS, form.REQUEST_COLUMN_LABELS, strict=True):
            req[f"{key}_{col}"] = f"{_REQUEST_ROW_LABELS[key]}·{clabel}"
    act = {}
    for spec in (form.ACTIVE_2021, form.ACTIVE_2019):
        for key, label, cols in spec:
            if not cols:
                act[key] = label + ("（万元）" if key == "fees_wan" else "")
            for c in cols:
                act[f"{key}_{c}"] = f"{label}·{_ACTIVE_COL_LABELS.get(c, c)}"
    app = {}
    for g, glabel in form.APPEAL_GROUPS:
        for c, clabel in zip(form.APPEAL_COLUMNS, form.APPEAL_COLUMN_LABELS, strict=True):
            app[f"{g}_{c}"] = f"{glabel}·{clabel}"
    return {"report_requests": req, "report_active": act, "report_appeals": app}


def flatten_report(result: dict) -> tuple[dict, dict, dict]:
    """The parse result's numbers as three flat rows (requests, active, appeals); absent = None."""
    req: dict = {}
    for key, values in (result.get("requests") or {}).items():
        if key in REQUEST_ROW_KEYS and isinstance(values, list):
            for col, v in zip(form.REQUEST_COLUMNS, values, strict=False):
                req[f"{key}_{col}"] = v
    act: dict = {}
    for key, value in (result.get("active") or {}).items():
        if isinstance(value, dict):
            for c, v in value.items():
                name = f"{key}_{c}"
                if name in ACTIVE_2021_COLUMNS or name in ACTIVE_2019_COLUMNS:
                    act[name] = v
        elif key in ACTIVE_2021_COLUMNS:
            act[key] = value
    app: dict = {}
    for g, values in (result.get("appeals") or {}).items():
        if isinstance(values, list):
            for c, v in zip(form.APPEAL_COLUMNS, values, strict=False):
                if f"{g}_{c}" in APPEAL_COLUMN_NAMES:
                    app[f"{g}_{c}"] = v
    return req, act, app
