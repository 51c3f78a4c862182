"""Source polling state on a real database: adaptive intervals, backoff with jitter, and the
"failing for too long" report that ``banwatch status`` and the digest show."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from monitor import sources
from monitor.config import settings_from_dict
from monitor.db import open_database, session_scope
from monitor.models import Source
from monitor.status import status_report

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CRAWLER = {
    "min_interval": "10m",
    "max_interval": "2h",
    "backoff_base": "1m",
    "backoff_max": "1h",
    "failing_after": "1d",
}


@pytest.fixture
def settings():
    return settings_from_dict(
        {
            "crawler": CRAWLER,
            "feeds": [{"name": "wire", "url": "https://wire.example/rss", "interval": "30m"}],
        },
        {},
    )


@pytest.fixture
def engine(db_url: str, settings):
    engine = open_database(db_url)
    with session_scope(engine) as session:
        sources.sync_sources(session, settings)
    yield engine
    engine.dispose()


def _poll(engine, settings, *, changed: bool, not_before: float | None = None, at=NOW) -> Source:
    with session_scope(engine) as session:
        src = sources.record_success(
            session, "wire", settings.crawler, changed=changed, not_before=not_before, now=at
        )
        assert src is not None
        return src


def _fail(engine, settings, *, at=NOW, seed: int = 1, retry_after: float | None = None) -> Source:
    with session_scope(engine) as session:
        src = sources.record_failure(
            session,
            "wire",
            settings.crawler,
            "wire: HTTP 500",
            retry_after=retry_after,
            now=at,
            rng=random.Random(seed),
        )
        assert src is not None
        return src


def test_a_changing_source_is_polled_sooner_down_to_min_interval(engine, settings):
    waits = [(_poll(engine, settings, changed=True).next_poll_at - NOW).total_seconds()]
    waits += [(_poll(engine, settings, changed=True).next_poll_at - NOW).total_seconds()]
    assert waits == [1800 * 0.75, 1800 * 0.75 * 0.75]
    for _ in range(10):
        last = _poll(engine, settings, changed=True)
    assert (last.next_poll_at - NOW).total_seconds() == 600  # min_interval, never below
    assert last.last_changed_at == NOW and last.last_ok_at == NOW


def test_a_quiet_source_is_polled_later_up_to_max_interval(engine, settings):
    first = _poll(engine, settings, changed=False)
    assert (first.next_poll_at - NOW).total_seconds() == 1800 * 1.25
    for _ in range(10):
        last = _poll(engine, settings, changed=False)
    assert (last.next_poll_at - NOW).total_seconds() == 7200  # max_interval, never above
    assert last.last_changed_at is None


def test_max_age_pushes_the_next_poll_out_never_closer(engine, settings):
    far = _poll(engine, settings, changed=True, not_before=5 * 3600)
    assert (far.next_poll_at - NOW).total_seconds() == 5 * 3600
    near = _poll(engine, settings, changed=True, not_before=5)
    assert (near.next_poll_at - NOW).total_seconds() == 1800 * 0.75**2


def test_failures_back_off_exponentially_with_jitter_up_to_backoff_max(engine, settings):
    waits = []
    for n in range(1, 9):
        src = _fail(engine, settings, seed=n)
        waits.append((src.next_poll_at - NOW).total_seconds())
        assert src.failures == n and src.last_error == "wire: HTTP 500"
        assert src.failing_since == NOW  # the first failure's time is kept
    for n, wait in enumerate(waits, start=1):
        nominal = min(3600, 60 * 2 ** (n - 1))
        assert 0.8 * nominal <= wait <= 1.2 * nominal
    assert waits[5] > waits[0] * 16  # exponential: 60 s -> 32 min
    assert len({round(w) for w in waits}) == len(waits)  # jittered: no two alike


def test_retry_after_wins_over_a_shorter_backoff(engine, settings):
    src = _fail(engine, settings, retry_after=900)
    assert (src.next_poll_at - NOW).total_seconds() == 900


def test_a_success_clears_the_failure_state(engine, settings):
    _fail(engine, settings)
    _fail(engine, settings)
    src = _poll(engine, settings, changed=False)
    assert (src.failures, src.failing_since) == (0, None)
    assert src.last_error == "wire: HTTP 500"  # kept, for the operator's record


def test_only_a_source_failing_longer_than_failing_after_is_reported(engine, settings):
    with session_scope(engine) as session:
        sources.record_failure(
            session,
            "wire",
            settings.crawler,
            "wire: DNS lookup failed",
            now=NOW - timedelta(hours=23),
        )
        src = session.scalar(sa.select(Source).where(Source.name == "wire"))
        assert not sources.is_failing(src, settings.crawler, NOW)
        assert sources.is_failing(src, settings.crawler, NOW + timedelta(hours=2))
        src.failing_since = datetime.now(UTC) - timedelta(days=2)
    with session_scope(engine) as session:
        (row,) = status_report(session, settings).sources
    assert row.name == "wire" and row.failing is True
    assert row.failures == 1 and row.last_error == "wire: DNS lookup failed"


def test_due_sources_are_those_whose_time_has_come(engine, settings):
    with session_scope(engine) as session:
        assert [s.name for s in sources.due_sources(session, "feed", NOW)] == ["wire"]
    _poll(engine, settings, changed=False)
    with session_scope(engine) as session:
        assert sources.due_sources(session, "feed", NOW + timedelta(minutes=30)) == []
        due = sources.due_sources(session, "feed", NOW + timedelta(minutes=40))
        assert [s.name for s in due] == ["wire"]
        # Named explicitly (banwatch crawl --source), a source is polled even when not due.
        assert [s.name for s in sources.due_sources(session, "feed", NOW, names=["wire"])] == [
            "wire"
        ]
