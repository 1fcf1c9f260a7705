"""Word 97-2003 (.doc), WPS (.wps) and RTF files, through LibreOffice.

LibreOffice headless converts the file to DOCX, which the DOCX reader then reads. Each
conversion runs with a private profile directory (two conversions never share LibreOffice's
user profile, and the user's own profile is never touched) and under a timeout: some WPS
files make LibreOffice loop, so the whole process group is killed when time runs out.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from extract.document import Document, ExtractError
from extract.readers.docx import read_docx

TIMEOUT = 90  # seconds; a normal report converts in 2-5 s (first start of a profile: ~10 s)
INSTALL_HINT = (
    "LibreOffice is needed to read .doc/.wps files and is not installed: "
    "apt-get install libreoffice-writer-nogui (Debian/Ubuntu), or convert the file to .docx"
)


def soffice_path() -> str | None:
    return os.environ.get("GONGKAI_SOFFICE") or shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(data: bytes, source: str, timeout: float = TIMEOUT) -> bytes:
    exe = soffice_path()
    if exe is None:
        raise ExtractError(source, INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="gongkai-lo-") as tmp:
        work = Path(tmp)
        src = work / "input.doc"  # LibreOffice detects the real format from the content
        src.write_bytes(data)
        profile = work / "profile"
        cmd = [
            exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nolockcheck",
            "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(work / "out"), str(src),
        ]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            env={**os.environ, "HOME": str(work)},
        )
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # soffice.bin is a child of the soffice script
            proc.communicate()
            raise ExtractError(source, f"LibreOffice did not finish converting the file in {timeout:.0f} s") from None
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)  # this reader was stopped (time limit): LibreOffice too
            raise
        out = work / "out" / "input.docx"
        if proc.returncode != 0 or not out.exists():
            detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise ExtractError(source, f"LibreOffice could not read the file ({detail[0][:200]})")
        return out.read_bytes()


# Chinese prose is written almost only with the 3755 common characters of GB2312 level 1, its
# punctuation, digits and Latin letters; garbage LibreOffice reads as UTF-16 is spread over the
# whole Basic Multilingual Plane, of which those are 6 %.
MIN_PROSE_SHARE = 0.6
MIN_JUDGED = 200  # characters: fewer do not tell prose from a stray line


def _common(ch: str) -> bool:
    if ch.isascii():
        return True
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return 0xA1 <= b[0] <= 0xA9 or 0xB0 <= b[0] <= 0xD7  # symbols and punctuation, level-1 hanzi


def prose_share(text: str) -> tuple[float, int]:
    """(share of common characters, characters judged) of the text's non-space characters."""
    chars = [c for c in text if not c.isspace()][:20000]
    if not chars:
        return 1.0, 0
    return sum(map(_common, chars)) / len(chars), len(chars)


def read_doc(data: bytes, source: str) -> Document:
    converted = convert_to_docx(data, source)
    kind = "wps" if source.lower().endswith(".wps") else "doc"
    doc = read_docx(converted, source, kind=kind)
    text = "".join(b.text if not hasattr(b, "rows") else "".join(c or "" for r in b.rows for c in r)
                   for b in doc.blocks)
    share, judged = prose_share(text)
    if judged >= MIN_JUDGED and share < MIN_PROSE_SHARE:
        raise ExtractError(source, f"LibreOffice read the file as text that is not Chinese prose (only {share:.0%} "
                                   f"of {judged:,} characters are common ones): a damaged or mislabelled .{kind} file")
    doc.notes.append("converted to DOCX by LibreOffice")
    return doc
