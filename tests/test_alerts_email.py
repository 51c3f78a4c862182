"""Email alerts against a real SMTP server (aiosmtpd) on 127.0.0.1, and the Maildir
fallback when no SMTP host is configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import sqlalchemy as sa

from monitor.alerts.filters import Filters
from monitor.alerts.outbox import dispatch_due, enqueue_event_alerts
from monitor.alerts.subscriptions import create_subscription
from monitor.db import session_scope
from monitor.models import Delivery
from monitor.status import DeliveryCounts, status_report
from tests.alert_servers import SmtpServer, make_event, make_settings, smtp_section


def _open(engine, settings, **event):  # type: ignore[no-untyped-def]
    """Store an event and enqueue its alerts in one transaction, as ingest does."""
    with session_scope(engine) as session:
        e = make_event(session, **event)
        enqueue_event_alerts(session, e, "event.opened", settings)
        return e.id


def test_one_multipart_mail_per_new_event_for_a_matching_subscription_only(
    engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, smtp=smtp_section(smtp_server, tmp_path))
    with session_scope(engine) as session:
        create_subscription(
            session,
            name="analyst",
            channel="email",
            address="analyst@example.org",
            filters=Filters(platforms=("twitter",), targets=("rt", "sputnik")),
        )
        create_subscription(
            session,
            name="tiktok-only",
            channel="email",
            address="other@example.org",
            filters=Filters(platforms=("TikTok",)),
        )
    _open(engine, settings, platform="Twitter", action="ad_ban", target="RT", also=["Sputnik"])
    _open(engine, settings, platform="Twitter", action="ad_ban", target="Sputnik")
    _open(
        engine,
        settings,
        platform="Facebook",
        action="network_takedown",
        target="Internet Research Agency",
    )

    stats = dispatch_due(engine, settings)

    assert stats.sent == 2 and stats.retrying == 0
    assert [m["To"] for m in smtp_server.messages] == ["analyst@example.org"] * 2
    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    assert subjects == [
        "[banwatch] Twitter — ad ban — RT, Sputnik",  # one ban, two targets
        "[banwatch] Twitter — ad ban — Sputnik",
    ]
    for mail in smtp_server.messages:
        assert mail.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in mail.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        text = mail.get_body(("plain",)).get_content()
        assert "Platform:   Twitter" in text and "Evidence:" in text
        assert mail["Message-ID"].startswith("<msg_")
    # A second pass sends nothing again.
    assert dispatch_due(engine, settings).sent == 0
    assert len(smtp_server.messages) == 2
    with session_scope(engine) as session:
        assert status_report(session, settings).deliveries == DeliveryCounts(sent=2)


def test_mail_waits_while_smtp_is_down_and_goes_out_once_it_is_back(
    engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, smtp=smtp_section(smtp_server, tmp_path))
    smtp_server.stop()  # the port is now closed
    with session_scope(engine) as session:
        create_subscription(session, name="analyst", channel="email", address="analyst@example.org")
    ids = [_open(engine, settings, target=t) for t in ("RT", "Sputnik", "Kaspersky Lab")]
    now = datetime.now(UTC)

    stats = dispatch_due(engine, settings, now)

    assert stats.sent == 0 and stats.retrying == 3
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(Delivery).order_by(Delivery.id)).all()
        assert [r.status for r in rows] == ["pending"] * 3
        assert all(r.attempts == 1 and "smtp 127.0.0.1" in (r.last_error or "") for r in rows)
        assert all(r.next_attempt_at > now for r in rows)
    # Not yet due: nothing is tried.
    assert dispatch_due(engine, settings, now + timedelta(seconds=1)).retrying == 0

    smtp_server.start()
    stats = dispatch_due(engine, settings, now + timedelta(seconds=10))

    assert stats.sent == 3
    assert len(smtp_server.messages) == 3  # every alert, once
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(Delivery).order_by(Delivery.id)).all()
        assert [r.status for r in rows] == ["sent"] * 3
        assert [r.event_id for r in rows] == ids
        assert all(r.attempts == 2 and r.last_error is None for r in rows)


def test_article_values_are_escaped_in_the_html_mail(
    engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, smtp=smtp_section(smtp_server, tmp_path))
    with session_scope(engine) as session:
        create_subscription(session, name="analyst", channel="email", address="a@example.org")
    _open(
        engine,
        settings,
        reports=[("evil.example", "<script>alert('x')</script> RT banned")],
        evidence='Twitter banned RT <img src=x onerror="boom()">.',
    )

    dispatch_due(engine, settings)

    (mail,) = smtp_server.messages
    html = mail.get_body(("html",)).get_content()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;boom()&#34;&gt;" in html
    assert "<mark>Twitter</mark>" in html and "<mark>RT</mark>" in html


def test_evidence_words_are_highlighted_from_the_verdict_spans(
    engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, smtp=smtp_section(smtp_server, tmp_path))
    evidence = "Twitter has banned ads from all accounts owned by RT and Sputnik."
    with session_scope(engine) as session:
        create_subscription(session, name="analyst", channel="email", address="a@example.org")
    _open(engine, settings, evidence=evidence, spans=[[0, 7], [12, 18], [19, 22], [50, 52]])

    dispatch_due(engine, settings)

    (mail,) = smtp_server.messages
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "<mark>Twitter</mark> has <mark>banned</mark> <mark>ads</mark>" in html
    assert "*Twitter* has *banned* *ads* from all accounts owned by *RT* and Sputnik." in text


def test_list_unsubscribe_when_the_web_address_is_configured(
    engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = make_settings(
        tmp_path,
        smtp=smtp_section(smtp_server, tmp_path),
        web={"base_url": "https://banwatch.example.org/"},
    )
    with session_scope(engine) as session:
        sub = create_subscription(session, name="a", channel="email", address="a@example.org")
        token = f"{sub.id}.{sub.token}"  # the row's id, then its 192-bit secret
    _open(engine, settings)

    dispatch_due(engine, settings)

    (mail,) = smtp_server.messages
    link = f"https://banwatch.example.org/unsubscribe/{token}"
    # (folded onto its own line: long headers are, and readers unfold them)
    assert mail["List-Unsubscribe"].strip() == f"<{link}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in mail.get_body(("html",)).get_content()


def test_without_smtp_host_mail_goes_to_a_local_maildir(engine, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)  # no [smtp] host
    with session_scope(engine) as session:
        create_subscription(session, name="a", channel="email", address="a@example.org")
    _open(engine, settings, target="RT")

    assert dispatch_due(engine, settings).sent == 1

    (path,) = (tmp_path / "mail" / "new").iterdir()
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert mail["Subject"] == "[banwatch] Twitter — ad ban — RT"
    assert mail.is_multipart()
    with session_scope(engine) as session:
        (row,) = session.scalars(sa.select(Delivery)).all()
        assert row.status == "sent" and row.last_result.startswith("maildir ")
