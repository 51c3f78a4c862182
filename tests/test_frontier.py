"""The crawl frontier on a real database: a source's listing is stored with its validators,
rows are claimed under a lease, settled once, retried with backoff and given up."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from monitor import frontier, sources
from monitor.config import settings_from_dict
from monitor.db import open_database, session_scope
from monitor.frontier import Entry, FrontierState
from monitor.models import Frontier, Source

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings():
    return settings_from_dict(
        {
            "crawler": {"page_attempts": 3, "page_retry_base": "1m", "frontier_lease": "5m"},
            "feeds": [
                {"name": "wire", "url": "https://wire.example/rss"},
                {"name": "other", "url": "https://other.example/rss"},
            ],
            "sites": [
                {"name": "desk", "start_urls": ["https://desk.example/"], "article_links": "/a/"}
            ],
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


def _listed(engine, settings, name: str, *urls: str, etag: str = '"v1"') -> None:
    with session_scope(engine) as session:
        sources.record_success(
            session,
            name,
            settings.crawler,
            changed=True,
            etag=etag,
            entries=[Entry(u, title=f"t {u}", extra_urls=(u + "#guid",)) for u in urls],
            now=NOW,
        )


def _rows(engine) -> dict[str, tuple[str, int]]:
    with session_scope(engine) as session:
        return {
            url: (state, attempts)
            for url, state, attempts in session.execute(
                sa.select(Frontier.url, Frontier.state, Frontier.attempts)
            )
        }


def test_validators_and_entries_are_stored_together_or_not_at_all(engine, settings):
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        sources.record_success(
            session, "wire", settings.crawler, changed=True, etag='"v1"',
            entries=[Entry("https://wire.example/1")], now=NOW,
        )  # fmt: skip
        raise RuntimeError("the crawl dies before commit")
    with session_scope(engine) as session:
        assert session.scalar(sa.select(Source.etag).where(Source.name == "wire")) is None
    assert _rows(engine) == {}

    _listed(engine, settings, "wire", "https://wire.example/1", "https://wire.example/2")
    with session_scope(engine) as session:
        assert session.scalar(sa.select(Source.etag).where(Source.name == "wire")) == '"v1"'
    assert _rows(engine) == {
        "https://wire.example/1": ("pending", 0),
        "https://wire.example/2": ("pending", 0),
    }
    # Listed again (by this or another source): left as it is.
    _listed(engine, settings, "other", "https://wire.example/2", "https://other.example/9")
    assert len(_rows(engine)) == 3


def test_claims_are_exclusive_oldest_first_per_kind_and_end_with_the_lease(engine, settings):
    _listed(engine, settings, "wire", "https://wire.example/1", "https://wire.example/2")
    _listed(engine, settings, "desk", "https://desk.example/a/1")
    lease = settings.crawler.frontier_lease
    with session_scope(engine) as session:
        taken = frontier.claim(session, "feed", lease=lease, now=NOW)
    assert [c.url for c in taken] == ["https://wire.example/1", "https://wire.example/2"]
    assert taken[0].source == "wire" and taken[0].title == "t https://wire.example/1"
    assert taken[0].extra_urls == ("https://wire.example/1#guid",)
    with session_scope(engine) as session:
        assert frontier.claim(session, "feed", lease=lease, now=NOW) == []  # held
        assert [c.url for c in frontier.claim(session, "site", lease=lease, now=NOW)] == [
            "https://desk.example/a/1"
        ]
        later = NOW + timedelta(seconds=lease + 1)  # the crawl died: its lease ended
        assert len(frontier.claim(session, "feed", lease=lease, now=later)) == 2
    with session_scope(engine) as session:  # a crawl closing normally gives back the rest
        assert frontier.release(session, [taken[1].id], now=NOW + timedelta(seconds=lease + 2))
        again = frontier.claim(session, "feed", lease=lease, now=NOW + timedelta(seconds=lease + 2))
        assert [c.url for c in again] == ["https://wire.example/2"]
        names = frontier.claim(
            session, "feed", lease=lease, now=NOW + timedelta(days=1), names=["other"]
        )
        assert names == []  # fmt: skip


def test_failed_pages_back_off_then_are_given_up_and_gone_pages_at_once(engine, settings):
    _listed(engine, settings, "wire", "https://wire.example/1", "https://wire.example/gone")
    with session_scope(engine) as session:
        one, gone = frontier.claim(session, "feed", lease=60, now=NOW)
    rng = random.Random(7)
    with session_scope(engine) as session:
        state = frontier.mark_failed(
            session, one.id, "HTTP 503", settings.crawler, now=NOW, rng=rng
        )
        assert state is FrontierState.FAILED  # fmt: skip
        assert frontier.mark_failed(session, gone.id, "HTTP 404", settings.crawler, gone=True, now=NOW) is FrontierState.GIVEN_UP  # fmt: skip
    with session_scope(engine) as session:
        assert frontier.claim(session, "feed", lease=60, now=NOW + timedelta(seconds=40)) == []
        retry = session.get(Frontier, one.id).next_attempt_at
        assert timedelta(seconds=48) <= retry - NOW <= timedelta(seconds=72)  # 1m +-20 %
        for attempt in (2, 3):
            (again,) = frontier.claim(session, "feed", lease=60, now=NOW + timedelta(days=attempt))
            state = frontier.mark_failed(
                session, again.id, "timed out", settings.crawler, now=NOW + timedelta(days=attempt)
            )
        assert state is FrontierState.GIVEN_UP  # fmt: skip
        assert frontier.claim(session, "feed", lease=60, now=NOW + timedelta(days=9)) == []
        assert frontier.depth(session) == {"pending": 0, "failed": 0, "done": 0, "given_up": 2}
    assert _rows(engine)["https://wire.example/1"] == ("given_up", 3)


def test_a_stored_page_is_settled_by_the_ingest_transaction(engine, settings):
    from monitor.classify import load_lexicon
    from monitor.extract import Document
    from monitor.ingest import ingest_document

    _listed(engine, settings, "wire", "https://wire.example/1")
    with session_scope(engine) as session:
        (claimed,) = frontier.claim(session, "feed", lease=60, now=NOW)
    doc = Document(url=claimed.url, title="A story", text="Some text about nothing. " * 20)
    lexicon = load_lexicon(settings.classifier)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        ingest_document(session, doc, settings, lexicon, frontier_id=claimed.id)
        raise RuntimeError("killed before commit")
    assert _rows(engine)[claimed.url] == ("pending", 0)
    with session_scope(engine) as session:
        ingest_document(session, doc, settings, lexicon, frontier_id=claimed.id)
    assert _rows(engine)[claimed.url] == ("done", 0)
