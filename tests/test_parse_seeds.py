"""`gongkai parse` over the five seed reports, compared value by value with their gold files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gold import differences

SEEDS = Path(__file__).parent / "seeds"
GONGKAI = str(Path(sys.executable).with_name("gongkai"))


def run_parse(*paths: str | Path) -> tuple[int, list[dict], str]:
    proc = subprocess.run([GONGKAI, "parse", *map(str, paths)], capture_output=True, text=True, timeout=120)
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict]:
    files = sorted(SEEDS.glob("*.txt"))
    assert len(files) == 5
    code, results, stderr = run_parse(*files)
    assert code == 0, stderr
    assert [r["source"] for r in results] == [str(f) for f in files], "one line per input, in input order"
    return {Path(r["source"]).stem: r for r in results}


@pytest.mark.parametrize("stem", sorted(p.stem for p in SEEDS.glob("*.txt")))
def test_seed_matches_gold(parsed: dict[str, dict], stem: str) -> None:
    gold = json.loads((SEEDS / "gold" / f"{stem}.json").read_text(encoding="utf-8"))
    assert differences(parsed[stem], gold) == []


def check(result: dict, name: str) -> dict:
    return next(c for c in result["checks"] if c["check"] == name)


def test_seed_001_does_not_balance(parsed: dict[str, dict]) -> None:
    r = parsed["001_70dbf32ff745fb63"]
    bal = check(r, "balance")
    assert bal["ok"] is False
    assert "21 + 0 ≠ 21 + 3" in bal["detail"]
    # its prose says 办结 18 while its table says 21
    assert check(r, "narrative")["ok"] is False


def test_seed_004_is_incomplete_with_nulls_not_zeros(parsed: dict[str, dict]) -> None:
    r = parsed["004_4a1ee8622544226d"]
    comp = check(r, "completeness")
    assert comp["ok"] is False
    assert "section 4" in comp["detail"] and "table 四" in comp["detail"]
    assert r["appeals"] is None
    for key in ("other_unpaid_fee", "other_other", "total_processed", "carried_over_out"):
        assert r["requests"][key] is None
    assert check(r, "balance")["ok"] is None


def test_seed_002_blank_cells_are_inferred_and_listed(parsed: dict[str, dict]) -> None:
    r = parsed["002_f13d2195483ea46f"]
    assert r["cells"] == {
        "requests.new_received.0": "inferred",
        "requests.granted.0": "inferred",
        "requests.partially_granted.0": "inferred",
        "requests.total_processed.0": "inferred",
        "requests.total_processed.1": "inferred",
        "requests.carried_over_out.0": "inferred",
    }
    assert r["published"] is None  # the report prints no date


def test_all_checks_pass_on_a_consistent_seed(parsed: dict[str, dict]) -> None:
    r = parsed["003_1e1d37345e448265"]
    assert all(c["ok"] is not False for c in r["checks"]), r["checks"]
    assert check(r, "balance")["ok"] is True


def test_bad_files_give_error_lines_and_others_still_parse(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    binary = tmp_path / "report.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    missing = tmp_path / "missing.html"
    seed = sorted(SEEDS.glob("*.txt"))[0]
    code, results, stderr = run_parse(empty, seed, binary, missing)
    assert code != 0
    assert [r["source"] for r in results] == [str(empty), str(seed), str(binary), str(missing)]
    assert "empty" in results[0]["error"]
    assert results[1]["agency"] == "伊宁市潘津镇人民政府"
    assert "error" in results[2] and "error" in results[3]
    assert "cannot read" in results[3]["error"]
    assert "parsed 1 of 4 files" in stderr
