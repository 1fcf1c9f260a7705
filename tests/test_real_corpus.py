"""The corpus of real reports (tests/real/): documents real bodies published, and the seeds
rewritten into the shapes others take, each with hand-checked gold. Every document parses with
no wrong number where it prints a number (a miss is null, never a guess); cells and the
metadata are right in the shares the corpus promises."""

from __future__ import annotations

import pytest
from corpus import EXACT_KINDS, documents, parse, score

DOCS = documents()


@pytest.mark.parametrize(("doc", "gold"), DOCS, ids=[d.name for d, _ in DOCS])
def test_document_has_no_wrong_number(doc, gold) -> None:
    s = score(doc, gold, parse(doc))
    assert s.wrong == [], f"{doc.name}: {len(s.wrong)} wrong cells: {s.wrong[:6]}"


def test_cell_and_metadata_accuracy() -> None:
    if not DOCS:
        pytest.skip("no corpus")
    scores = [score(doc, gold, parse(doc)) for doc, gold in DOCS]
    exact = [s for s in scores if s.kind in EXACT_KINDS]
    dumps = [s for s in scores if s.kind not in EXACT_KINDS]
    for group, need in ((exact, 0.99), (dumps, 0.95)):
        cells = sum(s.cells for s in group)
        if cells:
            right = sum(s.right for s in group)
            assert right / cells >= need, (right, cells, [(s.doc, s.missed) for s in group if s.missed])
    meta_total = sum(s.meta_total for s in scores)
    meta_right = sum(s.meta_right for s in scores)
    assert meta_right / meta_total >= 0.95, [(s.doc, s.meta_wrong) for s in scores if s.meta_wrong]
