import sys
from pathlib import Path

# test helpers (gold.py, render.py, reports.py) import each other as plain modules
sys.path.insert(0, str(Path(__file__).parent))
