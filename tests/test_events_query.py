"""``banwatch events`` filters: platform, action, status, since, and targets under any alias
and in any position of a several-target ban; through the library and the CLI's --json."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from monitor.classify.vocabulary import Vocabulary
from monitor.cli import main
from monitor.config import settings_from_dict
from monitor.db import open_database, session_scope
from monitor.queries import EventRow, list_events
from tests.alert_servers import EVENT_KEYS
from tests.test_events import report

T0 = datetime(2017, 10, 26, 14, tzinfo=UTC)
# Only the names these tests use, so that the shipped lexicon's own aliases prove nothing.
VOCAB = Vocabulary.build(
    {"Twitter": ["X"], "TikTok": []},
    {},
    {"RT": ["Russia Today", "TV-Novosti"], "Sputnik": ["Rossiya Segodnya"]},
)
BARE = Vocabulary.build({}, {}, {})


def _fill(db_url: str) -> None:
    settings = settings_from_dict({})
    engine = open_database(db_url)
    with session_scope(engine) as session:
        report(session, settings, ("Twitter", "ad_ban", "RT"), ("Twitter", "ad_ban", "Sputnik"))
        report(session, settings, ("Twitter", "ad_ban", "Kaspersky"), at=T0 + timedelta(days=177))
        report(session, settings, ("TikTok", "removal", "Sputnik"), ("TikTok", "removal", "RT"),
               at=datetime(2024, 9, 24, tzinfo=UTC))  # fmt: skip
        report(session, settings, ("Twitter", "reinstatement", "Kaspersky"),
               at=datetime(2019, 6, 3, tzinfo=UTC))  # fmt: skip
    engine.dispose()


def _keys(rows: list[EventRow]) -> list[tuple[str, str]]:
    return [(r.platform, r.target) for r in rows]


def test_list_events_filters(db_url: str) -> None:
    _fill(db_url)
    engine = open_database(db_url)
    with session_scope(engine) as session:
        everything = list_events(session)
        assert _keys(everything) == [("TikTok", "Sputnik"), ("Twitter", "Kaspersky"),
                                     ("Twitter", "RT")]  # fmt: skip
        assert everything[-1].targets == ("RT", "Sputnik")
        assert _keys(list_events(session, platform="twitter")) == [
            ("Twitter", "Kaspersky"),
            ("Twitter", "RT"),
        ]
        assert _keys(list_events(session, action="removal")) == [("TikTok", "Sputnik")]
        assert _keys(list_events(session, status="reversed")) == [("Twitter", "Kaspersky")]
        since = list_events(session, since=datetime(2019, 1, 1, tzinfo=UTC))
        assert _keys(since) == [("TikTok", "Sputnik"), ("Twitter", "Kaspersky")]
        # Any target of the ban, under any of its names.
        assert _keys(list_events(session, target="sputnik")) == [("TikTok", "Sputnik"),
                                                                 ("Twitter", "RT")]  # fmt: skip
        by_alias = list_events(session, target="Russia Today", vocabulary=VOCAB)
        assert _keys(by_alias) == [("TikTok", "Sputnik"), ("Twitter", "RT")]
        assert list_events(session, target="Russia Today", vocabulary=BARE) == []  # no aliases
        # The shipped vocabulary by default: X is Twitter, TV-Novosti is RT.
        assert _keys(list_events(session, platform="X")) == [("Twitter", "Kaspersky"),
                                                             ("Twitter", "RT")]  # fmt: skip
        assert _keys(list_events(session, platform="X", vocabulary=BARE)) == []
        assert _keys(list_events(session, target="TV-Novosti")) == [("TikTok", "Sputnik"),
                                                                    ("Twitter", "RT")]  # fmt: skip
    engine.dispose()


def test_cli_events_json_with_filters(db_url: str, tmp_path: Path) -> None:
    _fill(db_url)
    config = tmp_path / "settings.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n[classifier.aliases]\n"RT" = ["Russia Today"]\n'
    )
    run = CliRunner().invoke(
        main,
        ["--config", str(config), "events", "--json", "--target", "Russia Today",
         "--platform", "Twitter", "--since", "2017-10-01"],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    (row,) = json.loads(run.output)
    assert set(row) >= EVENT_KEYS
    assert (row["platform"], row["action"], row["targets"]) == (
        "Twitter",
        "ad_ban",
        ["RT", "Sputnik"],
    )
    assert row["urls"] and row["first_seen"].startswith("2017-10-26")
    recent = CliRunner().invoke(
        main, ["--config", str(config), "events", "--json", "--since", "7d"]
    )
    assert recent.exit_code == 0 and json.loads(recent.output) == []
