"""Word 2007+ documents (DOCX) into the document model, with python-docx.

The body is read in order (paragraphs and tables interleaved). Merged cells are expanded
into a full grid like HTML tables: a gridSpan repeats a cell across columns, a vMerge
"continue" cell repeats the cell above. The ZIP is checked before anything is inflated,
so a zip bomb is refused in milliseconds.
"""

from __future__ import annotations

import io
import zipfile

from extract.document import Document, ExtractError, Paragraph, Table
from extract.readers.grid import MAX_GRID_CELLS, MAX_SPAN, clean_text, collapse

# A real report's DOCX inflates to a few MB; images can make it tens of MB.
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_XML = 50 * 1024 * 1024  # word/document.xml alone
MAX_RATIO = 200  # compression ratio beyond which an entry is a bomb, not a document

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def check_zip(data: bytes, source: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as e:
        raise ExtractError(source, f"a damaged Word document (bad ZIP: {e})") from e
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise ExtractError(source, f"refused: the Word document would inflate to {total // 2**20} MB (a zip bomb?)")
    for i in infos:
        if i.file_size > 1_000_000 and i.compress_size and i.file_size / i.compress_size > MAX_RATIO:
            raise ExtractError(source, f"refused: {i.filename} is compressed {i.file_size // i.compress_size}:1 (a zip bomb?)")
        if i.filename == "word/document.xml" and i.file_size > MAX_XML:
            raise ExtractError(source, f"refused: word/document.xml is {i.file_size // 2**20} MB")


def read_docx(data: bytes, source: str, kind: str = "docx") -> Document:
    check_zip(data, source)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        d = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise ExtractError(source, f"not a readable Word document ({e})") from e
    except Exception as e:  # lxml XMLSyntaxError and friends from a corrupt part
        raise ExtractError(source, f"a damaged Word document ({type(e).__name__}: {e})") from e

    body = d.element.body
    # Text boxes are stored twice (DrawingML and a VML fallback): read them once.
    for fallback in list(body.iter(MC_FALLBACK)):
        fallback.getparent().remove(fallback)
    blocks: list[Paragraph | Table] = []
    for el in body.iterchildren():
        if el.tag == W + "p":
            text = clean_text(_para_text(el))
            if text:
                blocks.append(Paragraph(text))
        elif el.tag == W + "tbl":
            rows, owners = _table(el)
            if rows:
                blocks.append(Table(rows, owners))
        elif el.tag == W + "sdt":  # content controls wrap paragraphs/tables
            for p in el.iter(W + "p"):
                text = clean_text(_para_text(p))
                if text:
                    blocks.append(Paragraph(text))
    title = (d.core_properties.title or "").strip() or None
    if title is None:
        title = next((b.text for b in blocks if isinstance(b, Paragraph)), None)
    return Document(source=source, kind=kind, blocks=blocks, title=title)


def _para_text(p) -> str:
    parts: list[str] = []
    for node in p.iter(W + "t", W + "tab", W + "br", W + "cr"):
        if node.tag == W + "t":
            parts.append(node.text or "")
        elif node.tag == W + "tab":
            parts.append(" ")
        else:
            parts.append("\n")
    return "".join(parts)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _table(tbl) -> tuple[list[list[str]], list[list[int]]]:
    """The table's grid; gridBefore/gridAfter and vMerge handled, nested tables flattened."""
    grid: list[list[str]] = []
    owners: list[list[int]] = []  # grid position -> id of the <w:tc> covering it (-1: none)
    next_id = 0
    for tr in tbl.iterchildren(W + "tr"):
        row: list[str] = []
        own: list[int] = []
        tr_pr = tr.find(W + "trPr")
        before = tr_pr.find(W + "gridBefore") if tr_pr is not None else None
        if before is not None:
            n = min(_int(before.get(W + "val"), 0), MAX_SPAN)
            row.extend([""] * n)
            own.extend([-1] * n)
        for tc in tr.iterchildren(W + "tc"):
            pr = tc.find(W + "tcPr")
            span, vmerge = 1, None
            if pr is not None:
                gs = pr.find(W + "gridSpan")
                if gs is not None:
                    span = max(1, min(_int(gs.get(W + "val"), 1), MAX_SPAN))
                vm = pr.find(W + "vMerge")
                if vm is not None:
                    vmerge = vm.get(W + "val") or "continue"
            col = len(row)
            if vmerge == "continue" and grid and col < len(grid[-1]):
                text, cid = grid[-1][col], owners[-1][col]
            else:
                text = clean_text("\n".join(_para_text(p) for p in tc.iter(W + "p")))
                cid, next_id = next_id, next_id + 1
            row.extend([text] * span)
            own.extend([cid] * span)
        grid.append(row)
        owners.append(own)
        if sum(len(r) for r in grid) > MAX_GRID_CELLS:
            break
    width = max((len(r) for r in grid), default=0)
    grid = [r + [""] * (width - len(r)) for r in grid]
    owners = [o + [-1] * (width - len(o)) for o in owners]
    # Grid columns narrower than 1 mm are slivers that editing leaves between cell edges
    # that almost line up; they are not columns of the form.
    widths = [_int(gc.get(W + "w"), 1000) for gc in tbl.iterfind(f"{W}tblGrid/{W}gridCol")]
    slivers = {j for j, w in enumerate(widths) if w < 57 and j < width}
    if slivers and len(slivers) < width:
        keep = [j for j in range(width) if j not in slivers]
        grid = [[r[j] for j in keep] for r in grid]
        owners = [[o[j] for j in keep] for o in owners]
    return collapse(grid, owners)
