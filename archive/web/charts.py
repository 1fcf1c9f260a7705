"""The dashboard's and compare page's charts, drawn as inline SVG on the server: the machine
that serves them may have no internet (no CDN, no script library), and the labels stay readable
(≥ 12 px) on a phone."""

from __future__ import annotations

from markupsafe import Markup, escape

from archive.labels import STATUS_LABELS

# the verdict statuses in the order charts stack and legends list them
STATUS_ORDER = ["on_time", "late", "missing", "unreachable", "unverified", "undated", "pending"]
STATUS_COLORS = {
    "on_time": "#2e7d32",
    "late": "#f57c00",
    "missing": "#c62828",
    "unreachable": "#6d6d6d",
    "unverified": "#b0bec5",
    "undated": "#9575cd",
    "pending": "#64b5f6",
}
PAIR_COLORS = ("#1565c0", "#ef6c00")  # the two sides of a comparison


def stacked_bars(
    rows: list[tuple[str, dict[str, int]]], width: int = 540, bar: int = 24, label_width: int = 150
) -> Markup:
    """Horizontal 100% stacked bars, one per row label, coloured by verdict status."""
    if not rows:
        return Markup('<p class="gk-empty">暂无数据</p>')
    gap = 8
    h = len(rows) * (bar + gap) + 4
    plot = width - label_width - 60
    parts = [
        f'<svg class="gk-chart" viewBox="0 0 {width} {h}" width="100%" style="min-width:{width}px" '
        f'role="img" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, counts) in enumerate(rows):
        y = i * (bar + gap) + 2
        total = sum(counts.values()) or 1
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end" class="gk-lbl">'
            f"{escape(label)}</text>"
        )
        x = float(label_width)
        for st in STATUS_ORDER:
            n = counts.get(st, 0)
            if not n:
                continue
            w = plot * n / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0.5):.1f}" height="{bar}" '
                f'fill="{STATUS_COLORS[st]}"><title>{escape(label)} · {STATUS_LABELS[st]}：{n}'
                f"（{100 * n / total:.0f}%）</title></rect>"
            )
            if w > 30:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + bar * 0.7:.1f}" text-anchor="middle" '
                    f'class="gk-in">{n}</text>'
                )
            x += w
        parts.append(
            f'<text x="{label_width + plot + 6}" y="{y + bar * 0.7:.1f}" class="gk-lbl">{total}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    points: list[tuple[str, float | None]],
    unit: str = "",
    width: int = 540,
    height: int = 220,
    color: str = "#1565c0",
    ymax: float | None = None,
) -> Markup:
    """A line chart with dots and values, x = categories (years)."""
    pts = [(x, y) for x, y in points if y is not None]
    if not pts:
        return Markup('<p class="gk-empty">暂无数据</p>')
    left, right, top, bottom = 50, 24, 26, 30
    top_v = ymax if ymax is not None else max(y for _, y in pts) or 1
    step = (width - left - right) / max(len(points) - 1, 1)
    sx = {
        x: left + i * step if len(points) > 1 else (width - left - right) / 2 + left
        for i, (x, _) in enumerate(points)
    }

    def sy(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / top_v)

    parts = [
        f'<svg class="gk-chart" viewBox="0 0 {width} {height}" width="100%" style="min-width:{width}px" '
        f'role="img" xmlns="http://www.w3.org/2000/svg">'
    ]
    for frac in (0, 0.5, 1):
        v = top_v * frac
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" class="gk-grid"/>'
            f'<text x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end" class="gk-axis">'
            f"{v:.0f}{escape(unit)}</text>"
        )
    for x, _ in points:
        parts.append(
            f'<text x="{sx[x]:.1f}" y="{height - 8}" text-anchor="middle" class="gk-axis">{escape(x)}</text>'
        )
    path = " ".join(f"{'M' if i == 0 else 'L'}{sx[x]:.1f},{sy(y):.1f}" for i, (x, y) in enumerate(pts))
    parts.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>')
    for x, y in pts:
        shown = f"{y:.0f}" if abs(y) >= 10 or y == int(y) else f"{y:.1f}"
        parts.append(
            f'<circle cx="{sx[x]:.1f}" cy="{sy(y):.1f}" r="4" fill="{color}"><title>{escape(x)}：'
            f"{shown}{escape(unit)}</title></circle>"
            f'<text x="{sx[x]:.1f}" y="{sy(y) - 9:.1f}" text-anchor="middle" class="gk-val">{shown}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_pairs(
    rows: list[tuple[str, list[float | None]]], tags: list[str], unit: str = "", width: int = 540,
    label_width: int = 130,
) -> Markup:
    """Horizontal bars, one group per measure, one bar per compared side (A blue, B orange)."""
    if not rows:
        return Markup('<p class="gk-empty">暂无数据</p>')
    bar, gap = 18, 14
    top = 26
    h = top + len(rows) * (bar * len(tags) + gap) + 4
    plot = width - label_width - 70
    vmax = max((v or 0) for _, vals in rows for v in vals) or 1
    parts = [
        f'<svg class="gk-chart" viewBox="0 0 {width} {h}" width="100%" style="min-width:{width}px" '
        f'role="img" xmlns="http://www.w3.org/2000/svg">'
    ]
    x = float(label_width)
    for i, tag in enumerate(tags):  # the key
        parts.append(f'<rect x="{x:.0f}" y="6" width="14" height="14" fill="{PAIR_COLORS[i % 2]}"/>'
                     f'<text x="{x + 20:.0f}" y="18" class="gk-lbl">{escape(tag)}</text>')
        x += 24 + 14 * len(tag) + 20
    for gi, (label, vals) in enumerate(rows):
        y0 = top + gi * (bar * len(tags) + gap)
        parts.append(f'<text x="{label_width - 8}" y="{y0 + bar * len(tags) / 2 + 5:.1f}" text-anchor="end" '
                     f'class="gk-lbl">{escape(label)}</text>')
        for i, v in enumerate(vals):
            y = y0 + i * bar
            w = plot * (v or 0) / vmax
            shown = "—" if v is None else (f"{v:.0f}" if float(v) == int(v) or abs(v) >= 10 else f"{v:.1f}")
            parts.append(
                f'<rect x="{label_width}" y="{y + 1}" width="{max(w, 0.5):.1f}" height="{bar - 2}" '
                f'fill="{PAIR_COLORS[i % 2]}"><title>{escape(tags[i])} · {escape(label)}：{shown}{escape(unit)}'
                f'</title></rect><text x="{label_width + w + 6:.1f}" y="{y + bar - 4}" class="gk-val">'
                f"{shown}{escape(unit) if v is not None else ''}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend() -> Markup:
    return Markup(
        "".join(
            f'<span class="gk-key"><i style="background:{STATUS_COLORS[s]}"></i>{STATUS_LABELS[s]}</span>'
            for s in STATUS_ORDER
        )
    )


# -- pages ----------------------------------------------------------------------------------------
