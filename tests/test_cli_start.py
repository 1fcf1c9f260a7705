"""`gongkai --help` and `gongkai parse` start without importing what they do not use."""

from __future__ import annotations

import subprocess
import sys

import click

from gongkai.cli import COMMANDS, main


def test_listed_help_is_each_commands_own() -> None:
    ctx = click.Context(main)
    for name, (_target, text) in COMMANDS.items():
        cmd = main.get_command(ctx, name)
        assert cmd is not None, name
        assert cmd.get_short_help_str(limit=500) == text, f"COMMANDS[{name!r}] help differs from the command's"


def imported_by(*args: str) -> set[str]:
    code = (f"import sys\nfrom gongkai.cli import main\ntry:\n    main({list(args)!r})\nexcept SystemExit:\n    pass\n"
            "sys.stdout.write('\\n'.join(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split("\n"))


def test_help_imports_no_command() -> None:
    mods = imported_by("--help")
    heavy = {"scrapy", "sqlite_utils", "datasette", "numpy", "extract", "archive.store", "crawler.portal.server"}
    assert not heavy & mods, heavy & mods
    listing = subprocess.run([sys.executable, "-c", "from gongkai.cli import main; main(['--help'])"],
                             capture_output=True, text=True).stdout
    for name in COMMANDS:
        assert f"  {name} " in listing


def test_parse_imports_no_archive_or_crawler() -> None:
    mods = imported_by("parse", "--help")
    assert not {m for m in mods if m.split(".")[0] in ("scrapy", "sqlite_utils", "datasette", "crawler", "numpy",
                                                        "twisted")}
    assert "archive.store" not in mods


def test_python_m_gongkai_is_the_command() -> None:
    out = subprocess.run([sys.executable, "-m", "gongkai", "--help"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("Usage: gongkai ") and "  schedule " in out.stdout
