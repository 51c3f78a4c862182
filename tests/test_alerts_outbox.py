"""The outbox: which subscriptions an event change reaches, idempotent keys, the retry
schedule, and the claim that keeps two dispatchers from sending one row twice."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.alerts.filters import Filters
from monitor.alerts.outbox import (
    MAX_ATTEMPTS,
    RETRY_SCHEDULE,
    _claim,
    enqueue_event_alerts,
    idempotency_key,
    retry_delay,
)
from monitor.alerts.subscriptions import create_subscription
from monitor.classify.vocabulary import Vocabulary
from monitor.db import session_scope
from monitor.models import Delivery, Event, EventTarget
from tests.alert_servers import make_event, make_settings


def _event(**kw) -> Event:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    base = dict(
        platform="Twitter",
        action="ad_ban",
        target="RT",
        target_key="rt",
        first_seen_at=now,
        last_seen_at=now,
        headline="Twitter bans ads from RT",
        evidence="Twitter has banned ads from all accounts owned by RT.",
        score=0.8,
    )
    return Event(**{**base, **kw})


def _t(name: str, position: int) -> EventTarget:
    return EventTarget(
        target=name,
        target_key=name.casefold(),
        platform="Twitter",
        action="ad_ban",
        position=position,
    )


VOCAB = Vocabulary.build(
    {"Twitter": ["X"], "Meta": [], "Facebook": [], "Instagram": [], "TikTok": []},
    {"Meta": "Meta", "Facebook": "Meta", "Instagram": "Meta"},
    {"RT": ["Russia Today", "TV-Novosti"], "Sputnik": ["Rossiya Segodnya"]},
)


@pytest.mark.parametrize(
    ("filters", "event", "matches"),
    [
        (Filters(), {}, True),
        (Filters(platforms=("x",)), {}, True),  # alias, any case
        (Filters(platforms=("TWITTER",)), {}, True),
        (Filters(platforms=("facebook",)), {"platform": "Meta"}, False),  # only itself
        (Filters(platforms=("meta",)), {"platform": "Facebook"}, True),  # the family
        (Filters(platforms=("meta",)), {"platform": "Instagram"}, True),
        (Filters(platforms=("facebook",)), {"platform": "Instagram"}, False),  # a sibling
        (Filters(platforms=("TikTok",)), {}, False),
        (Filters(actions=("ad ban",)), {}, True),
        (Filters(actions=("Ad-Ban",)), {}, True),
        (Filters(actions=("suspension",)), {}, False),
        (Filters(targets=("russia today",)), {}, True),  # alias of RT
        (Filters(targets=("tv-novosti",)), {"target": "Russia Today", "target_key": "rt"}, True),
        (Filters(targets=("rt",)), {"target": "RT (Russia Today)", "target_key": "rt"}, True),
        (Filters(targets=("Sputnik",)), {}, False),
        (
            Filters(targets=("rossiya segodnya",)),
            {"targets": [_t("RT", 0), _t("Sputnik", 1)]},
            True,
        ),  # the ban's second target, through its alias
        (Filters(keywords=("ACCOUNTS owned",)), {}, True),  # in the evidence
        (Filters(keywords=("election",)), {}, False),
        (Filters(min_score=0.8), {}, True),
        (Filters(min_score=0.81), {}, False),
        (Filters(platforms=("x",), targets=("sputnik",)), {}, False),  # every filter must pass
    ],
)
def test_filters_table(filters: Filters, event: dict, matches: bool) -> None:
    assert filters.matches(_event(**event), VOCAB) is matches


def test_filters_round_trip_through_json() -> None:
    f = Filters(("X",), ("ad_ban",), ("RT",), ("ads",), 0.5, True)
    assert Filters.from_json(f.to_json()) == f
    assert Filters.from_json(None) == Filters()


def test_enqueue_picks_active_instant_subscriptions_whose_filters_match(
    engine, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, classifier={"aliases": {"RT": ["Russia Today"]}})
    with session_scope(engine) as session:
        for name, mode, filters in [
            ("all", "instant", Filters()),
            ("rt", "both", Filters(targets=("russia today",))),
            ("digest-only", "digest", Filters()),
            ("sputnik", "instant", Filters(targets=("Sputnik",))),
            ("off", "instant", Filters()),
        ]:
            sub = create_subscription(
                session,
                name=name,
                channel="email",
                address=f"{name}@example.org",
                mode=mode,
                filters=filters,
            )
            sub.active = name != "off"
    with session_scope(engine) as session:
        event = make_event(session, target="RT")
        rows = enqueue_event_alerts(session, event, "event.opened", settings)
        assert sorted(r.subscription.name for r in rows) == ["all", "rt"]
        assert {r.status for r in rows} == {"pending"} and {r.kind for r in rows} == {
            "event.opened"
        }
        keys = {r.idempotency_key for r in rows}
        # The same change enqueued again writes nothing new.
        again = enqueue_event_alerts(session, event, "event.opened", settings)
        assert {r.idempotency_key for r in again} == keys
        assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 2
        # A reversal is a change of its own.
        event.status = "reversed"
        assert len(enqueue_event_alerts(session, event, "event.reversed", settings)) == 2
        assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 4


def test_updates_go_only_where_asked_and_each_update_has_its_own_key(
    engine, tmp_path: Path
) -> None:
    quiet = make_settings(tmp_path)
    loud = make_settings(tmp_path, events={"alert_on_update": True})
    with session_scope(engine) as session:
        create_subscription(session, name="plain", channel="email", address="p@example.org")
        create_subscription(
            session,
            name="updates",
            channel="email",
            address="u@example.org",
            filters=Filters(updates=True),
        )
        event = make_event(session)
        event.article_count = 2
        first = enqueue_event_alerts(session, event, "event.updated", quiet)
        assert [r.subscription.name for r in first] == ["updates"]
        event.article_count = 3
        second = enqueue_event_alerts(session, event, "event.updated", quiet)
        assert second[0].idempotency_key != first[0].idempotency_key
        everyone = enqueue_event_alerts(session, event, "event.updated", loud)
        assert sorted(r.subscription.name for r in everyone) == ["plain", "updates"]
        with pytest.raises(ValueError, match="kind"):
            enqueue_event_alerts(session, event, "event.closed", quiet)


def test_idempotency_key_is_stable_and_fits_the_column() -> None:
    key = idempotency_key(1, "event:7", "event.opened")
    assert key == idempotency_key(1, "event:7", "event.opened")
    assert key != idempotency_key(2, "event:7", "event.opened")
    assert key.startswith("msg_") and len(key) <= 64


def test_retry_schedule_follows_standard_webhooks_then_gives_up() -> None:
    rng = random.Random(4)
    assert RETRY_SCHEDULE[:6] == (5, 300, 1800, 7200, 18000, 36000)
    delays = [retry_delay(n, rng) for n in range(1, MAX_ATTEMPTS)]
    for delay, base in zip(delays, RETRY_SCHEDULE, strict=True):
        assert delay is not None and 0.8 * base <= delay <= 1.2 * base
    assert len({round(d or 0) for d in delays}) > 6  # jittered, not all equal
    assert retry_delay(MAX_ATTEMPTS) is None
    total = sum(RETRY_SCHEDULE) / 3600
    assert 60 < total < 80  # about three days


def test_a_row_is_claimed_by_one_dispatcher_only(engine, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with session_scope(engine) as session:
        create_subscription(session, name="a", channel="email", address="a@example.org")
        (row,) = enqueue_event_alerts(session, make_event(session), "event.opened", settings)
        delivery_id = row.id
    now = datetime.now(UTC) + timedelta(seconds=1)
    lease = timedelta(minutes=2)
    assert _claim(engine, delivery_id, now, lease) is True
    assert _claim(engine, delivery_id, now, lease) is False  # the other dispatcher
    # A dispatcher that died mid-send leaves it due again once the lease ends.
    assert _claim(engine, delivery_id, now + lease, lease) is True


def test_a_delivery_that_cannot_be_prepared_is_recorded_not_fatal(engine, tmp_path: Path) -> None:
    from monitor.alerts.outbox import dispatch_due

    settings = make_settings(tmp_path)
    with session_scope(engine) as session:
        broken = create_subscription(
            session, name="broken", channel="email", address="b@example.org"
        )
        create_subscription(session, name="fine", channel="email", address="f@example.org")
        enqueue_event_alerts(session, make_event(session), "event.opened", settings)
        broken.channel = "pager"  # not a channel banwatch knows

    stats = dispatch_due(engine, settings)

    assert (stats.sent, stats.retrying) == (1, 1)  # the other one still went out (to Maildir)
    with session_scope(engine) as session:
        row = session.scalars(sa.select(Delivery).where(Delivery.status == "pending")).one()
        assert row.subscription.name == "broken"
        assert row.last_error.startswith("prepare: ConfigError: subscription 'broken'")
