"""Event grouping rules (monitor.events) on SQLite and PostgreSQL, with hand-made verdicts:
the classifier's part (aliases -> one target key) is covered by tests/test_events_seeds.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from monitor import events
from monitor.config import Settings, settings_from_dict
from monitor.db import session_scope
from monitor.ingest import enqueue_alerts
from monitor.models import Article, ArticleUrl, Delivery, Event, Subscription
from monitor.models import Verdict as VerdictRow

T0 = datetime(2017, 10, 26, 14, 0, tzinfo=UTC)
_ids = count(1)


@pytest.fixture
def settings() -> Settings:
    return settings_from_dict({"events": {"window": "14d"}})


def report(
    session: Session,
    settings: Settings,
    *verdicts: tuple[str, str, str],
    at: datetime = T0,
    outlet: str = "outlet-a.example",
    title: str = "",
    score: float = 0.8,
    text: str = "",
) -> events.Changes:
    """Store one article from ``outlet`` carrying (platform, action, target) verdicts and
    attach them; the target key is the lower-cased target, as the classifier's would be,
    and an all-lower-case target is a generic one ("pages"), as the classifier marks it."""
    n = next(_ids)
    url = f"https://{outlet}/news/{n}"
    article = Article(
        url=url,
        canonical_url=url,
        outlet=outlet,
        title=title or f"story {n}",
        text=text,
        published_at=at,
    )
    session.add(article)
    session.flush()
    session.add(ArticleUrl(article_id=article.id, url=url, outlet=outlet))
    rows = [
        VerdictRow(
            article_id=article.id,
            score=score,
            platform=p,
            action=a,
            target=t,
            target_key=t.lower(),
            evidence=f"{p} {a} {t}",
            classifier_version="test",
            rules={"rules": ["target:generic" if t.islower() else "target:named"]},
        )
        for p, a, t in verdicts
    ]
    session.add_all(rows)
    session.flush()
    changes = events.attach_verdicts(session, settings, article, rows, at)
    enqueue_alerts(session, settings, changes)
    return changes


def all_events(session: Session) -> list[Event]:
    return list(session.scalars(sa.select(Event).order_by(Event.id)))


def targets(event: Event) -> list[str]:
    return [t.target for t in event.targets]


def test_one_ban_reported_by_two_outlets_is_one_event(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        first = report(
            session, settings, ("Twitter", "ad_ban", "RT"), ("Twitter", "ad_ban", "Sputnik")
        )
        second = report(
            session,
            settings,
            ("Twitter", "ad_ban", "Sputnik"),
            ("Twitter", "ad_ban", "RT"),
            at=T0 + timedelta(hours=4),
            outlet="outlet-b.example",
        )
        (event,) = all_events(session)
        assert first.opened == [event.id] and second.updated == [event.id]
        assert second.opened == []
        assert targets(event) == ["RT", "Sputnik"] and event.target == "RT"
        assert (event.article_count, event.outlet_count) == (2, 2)
        assert (event.first_seen_at, event.last_seen_at) == (T0, T0 + timedelta(hours=4))


def test_a_report_naming_one_of_the_targets_joins_the_event(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        report(session, settings, ("Twitter", "ad_ban", "RT"), ("Twitter", "ad_ban", "Sputnik"))
        changes = report(
            session, settings, ("Twitter", "ad_ban", "Sputnik"), at=T0 + timedelta(days=2)
        )
        (event,) = all_events(session)
        assert changes.updated == [event.id] and event.article_count == 2


def test_a_new_target_reported_with_a_known_one_joins_its_event(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        report(session, settings, ("Twitter", "ad_ban", "RT"))
        report(
            session,
            settings,
            ("Twitter", "ad_ban", "RT"),
            ("Twitter", "ad_ban", "Sputnik"),
            at=T0 + timedelta(days=1),
        )
        (event,) = all_events(session)
        assert targets(event) == ["RT", "Sputnik"]


def test_reports_outside_the_window_open_a_new_event(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        report(session, settings, ("Twitter", "ad_ban", "RT"))
        report(session, settings, ("Twitter", "ad_ban", "RT"), at=T0 + timedelta(days=13))
        report(session, settings, ("Twitter", "ad_ban", "RT"), at=T0 + timedelta(days=40))
        assert [e.article_count for e in all_events(session)] == [2, 1]


def test_the_window_is_configurable(engine: Engine) -> None:
    wide = settings_from_dict({"events": {"window": "60d"}})
    with session_scope(engine) as session:
        report(session, wide, ("Twitter", "ad_ban", "RT"))
        report(session, wide, ("Twitter", "ad_ban", "RT"), at=T0 + timedelta(days=40))
        assert [e.article_count for e in all_events(session)] == [2]


def test_an_older_report_arriving_late_moves_first_seen_back(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        report(session, settings, ("Twitter", "ad_ban", "RT"))
        report(session, settings, ("Twitter", "ad_ban", "RT"), at=T0 - timedelta(days=3))
        (event,) = all_events(session)
        assert (event.first_seen_at, event.last_seen_at) == (T0 - timedelta(days=3), T0)


def test_different_bans_of_one_target_stay_apart(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        report(session, settings, ("Twitter", "ad_ban", "RT"))
        report(session, settings, ("Twitter", "removal", "RT"), at=T0 + timedelta(days=1))
        report(session, settings, ("TikTok", "removal", "RT"), at=datetime(2024, 9, 24, tzinfo=UTC))
        report(session, settings, ("Twitter", "ad_ban", "Kaspersky"), at=T0 + timedelta(days=2))
        assert [(e.platform, e.action, e.target) for e in all_events(session)] == [
            ("Twitter", "ad_ban", "RT"),
            ("Twitter", "removal", "RT"),
            ("TikTok", "removal", "RT"),
            ("Twitter", "ad_ban", "Kaspersky"),
        ]


def test_one_takedown_worded_differently_by_two_outlets_is_one_event(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        report(session, settings, ("Facebook", "network_takedown", "IRA"))
        report(session, settings, ("Facebook", "removal", "IRA"), at=T0 + timedelta(days=1))
        report(session, settings, ("Facebook", "ban", "IRA"), ("Facebook", "suspension", "Glavset"),
               at=T0 + timedelta(days=2))  # fmt: skip
        report(session, settings, ("Facebook", "ad_ban", "IRA"), at=T0 + timedelta(days=3))
        assert [(e.action, targets(e), e.article_count) for e in all_events(session)] == [
            ("network_takedown", ["IRA", "Glavset"], 3),
            ("ad_ban", ["IRA"], 1),
        ]


def test_a_generic_target_joins_the_named_ban_it_retells(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        report(session, settings, ("Meta", "geo_block", "RT"), ("Meta", "geo_block", "pages"),
               title="Meta blocks RT's pages across the European Union")  # fmt: skip
        changes = report(
            session,
            settings,
            ("Meta", "geo_block", "pages"),
            at=T0 + timedelta(days=1),
            title="Kremlin broadcaster's pages blocked across the European Union",
        )
        report(session, settings, ("Meta", "ad_ban", "accounts"), at=T0 + timedelta(days=2))
        first, second = all_events(session)
        assert changes.updated == [first.id]
        assert (targets(first), first.article_count) == (["RT"], 2)
        assert (second.action, targets(second)) == ("ad_ban", ["accounts"])


def test_labels_restrictions_and_geo_blocks_are_different_actions(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        report(session, settings, ("TikTok", "geo_block", "RT"))
        report(session, settings, ("TikTok", "label", "RT"), at=T0 + timedelta(days=1))
        report(session, settings, ("TikTok", "restriction", "RT"), at=T0 + timedelta(days=2))
        assert len(all_events(session)) == 3


def test_two_platforms_in_one_article_are_two_events(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        changes = report(
            session,
            settings,
            ("TikTok", "removal", "RT"),
            ("TikTok", "removal", "Sputnik"),
            ("Meta", "ban", "RT"),
            ("Meta", "ban", "Sputnik"),
        )
        assert len(changes.opened) == 2
        assert [(e.platform, targets(e)) for e in all_events(session)] == [
            ("TikTok", ["RT", "Sputnik"]),
            ("Meta", ["RT", "Sputnik"]),
        ]


def test_a_reinstatement_reverses_the_ban(engine: Engine, settings: Settings) -> None:
    later = T0 + timedelta(days=700)
    with session_scope(engine) as session:
        report(session, settings, ("Twitter", "suspension", "Alex Jones"))
        changes = report(session, settings, ("Twitter", "reinstatement", "Alex Jones"), at=later)
        (event,) = all_events(session)
        assert changes.reversed == [event.id] and changes.opened == []
        assert (event.status, event.reversed_at, event.action) == ("reversed", later, "suspension")
        assert event.article_count == 2
        again = report(
            session,
            settings,
            ("Twitter", "reinstatement", "Alex Jones"),
            at=later + timedelta(days=1),
        )
        assert again.reversed == [] and again.updated == [event.id]


def test_a_reinstatement_of_an_unknown_ban_is_an_event_of_its_own(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        changes = report(session, settings, ("YouTube", "reinstatement", "Some Channel"))
        report(
            session,
            settings,
            ("YouTube", "reinstatement", "Some Channel"),
            at=T0 + timedelta(days=1),
        )
        (event,) = all_events(session)
        assert changes.reversed == [event.id]
        assert (event.status, event.article_count) == ("reversed", 2)


def test_the_surest_report_names_the_headline(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        report(session, settings, ("Twitter", "ad_ban", "RT"), title="Weak headline", score=0.6)
        report(
            session, settings, ("Twitter", "ad_ban", "RT"), title="Twitter bans RT ads", score=0.9
        )
        report(session, settings, ("Twitter", "ad_ban", "RT"), title="Another", score=0.7)
        (event,) = all_events(session)
        assert (event.headline, event.score) == ("Twitter bans RT ads", 0.9)


def test_opening_alerts_and_updates_alert_only_who_asks(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        session.add_all(
            [
                Subscription(
                    name="quiet", channel="webhook", address="http://127.0.0.1:9/q", filters={}
                ),
                Subscription(
                    name="chatty",
                    channel="webhook",
                    address="http://127.0.0.1:9/c",
                    filters={"updates": True},
                ),
            ]
        )
        session.flush()
        report(session, settings, ("Twitter", "ad_ban", "RT"))
        assert deliveries(session) == [("quiet", "event.opened"), ("chatty", "event.opened")]
        report(session, settings, ("Twitter", "ad_ban", "RT"), outlet="outlet-b.example")
        assert deliveries(session)[2:] == [("chatty", "event.updated")]
        report(session, settings, ("Twitter", "reinstatement", "RT"), at=T0 + timedelta(days=30))
        assert deliveries(session)[3:] == [
            ("quiet", "event.reversed"),
            ("chatty", "event.reversed"),
        ]


def deliveries(session: Session) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in session.execute(
            sa.select(Subscription.name, Delivery.kind)
            .join(Subscription, Subscription.id == Delivery.subscription_id)
            .order_by(Delivery.id)
        )
    ]
