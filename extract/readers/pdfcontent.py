"""A faster reading of page content streams for pdfminer.six's interpreter.

pdfminer tokenizes content streams one character class at a time in Python; on the
reports' PDFs (every glyph run positioned by its own operator) that is half the time of
reading a page. Here one compiled regular expression splits the stream into tokens and
the same objects pdfminer's PDFContentParser would give are built from them: numbers,
names, strings, arrays, dictionaries and operators.

Only the plain cases are handled; a stream with anything else (an inline image, a
PostScript procedure, a name with # escapes, an odd hex string, an unusual escape in a
string) is read by pdfminer's own parser instead, so nothing is lost, just slower.
`tests/test_readers_pdf.py` checks that both give equal objects on every fixture PDF.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Any

from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.pdftypes import stream_value
from pdfminer.psparser import KWD, LIT, PSKeyword

_TOKEN = re.compile(
    rb"""\s+|%[^\r\n]*
    |(?P<num>[-+.\d][\d.]*)
    |(?P<kw>[A-Za-z][^#/%\[\]()<>{}\s]*)
    |/(?P<name>[^#/%\[\]()<>{}\s]*)(?![#])
    |(?P<hex><[0-9A-Fa-f\s]*>)
    |(?P<str>\([^()\\]*\))
    |(?P<open><<|\[)|(?P<close>>>|\])
    |(?P<lit>\()
    |(?P<one>['"])
    """,
    re.X,
)
_OCTAL = re.compile(rb"[0-7]{1,3}")
_ESCAPES = {b"b": b"\b", b"t": b"\t", b"n": b"\n", b"f": b"\f", b"r": b"\r", b"(": b"(", b")": b")", b"\\": b"\\"}
# The tokens are held in a list before they are run; pdfminer's parser streams them. A
# report page has 5–50 kB of content; beyond this the memory matters more than the time.
MAX_FAST_BYTES = 4_000_000
_UNSUPPORTED_KEYWORDS = {b"BI", b"ID"}  # inline images: pdfminer reads their raw data
# The most content one page may have, decoded: 160 times the largest report page. Interpreting it
# is pure Python, so its cost grows with it; a stream inflating beyond it is stopped while inflating.
MAX_CONTENT_BYTES = 2 << 20
# The most glyphs one page may draw: a dense A4 page has under 8000, twice that when WPS paints
# bold headings twice. Each glyph costs pdfminer about 0.2 ms.
MAX_PAGE_GLYPHS = 30_000


class ContentTooLarge(Exception):
    """A page whose content streams decode to more than MAX_CONTENT_BYTES, or draw more than
    MAX_PAGE_GLYPHS glyphs."""


def bounded_data(stream: Any) -> bytes:
    """The stream's decoded bytes, refusing (while inflating, not after) more than MAX_CONTENT_BYTES."""
    from pdfminer.pdftypes import LITERALS_FLATE_DECODE

    limit = MAX_CONTENT_BYTES
    if stream.data is None and stream.rawdata is not None and not stream.decipher:
        filters = stream.get_filters()
        if len(filters) == 1 and filters[0][0] in LITERALS_FLATE_DECODE and not filters[0][1]:
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(stream.rawdata, limit + 1)
            except zlib.error:
                data = None  # damaged: pdfminer's own decoder salvages what it can
            if data is not None:
                if len(data) > limit:
                    raise ContentTooLarge(f"a content stream inflates to more than {limit >> 20} MB"
                                          f" ({len(stream.rawdata) >> 10} kB compressed)")
                stream.data, stream.rawdata = data, None
        elif not filters and len(stream.rawdata) > limit:
            raise ContentTooLarge(f"a content stream of {len(stream.rawdata) >> 20} MB")
    data = stream.get_data()
    if len(data) > limit:
        raise ContentTooLarge(f"a content stream of {len(data) >> 20} MB decoded")
    return data


class Unsupported(Exception):
    """Content this tokenizer leaves to pdfminer's parser."""


def content_objects(data: bytes) -> list[Any]:
    """Operands and operators of a content stream, in order, as pdfminer builds them."""
    out: list[Any] = []
    stack: list[tuple[bytes, list[Any]]] = []  # open arrays and dictionaries
    current = out
    pos, end = 0, len(data)
    match = _TOKEN.match
    while pos < end:
        m = match(data, pos)
        if m is None:
            raise Unsupported(f"unexpected byte {data[pos:pos + 1]!r} at {pos}")
        pos = m.end()
        kind = m.lastgroup
        if kind is None:
            continue  # white space, comment
        token = m.group(kind)
        if kind == "num":
            try:
                current.append(float(token) if b"." in token else int(token))
            except ValueError as e:
                raise Unsupported(f"number {token!r}") from e
        elif kind == "kw":
            if token in _UNSUPPORTED_KEYWORDS:
                raise Unsupported("inline image")
            current.append(True if token == b"true" else False if token == b"false" else KWD(token))
        elif kind == "name":
            try:
                current.append(LIT(str(token, "utf-8")))
            except UnicodeDecodeError:
                current.append(LIT(token))
        elif kind == "hex":
            digits = re.sub(rb"\s", b"", token[1:-1])
            if len(digits) % 2:
                raise Unsupported("hex string of odd length")
            current.append(bytes.fromhex(digits.decode("ascii")))
        elif kind == "str":
            current.append(token[1:-1])
        elif kind == "lit":
            text, pos = _literal_string(data, pos)
            current.append(text)
        elif kind == "open":
            stack.append((token, current))
            current = []
        elif kind == "close":
            if not stack or (stack[-1][0] == b"[") != (token == b"]"):
                raise Unsupported(f"unbalanced {token!r}")
            opener, parent = stack.pop()
            parent.append(current if opener == b"[" else _dictionary(current))
            current = parent
        else:  # ' and " are operators of one character
            current.append(KWD(token))
    if stack:
        raise Unsupported("unclosed array or dictionary")
    return out


def _dictionary(items: list[Any]) -> dict[str, Any]:
    if len(items) % 2:
        raise Unsupported("dictionary with an odd number of items")
    out = {}
    for key, value in zip(items[::2], items[1::2], strict=True):
        if not hasattr(key, "name") or isinstance(key, PSKeyword):
            raise Unsupported("dictionary key that is not a name")
        if value is not None:
            out[key.name] = value
    return out


def _literal_string(data: bytes, pos: int) -> tuple[bytes, int]:
    """A (string) with nested parentheses or escapes, from just after its "("."""
    out = bytearray()
    depth = 1
    end = len(data)
    while pos < end:
        c = data[pos:pos + 1]
        if c == b"\\":
            nxt = data[pos + 1:pos + 2]
            octal = _OCTAL.match(data, pos + 1)
            if octal:
                value = int(octal.group(), 8)
                if value > 255:
                    raise Unsupported("octal escape over 255")
                out.append(value)
                pos = octal.end()
            elif nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                pos += 2
            elif nxt == b"\r":
                pos += 3 if data[pos + 2:pos + 3] == b"\n" else 2
            elif nxt == b"\n":
                pos += 2
            else:
                raise Unsupported("unusual escape in a string")
            continue
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), pos + 1
        out += c
        pos += 1
    raise Unsupported("unterminated string")


class FastInterpreter(PDFPageInterpreter):
    """pdfminer's page interpreter, reading content streams with content_objects."""

    def execute(self, streams: Sequence[object]) -> None:
        parents = getattr(self, "parent_stream_ids", None)
        own = getattr(self, "stream_ids", None)
        if parents is None or own is None:  # another pdfminer: keep its own way
            super().execute(streams)
            return
        valid = []
        for obj in streams:
            stream = stream_value(obj)
            if stream.objid is None or stream.objid in parents:
                super().execute(streams)  # inline or circular: pdfminer logs and skips them
                return
            valid.append(stream)
        data = b"\n".join(bounded_data(s) for s in valid)
        if len(data) > MAX_CONTENT_BYTES:
            raise ContentTooLarge(f"{len(data) >> 20} MB of content on one page")
        try:
            if len(data) > MAX_FAST_BYTES:
                raise Unsupported("a long stream: pdfminer reads it without holding every token")
            objects = content_objects(data)
        except Unsupported:
            super().execute(streams)
            return
        own.clear()
        own.update(s.objid for s in valid)
        operators = _operators(type(self))
        for obj in objects:
            if not isinstance(obj, PSKeyword):
                self.push(obj)
                continue
            entry = operators.get(obj.name)
            if entry is None:
                continue  # an unknown operator is skipped, as pdfminer does when not strict
            method, nargs = entry
            if nargs:
                args = self.pop(nargs)
                if len(args) == nargs:
                    method(self, *args)
            else:
                method(self)


_OPERATOR_TABLES: dict[type, dict[bytes, tuple[Any, int]]] = {}


def _operators(cls: type) -> dict[bytes, tuple[Any, int]]:
    """Operator name → (do_ method, number of operands), as pdfminer's execute finds them."""
    table = _OPERATOR_TABLES.get(cls)
    if table is None:
        table = {}
        for attr in dir(cls):
            if attr.startswith("do_"):
                method = getattr(cls, attr)
                name = attr[3:].replace("_a", "*").replace("_w", '"').replace("_q", "'")
                table[name.encode("latin-1")] = (method, method.__code__.co_argcount - 1)
        _OPERATOR_TABLES[cls] = table
    return table
