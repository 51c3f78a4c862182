"""The web app served by a real uvicorn server on 127.0.0.1, over the five seed articles and
one hostile article: pages, the API and its errors, the Atom feed, headers, links, and the
state changes that only POST may make."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest
import requests
import sqlalchemy as sa

from monitor.db import open_database, session_scope
from monitor.models import Event, Subscription
from tests.alert_servers import EVENT_KEYS
from tests.conftest import _reset_postgres
from tests.web_fixtures import (
    WebServer,
    hostile_document,
    ingest,
    seed_documents,
    serve,
    web_settings,
)

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def web(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    """The app over the seeds and the hostile article (read-only tests share it)."""
    tmp = tmp_path_factory.mktemp("web")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'banwatch.db'}"
    else:
        url = request.getfixturevalue("postgres_server_url")
        _reset_postgres(url)
    settings = web_settings(url, tmp, web={"base_url": "https://banwatch.example.org/"})
    engine = open_database(url)
    ingest(engine, settings, *seed_documents(), hostile_document())
    with session_scope(engine) as session:
        session.add(
            Subscription(name="ana", channel="email", address="ana@example.org", token="t" * 32)
        )
    engine.dispose()
    yield from serve(settings)


def digest_day() -> str:
    """The day whose digest (the 24 hours to 08:00 UTC) holds events stored just now."""
    from datetime import UTC, datetime, timedelta

    return ((datetime.now(UTC) - timedelta(hours=8)).date() + timedelta(days=1)).isoformat()


def get(web: WebServer, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(web.url + path, timeout=10, allow_redirects=False, **kwargs)


def api(web: WebServer, path: str) -> Any:
    response = get(web, path)
    assert response.status_code == 200, response.text
    return response.json()


# --- API ------------------------------------------------------------------------------


def test_api_events_has_the_contract_fields_and_pages(web: WebServer) -> None:
    events = api(web, "/api/events")
    assert len(events) == 6
    assert all(set(e) >= EVENT_KEYS | {"outlets"} for e in events)
    first_seen = [e["first_seen"] for e in events]
    assert first_seen == sorted(first_seen, reverse=True)
    page = get(web, "/api/events?limit=2&page=2")
    assert page.headers["X-Total-Count"] == "6"
    assert [e["id"] for e in page.json()] == [e["id"] for e in events[2:4]]
    assert 'rel="next"' in page.headers["Link"]
    (twitter_rt,) = [e for e in events if e["platform"] == "Twitter" and "RT" in e["targets"]]
    assert twitter_rt["outlet_count"] == 2 and len(twitter_rt["outlets"]) == 2


@pytest.mark.parametrize(
    ("query", "platforms"),
    [
        ("platform=Twitter", {"Twitter"}),
        ("platform=X", {"Twitter"}),  # X is Twitter
        ("platform=x.com", {"Twitter"}),
        ("platform=Meta", {"Meta", "Facebook"}),  # the family covers Facebook
        ("platform=tiktok", {"TikTok"}),
        ("platform=nobody", set()),
    ],
)
def test_platform_filter_knows_aliases_and_families(
    web: WebServer, query: str, platforms: set[str]
) -> None:
    assert {e["platform"] for e in api(web, f"/api/events?{query}")} == platforms


def test_filters_search_dates_and_status(web: WebServer) -> None:
    assert {e["target"] for e in api(web, "/api/events?q=kaspersky")} == {"Kaspersky"}
    # the search reads the evidence sentences too, not only the headline
    found = api(web, "/api/events?q=470")
    assert [e["platform"] for e in found] == ["Facebook"]
    assert api(web, "/api/events?q=100%25") == []  # LIKE wildcards are literal
    in_2017 = api(web, "/api/events?from=2017-01-01&to=2017-12-31")
    assert {e["first_seen"][:4] for e in in_2017} == {"2017"} and len(in_2017) == 2
    assert {e["target"] for e in api(web, "/api/events?target=Russia%20Today")} >= {"RT"}
    assert api(web, "/api/events?status=reversed") == []
    assert len(api(web, "/api/events?action=ad_ban")) == 2


@pytest.mark.parametrize(
    "query",
    [
        "limit=1e23",
        "limit=-1",
        "limit=abc",
        "limit=0",
        "limit=1001",
        "limit=99999999999999999999999",
        "page=0",
        "since=nan",
        "since=inf",
        "since=99999d",
        "from=2024-13-40",
        "to=yesterday",
        "action=banana",
        "status=maybe",
        "q=" + "x" * 201,
    ],
)
def test_bad_query_values_are_400_with_a_message(web: WebServer, query: str) -> None:
    for path in ("/api/events?", "/feed.atom?", "/?"):
        response = get(web, path + query)
        assert response.status_code == 400, (path, query, response.status_code)
        if path.startswith("/api"):
            body = response.json()
            assert body["status"] == 400 and body["message"]
            assert "Traceback" not in body["message"] and "Error" not in body["message"]


def test_ids_and_dates_out_of_range(web: WebServer) -> None:
    for event_id in ("0", "-1", "2147483648", "99999999999999999999", "abc", "1.5"):
        for path in ("/api/events/", "/events/"):
            assert get(web, path + event_id).status_code == 400, path + event_id
    missing = get(web, "/api/events/999999")
    assert missing.status_code == 404 and missing.json()["message"]
    assert get(web, "/events/999999").status_code == 404
    assert get(web, "/api/digest/2024-02-30").status_code == 400
    assert get(web, "/api/digest/1800-01-01").status_code == 400
    assert get(web, "/api/nothing").json() == {
        "message": "There is nothing at this address.",
        "status": 404,
    }


def test_api_event_digest_status_and_schema(web: WebServer) -> None:
    event = api(web, "/api/events?platform=Facebook")[0]
    detail = api(web, f"/api/events/{event['id']}")
    assert set(detail) >= EVENT_KEYS | {"evidence", "articles", "history"}
    assert "470" in detail["evidence"]
    assert detail["history"][0]["kind"] == "opened"
    digest = api(web, "/api/digest/2025-01-01")
    assert digest["date"] == "2025-01-01"
    status = api(web, "/api/status")
    assert status["events"] == 6 and set(status["deliveries"]) >= {"pending", "sent", "dead"}
    schema = api(web, "/openapi.json")
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) >= {
        "/api/events",
        "/api/events/{event_id}",
        "/api/digest/{date}",
        "/api/status",
    }
    assert get(web, "/healthz").json() == {"status": "ok"}


# --- pages ----------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(web: WebServer) -> None:
    for path in ("/", "/events/1", "/feed.atom", "/api/events", "/api/events/0", "/nowhere",
                 "/subscribe", "/digest/2025-01-01", "/static/style.css"):  # fmt: skip
        response = get(web, path)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        assert "script-src" not in csp or "'self'" in csp  # default-src 'none': no script


def test_pages_have_no_inline_script_and_advertise_the_feed(web: WebServer) -> None:
    home = get(web, "/?platform=X").text
    assert '<link rel="alternate" type="application/atom+xml"' in home
    assert 'href="/feed.atom?platform=X"' in home
    for path in ("/", "/events/1", "/subscribe", "/digest/2025-01-01"):
        html = get(web, path).text
        assert "<script" not in html.replace("&lt;script", "")
        assert " style=" not in html  # CSP: style-src 'self' only


def test_events_page_lists_filters_and_pages(web: WebServer) -> None:
    page = get(web, "/").text
    assert "6 events" in page and "Kaspersky" in page and "foxnews.example" in page
    assert "<svg" in page and "Events per platform per week" in page
    twitter = get(web, "/?platform=X").text
    assert "2 events match" in twitter and "TikTok Removes" not in twitter
    paged = get(web, "/?limit=2&page=2").text
    assert "page 2 of 3" in paged


def test_event_page_shows_reports_evidence_and_history(web: WebServer) -> None:
    (event,) = [e for e in api(web, "/api/events?platform=Twitter&target=RT")]
    page = get(web, f"/events/{event['id']}").text
    assert "foxnews.example" in page and "uk-outlet.example" in page
    assert "<mark>" in page
    assert "opened" in page and "also reported by" in page
    assert "2 outlets" in page


def test_hostile_article_is_inert_in_pages_api_and_feed(web: WebServer) -> None:
    (event,) = api(web, "/api/events?q=hostile")
    assert "<script>" in event["headline"]  # stored as written; escaped where it leaves
    for path in ("/", f"/events/{event['id']}", "/?q=hostile", f"/digest/{digest_day()}"):
        html = get(web, path).text
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html and "<img" not in html, path
        assert not re.search(r"<[^>]+\sonerror=", html), path
        assert 'href="javascript:' not in html.lower(), path
        assert "&lt;script&gt;" in html, path
    feed = get(web, "/feed.atom?q=hostile").text
    root = ET.fromstring(feed)  # well-formed
    ns = {"a": "http://www.w3.org/2005/Atom"}
    (summary,) = [e.findtext("a:summary", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert "<script>" in summary  # text content: a reader shows it as text, never runs it
    assert root.find("a:entry/a:summary", ns).get("type") == "text"  # type: ignore[union-attr]
    parsed = feedparser.parse(feed)
    assert not parsed.bozo
    # feedparser hands it over as plain text: shown as characters, never parsed as markup
    assert parsed.entries[0].summary_detail.type == "text/plain"
    assert parsed.entries[0].title_detail.type == "text/plain"


def test_links_use_base_url_not_the_host_header(web: WebServer) -> None:
    feed = get(web, "/feed.atom", headers={"Host": "evil.example"}).text
    assert "evil.example" not in feed
    assert "https://banwatch.example.org/events/" in feed


# --- feed -----------------------------------------------------------------------------


def test_feed_lists_the_seed_events_and_honours_filters(web: WebServer) -> None:
    response = get(web, "/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.text)
    assert not parsed.bozo and parsed.version == "atom10"
    titles = [e.title for e in parsed.entries]
    assert len(titles) == 6
    assert "Twitter — ad ban — RT, Sputnik" in titles
    assert "Facebook — network takedown — Internet Research Agency" in titles
    assert all(e.link.startswith("https://banwatch.example.org/events/") for e in parsed.entries)
    only_x = feedparser.parse(get(web, "/feed.atom?platform=X").text)
    assert {e.title.split(" — ")[0] for e in only_x.entries} == {"Twitter"}
    assert len(only_x.entries) == 2
    self_link = [link.href for link in only_x.feed.links if link.rel == "self"]
    assert self_link == ["https://banwatch.example.org/feed.atom?platform=X"]


# --- state changes only on POST ----------------------------------------------------------


def _active(web: WebServer, name: str) -> bool:
    engine = open_database(web.settings.database.url, migrate=False)
    try:
        with session_scope(engine) as session:
            return bool(
                session.scalar(sa.select(Subscription.active).where(Subscription.name == name))
            )
    finally:
        engine.dispose()


def _link(web: WebServer, name: str) -> str:
    engine = open_database(web.settings.database.url, migrate=False)
    try:
        with session_scope(engine) as session:
            row = session.scalars(sa.select(Subscription).where(Subscription.name == name)).one()
            row.active, row.disabled_reason = True, None
            return f"/unsubscribe/{row.id}.{row.token}"
    finally:
        engine.dispose()


def test_head_and_get_never_unsubscribe_post_does(web: WebServer) -> None:
    link = _link(web, "ana")
    assert requests.head(web.url + link, timeout=10).status_code == 200
    assert get(web, link).status_code == 200
    assert "Unsubscribe" in get(web, link).text
    assert _active(web, "ana")  # HEAD and GET changed nothing
    # A POST without the one-click body or a CSRF token is refused (403), still active.
    assert requests.post(web.url + link, data={}, timeout=10).status_code == 403
    assert _active(web, "ana")
    one_click = requests.post(web.url + link, data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert one_click.status_code == 200
    assert not _active(web, "ana")
    # a wrong secret, a bare secret, an unknown id: 404, nothing changes
    for bad in ("/unsubscribe/1." + "A" * 32, "/unsubscribe/" + "t" * 32, "/unsubscribe/9999.x"):
        assert (
            requests.post(
                web.url + bad, data={"List-Unsubscribe": "One-Click"}, timeout=10
            ).status_code
            == 404
        )


def test_forms_need_a_csrf_token(web: WebServer) -> None:
    response = requests.post(
        web.url + "/subscribe", data={"channel": "email", "address": "a@example.org"}, timeout=10
    )
    assert response.status_code == 403
    assert requests.post(
        web.url + "/admin/dismiss", data={"event": "1"}, timeout=10
    ).status_code in (403, 404)


def test_admin_is_off_without_a_token(web: WebServer) -> None:
    assert get(web, "/admin").status_code == 404
    assert "BANWATCH_ADMIN_TOKEN" in get(web, "/admin").text


def test_events_survive_a_read_only_tour(web: WebServer) -> None:
    """No GET touched an event (a read never writes)."""
    engine = open_database(web.settings.database.url, migrate=False)
    with session_scope(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Event)) == 6
    engine.dispose()


@pytest.mark.slow
def test_serve_prints_its_url(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.alert_servers import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"BANWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line, line
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_digest_page_has_the_days_around_it(web: WebServer) -> None:
    day = digest_day()
    page = get(web, f"/digest/{day}").text
    assert f"Daily digest for {day}" in page and "6 new enforcement actions" in page
    assert page.count('<li aria-current="date">') == 1
    assert re.search(
        r'aria-current="date"><a href="/digest/' + day + r'"[^>]*>.*?<span class="n">6</span>',
        page,
        re.S,
    )
    earlier = get(web, "/digest/2020-02-02").text
    assert "No new enforcement actions." in earlier and 'rel="next"' in earlier
    assert get(web, "/digest").status_code == 302
