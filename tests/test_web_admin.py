"""Triage over HTTP: the admin token from the environment (BANWATCH_ADMIN_TOKEN through
monitor.config), CSRF on every form, and dismiss / merge / split / retry calling the same
library functions as the CLI (monitor.corrections, the outbox)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from monitor.config import settings_from_dict
from monitor.db import open_database, session_scope
from monitor.models import Event, EventArticle
from tests.web_fixtures import WebServer, ingest, seed_documents, serve

TOKEN = "t0ken-" + "z" * 30


@pytest.fixture
def web(sqlite_url: str, tmp_path: Path) -> Iterator[WebServer]:
    from tests.web_fixtures import CLASSIFIER

    settings = settings_from_dict(
        {"database": {"url": sqlite_url}, "classifier": CLASSIFIER},
        env={"BANWATCH_ADMIN_TOKEN": TOKEN},
    )
    assert settings.web.admin_token == TOKEN  # read from the environment by monitor.config
    engine = open_database(sqlite_url)
    ingest(engine, settings, *seed_documents())
    engine.dispose()
    yield from serve(settings)


def signed_in(web: WebServer) -> tuple[requests.Session, str]:
    client = requests.Session()
    page = client.get(web.url + "/admin", timeout=10)
    assert page.status_code == 200 and 'name="token"' in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]  # type: ignore[index]
    wrong = client.post(web.url + "/admin/login", data={"csrf": csrf, "token": "nope"}, timeout=10)
    assert wrong.status_code == 403
    done = client.post(web.url + "/admin/login", data={"csrf": csrf, "token": TOKEN}, timeout=10)
    assert done.status_code == 200 and "Triage" in done.text and "Dismiss" in done.text
    return client, csrf


def events(web: WebServer) -> dict[int, Event]:
    with session_scope(web.engine) as session:
        rows = {e.id: e for e in session.scalars(sa.select(Event))}
        session.expunge_all()
    return rows


def test_the_admin_token_is_never_read_from_the_file(tmp_path: Path) -> None:
    from monitor.errors import ConfigError

    with pytest.raises(ConfigError, match="BANWATCH_ADMIN_TOKEN"):
        settings_from_dict({"web": {"admin_token": "x"}}, env={})


def test_triage_needs_the_token_and_a_csrf_token(web: WebServer) -> None:
    assert (
        requests.post(web.url + "/admin/dismiss", data={"event": "1"}, timeout=10).status_code
        == 403
    )
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    page = requests.get(web.url + "/admin", headers=bearer, timeout=10)
    assert "Sources" in page.text and "Deliveries" in page.text
    # the token alone is not enough to post a form: CSRF
    assert (
        requests.post(
            web.url + "/admin/dismiss", data={"event": "1"}, headers=bearer, timeout=10
        ).status_code
        == 403
    )
    client, csrf = signed_in(web)
    bad = client.post(web.url + "/admin/dismiss", data={"csrf": csrf, "event": "99999"}, timeout=10)
    assert bad.status_code == 422 and "99999" in bad.text
    assert (
        client.post(
            web.url + "/admin/dismiss", data={"csrf": csrf, "event": "abc"}, timeout=10
        ).status_code
        == 400
    )


def test_dismiss_merge_and_split(web: WebServer) -> None:
    client, csrf = signed_in(web)
    by_key = {(e.platform, e.target): e.id for e in events(web).values()}
    rt_twitter, kaspersky = by_key[("Twitter", "RT")], by_key[("Twitter", "Kaspersky")]
    ira = by_key[("Facebook", "Internet Research Agency")]

    done = client.post(
        web.url + "/admin/dismiss", data={"csrf": csrf, "event": str(ira)}, timeout=10
    )
    assert done.status_code == 200 and f"Event {ira} dismissed" in done.text
    assert events(web)[ira].dismissed_at is not None
    assert ira not in [e["id"] for e in requests.get(web.url + "/api/events", timeout=10).json()]

    merged = client.post(
        web.url + "/admin/merge",
        data={"csrf": csrf, "event": str(rt_twitter), "other": str(kaspersky)},
        timeout=10,
    )
    assert (
        merged.status_code == 200
        and f"Event {kaspersky} merged into event {rt_twitter}" in merged.text
    )
    assert events(web)[kaspersky].merged_into_id == rt_twitter
    page = requests.get(web.url + f"/events/{rt_twitter}", timeout=10).text
    assert f"event {kaspersky} merged into this one" in page

    with session_scope(web.engine) as session:
        article = session.scalars(
            sa.select(EventArticle.article_id).where(EventArticle.event_id == rt_twitter)
        ).first()
    split = client.post(
        web.url + "/admin/split",
        data={"csrf": csrf, "event": str(rt_twitter), "article": str(article)},
        timeout=10,
    )
    assert (
        split.status_code == 200 and f"Article {article} split off event {rt_twitter}" in split.text
    )
    assert len(events(web)) == 6


def test_base_url_must_be_an_http_address() -> None:
    from monitor.errors import ConfigError

    assert (
        settings_from_dict({"web": {"base_url": "https://bw.example/"}}, env={}).web.base_url
        == "https://bw.example"
    )
    for bad in ("javascript:alert(1)", "bw.example", "https://bw.example/?q=1", "ftp://bw.example"):
        with pytest.raises(ConfigError, match=r"web\.base_url"):
            settings_from_dict({"web": {"base_url": bad}}, env={})
