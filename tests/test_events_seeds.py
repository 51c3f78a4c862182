"""The five seed articles through ``ingest_document`` on SQLite and PostgreSQL: one ban is one
event, however many outlets, copies, URLs and names report it (../shared/seeds/EXPECTED.md).

Seeds are plain text with their page clutter; each becomes a Document whose title is its
headline line and whose date is the one EXPECTED.md gives.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from monitor.config import Settings, settings_from_dict
from monitor.db import session_scope
from monitor.extract import Document
from monitor.models import Article, ArticleUrl, Delivery, Event, Subscription
from tests.clutter import with_clutter
from tests.conftest import SEEDS, need_shared

# stem -> (outlet host, published, headline when it is not the first line)
SEED_META = {
    "000_1abd65fdbf8276e3": ("foxnews.example", datetime(2017, 10, 26, 14, tzinfo=UTC), None),
    "001_689fb8cb99268af5": ("uk-outlet.example", datetime(2017, 10, 26, 18, tzinfo=UTC), None),
    "002_3143711b25f0c45d": ("clicklancashire.example", datetime(2018, 4, 21, 9, tzinfo=UTC), None),
    "003_e5caa77ed66679d5": (
        "themoscowtimes.example",
        datetime(2017, 9, 8, 10, 28, tzinfo=UTC),
        "Kremlin Distances Itself From Fake Facebook Accounts Ad Buying Revelation",
    ),
    "004_5cac40e9df6ef526": ("theepochtimes.example", datetime(2024, 9, 24, 12, tzinfo=UTC), None),
}


def seed_document(stem: str, *, url: str | None = None, text: str | None = None) -> Document:
    """A seed as ingest sees it: headline as title, the rest (clutter included) as text."""
    host, published, headline = SEED_META[stem]
    raw = (need_shared(SEEDS) / f"{stem}.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    title = headline or lines[0]
    body = text if text is not None else "\n".join(lines[1:] if headline is None else lines)
    return Document(
        url=url or f"https://www.{host}/news/{stem}",
        title=title,
        text=body,
        published_at=published,
        language="en",
    )


def story(title: str, text: str, url: str, published: datetime) -> Document:
    return Document(url=url, title=title, text=text, published_at=published, language="en")


@pytest.fixture(scope="module")
def settings() -> Settings:
    """The shipped settings.toml's classifier section."""
    return settings_from_dict(
        {
            "classifier": {
                "watchlist": ["RT", "Sputnik", "Kaspersky", "Internet Research Agency"],
                "aliases": {"Internet Research Agency": ["IRA", "troll factory", "Glavset"]},
            }
        }
    )


@pytest.fixture(scope="module")
def lexicon(settings: Settings):  # type: ignore[no-untyped-def]
    from monitor.classify import load_lexicon

    return load_lexicon(settings.classifier)


def ingest(engine: Engine, settings: Settings, lexicon, *docs: Document):  # type: ignore[no-untyped-def]
    from monitor.ingest import ingest_document

    results = []
    for doc in docs:
        with session_scope(engine) as session:
            results.append(ingest_document(session, doc, settings, lexicon, now=NOW))
    return results


NOW = datetime(2025, 1, 1, tzinfo=UTC)


def ingest_seeds(engine: Engine, settings: Settings, lexicon, order=None):  # type: ignore[no-untyped-def]
    stems = order or sorted(SEED_META, key=lambda s: SEED_META[s][1])
    return ingest(engine, settings, lexicon, *(seed_document(s) for s in stems))


def event_rows(session: Session) -> list[tuple[str, str, tuple[str, ...], int, int, str]]:
    """(platform, action, targets, articles, outlets, status) of every event, by first seen."""
    rows = []
    for event in session.scalars(sa.select(Event).order_by(Event.first_seen_at, Event.id)):
        targets = tuple(t.target for t in event.targets) or (event.target,)
        rows.append(
            (event.platform, event.action, targets, event.article_count, event.outlet_count,
             event.status)
        )  # fmt: skip
    return rows


def test_the_seeds_are_four_bans_plus_the_meta_ban(engine: Engine, settings, lexicon) -> None:
    results = ingest_seeds(engine, settings, lexicon)
    assert [r.status for r in results] == ["new"] * 5
    with session_scope(engine) as session:
        rows = event_rows(session)
    by_platform = {(p, frozenset(t)): (a, n, o) for p, a, t, n, o, _ in rows}
    assert len(rows) == 5, rows
    # Facebook and Meta may be one platform name or two, as the lexicon has it.
    meta_family = {"Facebook", "Meta"}
    ira = [r for r in rows if r[0] in meta_family and "Internet Research Agency" in r[2]]
    assert len(ira) == 1 and ira[0][3] == 1
    assert by_platform[("Twitter", frozenset({"RT", "Sputnik"}))] == ("ad_ban", 2, 2)  # 000 + 001
    assert by_platform[("Twitter", frozenset({"Kaspersky"}))][:2] == ("ad_ban", 1)
    tiktok = [r for r in rows if r[0] == "TikTok"]
    assert len(tiktok) == 1 and {"RT", "Sputnik"} <= set(tiktok[0][2])
    meta = [r for r in rows if r[0] in meta_family and "RT" in r[2]]
    assert len(meta) == 1 and meta[0][3] == 1  # seed 004's "Meta banned RT ... last week"
    assert all(r[5] == "active" for r in rows)


def test_grouping_does_not_depend_on_arrival_order(engine: Engine, settings, lexicon) -> None:
    ingest_seeds(engine, settings, lexicon, order=sorted(SEED_META, reverse=True))
    with session_scope(engine) as session:
        rows = event_rows(session)
    assert len(rows) == 5
    assert [r[3:5] for r in rows if r[:2] == ("Twitter", "ad_ban") and "RT" in r[2]] == [(2, 2)]


def test_a_recluttered_copy_under_a_tracking_url_is_not_a_new_article(
    engine: Engine, settings, lexicon
) -> None:
    seeded = ingest_seeds(engine, settings, lexicon)
    with session_scope(engine) as session:
        session.add(Subscription(name="all", channel="webhook", address="http://127.0.0.1:9/"))
    before = _counts(engine)
    original = seed_document("000_1abd65fdbf8276e3")
    lines = original.text
    same_url = replace(
        original,
        url=original.url + "?utm_source=twitter&utm_medium=social&fbclid=IwAR0x#comments",
        text=with_clutter(lines, seed=11),
    )
    mirror = replace(original, url="https://m.mirror-site.example/amp/world/twitter-rt-ads/",
                     text=with_clutter(lines, seed=12))  # fmt: skip
    results = ingest(engine, settings, lexicon, same_url, mirror)
    assert [r.status for r in results] == ["duplicate", "duplicate"]
    assert results[0].events == results[1].events == seeded[1].events != []  # 000's event
    assert {r.article_id for r in results} == {_article_id(engine, original.url)}
    after = _counts(engine)
    assert (after["articles"], after["events"], after["deliveries"]) == (
        before["articles"],
        before["events"],
        before["deliveries"],
    )
    with session_scope(engine) as session:
        urls = set(session.scalars(sa.select(ArticleUrl.url)))
    assert "https://mirror-site.example/world/twitter-rt-ads" in urls


def test_one_target_under_two_aliases_is_one_event(engine: Engine, settings, lexicon) -> None:
    day = datetime(2022, 3, 1, 9, tzinfo=UTC)
    results = ingest(
        engine,
        settings,
        lexicon,
        story(
            "X suspends Russia Today's account",
            "X has suspended the account of Russia Today, the company said on Tuesday, citing "
            "its rules on state-affiliated media. The suspension takes effect immediately.",
            "https://news-one.example/x-russia-today",
            day,
        ),
        story(
            "Twitter suspends RT",
            "Twitter suspended RT's account on Tuesday, the platform confirmed in a statement "
            "to reporters, saying the state broadcaster had broken its rules.",
            "https://news-two.example/twitter-rt",
            day.replace(hour=15),
        ),
    )
    assert results[0].opened and results[1].updated == results[0].opened
    with session_scope(engine) as session:
        (event,) = session.scalars(sa.select(Event))
        assert (event.platform, event.target, event.article_count, event.outlet_count) == (
            "Twitter",
            "RT",
            2,
            2,
        )


def test_two_bans_of_one_target_stay_two_events(engine: Engine, settings, lexicon) -> None:
    later = datetime(2024, 9, 20, tzinfo=UTC)
    ingest(
        engine,
        settings,
        lexicon,
        seed_document("000_1abd65fdbf8276e3"),
        story(
            "Twitter removes RT accounts",
            "Twitter has removed accounts belonging to RT, the Russian state broadcaster, for "
            "breaking its rules on platform manipulation, the company said on Friday.",
            "https://news-three.example/twitter-removes-rt",
            later,
        ),
    )
    with session_scope(engine) as session:
        rt = [r for r in event_rows(session) if r[0] == "Twitter" and "RT" in r[2]]
    assert [r[1] for r in rt] == ["ad_ban", "removal"]


def test_a_reinstatement_marks_its_event_reversed(engine: Engine, settings, lexicon) -> None:
    ingest_seeds(engine, settings, lexicon)
    results = ingest(
        engine,
        settings,
        lexicon,
        story(
            "Twitter lifts ad ban on Kaspersky",
            "Twitter has lifted its advertising ban on Kaspersky Lab, reinstating the "
            "cybersecurity company as an advertiser, the firm said on Monday.",
            "https://news-four.example/twitter-lifts-kaspersky-ban",
            datetime(2019, 6, 3, tzinfo=UTC),
        ),
    )
    assert results[0].reversed and not results[0].opened
    assert results[0].group_key == f"{results[0].reversed[0]}:reversal"
    with session_scope(engine) as session:
        event = session.get(Event, results[0].reversed[0])
        assert event is not None
        assert (event.platform, event.action, event.target, event.status) == (
            "Twitter",
            "ad_ban",
            "Kaspersky",
            "reversed",
        )
        assert event.reversed_at == datetime(2019, 6, 3, tzinfo=UTC)


def _counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return {
            name: session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for name, model in (("articles", Article), ("events", Event), ("deliveries", Delivery))
        }


def _article_id(engine: Engine, url: str) -> int:
    with session_scope(engine) as session:
        return session.scalar(sa.select(Article.id).where(Article.url == url)) or -1
