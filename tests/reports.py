"""Hypothesis strategies for reports whose numbers pass every check of the form."""

from __future__ import annotations

from hypothesis import strategies as st

from extract import form

AGENCIES = ["伊宁市潘津镇人民政府", "伊宁市人民政府", "伊宁市住房和城乡建设局", "武陟县大封镇人民政府",
            "乌苏市甘河子镇人民政府", "伊宁市巴彦岱镇人民政府", "伊宁市教育局"]
count = st.one_of(st.just(0), st.just(0), st.integers(0, 9), st.integers(0, 400))


@st.composite
def reports(draw, fmt: str | None = None) -> dict:
    fmt = fmt or draw(st.sampled_from(["2021", "2021", "2019"]))
    year = draw(st.integers(2021, 2025)) if fmt == "2021" else draw(st.integers(2019, 2020))
    # 2021 reports sometimes print （六）其他处理 as one row, as the 2019 format always does
    split = fmt == "2021" and draw(st.sampled_from([True, True, False]))
    keys = form.request_keys(fmt, split_other=split)
    results = [k for k in keys if k in form.RESULT_KEYS or k == "other"]
    rows: dict[str, list[int]] = {k: [0] * 7 for k in keys}
    for c in range(6):
        for k in results:
            rows[k][c] = draw(count)
        total = sum(rows[k][c] for k in results)
        rows["total_processed"][c] = total
        rows["carried_over_out"][c] = draw(count)
        rows["carried_over_in"][c] = draw(st.integers(0, total + rows["carried_over_out"][c]))
        rows["new_received"][c] = total + rows["carried_over_out"][c] - rows["carried_over_in"][c]
    for vec in rows.values():
        vec[6] = sum(vec[:6])
    appeals = {}
    for g, _ in form.APPEAL_GROUPS:
        vec = [draw(count) for _ in range(4)]
        appeals[g] = vec + [sum(vec)]
    if fmt == "2019":
        triple = st.fixed_dictionaries({"new_made": count, "new_published": count, "total_published": count})
        item = st.fixed_dictionaries({"prev_items": count, "change": st.integers(-20, 20), "decisions": count})
        active = {
            "rules": draw(triple), "normative": draw(triple), "licensing": draw(item),
            "other_services": draw(item), "punishment": draw(item), "coercion": draw(item),
            "fees": draw(st.fixed_dictionaries({"prev_items": count, "change": st.integers(-5, 5)})),
            "procurement": draw(st.fixed_dictionaries({"items": count, "amount_yuan": st.integers(0, 10**7)})),
        }
        active["procurement"]["amount_text"] = str(active["procurement"]["amount_yuan"])  # as printed
    else:
        triple = st.fixed_dictionaries({"issued": count, "repealed": count, "in_force": count})
        active = {
            "rules": draw(triple), "normative": draw(triple), "licensing": draw(count),
            "punishment": draw(count), "coercion": draw(count),
            "fees_wan": draw(st.one_of(st.just(0), st.integers(0, 5000), st.decimals(0, 20000, places=4).map(
                lambda d: float(d) if d != int(d) else int(d)))),
        }
    month, day = draw(st.integers(1, 3)), draw(st.integers(1, 28))
    return {
        "agency": draw(st.sampled_from(AGENCIES)),
        "year": year,
        "published": f"{year + 1}-{month:02d}-{day:02d}",
        "format": fmt,
        "sections": ["1", "2", "3", "4", "5", "6"],
        "active": active,
        "requests": rows,
        "appeals": appeals,
    }
