"""An article whose title and body hold <script>, an onerror= attribute and a javascript:
link is inert in the mails too: the alert and the digest, text and HTML, as an SMTP server
on 127.0.0.1 receives them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.alerts.digest_render import render_html, render_text
from monitor.alerts.outbox import dispatch_due
from monitor.alerts.subscriptions import create_subscription
from monitor.db import open_database, session_scope
from monitor.digest import build_digest
from tests.alert_servers import SmtpServer, smtp_section
from tests.web_fixtures import hostile_document, ingest, web_settings


def assert_inert(html: str) -> None:
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]*\son\w+\s*=", html, re.IGNORECASE), "an event-handler attribute"
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE)
    assert "<img" not in html.lower()
    assert "&lt;script&gt;" in html  # shown, as text


def test_hostile_article_is_inert_in_alert_and_digest_mails(
    sqlite_url: str, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = web_settings(
        sqlite_url,
        tmp_path,
        smtp=smtp_section(smtp_server, tmp_path),
        web={"base_url": "https://banwatch.example.org"},
    )
    engine = open_database(sqlite_url)
    with session_scope(engine) as session:
        create_subscription(session, name="a", channel="email", address="a@example.org")
    ingest(engine, settings, hostile_document())
    assert dispatch_due(engine, settings).sent == 1

    (mail,) = smtp_server.messages
    html = mail.get_body(("html",)).get_content()
    assert_inert(html)
    assert 'href="https://hostile.example/news/channel-ban"' in html
    text = mail.get_body(("plain",)).get_content()
    assert "YouTube" in text and "hostile.example" in text  # plain text: nothing to run

    day = (datetime.now(UTC) - timedelta(hours=8)).date() + timedelta(days=1)
    with session_scope(engine) as session:
        digest = build_digest(session, settings, day)
        assert not digest.empty
        assert_inert(render_html(digest, base="https://banwatch.example.org"))
        assert "hostile.example/news/channel-ban" in render_text(digest)
    engine.dispose()
