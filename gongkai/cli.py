"""The `gongkai` command: one click group; each subcommand is a module of this package, and the work
is done by crawler/, extract/ and archive/.

Subcommands are imported only when called, so `gongkai parse` does not pay for Scrapy or Datasette.
"""

from __future__ import annotations

import importlib
import textwrap

import click

# name -> ("module:attribute" of a click command, its one-line help). The help is written here too
# so that `gongkai --help` lists the commands without importing them (tests/test_cli_start.py keeps
# the two in step).
COMMANDS: dict[str, tuple[str, str]] = {
    "portal": ("gongkai.portal:portal", "Serve the sample government portal on loopback (no network needed)."),
    "parse": ("gongkai.parse:parse", "Parse report documents and print one JSON object per file."),
    "ingest": ("gongkai.archive_commands:ingest", "Put local files or folders of reports into the archive."),
    "extract": ("gongkai.archive_commands:extract",
                "Turn stored documents into reports (only those the current extractor has not seen)."),
    "check": ("gongkai.archive_commands:check", "Run the compliance calendar and the checks across reports."),
    "serve": ("gongkai.archive_commands:serve", "Browse the archive in Datasette (read-only)."),
    "export": ("gongkai.archive_commands:export",
               "Export the reports' numbers (one row per report) or the verdicts as CSV or JSON, or the "
               "captures as WACZ."),
    "crawl": ("gongkai.crawl:crawl", "Crawl the registry's portals into the archive (incremental, resumable, polite)."),
    "demo": ("gongkai.demo:demo", "Sample portal on loopback → crawl → extract → check → Datasette."),
    "registry": ("gongkai.registry:registry", "The bodies gongkai watches: import, list, suggest."),
    "schedule": ("gongkai.schedule:schedule",
                 "Run crawl → extract → check (+ crawl health and alerts) on a schedule."),
    "merge": ("gongkai.merge:merge", "Combine archives IN... into OUT without duplicates (idempotent)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target[0].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from COMMANDS, as click would print it, without importing any command."""
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, textwrap.shorten(text, limit, placeholder="...")) for name, text in rows])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gongkai")
def main() -> None:
    """gongkai: archive, extract and check government information disclosure annual reports
    (政府信息公开工作年度报告)."""


if __name__ == "__main__":
    main()
