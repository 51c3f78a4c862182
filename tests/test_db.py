"""Alembic owns the schema: migrations bring an empty SQLite or PostgreSQL database to head,
and the models round-trip through it."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from monitor.db import (
    ALEMBIC_DIR,
    current_revision,
    open_database,
    schema_is_current,
    script_head,
    session_scope,
)
from monitor.models import Article, Base, Event, EventArticle, Source, Verdict


def _head() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def test_the_head_read_without_alembic_is_alembics_head(db_url: str) -> None:
    """Read verbs skip Alembic when the stored revision is the head ``script_head`` reads from
    the migration files by pattern (bench/cli.py): that head must be the one Alembic finds,
    and a database one revision behind must not pass for current."""
    assert script_head() == _head()
    engine = open_database(db_url)
    assert schema_is_current(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'older'"))
    assert not schema_is_current(engine)
    engine.dispose()


def test_migrations_upgrade_an_empty_database_to_head(db_url: str) -> None:
    engine = open_database(db_url)
    assert current_revision(engine) == _head()
    tables = set(sa.inspect(engine).get_table_names())
    assert {
        "source",
        "article",
        "article_url",
        "verdict",
        "event",
        "event_article",
        "subscription",
        "delivery",
    } <= tables
    # The migrations and the models describe the same schema.
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    # Opening again is a no-op, not an error.
    assert current_revision(open_database(db_url)) == _head()
    engine.dispose()


def test_models_round_trip_with_aware_utc_datetimes(db_url: str) -> None:
    engine = open_database(db_url)
    when = datetime(2017, 10, 26, 15, 10, tzinfo=UTC)
    with session_scope(engine) as session:
        source = Source(kind="feed", name="wire", url="https://example.org/feed")
        article = Article(
            url="https://example.org/a",
            canonical_url="https://example.org/a",
            title="T",
            text="body",
            published_at=when,
            source=source,
        )
        session.add(article)
        session.flush()
        verdict = Verdict(
            article_id=article.id,
            score=0.9,
            platform="Twitter",
            action="ad_ban",
            target="RT",
            target_key="rt",
            evidence="Twitter banned ads from RT.",
            rules={"rules": ["actor-verb-object"]},
            classifier_version="t",
        )
        event = Event(
            platform="Twitter",
            action="ad_ban",
            target="RT",
            target_key="rt",
            first_seen_at=when,
            last_seen_at=when,
        )
        session.add_all([verdict, event])
        session.flush()
        session.add(EventArticle(event_id=event.id, article_id=article.id, verdict_id=verdict.id))
    with session_scope(engine) as session:
        stored = session.scalar(sa.select(Article))
        assert stored.published_at == when
        assert stored.published_at.tzinfo is not None
        assert stored.source.name == "wire"
        assert session.scalar(sa.select(Verdict.rules)) == {"rules": ["actor-verb-object"]}
        link = session.scalar(sa.select(EventArticle))
        assert (link.event.target, link.article.title) == ("RT", "T")
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_busy_timeout(sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_unique_canonical_url_is_enforced(db_url: str) -> None:
    import pytest

    from monitor.errors import StorageError

    engine = open_database(db_url)
    with session_scope(engine) as session:
        session.add(Article(url="u", canonical_url="https://e.org/a", title="", text=""))
    with pytest.raises(StorageError), session_scope(engine) as session:
        session.add(Article(url="u2", canonical_url="https://e.org/a", title="", text=""))
    engine.dispose()
