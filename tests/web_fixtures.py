"""A running web app on 127.0.0.1 over a database holding the five seed articles (and, when
asked, a hostile one), for the web, feed, API and browser tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.engine import Engine

from monitor.config import Settings, settings_from_dict
from monitor.db import open_database, session_scope
from monitor.extract import Document

CLASSIFIER = {
    "watchlist": ["RT", "Sputnik", "Kaspersky", "Internet Research Agency"],
    "aliases": {"Internet Research Agency": ["IRA", "troll factory", "Glavset"]},
}
NOW = datetime(2025, 1, 1, tzinfo=UTC)

# An article written to break pages, feeds and mails: markup in its title and body, an
# event-handler attribute, a javascript: link as its URL is impossible (URLs are
# canonicalised), so the link sits in the body and the title.
HOSTILE_TITLE = 'YouTube bans <script>alert("t")</script> channel <img src=x onerror=alert(1)> <a href="javascript:alert(2)">x</a>'
HOSTILE_TEXT = (
    'YouTube has banned the channel of Hostile Network <script>alert("b")</script> '
    'for repeated violations <img src=x onerror=alert(3)> <a href="javascript:alert(4)">click</a>, '
    "the company said on Tuesday.\n"
    "The network had posted coordinated videos for months before the ban."
)


def seed_documents() -> list[Document]:
    from tests.test_events_seeds import SEED_META, seed_document

    return [seed_document(s) for s in sorted(SEED_META, key=lambda s: SEED_META[s][1])]


def hostile_document() -> Document:
    return Document(
        url="https://hostile.example/news/channel-ban",
        title=HOSTILE_TITLE,
        text=HOSTILE_TEXT,
        published_at=datetime(2024, 10, 1, 9, tzinfo=UTC),
        language="en",
    )


def ingest(engine: Engine, settings: Settings, *docs: Document, now: datetime = NOW) -> list[Any]:
    from monitor.classify import load_lexicon
    from monitor.ingest import ingest_document

    lexicon = load_lexicon(settings.classifier)
    results = []
    for doc in docs:
        with session_scope(engine) as session:
            results.append(ingest_document(session, doc, settings, lexicon, now=now))
    return results


def web_settings(db_url: str, tmp_path: Path, **sections: Any) -> Settings:
    data: dict[str, Any] = {
        "database": {"url": db_url},
        "classifier": CLASSIFIER,
        "smtp": {"maildir": str(tmp_path / "mail")},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    return settings_from_dict(data, env={})


@dataclass
class WebServer:
    url: str
    settings: Settings
    engine: Engine


def start_server(
    settings: Settings, engine: Engine, port: int = 0
) -> tuple[uvicorn.Server, threading.Thread, str]:
    from monitor.web.app import create_app

    config = uvicorn.Config(
        create_app(settings, engine), host="127.0.0.1", port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:  # uvicorn's own readiness flag
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{bound}"


def serve(settings: Settings, port: int = 0) -> Iterator[WebServer]:
    engine = open_database(settings.database.url)
    server, thread, url = start_server(settings, engine, port)
    try:
        yield WebServer(url, settings, engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
