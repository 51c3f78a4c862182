"""The daily digest: grouped events, reversals, newly reported events, source health,
the empty day, escaping, and sending through the outbox to a real SMTP server."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.alerts.digest_render import digest_json, render_html, render_text
from monitor.alerts.digest_send import send_digest
from monitor.alerts.filters import Filters
from monitor.alerts.subscriptions import create_subscription
from monitor.db import session_scope
from monitor.digest import build_digest, digest_window
from monitor.models import Delivery, Source
from tests.alert_servers import (
    SmtpServer,
    WebhookReceiver,
    add_report,
    make_event,
    make_settings,
    smtp_section,
)

DAY = date(2017, 10, 27)  # digest at 08:00 Europe/Berlin covers Oct 26 08:00 -> Oct 27 08:00
INSIDE = datetime(2017, 10, 26, 15, 10, tzinfo=UTC)
BEFORE = datetime(2017, 10, 20, 9, 0, tzinfo=UTC)
AFTER = datetime(2017, 10, 27, 7, 30, tzinfo=UTC)  # 09:30 in Berlin: the next digest's


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_settings(tmp_path, digest={"time": "08:00", "timezone": "Europe/Berlin"})


def _seed_like(engine) -> None:  # type: ignore[no-untyped-def]
    """Events shaped like the seed articles (E1-E4, and 004's Meta ban), plus noise outside
    the window, a reversal and an older event newly reported."""
    with session_scope(engine) as session:
        make_event(
            session,
            platform="Twitter",
            action="ad_ban",
            target="RT",
            also=["Sputnik"],
            reports=[
                ("foxnews.com", "Twitter bans ads from RT and Sputnik"),
                ("uk-outlet.co.uk", "Twitter bans RT and Sputnik ads"),
            ],
            created_at=INSIDE,
        )
        make_event(
            session,
            platform="Facebook",
            action="network_takedown",
            target="Internet Research Agency",
            scale="470 accounts",
            reports=[("themoscowtimes.com", "Kremlin denies Facebook ads")],
            created_at=INSIDE + timedelta(hours=2),
        )
        make_event(
            session,
            platform="TikTok",
            action="removal",
            target="RT",
            also=["Sputnik"],
            reports=[("theepochtimes.com", "TikTok removes Russian state media")],
            created_at=INSIDE + timedelta(hours=3),
        )
        make_event(
            session,
            platform="Meta",
            action="ban",
            target="RT",
            reports=[("theepochtimes.com", "TikTok removes Russian state media")],
            created_at=INSIDE + timedelta(hours=3),
        )
        # Outside the window on both sides.
        make_event(
            session, platform="Twitter", action="ad_ban", target="Kaspersky Lab", created_at=AFTER
        )
        older = make_event(
            session,
            platform="YouTube",
            action="demonetisation",
            target="Channel X",
            reports=[("a.example", "YouTube cuts X")],
            created_at=BEFORE,
        )
        reversed_ = make_event(
            session,
            platform="Reddit",
            action="ban",
            target="r/example",
            reports=[("b.example", "Reddit bans r/example")],
            created_at=BEFORE,
        )
        # In the window: a new outlet on the older event, and a reinstatement.
        add_report(session, older, "c.example", "YouTube demonetises X", added_at=INSIDE)
        older.outlet_count, older.article_count = 2, 2
        add_report(
            session,
            reversed_,
            "b.example",
            "Reddit restores r/example",
            action="reinstatement",
            added_at=INSIDE,
        )
        reversed_.status = "reversed"
        session.add(
            Source(
                kind="feed",
                name="dead-feed",
                url="https://dead.example/rss",
                failures=30,
                last_error="http 500",
                failing_since=datetime.now(UTC) - timedelta(days=3),
            )
        )
        session.add(
            Source(
                kind="feed",
                name="fresh-failure",
                url="https://x.example/rss",
                failures=1,
                last_error="timeout",
                failing_since=datetime.now(UTC) - timedelta(hours=1),
            )
        )


def test_window_is_the_day_up_to_digest_time_in_the_local_zone(settings) -> None:
    w = digest_window(settings, DAY)
    assert w.start == datetime(2017, 10, 26, 6, 0, tzinfo=UTC)  # 08:00 CEST
    assert w.end == datetime(2017, 10, 27, 6, 0, tzinfo=UTC)
    # Across the end of summer time the window is 25 hours long, still 08:00 to 08:00.
    w = digest_window(settings, date(2017, 10, 29))
    assert (w.start, w.end) == (
        datetime(2017, 10, 28, 6, 0, tzinfo=UTC),
        datetime(2017, 10, 29, 7, 0, tzinfo=UTC),
    )
    assert w.end - w.start == timedelta(hours=25)


def test_digest_of_a_seed_like_day_groups_events_by_platform_then_target(engine, settings) -> None:
    _seed_like(engine)
    with session_scope(engine) as session:
        digest = build_digest(session, settings, DAY)
    data = digest_json(digest)

    grouped = [
        (p["platform"], [(t["target"], [e["action"] for e in t["events"]]) for t in p["targets"]])
        for p in data["platforms"]
    ]
    assert grouped == [
        ("Facebook", [("Internet Research Agency", ["network_takedown"])]),
        ("Meta", [("RT", ["ban"])]),
        ("TikTok", [("RT, Sputnik", ["removal"])]),
        ("Twitter", [("RT, Sputnik", ["ad_ban"])]),
    ]
    assert data["counts"]["new"] == 4
    assert [e["target"] for e in data["reversals"]] == ["r/example"]
    assert [(e["target"], e["new_outlets"]) for e in data["updated"]] == [
        ("Channel X", ["c.example"])
    ]
    assert [s["name"] for s in data["failing_sources"]] == ["dead-feed"]
    assert data["empty"] is False

    text = render_text(digest)
    assert text.index("== Facebook ==") < text.index("== Meta ==") < text.index("== Twitter ==")
    assert "network takedown, 470 accounts — reported by 1 outlet(s)" in text
    assert "reported by 2 outlet(s), first seen 2017-10-26 17:10 CEST" in text
    assert "Kaspersky" not in text  # the next day's
    assert "== Reversals ==" in text and "Reddit — ban — r/example" in text
    assert "Channel X: now 2 outlet(s); new: c.example" in text
    assert "! dead-feed failing since" in text and "fresh-failure" not in text


def test_digest_for_an_empty_day_says_so(engine, settings) -> None:
    _seed_like(engine)
    with session_scope(engine) as session:
        digest = build_digest(session, settings, date(2017, 11, 15))
    assert digest.empty
    text = render_text(digest)
    assert "No new enforcement actions." in text
    assert "No new enforcement actions." in render_html(digest)
    assert digest_json(digest)["summary"] == "no new enforcement actions"


def test_subscriber_filters_apply_to_their_digest(engine, settings) -> None:
    _seed_like(engine)
    with session_scope(engine) as session:
        digest = build_digest(session, settings, DAY, filters=Filters(targets=("rt",)))
    assert sorted((e.platform, e.target) for e in digest.new) == [
        ("Meta", "RT"),
        ("TikTok", "RT, Sputnik"),
        ("Twitter", "RT, Sputnik"),
    ]
    with session_scope(engine) as session:
        sputnik = build_digest(session, settings, DAY, filters=Filters(targets=("sputnik",)))
    assert sorted(e.platform for e in sputnik.new) == ["TikTok", "Twitter"]
    assert digest.reversals == [] and digest.updated == []


def test_script_in_a_title_is_escaped_in_the_html_digest(engine, settings) -> None:
    with session_scope(engine) as session:
        make_event(
            session,
            reports=[("evil.example", "<script>alert(1)</script> bans")],
            created_at=INSIDE,
            target="<b>RT</b>",
        )
        digest = build_digest(session, settings, DAY)
    page = render_html(digest)
    assert "<script>" not in page and "<b>RT</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; bans" in page
    assert "&lt;b&gt;RT&lt;/b&gt;" in page


def test_send_digest_mails_each_digest_subscriber_once_per_day(
    engine, settings, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = make_settings(
        tmp_path,
        smtp=smtp_section(smtp_server, tmp_path),
        digest={"time": "08:00", "timezone": "Europe/Berlin"},
    )
    _seed_like(engine)
    with session_scope(engine) as session:
        create_subscription(
            session, name="daily", channel="email", address="d@example.org", mode="digest"
        )
        create_subscription(
            session,
            name="both",
            channel="email",
            address="b@example.org",
            mode="both",
            filters=Filters(platforms=("tiktok",)),
        )
        create_subscription(session, name="instant", channel="email", address="i@example.org")

    run = send_digest(engine, settings, DAY)
    again = send_digest(engine, settings, DAY)

    assert run.queued == 2 and run.dispatch is not None and run.dispatch.sent == 2
    assert again.dispatch is not None and again.dispatch.sent == 0
    mails = {m["To"]: m for m in smtp_server.messages}
    assert sorted(mails) == ["b@example.org", "d@example.org"]
    assert mails["d@example.org"]["Subject"] == (
        "[banwatch] Daily digest 2017-10-27 — 4 new enforcement actions, 1 reversed, "
        "1 newly reported"
    )
    assert "TikTok" in mails["b@example.org"].get_body(("plain",)).get_content()
    assert "Twitter" not in mails["b@example.org"].get_body(("plain",)).get_content()
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(Delivery)).all()
        assert {(r.kind, r.digest_date, r.status) for r in rows} == {("digest", DAY, "sent")}


def test_empty_digest_is_sent_unless_switched_off(
    engine, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    on = make_settings(tmp_path)
    off = make_settings(tmp_path, digest={"send_empty": False})
    with session_scope(engine) as session:
        create_subscription(
            session, name="hook", channel="webhook", address=webhook_receiver.url(), mode="digest"
        )

    skipped = send_digest(engine, off, date(2020, 1, 1))
    sent = send_digest(engine, on, date(2020, 1, 2))

    assert (skipped.queued, skipped.skipped_empty) == (0, 1)
    assert sent.queued == 1
    (got,) = webhook_receiver.received
    body = got.json
    assert body["type"] == "digest" and body["event"] is None
    assert body["digest"]["date"] == "2020-01-02"
    assert body["digest"]["summary"] == "no new enforcement actions"
    assert json.loads(got.body)["digest"]["empty"] is True
