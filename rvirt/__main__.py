"""`python -m rvirt` is the `rvirt` command."""

from rvirt.cli import command

command()
