"""End to end in headless Chromium: what an analyst does in a day, on the seed events.

Debian's ``chromium`` (``apt-get install -y chromium``) driven by Playwright's Python
package with ``executable_path`` (never ``playwright install``). Without the browser the
test skips with the reason; in CI (``BANWATCH_TEST_REQUIRE_SERVICES=1``) it fails.

Screenshots are saved under ``test-artefacts/browser/`` at the repository root (ignored by
git; ``BANWATCH_TEST_ARTEFACTS`` names another folder).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from monitor.db import open_database, session_scope
from monitor.extract import Document
from monitor.models import Event, Subscription
from tests.alert_servers import SmtpServer, free_port, smtp_section
from tests.conftest import REPO, service_skip
from tests.web_fixtures import (
    WebServer,
    hostile_document,
    ingest,
    seed_documents,
    serve,
    web_settings,
)

CHROMIUM = os.environ.get("BANWATCH_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_TOKEN = "admin-" + "k" * 32
ARTEFACTS = Path(os.environ.get("BANWATCH_TEST_ARTEFACTS", REPO / "test-artefacts")) / "browser"

pytestmark = pytest.mark.slow


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A fresh Chromium profile driven by Playwright."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        service_skip(
            f"the browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_skip("the browser tests need the playwright package (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Iterator[WebServer]:
    port = free_port()
    settings = web_settings(
        sqlite_url,
        tmp_path,
        smtp=smtp_section(smtp_server, tmp_path),
        web={"base_url": f"http://127.0.0.1:{port}", "port": port},
    )
    settings = settings.model_copy(
        update={"web": settings.web.model_copy(update={"admin_token": ADMIN_TOKEN})}
    )
    engine = open_database(sqlite_url)
    ingest(engine, settings, *seed_documents(), hostile_document())
    engine.dispose()
    yield from serve(settings, port)


def shot(page: Any, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def submit(page: Any, selector: str) -> None:
    """Click what submits a form or follows a link, and wait for the page it loads (a
    loaded machine must not let the test read the old page)."""
    with page.expect_navigation():
        page.click(selector)


def rows(page: Any) -> list[str]:
    return [r.inner_text() for r in page.locator("table.events tbody tr").all()]


def await_mail(smtp: SmtpServer, count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while len(smtp.messages) < count:  # aiosmtpd appends from its own thread
        assert time.monotonic() < deadline, f"expected {count} mails, got {len(smtp.messages)}"
        time.sleep(0.05)


def test_an_analysts_day_in_the_browser(
    browser: Any, site: WebServer, smtp_server: SmtpServer
) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # The events page on the seed events (and the hostile one, shown as text).
    page.goto(site.url + "/")
    assert len(rows(page)) == 6
    assert page.locator("link[rel=alternate][type='application/atom+xml']").count() == 1
    assert page.locator("svg[role=img]").count() == 1
    shot(page, "01-events")

    # Filter by platform, by its name and by an alias (X is Twitter).
    page.fill("input[name=platform]", "Twitter")
    submit(page, "form.filters button[type=submit]")
    assert len(rows(page)) == 2 and all("Twitter" in r for r in rows(page))
    page.fill("input[name=platform]", "X")
    submit(page, "form.filters button[type=submit]")
    assert "platform=X" in page.url
    assert len(rows(page)) == 2 and all("Twitter" in r for r in rows(page))
    shot(page, "02-filter-alias-x")

    # Search, then open the event.
    page.fill("input[name=platform]", "")
    page.fill("input[name=q]", "Kaspersky")
    submit(page, "form.filters button[type=submit]")
    assert len(rows(page)) == 1
    shot(page, "03-search")
    submit(page, "table.events td.headline a")
    assert re.search(r"/events/\d+$", page.url)
    assert page.locator("blockquote.evidence mark").count() >= 1
    assert "clicklancashire.example" in page.inner_text("ol.reports")
    shot(page, "04-event")

    # Subscribe by email; nothing is sent but the confirmation.
    page.goto(site.url + "/subscribe")
    page.fill("input[name=address]", "analyst@example.org")
    page.fill("input[name=platforms]", "X")
    submit(page, "form button[type=submit]")
    assert "Check your mail" in page.inner_text("main")
    shot(page, "05-subscribed")
    await_mail(smtp_server, 1)
    confirmation = smtp_server.messages[0]
    link = re.search(
        r"http://127\.0\.0\.1:\d+/confirm/\S+", confirmation.get_body(("plain",)).get_content()
    )
    assert link, "the confirmation mail carries the link"

    # Follow the link from the mail and confirm.
    page.goto(link[0])
    shot(page, "06-confirm")
    submit(page, "main form button[type=submit]")
    assert "Subscription confirmed" in page.inner_text("main")

    # The next alert arrives, with its unsubscribe link.
    from monitor.alerts.outbox import dispatch_due

    news = Document(
        url="https://outlet-f.example/news/x-suspends-redwood",
        title="X suspends accounts of Redwood Media",
        text="X has suspended the accounts of Redwood Media, a state-backed outlet, the "
        "company said on Monday. The outlet had posted misleading videos for months.",
        published_at=datetime(2025, 1, 2, 9, tzinfo=UTC),
        language="en",
    )
    ingest(site.engine, site.settings, news)
    assert dispatch_due(site.engine, site.settings).sent == 1
    await_mail(smtp_server, 2)
    alert = smtp_server.messages[1]
    assert "Redwood" in alert["Subject"] and alert["To"] == "analyst@example.org"
    # The alert links to the event's page.
    event_link = re.search(
        re.escape(site.url) + r"/events/\d+", alert.get_body(("plain",)).get_content()
    )
    assert event_link, "the alert links to its event's page"
    page.goto(event_link[0])
    assert "Redwood" in page.inner_text("h1")
    shot(page, "06b-alerted-event")
    unsubscribe = alert["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith(site.url + "/unsubscribe/")
    assert unsubscribe in alert.get_body(("html",)).get_content()

    # Unsubscribe from the link (the page asks; the button does it).
    page.goto(unsubscribe)
    shot(page, "07-unsubscribe")
    with session_scope(site.engine) as session:
        assert session.scalars(sa.select(Subscription.active)).one() is True
    submit(page, "main form button[type=submit]")
    assert "Unsubscribed" in page.inner_text("main")
    with session_scope(site.engine) as session:
        assert session.scalars(sa.select(Subscription.active)).one() is False

    # Triage: sign in with the admin token.
    admin_sign_in(page, site)
    assert page.locator("table.admin-events").count() == 1
    shot(page, "08-admin")

    # The same page on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site.url + "/")
    shot(page, "10-events-phone")

    assert dialogs == [], "a script ran: the hostile article was not inert"
    assert [p for p in problems if "Content Security Policy" in p] == []


def admin_sign_in(page: Any, site: WebServer) -> None:
    page.goto(site.url + "/admin")
    page.fill("input[name=token]", ADMIN_TOKEN)
    submit(page, "main form button[type=submit]")


def test_admin_dismisses_an_event_in_the_browser(browser: Any, site: WebServer) -> None:
    page = browser.new_page()
    admin_sign_in(page, site)
    with session_scope(site.engine) as session:
        hostile_id = session.scalars(
            sa.select(Event.id).where(Event.headline.like("%onerror%"))
        ).one()
    submit(page, f"button[aria-label='Dismiss event {hostile_id}']")
    assert f"Event {hostile_id} dismissed" in page.inner_text("p.notice")
    shot(page, "09-dismissed")
    page.goto(site.url + "/")
    assert all("onerror" not in r for r in rows(page))
    # An admin sees the triage forms on an event's page too.
    page.fill("input[name=q]", "Russia Today")
    submit(page, "form.filters button[type=submit]")
    submit(page, "table.events td.headline a")
    assert page.locator("button[aria-label^='Split article']").count() == 2
    shot(page, "11-event-as-admin")
