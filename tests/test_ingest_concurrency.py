"""Two crawl workers storing at once still store one story once and one ban as one event.

Each worker is a real process with its own ``Ingestor`` on the same SQLite file or
PostgreSQL database, both released at once by a barrier. Worker A reports every ban; worker
B, at the same moment, either copies A's story under its own URL (a duplicate) or reports the
same ban in its own words (a second article of the same event). Without the ingest lock,
both workers found nothing stored and both stored: on PostgreSQL, 316 articles for 200
stories.
"""

from __future__ import annotations

import multiprocessing
import random
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from monitor.alerts.subscriptions import create_subscription
from monitor.config import settings_from_dict
from monitor.db import open_database, session_scope
from monitor.models import Article, ArticleUrl, Delivery, Event

pytestmark = pytest.mark.slow

STORIES = 40
_FILLER_WORDS = (
    "the council met on a quiet morning to discuss budgets roads parks schools water "
    "lighting harbour museum river bridge weather trains buses markets bakery library "
    "festival concert orchestra gardens hospital clinic nurses teachers students farmers "
    "harvest season rain sunshine autumn winter spring summer tourists visitors coffee "
    "bread cheese fishing boats lighthouse castle village town county mayor residents"
)
FILLER = _FILLER_WORDS.split()
NAMES = ["Brenvik", "Ostrava", "Kellmoor", "Dunhollow", "Marrowick", "Tesselby", "Varnholt"]


def _filler(rng: random.Random, words: int = 140) -> str:
    sentences, current = [], []
    for word in rng.choices(FILLER, k=words):
        current.append(word)
        if len(current) >= rng.randint(8, 16):
            sentences.append(" ".join(current).capitalize() + ".")
            current = []
    return " ".join(sentences)


def _stories() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(url, title, text) for worker A and worker B, story by story in the same order."""
    rng = random.Random(11)
    a, b = [], []
    for n in range(STORIES):
        outlet = f"{NAMES[n % len(NAMES)]} Courier {chr(65 + n // len(NAMES))}"
        text = (
            f"YouTube has banned the {outlet}, a news outlet, for repeated violations. "
            + _filler(rng)
        )
        a.append((f"https://a.example/news/{n}", f"YouTube bans {outlet}", text))
        if n % 2 == 0:  # the same story, syndicated under B's URL
            b.append((f"https://b.example/wire/{n}", f"YouTube bans {outlet}", text))
        else:  # the same ban, B's own write-up
            own = f"On Monday YouTube banned the {outlet} from its platform. " + _filler(rng)
            b.append((f"https://b.example/story/{n}", f"{outlet} banned", own))
    return a, b


def _ingest_all(url: str, items: list[tuple[str, str, str]], start: Any, done: Any) -> None:
    """A worker process: wait for the barrier, then ingest ``items`` one by one."""
    from monitor.ingest import Document, Ingestor

    ingestor = Ingestor(settings_from_dict({"database": {"url": url}}, {}))
    start.wait()
    errors = []
    for link, title, text in items:
        doc = Document(url=link, title=title, text=text, published_at=datetime.now(UTC))
        try:
            ingestor.ingest(doc)
        except Exception as exc:  # reported to the test, which fails on any
            errors.append(f"{link}: {exc}")
    ingestor.close()
    done.put(errors)


def test_two_workers_at_once_store_each_story_once_and_each_ban_as_one_event(db_url: str):
    engine = open_database(db_url)  # migrated once, before the workers open it
    with session_scope(engine) as session:
        create_subscription(session, name="analyst", channel="email", address="a@example.org")
    a, b = _stories()
    context = multiprocessing.get_context("spawn")
    start, done = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_ingest_all, args=(db_url, items, start, done)) for items in (a, b)
    ]
    for worker in workers:
        worker.start()
    errors = [done.get(timeout=240) for _ in workers]
    for worker in workers:
        worker.join(60)
    assert errors == [[], []]
    assert [w.exitcode for w in workers] == [0, 0]

    with engine.connect() as conn:
        articles = conn.scalar(sa.select(sa.func.count()).select_from(Article))
        urls = set(conn.scalars(sa.select(ArticleUrl.url)))
        events = conn.execute(sa.select(Event.target, Event.outlet_count)).all()
        alerts = conn.scalar(sa.select(sa.func.count()).select_from(Delivery))
    engine.dispose()
    assert articles == STORIES + STORIES // 2  # copies collapsed, own write-ups kept
    assert len(urls) == 2 * STORIES  # every URL either worker saw is known
    assert len(events) == STORIES  # one event per ban ...
    assert {outlets for _, outlets in events} == {2}  # ... reported by both outlets
    assert alerts == STORIES  # and one alert per ban for the one subscriber
