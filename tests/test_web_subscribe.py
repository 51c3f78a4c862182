"""The subscription form from outside: double opt-in by mail (aiosmtpd on 127.0.0.1), webhook
URLs through the outbound address policy, filter names checked with the nearest known
ones, CSRF tokens and the per-client rate limit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from monitor.alerts.subscriptions import AWAITING
from monitor.db import open_database, session_scope
from monitor.models import Delivery, Subscription
from tests.alert_servers import SmtpServer
from tests.web_fixtures import WebServer, ingest, seed_documents, serve, web_settings


@pytest.fixture
def web(sqlite_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Iterator[WebServer]:
    settings = web_settings(
        sqlite_url,
        tmp_path,
        smtp={"host": "127.0.0.1", "port": smtp_server.port, "starttls": False},
        web={"base_url": "http://banwatch.example.org", "subscribe_limit": 50},
    )
    yield from serve(settings)


def form_session(web: WebServer) -> tuple[requests.Session, str]:
    """A client that loaded the form: its CSRF cookie and the token the form carries."""
    client = requests.Session()
    page = client.get(web.url + "/subscribe", timeout=10)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, "the form carries a CSRF token"
    return client, token[1]


def subscribe(web: WebServer, **fields: str) -> requests.Response:
    client, token = form_session(web)
    return client.post(web.url + "/subscribe", data={"csrf": token, **fields}, timeout=10)


def rows(web: WebServer) -> list[Subscription]:
    engine = open_database(web.settings.database.url, migrate=False)
    try:
        with session_scope(engine) as session:
            found = list(session.scalars(sa.select(Subscription).order_by(Subscription.id)))
            session.expunge_all()
            return found
    finally:
        engine.dispose()


def test_email_is_double_opt_in(web: WebServer, smtp_server: SmtpServer) -> None:
    response = subscribe(
        web,
        channel="email",
        address="ana@example.org",
        platforms="X",
        keywords="ads, accounts",
        min_score="0.6",
    )
    assert response.status_code == 200 and "Check your mail" in response.text
    (row,) = rows(web)
    assert row.active is False and row.disabled_reason == AWAITING
    assert row.filters["keywords"] == ["ads", "accounts"] and row.filters["min_score"] == 0.6
    assert getattr(row, "origin", "web") == "web"
    (mail,) = smtp_server.messages
    text = mail.get_body(("plain",)).get_content()
    link = re.search(r"http://banwatch\.example\.org(/confirm/\S+)", text)
    assert link, text
    assert link[1].split("/")[-1] != f"{row.id}.{row.token}"  # not the unsubscribe secret

    # An event found before confirmation is not sent to the address.
    ingest(web.engine, web.settings, *seed_documents()[:1])
    engine = open_database(web.settings.database.url, migrate=False)
    with session_scope(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0
    engine.dispose()

    client = requests.Session()
    page = client.get(web.url + link[1], timeout=10)
    assert page.status_code == 200 and "Confirm subscription" in page.text
    assert rows(web)[0].active is False  # GET changed nothing
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]  # type: ignore[index]
    done = client.post(web.url + link[1], data={"csrf": token}, timeout=10)
    assert done.status_code == 200 and "confirmed" in done.text
    assert rows(web)[0].active is True
    # a forged confirmation token does nothing
    forged = re.sub(r"\.[^.]+$", "." + "A" * 43, link[1])
    assert client.get(web.url + forged, timeout=10).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "file:///etc/passwd",
        "ftp://ftp.example.org/x",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/",
    ],
)
def test_webhook_to_non_public_addresses_is_refused(web: WebServer, url: str) -> None:
    response = subscribe(web, channel="webhook", address=url)
    assert response.status_code == 422, url
    assert "refused" in response.text or "http://" in response.text
    assert "10.0.0.1" not in response.text.replace(url, "")  # no resolved address shown
    assert rows(web) == []


def test_webhook_allowed_by_the_operator_shows_its_secret_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = web_settings(sqlite_url, tmp_path, network={"allow": ["127.0.0.1"]})
    for web in serve(settings):
        response = subscribe(web, channel="webhook", address="http://127.0.0.1:9/hook")
        assert response.status_code == 200
        (row,) = rows(web)
        assert row.secret and row.secret.startswith("whsec_")
        assert getattr(row, "origin", "web") == "web"
        assert row.secret in response.text and row.active
        assert "127.0.0.2" not in response.text
        refused = subscribe(web, channel="webhook", address="http://127.0.0.2:9/hook")
        assert refused.status_code == 422  # allow names 127.0.0.1 only


def test_unknown_filter_names_get_the_nearest_known_ones(web: WebServer) -> None:
    response = subscribe(web, channel="email", address="a@example.org", platforms="Twiter")
    assert response.status_code == 422
    assert "Twiter" in response.text and "Twitter" in response.text
    response = subscribe(web, channel="email", address="a@example.org", action="adban")
    assert response.status_code == 422 and "ad_ban" in response.text
    bad = subscribe(web, channel="email", address="not a mail address")
    assert bad.status_code == 422
    for score in ("1.5", "nan", "-0.1", "abc"):
        assert (
            subscribe(web, channel="email", address="a@example.org", min_score=score).status_code
            == 422
        )
    assert rows(web) == []


def test_csrf_and_rate_limit(sqlite_url: str, tmp_path: Path) -> None:
    settings = web_settings(sqlite_url, tmp_path, web={"subscribe_limit": 3})
    for web in serve(settings):
        client, _token = form_session(web)
        forged = client.post(
            web.url + "/subscribe", data={"csrf": "x" * 43, "address": "a@example.org"}, timeout=10
        )
        assert forged.status_code == 403
        codes = [
            subscribe(web, channel="email", address=f"u{i}@example.org").status_code
            for i in range(2)
        ]
        # a refused attempt counts too (the form resolves names and sends mail)
        codes.append(subscribe(web, channel="webhook", address="http://10.0.0.1/").status_code)
        codes.append(subscribe(web, channel="email", address="u9@example.org").status_code)
        assert codes == [200, 200, 422, 429]  # subscribe_limit = 3 per client per hour
        assert len(rows(web)) == 2
