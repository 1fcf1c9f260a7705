"""The `gongkai` command: one click group whose subcommands live with the package that does the work.

Subcommands are imported only when called, so `gongkai parse` does not pay for Scrapy or Datasette.
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute" of a click command
COMMANDS: dict[str, str] = {
    "portal": "crawler.portal.cli:portal",
    "parse": "extract.commands:parse",
    "ingest": "archive.commands:ingest",
    "extract": "archive.commands:extract",
    "check": "archive.commands:check",
    "serve": "archive.commands:serve",
    "export": "archive.commands:export",
    "crawl": "crawler.commands:crawl",
    "demo": "crawler.commands:demo",
    "registry": "crawler.commands:registry",
    "schedule": "archive.schedule:schedule",
    "merge": "archive.merge:merge",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gongkai")
def main() -> None:
    """gongkai: archive, extract and check government information disclosure annual reports
    (政府信息公开工作年度报告)."""


if __name__ == "__main__":
    main()
