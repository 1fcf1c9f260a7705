"""Fingerprints for the copy-paste checks, computed once per report at extract time so that
`gongkai check` compares 32 numbers per report instead of re-reading every text.

- text: a MinHash signature of the narrative's 8-character shingles (whitespace removed; tables are
  left out, their labels are the same in every report); the share
  of equal positions in two signatures estimates the Jaccard similarity of the two texts.
- numbers: a hash of every number of the report, in a fixed column order, and how many are non-zero
  (all-zero reports are common and identical without any copying).
"""

from __future__ import annotations

import hashlib
import json
import zlib

from archive.columns import (
    ACTIVE_2019_COLUMNS,
    ACTIVE_2021_COLUMNS,
    APPEAL_COLUMN_NAMES,
    REQUEST_COLUMN_NAMES,
)

SHINGLE = 8
PERMUTATIONS = 64
MIN_TEXT = 300  # shorter texts are not fingerprinted (too little to tell copying from a template)
# only the first this many characters are fingerprinted: a narrative has under 30,000, and the cost
# (PERMUTATIONS per distinct shingle, in Python) grows with the text
MAX_TEXT = 100_000
_P = (1 << 61) - 1
# fixed pseudo-random permutations (a*x + b mod p): the same in every process and every run
_AB = [
    (
        int.from_bytes(hashlib.sha256(f"a{i}".encode()).digest()[:8], "big") % _P | 1,
        int.from_bytes(hashlib.sha256(f"b{i}".encode()).digest()[:8], "big") % _P,
    )
    for i in range(PERMUTATIONS)
]
NUMBER_COLUMNS = REQUEST_COLUMN_NAMES + ACTIVE_2021_COLUMNS + ACTIVE_2019_COLUMNS + APPEAL_COLUMN_NAMES


def text_signature(text: str | None) -> str | None:
    s = "".join((text or "").split())[:MAX_TEXT]
    if len(s) < MIN_TEXT:
        return None
    xs = {zlib.crc32(s[i : i + SHINGLE].encode()) for i in range(len(s) - SHINGLE + 1)}
    return json.dumps([min((a * x + b) % _P for x in xs) for a, b in _AB])


def signature_similarity(a: list[int], b: list[int]) -> float:
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


def numbers_signature(flat: dict) -> tuple[str, int]:
    """(hash, count of non-zero numbers) of a report's numbers (flat column -> value)."""
    vals = [flat.get(c) for c in NUMBER_COLUMNS]
    digest = hashlib.sha1(json.dumps(vals).encode()).hexdigest()[:16]
    return digest, sum(1 for v in vals if v)
