"""`gongkai merge OUT IN...`: several archives (one per crawler machine) into one (archive/merge.py)."""

from __future__ import annotations

import click

from gongkai.options import emit


@click.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.argument("inputs", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
def merge(out: str, inputs: tuple[str, ...], as_json: bool) -> None:
    """Combine archives IN... into OUT without duplicates (idempotent). Then run `gongkai check --data OUT`."""
    from archive.merge import MergeError, merge_archives

    try:
        s = merge_archives(out, list(inputs))
    except MergeError as e:
        raise click.ClickException(str(e)) from e
    a = s["added"]
    emit(s, as_json,
         f"merge into {out}: {a.get('documents', 0)} documents, {a.get('document_urls', 0)} URLs, "
         f"{a.get('crawls', 0)} crawls, {a.get('fetches', 0)} fetches, {a.get('column_captures', 0)} "
         f"column captures, {a.get('reports', 0)} reports, {a.get('blobs', 0)} blobs added. "
         f"Next: gongkai extract --data {out} && gongkai check --data {out}")
