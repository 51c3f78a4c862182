"""Nothing lost, ever: the daemon killed at random moments stores what an undisturbed one does.

The issue's measurement: a daemon polling a loopback site whose feed answers 304, SIGKILLed
five times in its first minute, then left alone, stored 0 of 175 articles — the feed's ETag
was stored before its entries' pages were fetched. Here the same kind of site (160 articles,
ten bans reported twice each, a feed with ETag / Last-Modified), a webhook subscription with
a real receiver, and ``banwatch run`` as a real process group, run twice on an empty
database: once undisturbed, once SIGKILLed six times at moments chosen by a seeded random
generator among: while the feed is being read, while a page is being fetched, while pages
are being stored (after a random number of new articles), and while a webhook is in flight
— each awaited on the server side, not slept for. After the last restart both runs must
hold the same articles and events, none doubled, and the receiver must have seen every
delivery's webhook-id (at least once: a webhook cut off mid-flight is sent again).

Figures (duration, kills, articles and events of both runs) are printed with ``-s``.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import _reset_postgres
from tests.daemon_site import (
    Daemon,
    Db,
    NewsSite,
    Receiver,
    serve_news_site,
    serve_receiver,
    wait_for,
    write_config,
)

SEED = 11
ARTICLES = 160


def _settled(db: Db, receiver: Receiver, path: str, n: int) -> bool:
    """Every page stored or settled, every delivery sent and seen by the receiver."""
    if db.scalar("SELECT count(*) FROM frontier WHERE state IN ('done', 'given_up')") != n:
        return False
    pending = db.scalar("SELECT count(*) FROM delivery WHERE status <> 'sent'")
    if pending is None or pending:
        return False
    keys = {k for (k,) in db.rows("SELECT idempotency_key FROM delivery")}
    return bool(keys) and keys <= set(receiver.ids(path))


def _snapshot(db: Db) -> dict[str, object]:
    articles = [u for (u,) in db.rows("SELECT canonical_url FROM article")]
    events = [
        tuple(r)
        for r in db.rows("SELECT platform, action, target_key, status, article_count FROM event")
    ]
    deliveries = [tuple(r) for r in db.rows("SELECT event_id, kind, status FROM delivery")]
    frontier = dict(db.rows("SELECT state, count(*) FROM frontier GROUP BY state"))
    return {
        "articles": sorted(articles),
        "events": sorted(events),
        "deliveries": len(deliveries),
        "frontier": frontier,
    }


def _fresh(db_url: str, tmp_path: Path, name: str) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / name}.db"
    _reset_postgres(db_url)
    return db_url


def _undisturbed(
    db_url: str, folder: Path, site: NewsSite, receiver: Receiver
) -> tuple[dict[str, object], float]:
    folder.mkdir()
    config = write_config(folder, db_url, site, receiver.url("/calm"))
    db = Db(db_url)
    started = time.monotonic()
    daemon = Daemon(config)
    try:
        wait_for(
            lambda: _settled(db, receiver, "/calm", ARTICLES), 300, "the calm run to settle", 0.5
        )
        seconds = time.monotonic() - started
        snapshot = _snapshot(db)
    finally:
        code, _ = daemon.stop()
        db.close()
    assert code == 0, daemon.errors()
    return snapshot, seconds


def _kill_once(
    phase: str, daemon: Daemon, db: Db, site: NewsSite, receiver: Receiver, rng: random.Random
) -> str:
    """Await the moment ``phase`` names in the running daemon, then SIGKILL its group."""
    if phase == "feed":
        site.feed_gate.arm()
        wait_for(site.feed_gate.entered.is_set, 120, "a feed read")
    elif phase == "page":
        site.page_gate.arm()
        wait_for(site.page_gate.entered.is_set, 120, "a page fetch")
    elif phase == "ingest":
        target = db.articles() + rng.randint(1, 12)
        wait_for(
            lambda: db.articles() >= min(target, ARTICLES - 1), 120, f"{target} articles", 0.02
        )
    elif phase == "dispatch":
        receiver.gate.arm()
        wait_for(receiver.gate.entered.is_set, 180, "a webhook in flight")
    daemon.crash()
    site.feed_gate.open()
    site.page_gate.open()
    receiver.gate.open()
    return f"{phase} at {db.articles()} articles"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sigkill_at_random_moments_loses_and_doubles_nothing(db_url: str, tmp_path: Path):
    site = serve_news_site(ARTICLES)
    receiver = serve_receiver()
    try:
        calm_url = _fresh(db_url, tmp_path, "calm")
        calm, calm_seconds = _undisturbed(calm_url, tmp_path / "calm", site, receiver)
        assert len(calm["articles"]) >= ARTICLES - 2  # type: ignore[arg-type]
        assert len(calm["events"]) == site.bans()  # type: ignore[arg-type]

        rng = random.Random(SEED)
        phases = ["feed", *rng.sample(["page", "ingest", "dispatch", "page", "ingest"], 5)]
        crash_url = _fresh(db_url, tmp_path, "crash")
        folder = tmp_path / "crash"
        folder.mkdir()
        config = write_config(folder, crash_url, site, receiver.url("/crash"))
        db = Db(crash_url)
        started = time.monotonic()
        kills = []
        feed_reads_before = len(site.feed_reads)
        try:
            for phase in phases:
                daemon = Daemon(config)
                kills.append(_kill_once(phase, daemon, db, site, receiver, rng))
            daemon = Daemon(config)
            wait_for(
                lambda: _settled(db, receiver, "/crash", ARTICLES),
                300,
                "the crashed run to settle",
                0.5,
            )
            seconds = time.monotonic() - started
            crashed = _snapshot(db)
            code, _ = daemon.stop()
            assert code == 0, daemon.errors()
        finally:
            db.close()
        feed_reads = site.feed_reads[feed_reads_before:]
    finally:
        site.server.shutdown()
        receiver.server.shutdown()

    print(
        f"\ncrash test ({db_url.split(':')[0]}): undisturbed {len(calm['articles'])} articles, "  # type: ignore[arg-type]
        f"{len(calm['events'])} events in {calm_seconds:.1f}s; "  # type: ignore[arg-type]
        f"killed {len(kills)}x ({'; '.join(kills)}): {len(crashed['articles'])} articles, "  # type: ignore[arg-type]
        f"{len(crashed['events'])} events in {seconds:.1f}s; feed answers {Counter(feed_reads)}; "  # type: ignore[arg-type]
        f"webhooks received {len(receiver.ids('/crash'))} for {crashed['deliveries']} deliveries"
    )
    assert len(kills) >= 5
    assert 304 in feed_reads, "the feed must have answered 304 while pages were missing"
    assert crashed["articles"] == calm["articles"]
    assert crashed["events"] == calm["events"]  # same bans, same counts: none doubled
    assert crashed["deliveries"] == calm["deliveries"] == len(calm["events"])  # type: ignore[arg-type]
    assert set(crashed["frontier"]) <= {"done", "given_up"}  # type: ignore[arg-type]
