"""The web app served by a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import uvicorn

from monitor.config import settings_from_dict
from monitor.db import open_database, session_scope
from monitor.models import Article, ArticleUrl, Event, EventArticle, Subscription
from monitor.web.app import create_app
from tests.alert_servers import EVENT_KEYS

WHEN = datetime(2017, 10, 26, 15, 0, tzinfo=UTC)


@pytest.fixture
def web(db_url: str) -> Iterator[str]:
    settings = settings_from_dict({"database": {"url": db_url}}, env={})
    engine = open_database(db_url)
    with session_scope(engine) as session:
        article = Article(
            url="https://outlet.example/a",
            canonical_url="https://outlet.example/a",
            outlet="outlet.example",
            title="Twitter bans <script>alert(1)</script> ads",
            text="...",
            published_at=WHEN,
        )
        event = Event(
            platform="Twitter",
            action="ad_ban",
            target="RT",
            target_key="rt",
            first_seen_at=WHEN,
            last_seen_at=WHEN,
            article_count=1,
            outlet_count=1,
            headline=article.title,
            evidence="Twitter has banned ads from RT & Sputnik.",
        )
        session.add_all([article, event])
        session.flush()
        session.add(ArticleUrl(article_id=article.id, url=article.url, outlet="outlet.example"))
        session.add(EventArticle(event_id=event.id, article_id=article.id))
        session.add(
            Subscription(name="ana", channel="email", address="a@x.example", token="tok123")
        )
    config = uvicorn.Config(
        create_app(settings, engine), host="127.0.0.1", port=0, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:  # await uvicorn's own readiness flag
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_api_events_has_the_contract_fields(web: str) -> None:
    status, ctype, body = get(web + "/api/events")
    assert status == 200 and ctype.startswith("application/json")
    (event,) = json.loads(body)
    assert set(event) >= EVENT_KEYS
    assert event["urls"] == ["https://outlet.example/a"]
    assert json.loads(get(web + "/api/events?platform=tiktok")[2]) == []
    assert get(web + "/api/events/999")[0] == 404
    assert json.loads(get(web + f"/api/events/{event['id']}")[2])["evidence"].startswith("Twitter")


def test_pages_escape_article_values(web: str) -> None:
    status, _, page = get(web + "/")
    assert status == 200
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    _, _, detail = get(web + "/events/1")
    assert "RT &amp; Sputnik" in detail and "<script>" not in detail


def test_atom_feed_parses_and_lists_the_event(web: str) -> None:
    status, ctype, body = get(web + "/feed.atom")
    assert status == 200 and "atom+xml" in ctype
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.fromstring(body).findall("a:entry", ns)
    assert [e.findtext("a:title", namespaces=ns) for e in entries] == ["Twitter — ad ban — RT"]


def test_one_click_unsubscribe(web: str, db_url: str) -> None:
    assert "Unsubscribe" in get(web + "/unsubscribe/tok123")[2]
    req = urllib.request.Request(web + "/unsubscribe/tok123", data=b"List-Unsubscribe=One-Click")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
    engine = open_database(db_url)
    with session_scope(engine) as session:
        import sqlalchemy as sa

        assert (
            session.scalar(sa.select(Subscription.active).where(Subscription.name == "ana"))
            is False
        )
    engine.dispose()
    bad = urllib.request.Request(web + "/unsubscribe/nope", data=b"")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(bad, timeout=10)
    assert info.value.code == 404
