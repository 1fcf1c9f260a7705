"""`python -m gongkai`: the same as the `gongkai` command."""

from gongkai.cli import main

main(prog_name="gongkai")
