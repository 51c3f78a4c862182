"""Subscribers' verbs: ``subscribe --since`` catches up once, ``alerts test NAME`` reaches the
real channel (aiosmtpd, the webhook receiver) and reports its answer, ``mute --for`` and
``unmute``, shown in ``subscriptions``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from monitor.alerts.outbox import dispatch_due, enqueue_event_alerts
from monitor.cli import main
from monitor.config import load_settings
from monitor.db import open_database, session_scope
from monitor.models import Delivery, Event, Subscription
from tests.alert_servers import SmtpServer, WebhookReceiver, standard_webhooks_verify
from tests.conftest import SEEDS, LoopbackSite, need_shared
from tests.test_pipeline_seeds import banwatch, serve_seeds

SECRET = "whsec_c2VjcmV0LWZvci10ZXN0cw=="


def _config(tmp_path: Path, db_url: str, smtp: SmtpServer | None = None) -> Path:
    path = tmp_path / "settings.toml"
    smtp_section = (
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nstarttls = false\ntimeout = 5\n'
        'from = "banwatch@example.org"\n'
        if smtp
        else '[smtp]\nmaildir = "mail"\n'
    )
    path.write_text(f'[database]\nurl = "{db_url}"\n\n{smtp_section}\n[digest]\nenabled = false\n')
    return path


def _cli(config: Path, *args: str) -> tuple[int, str]:
    env = {"HOOK": SECRET, "COLUMNS": "300"}  # a wide table: one row, one line
    run = CliRunner().invoke(main, ["--config", str(config), *args], env=env)
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    return run.exit_code, run.output


def _dispatch(config: Path, now: datetime | None = None) -> None:
    settings = load_settings(config)
    engine = open_database(settings.database.url)
    try:
        dispatch_due(engine, settings, now)
    finally:
        engine.dispose()


def test_alerts_test_reaches_the_webhook_receiver(
    tmp_path: Path, sqlite_url: str, webhook_receiver: WebhookReceiver
) -> None:
    config = _config(tmp_path, sqlite_url)
    code, out = _cli(config, "subscribe", "ops", "--channel", "webhook", "--address",
                     webhook_receiver.url(), "--secret-env", "HOOK")  # fmt: skip
    assert code == 0, out
    webhook_receiver.default = 204
    code, out = _cli(config, "alerts", "test", "ops")
    assert code == 0, out
    assert "test alert sent to ops" in out and "http 204" in out
    (got,) = webhook_receiver.received
    assert standard_webhooks_verify(SECRET, got.headers, got.body)
    body = got.json
    assert body["type"] == "test" and body["test"] is True
    assert "TEST" in body["event"]["target"] and body["event"]["headline"].startswith(
        "banwatch test"
    )
    # The receiver's refusal is reported, with its answer, and the verb fails.
    webhook_receiver.default = 500
    code, out = _cli(config, "alerts", "test", "ops")
    assert code == 1 and "http 500" in out
    # Nothing went through the outbox.
    settings = load_settings(config)
    engine = open_database(settings.database.url)
    with session_scope(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0
    engine.dispose()


def test_alerts_test_reaches_the_smtp_server(
    tmp_path: Path, sqlite_url: str, smtp_server: SmtpServer
) -> None:
    config = _config(tmp_path, sqlite_url, smtp_server)
    assert _cli(config, "subscribe", "ana", "--channel", "email", "--address",
                "ana@example.org")[0] == 0  # fmt: skip
    code, out = _cli(config, "alerts", "test", "ana")
    assert code == 0, out
    assert f"smtp 127.0.0.1:{smtp_server.port} accepted" in out  # the server's answer
    (mail,) = smtp_server.messages
    assert mail["Subject"].startswith("[banwatch] TEST alert for 'ana'")
    assert mail["To"] == "ana@example.org"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("TEST ALERT for subscription 'ana'")
    code, out = _cli(config, "alerts", "test", "anna")
    assert code == 2 and "no such subscription" in out and "'ana'" in out


@pytest.mark.slow
def test_subscribe_since_sends_the_earlier_seed_events_once(
    loopback_site: LoopbackSite, db_url: str, tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    need_shared(SEEDS)
    feed_url = serve_seeds(loopback_site)
    config = _config(tmp_path, db_url)
    with config.open("a") as f:
        f.write(f'\n[crawler]\ndownload_delay = 0\nautothrottle = false\n\n'
                f'[[feeds]]\nname = "seeds"\nurl = "{feed_url}"\n')  # fmt: skip
    run = banwatch(config, "crawl", "feeds")
    assert run.returncode == 0, run.stderr
    events = json.loads(banwatch(config, "events", "--json").stdout)
    rt_events = {e["id"] for e in events if "RT" in e["targets"]}
    assert len(rt_events) >= 2  # Twitter's ad ban (2017), TikTok's and Meta's (2024)

    code, out = _cli(config, "subscribe", "late", "--channel", "webhook", "--address",
                     webhook_receiver.url("/late"), "--secret-env", "HOOK")  # fmt: skip
    assert code == 0, out
    assert "only events opened or changed from now on" in out and "--since" in out
    code, out = _cli(config, "subscribe", "rt", "--channel", "webhook", "--address",
                     webhook_receiver.url("/rt"), "--secret-env", "HOOK",
                     "--target", "Russia Today", "--since", "2017-01-01")  # fmt: skip
    assert code == 0, out
    assert f"{len(rt_events)} earlier event(s) queued" in out

    _dispatch(config)
    got = [r for r in webhook_receiver.received if r.path == "/rt"]
    assert sorted(r.json["event"]["id"] for r in got) == sorted(rt_events)
    assert all(r.json["type"] in ("event.opened", "event.reversed") for r in got)
    assert not [r for r in webhook_receiver.received if r.path == "/late"]
    # Once: a second pass sends nothing, and the live alert of the same change is the same key.
    _dispatch(config, datetime.now(UTC) + timedelta(days=1))
    settings = load_settings(config)
    engine = open_database(settings.database.url)
    with session_scope(engine) as session:
        event = session.get(Event, sorted(rt_events)[0])
        assert event is not None
        again = enqueue_event_alerts(session, event, "event.opened", settings)
        assert [d.status for d in again if d.subscription.name == "rt"] == ["sent"]
    engine.dispose()
    _dispatch(config, datetime.now(UTC) + timedelta(days=2))
    assert len([r for r in webhook_receiver.received if r.path == "/rt"]) == len(rt_events)


def test_mute_skips_alerts_until_it_ends(
    tmp_path: Path, db_url: str, webhook_receiver: WebhookReceiver
) -> None:
    from tests.alert_servers import make_event

    config = _config(tmp_path, db_url)
    for name in ("quiet", "loud"):
        assert _cli(config, "subscribe", name, "--channel", "webhook", "--address",
                    webhook_receiver.url(f"/{name}"), "--secret-env", "HOOK")[0] == 0  # fmt: skip
    code, out = _cli(config, "mute", "quiet", "--for", "8h")
    assert code == 0 and "muted quiet until" in out
    code, out = _cli(config, "subscriptions", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["quiet"]["muted_until"] and rows["loud"]["muted_until"] is None
    code, out = _cli(config, "subscriptions")
    assert "muted until" in out

    settings = load_settings(config)
    engine = open_database(settings.database.url)
    with session_scope(engine) as session:
        event = make_event(session)
        queued = enqueue_event_alerts(session, event, "event.opened", settings)
        assert [d.subscription.name for d in queued] == ["loud"]  # skipped, not delayed
        event_id = event.id
    _dispatch(config)
    assert [r.path for r in webhook_receiver.received] == ["/loud"]

    code, out = _cli(config, "unmute", "quiet")
    assert code == 0 and "unmuted quiet" in out
    with session_scope(engine) as session:
        event = session.get(Event, event_id)
        event.status = "reversed"
        queued = enqueue_event_alerts(session, event, "event.reversed", settings)
        assert sorted(d.subscription.name for d in queued) == ["loud", "quiet"]
    engine.dispose()
    _dispatch(config)
    assert sorted(r.path for r in webhook_receiver.received) == ["/loud", "/loud", "/quiet"]
    code, out = _cli(config, "mute", "quiet", "--for", "soon")
    assert code == 2 and "--for" in out


def test_a_delivery_queued_before_the_mute_waits_for_its_end(
    tmp_path: Path, sqlite_url: str, webhook_receiver: WebhookReceiver
) -> None:
    from tests.alert_servers import make_event

    config = _config(tmp_path, sqlite_url)
    assert _cli(config, "subscribe", "q", "--channel", "webhook", "--address",
                webhook_receiver.url(), "--secret-env", "HOOK")[0] == 0  # fmt: skip
    settings = load_settings(config)
    engine = open_database(settings.database.url)
    with session_scope(engine) as session:
        enqueue_event_alerts(session, make_event(session), "event.opened", settings)
    assert _cli(config, "mute", "q", "--for", "1h")[0] == 0
    _dispatch(config)
    assert webhook_receiver.received == []
    with session_scope(engine) as session:
        (delivery,) = session.scalars(sa.select(Delivery))
        muted_until = session.scalar(sa.select(Subscription.muted_until))
        assert delivery.status == "pending" and delivery.next_attempt_at == muted_until
    _dispatch(config, datetime.now(UTC) + timedelta(hours=2))
    assert len(webhook_receiver.received) == 1
    engine.dispose()
