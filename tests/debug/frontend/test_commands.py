"""The command table: gdb's names, its predefined aliases and unique-prefix matching, and
gdb's refusals for unknown and ambiguous words (no machine needed)."""

from __future__ import annotations

import pytest

from rvirt.debug.frontend.commands import COMMANDS, INFO, lookup, split_command
from rvirt.debug.frontend.session import CommandError, gdb_echo


@pytest.mark.parametrize("word, name", [
    ("b", "break"), ("br", "break"), ("brea", "break"), ("break", "break"),
    ("c", "continue"), ("cont", "continue"), ("s", "step"), ("n", "next"),
    ("si", "stepi"), ("ni", "nexti"), ("p", "print"), ("bt", "backtrace"),
    ("where", "backtrace"), ("f", "frame"), ("fin", "finish"), ("u", "until"),
    ("tb", "tbreak"), ("disp", "display"), ("l", "list"), ("k", "kill"), ("q", "quit"),
    ("i", "info"), ("rsi", "reverse-stepi"), ("rni", "reverse-nexti"),
    ("rs", "reverse-step"), ("rn", "reverse-next"), ("rc", "reverse-continue"),
    ("reverse-fin", "reverse-finish"), ("wa", "watch"), ("rw", "rwatch"),
    ("aw", "awatch"), ("ech", "echo"), ("fini", "finish"), ("unt", "until"),
])
def test_names_aliases_and_prefixes(word: str, name: str) -> None:
    assert lookup(COMMANDS, word).name == name


@pytest.mark.parametrize("word, name", [("r", "registers"), ("reg", "registers"),
                                        ("b", "breakpoints"), ("sym", "symbol"),
                                        ("li", "line"), ("tr", "trap")])
def test_info_subcommands(word: str, name: str) -> None:
    assert lookup(INFO, word, "info ").name == name


def test_refusals_are_gdbs() -> None:
    with pytest.raises(CommandError, match=r'^Undefined command: "foo"\.  Try "help"\.$'):
        lookup(COMMANDS, "foo")
    with pytest.raises(CommandError, match=r'^Ambiguous command "rev": reverse-continue, '):
        lookup(COMMANDS, "rev")
    with pytest.raises(CommandError,
                       match=r'^Undefined info command: "foo"\.  Try "help info"\.$'):
        lookup(INFO, "foo", "info ")


def test_split_and_echo() -> None:
    assert split_command("x/6i $pc") == ("x", "/6i $pc")
    assert split_command("p/x $t0") == ("p", "/x $t0")
    assert split_command("info registers pc sp") == ("info", "registers pc sp")
    assert gdb_echo("(gdb) x\\n\\tend\\\\") == "(gdb) x\n\tend\\"
