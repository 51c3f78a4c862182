"""The CLI's listing verbs: one --json, plain-text table cells, read-only, help as written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from monitor.cli import main
from monitor.db import open_database, session_scope
from monitor.models import Event, Source, Subscription
from monitor.output import Column, emit, listing, plain

HOSTILE = "Ban [/bold] of [red]RT[/red] \x1b[2J\x1b]0;owned\x07 \u202eevil\u202c\nnext"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "bw.db"}"\n\n'
        '[[feeds]]\nname = "One"\nurl = "https://one.example/feed"\n\n'
        '[[subscriptions]]\nname = "ops"\nchannel = "webhook"\n'
        'address = "https://hooks.example.org/x"\n',
        encoding="utf-8",
    )
    return path


def _run(config: Path, *args: str) -> str:
    # Wide enough that rich never folds a cell across lines.
    result = CliRunner().invoke(main, ["--config", str(config), *args], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return result.output


def test_plain_strips_controls_escapes_and_bidi_but_keeps_text() -> None:
    assert plain(HOSTILE) == "Ban [/bold] of [red]RT[/red] [2J]0;owned evil next"
    assert plain(None) == ""
    assert plain("Zürich — 東京 \u200d") == "Zürich — 東京 \u200d"


def test_a_headline_with_markup_and_escapes_prints_as_plain_text(config: Path) -> None:
    _run(config, "init")
    engine = open_database(f"sqlite:///{config.parent / 'bw.db'}")
    at = datetime(2024, 9, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        session.add(
            Event(
                platform="Twitter",
                action="ban",
                target="[bold]RT",
                target_key="rt",
                first_seen_at=at,
                last_seen_at=at,
                headline=HOSTILE,
            )
        )
    engine.dispose()
    out = _run(config, "events")
    assert "[/bold]" in out and "[red]RT[/red]" in out and "[bold]RT" in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    # --json keeps the stored text exactly: escaping is the terminal table's concern only.
    (row,) = json.loads(_run(config, "events", "--json"))
    assert row["headline"] == HOSTILE


def test_listing_verbs_never_write(config: Path) -> None:
    _run(config, "init")
    # settings.toml changes after init: a listing verb must not mirror it into the database.
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace('name = "One"', 'name = "Two"').replace('name = "ops"', 'name = "ops2"'),
        encoding="utf-8",
    )
    db = config.parent / "bw.db"
    engine = open_database(f"sqlite:///{db}")

    def snapshot() -> tuple[object, ...]:
        with session_scope(engine) as session:
            return (
                sorted(session.scalars(sa.select(Source.name))),
                sorted(session.scalars(sa.select(Subscription.name))),
                session.connection().exec_driver_sql("PRAGMA data_version").scalar(),
            )

    before = snapshot()
    for verb in ("status", "subscriptions", "events", "hits", "deliveries"):
        _run(config, verb)
        _run(config, verb, "--json")
    assert snapshot()[:2] == before[:2] == (["One"], ["ops"])
    engine.dispose()
    _run(config, "init")
    engine = open_database(f"sqlite:///{db}")
    with session_scope(engine) as session:
        assert sorted(session.scalars(sa.select(Source.name)))[-1] == "Two"
    engine.dispose()


def test_emit_prints_json_or_a_table() -> None:
    @click.command()
    @listing
    def verb() -> None:
        emit([{"a": 1, "b": "x"}], Column("A", lambda r: r["a"]), title="t")

    runner = CliRunner()
    assert json.loads(runner.invoke(verb, ["--json"]).output) == [{"a": 1, "b": "x"}]
    table = runner.invoke(verb, []).output
    assert "A" in table and "1" in table and "x" not in table


def _verbs(group: click.Group, prefix: str = "") -> list[str]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _verbs(command, prefix + name + " ")
        else:
            found.append(prefix + name)
    return found


@pytest.mark.parametrize("verb", _verbs(main))
def test_every_verbs_examples_are_laid_out_as_written(verb: str) -> None:
    """click rewraps a paragraph unless it starts with \\b: examples must not run together."""
    lines = CliRunner().invoke(main, [*verb.split(), "--help"]).output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "Example:")
    example = lines[at + 1].strip()
    assert example.startswith(("banwatch ", "curl ", "BANWATCH_")), lines[at : at + 3]
    assert example.count("banwatch ") == 1, f"examples run together: {example!r}"


def test_help_examples_keep_their_lines() -> None:
    out = CliRunner().invoke(main, ["events", "--help"]).output
    lines = out.splitlines()
    example = lines.index("  Example:")
    assert lines[example + 1].strip() == "banwatch events --platform Twitter --since 30d"
    assert lines[example + 2].strip() == "banwatch events --json"
