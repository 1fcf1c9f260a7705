import sys
from pathlib import Path

# test helpers (gold.py, render.py, reports.py) import each other as plain modules
sys.path.insert(0, str(Path(__file__).parent))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `gongkai demo --no-serve` archive (sample portal → crawl → extract → check), shared by the
    tests that only read it (search, WARC, WACZ). Tests that change it work on a copy."""
    from gongkai.demo import run_demo

    data = tmp_path_factory.mktemp("demo") / "data"
    s = run_demo(str(data), progress=False)
    assert s["reason"] == "finished", s
    return data
