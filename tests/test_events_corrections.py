"""User corrections (monitor.corrections) on SQLite and PostgreSQL: merge, split and
dismiss, and the pipeline respecting them afterwards; the CLI verbs over them."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from monitor import events
from monitor.cli import main
from monitor.config import Settings, load_settings, settings_from_dict
from monitor.corrections import dismiss_event, merge_events, split_article
from monitor.db import open_database, session_scope
from monitor.errors import CorrectionError
from monitor.models import Delivery, Event, EventArticle, Subscription
from monitor.queries import list_events
from tests.test_events import T0, report


@pytest.fixture
def settings() -> Settings:
    return settings_from_dict({"events": {"window": "14d"}})


def _subscribe(session: Session) -> None:
    session.add(Subscription(name="all", channel="webhook", address="http://127.0.0.1:9/a",
                             filters={"updates": True}))  # fmt: skip
    session.flush()


def _kinds(session: Session) -> list[tuple[int | None, str, str]]:
    rows = session.execute(
        sa.select(Delivery.event_id, Delivery.kind, Delivery.status).order_by(Delivery.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _articles(session: Session, event_id: int) -> set[int]:
    return set(
        session.scalars(sa.select(EventArticle.article_id).where(EventArticle.event_id == event_id))
    )


def test_merge_folds_two_events_into_one_without_an_alert(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        _subscribe(session)
        a = report(session, settings, ("YouTube", "ban", "Kestrel Media")).opened[0]
        b = report(session, settings, ("YouTube", "ban", "Kestrel Daily"), outlet="b.example",
                   at=T0 + timedelta(hours=5)).opened[0]  # fmt: skip
        before = _kinds(session)
        done = merge_events(session, a, b)
        assert (done.event_id, done.other_id, done.articles_moved) == (a, b, 1)
        assert _kinds(session) == before  # no alert for the merge
        survivor = session.get_one(Event, a)
        assert survivor.article_count == 2 and survivor.outlet_count == 2
        assert {t.target for t in survivor.targets} == {"Kestrel Media", "Kestrel Daily"}
        assert survivor.last_seen_at == T0 + timedelta(hours=5)
        # The other keeps its row and its alert history, and leaves the listings.
        other = session.get_one(Event, b)
        assert other.merged_into_id == a
        assert any(e == b for e, _, _ in _kinds(session))
        assert [e.id for e in list_events(session)] == [a]
        # A later report naming the merged-away target joins the survivor.
        later = report(session, settings, ("YouTube", "ban", "Kestrel Daily"), outlet="c.example",
                       at=T0 + timedelta(days=1))  # fmt: skip
        assert later.opened == [] and later.updated == [a]
        with pytest.raises(CorrectionError, match="merged into"):
            merge_events(session, b, a)
        with pytest.raises(CorrectionError, match="itself"):
            merge_events(session, a, a)
        with pytest.raises(CorrectionError, match="no event 999"):
            merge_events(session, a, 999)


def test_split_takes_an_article_out_for_good(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        _subscribe(session)
        first = report(session, settings, ("Facebook", "removal", "pages"),
                       title="Facebook removes pages run from Tallinn by the Harbor group")  # fmt: skip
        event_id = first.opened[0]
        wrong = report(session, settings, ("Facebook", "removal", "pages"), outlet="b.example",
                       at=T0 + timedelta(hours=2),
                       title="Pages of the Harbor group in Tallinn removed by Facebook")  # fmt: skip
        assert wrong.updated == [event_id]
        (article_id,) = _articles(session, event_id) - {min(_articles(session, event_id))}
        alerts_before = len(_kinds(session))
        done = split_article(session, event_id, article_id)
        assert done.other_id == event_id and done.event_id != event_id
        assert article_id not in _articles(session, event_id)
        assert _articles(session, done.event_id) == {article_id}
        assert session.get_one(Event, event_id).article_count == 1
        assert len(_kinds(session)) == alerts_before  # a correction alerts no one
        # The pipeline never puts it back: its exclusion blocks the match.
        found = events.match_event(session, platform="Facebook", action="removal",
                                   target_key="pages", seen_at=T0, window=timedelta(days=14),
                                   article_id=article_id)  # fmt: skip
        assert found is None or found.id != event_id
        with pytest.raises(CorrectionError, match="holds no article"):
            split_article(session, event_id, article_id)
        with pytest.raises(CorrectionError, match="only report"):
            split_article(session, done.event_id, article_id)


def test_dismiss_stops_alerts_and_keeps_the_event(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        _subscribe(session)
        event_id = report(session, settings, ("Spotify", "removal", "Neil Young")).opened[0]
        assert _kinds(session) == [(event_id, "event.opened", "pending")]
        dismiss_event(session, event_id)
        assert _kinds(session) == [(event_id, "event.opened", "dead")]
        again = report(session, settings, ("Spotify", "removal", "Neil Young"),
                       outlet="b.example", at=T0 + timedelta(hours=3))  # fmt: skip
        assert again.opened == [] and again.updated == []  # joined, silently
        assert again.events == [event_id]
        assert len(_kinds(session)) == 1
        assert session.get_one(Event, event_id).article_count == 2
        assert list_events(session) == []
        assert [e.id for e in list_events(session, dismissed=True)] == [event_id]
        dismiss_event(session, event_id)  # twice is once
        with pytest.raises(CorrectionError, match="no event"):
            dismiss_event(session, 12345)


def test_automatic_merging_respects_a_split(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        a = report(session, settings, ("Twitter", "suspension", "Jayda Fransen")).opened[0]
        b = report(session, settings, ("Twitter", "suspension", "Britain First"),
                   outlet="b.example", at=T0 + timedelta(hours=1)).opened[0]  # fmt: skip
        both = report(session, settings, ("Twitter", "suspension", "Britain First"),
                      ("Twitter", "suspension", "Jayda Fransen"), outlet="c.example",
                      at=T0 + timedelta(hours=2))  # fmt: skip
        survivor = both.updated[0]
        assert session.get_one(Event, a if survivor == b else b).merged_into_id == survivor
        # The user says the Fransen report is another ban: split it out...
        fransen = min(_articles(session, survivor))
        done = split_article(session, survivor, fransen)
        # ...and a later article naming targets of both never merges the two back.
        assert not events._merge_proven(
            session, session.get_one(Event, survivor), session.get_one(Event, done.event_id), {}
        )
        again = report(session, settings, ("Twitter", "suspension", "Britain First"),
                       ("Twitter", "suspension", "Jayda Fransen"), outlet="d.example",
                       at=T0 + timedelta(hours=3))  # fmt: skip
        assert again.opened == []
        assert session.get_one(Event, done.event_id).merged_into_id is None
        assert session.get_one(Event, survivor).merged_into_id is None
        assert fransen not in _articles(session, survivor)


def test_a_split_article_never_rejoins_by_its_words(engine: Engine, settings: Settings) -> None:
    text = ("Twitter suspended the accounts of the Harbor Traders group on Monday after "
            "repeated warnings about hateful content aimed at Ridgeline Motors staff.")  # fmt: skip
    with session_scope(engine) as session:
        event_id = report(session, settings, ("Twitter", "suspension", "Harbor Traders"),
                          title="Twitter suspends Harbor Traders", text=text).opened[0]  # fmt: skip
        later = report(session, settings, ("Twitter", "suspension", "accounts"),
                       outlet="b.example", at=T0 + timedelta(hours=2),
                       title="Harbor Traders accounts suspended by Twitter", text=text)  # fmt: skip
        assert later.updated == [event_id]  # joined by its words: no name of its own
        (article_id,) = _articles(session, event_id) - {min(_articles(session, event_id))}
        split_article(session, event_id, article_id)
        # The scored candidates leave out the event the user split it from.
        probe = partial(events.score_candidates, session, platform="Twitter",
                        action="suspension", target_keys=[], text=text, scale=None, seen_at=T0,
                        window=timedelta(days=14))  # fmt: skip
        assert event_id not in [s.event_id for s in probe(article_id=article_id)]
        assert event_id in [s.event_id for s in probe()]


def test_the_cli_verbs_correct_events(tmp_path: Path, db_url: str) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    settings = load_settings(config)
    engine = open_database(settings.database.url)
    with session_scope(engine) as session:
        a = report(session, settings, ("YouTube", "ban", "Kestrel Media")).opened[0]
        b = report(
            session, settings, ("YouTube", "ban", "Kestrel Daily"), outlet="b.example"
        ).opened[0]
        c = report(session, settings, ("Spotify", "removal", "Neil Young")).opened[0]
        report(session, settings, ("YouTube", "ban", "Kestrel Media"), outlet="c.example")
        moved = max(_articles(session, a))
    engine.dispose()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, ["--config", str(config), *args])

    out = run("events", "merge", str(a), str(b))
    assert out.exit_code == 0 and f"event {b} merged into event {a}" in out.output
    out = run("events", "split", str(a), "--article", str(moved))
    assert out.exit_code == 0 and f"article {moved} left event {a}" in out.output
    out = run("events", "dismiss", str(c))
    assert out.exit_code == 0 and "dismissed" in out.output
    listed = json.loads(run("events", "--json").output)
    assert c not in [e["id"] for e in listed] and a in [e["id"] for e in listed]
    assert b not in [e["id"] for e in listed]
    assert [e["id"] for e in json.loads(run("events", "--dismissed", "--json").output)] == [c]
    out = run("events", "merge", str(a), "999")
    assert out.exit_code == 2 and "no event 999" in out.output
