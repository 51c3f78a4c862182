"""Docs that can't drift: every verb is in README.md and has help with an example."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from monitor.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((prefix + name, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, prefix + name + " "))
    return found


COMMANDS = _commands(main)


def test_the_cli_has_the_verbs_of_the_design() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"init", "run", "crawl", "events", "hits", "status", "demo", "db upgrade"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_verb_is_in_the_readme(name: str, command: click.Command) -> None:
    assert f"banwatch {name}" in README, f"README.md does not mention `banwatch {name}`"


@pytest.mark.parametrize(
    ("name", "command"),
    [(n, c) for n, c in COMMANDS if not isinstance(c, click.Group)],
    ids=[n for n, c in COMMANDS if not isinstance(c, click.Group)],
)
def test_every_verb_has_help_with_an_example(name: str, command: click.Command) -> None:
    result = CliRunner().invoke(main, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"`banwatch {name} --help` has no Example: block"


def test_every_verb_the_readme_shows_exists() -> None:
    names = {name for name, _ in COMMANDS}
    shown = set(re.findall(r"^banwatch ([a-z]+(?: upgrade)?)", README, flags=re.MULTILINE))
    assert shown, "README shows no banwatch commands"
    assert shown <= names, f"README shows verbs the CLI lacks: {sorted(shown - names)}"


def test_readme_first_screen_gives_the_two_commands() -> None:
    first_screen = "\n".join(README.splitlines()[:25])
    assert "make run" in first_screen
    assert "make test" in first_screen
    assert "banwatch demo" in first_screen
