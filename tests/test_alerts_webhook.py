"""Webhook alerts against a real receiver on 127.0.0.1: Standard Webhooks signatures,
retries with a stable webhook-id, 410 Gone, key rotation; and Apprise through its
``json://`` service to the same receiver."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.alerts.filters import Filters
from monitor.alerts.outbox import (
    MAX_ATTEMPTS,
    dispatch_due,
    enqueue_event_alerts,
    retry_delivery,
)
from monitor.alerts.subscriptions import create_subscription
from monitor.alerts.webhook import sign, verify
from monitor.db import session_scope
from monitor.models import Delivery, Subscription
from tests.alert_servers import (
    EVENT_KEYS,
    WebhookReceiver,
    add_report,
    make_event,
    make_settings,
    standard_webhooks_verify,
)

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def _hook(engine, url: str, *, secret: str | None = SECRET, **kw) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        create_subscription(
            session,
            name=kw.pop("name", "hook"),
            channel="webhook",
            address=url,
            secret=secret,
            **kw,
        )


def _open(engine, settings, kind: str = "event.opened", **event) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        e = make_event(session, **event)
        enqueue_event_alerts(session, e, kind, settings)
        return e.id


def test_receiver_verifies_every_signature_and_gets_each_event_once(
    engine, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    _hook(engine, webhook_receiver.url())
    ids = [_open(engine, settings, target=t) for t in ("RT", "Sputnik", "Kaspersky Lab")]

    assert dispatch_due(engine, settings).sent == 3
    assert dispatch_due(engine, settings).sent == 0  # nothing twice

    got = webhook_receiver.received
    assert len(got) == 3
    assert all(standard_webhooks_verify(SECRET, r.headers, r.body) for r in got)
    assert all(r.headers["content-type"] == "application/json" for r in got)
    assert len({r.headers["webhook-id"] for r in got}) == 3
    bodies = [r.json for r in got]
    assert sorted(b["event"]["id"] for b in bodies) == ids
    for body in bodies:
        assert body["type"] == "event.opened"
        assert set(body["event"]) >= EVENT_KEYS
        assert body["evidence"] == f"Twitter has banned ads from {body['event']['target']}."
        assert body["articles"][0]["url"] == body["event"]["urls"][0]
        assert body["articles"][0]["outlet"] == "example.org"


def test_500_twice_then_200_same_webhook_id_and_ends_sent(
    engine, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    webhook_receiver.statuses = [500, 500]
    _hook(engine, webhook_receiver.url())
    _open(engine, settings)
    now = datetime.now(UTC)

    first = dispatch_due(engine, settings, now)
    early = dispatch_due(engine, settings, now + timedelta(seconds=2))  # 5 s +-20 %: not due
    second = dispatch_due(engine, settings, now + timedelta(seconds=10))
    third = dispatch_due(engine, settings, now + timedelta(minutes=10))

    assert (first.retrying, early.retrying, second.retrying, third.sent) == (1, 0, 1, 1)
    got = webhook_receiver.received
    assert len(got) == 3
    assert len({r.headers["webhook-id"] for r in got}) == 1
    assert len({r.body for r in got}) == 1  # the same body, too (only the signature's time moves)
    assert all(standard_webhooks_verify(SECRET, r.headers, r.body) for r in got)
    with session_scope(engine) as session:
        (row,) = session.scalars(sa.select(Delivery)).all()
        assert (row.status, row.attempts, row.last_result) == ("sent", 3, "http 200")
        assert row.idempotency_key == got[0].headers["webhook-id"]


def test_410_gone_disables_the_subscription(
    engine, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    webhook_receiver.default = 410
    _hook(engine, webhook_receiver.url())
    _open(engine, settings, target="RT")
    _open(engine, settings, target="Sputnik")

    stats = dispatch_due(engine, settings)

    assert stats.disabled == 1 and stats.sent == 0
    assert len(webhook_receiver.received) == 1  # the second is not even tried
    with session_scope(engine) as session:
        sub = session.scalars(sa.select(Subscription)).one()
        assert sub.active is False and "410" in (sub.disabled_reason or "")
        assert {d.status for d in session.scalars(sa.select(Delivery))} == {"dead"}
        # A disabled subscription gets no new alerts, and a dead row cannot be re-queued.
        dead_id = session.scalars(sa.select(Delivery.id)).first()
    _open(engine, settings, target="Kaspersky Lab")
    with session_scope(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 2
        with pytest.raises(Exception, match="disabled"):
            retry_delivery(session, dead_id)


def test_failing_receiver_ends_dead_after_the_schedule_and_can_be_retried(
    engine, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    webhook_receiver.default = 503
    _hook(engine, webhook_receiver.url())
    _open(engine, settings)
    now = datetime.now(UTC)
    for _ in range(MAX_ATTEMPTS):
        dispatch_due(engine, settings, now)
        now += timedelta(hours=13)  # beyond the longest step (10 h + 20 %)
    assert len(webhook_receiver.received) == MAX_ATTEMPTS
    with session_scope(engine) as session:
        (row,) = session.scalars(sa.select(Delivery)).all()
        assert (row.status, row.attempts) == ("dead", MAX_ATTEMPTS)
        assert row.last_error == "http 503 Service Unavailable"
    assert dispatch_due(engine, settings, now).retrying == 0  # dead stays dead

    webhook_receiver.default = 200
    with session_scope(engine) as session:
        retry_delivery(session, row.id, now)
    assert dispatch_due(engine, settings, now).sent == 1
    assert len({r.headers["webhook-id"] for r in webhook_receiver.received}) == 1


def test_key_rotation_sends_one_signature_per_secret(
    engine, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    new = "whsec_" + base64.b64encode(b"a brand new signing key, 32 b!!").decode()
    _hook(engine, webhook_receiver.url(), secret=f"{SECRET} {new}")
    _open(engine, settings)

    dispatch_due(engine, settings)

    (got,) = webhook_receiver.received
    assert len(got.headers["webhook-signature"].split()) == 2
    assert standard_webhooks_verify(SECRET, got.headers, got.body)
    assert standard_webhooks_verify(new, got.headers, got.body)
    assert not standard_webhooks_verify(
        "whsec_" + base64.b64encode(b"x" * 32).decode(), got.headers, got.body
    )


def test_updates_alert_only_subscriptions_that_ask_for_them(
    engine, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    _hook(engine, webhook_receiver.url("/quiet"), name="quiet")
    _hook(engine, webhook_receiver.url("/chatty"), name="chatty", filters=Filters(updates=True))
    event_id = _open(engine, settings)
    for outlet in ("second.example", "third.example"):
        with session_scope(engine) as session:
            from monitor.models import Event

            event = session.get(Event, event_id)
            add_report(session, event, outlet, "Twitter bans RT ads, too")
            event.article_count += 1
            event.outlet_count += 1
            enqueue_event_alerts(session, event, "event.updated", settings)

    dispatch_due(engine, settings)

    paths = sorted((r.path, r.json["type"]) for r in webhook_receiver.received)
    assert paths == [
        ("/chatty", "event.opened"),
        ("/chatty", "event.updated"),
        ("/chatty", "event.updated"),
        ("/quiet", "event.opened"),
    ]
    last = max(webhook_receiver.received, key=lambda r: r.json["event"]["outlet_count"])
    assert last.json["event"]["outlet_count"] == 3


def test_apprise_url_delivers_through_apprise(
    engine, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    host, port = webhook_receiver.server.server_address[:2]
    with session_scope(engine) as session:
        create_subscription(
            session, name="chat", channel="apprise", address=f"json://{host}:{port}/apprise"
        )
    _open(engine, settings, target="Sputnik")

    assert dispatch_due(engine, settings).sent == 1

    (got,) = webhook_receiver.received
    assert got.path == "/apprise"
    assert got.json["title"] == "[banwatch] Twitter — ad ban — Sputnik"
    assert "*Sputnik*" in got.json["message"]


def test_apprise_failure_is_recorded_and_retried(engine, tmp_path: Path) -> None:
    from tests.alert_servers import free_port

    settings = make_settings(tmp_path, alerts={"timeout": 5})
    with session_scope(engine) as session:
        create_subscription(
            session,
            name="chat",
            channel="apprise",
            address=f"json://127.0.0.1:{free_port()}/closed",
        )
    _open(engine, settings)

    assert dispatch_due(engine, settings).retrying == 1
    with session_scope(engine) as session:
        (row,) = session.scalars(sa.select(Delivery)).all()
        assert row.status == "pending" and "apprise json://127.0.0.1" in (row.last_error or "")


@pytest.mark.parametrize(
    ("secret", "verifier", "ok"),
    [
        (SECRET, SECRET, True),
        (f"whsec_{base64.b64encode(b'old').decode()} {SECRET}", SECRET, True),
        ("plain-text-secret", "plain-text-secret", True),
        (SECRET, "whsec_" + base64.b64encode(b"other").decode(), False),
    ],
)
def test_sign_and_verify_table(secret: str, verifier: str, ok: bool) -> None:
    body = json.dumps({"type": "event.opened"}).encode()
    stamp = int(datetime.now(UTC).timestamp())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, "msg_1", stamp, body),
    }
    assert verify(verifier, headers, body) is ok
    assert verify(verifier, {**headers, "webhook-timestamp": str(stamp - 3600)}, body) is False


def test_the_readme_receiver_accepts_our_signatures_and_rejects_others() -> None:
    """The ten-line receiver in README.md, run as written (on a free port)."""
    import re
    import threading
    from http.server import HTTPServer

    from monitor.alerts.channel import Message
    from monitor.alerts.webhook import WebhookChannel

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(import base64.*?)```", readme, flags=re.DOTALL)
    lines = code.strip().splitlines()
    assert len(lines) <= 13 and lines[-1].startswith("HTTPServer(")
    namespace: dict[str, object] = {}
    exec("\n".join(lines[:-1]), namespace)  # everything but serve_forever()
    secret = re.search(r'"(whsec_[^"]+)"', code).group(1)  # type: ignore[union-attr]
    server = HTTPServer(("127.0.0.1", 0), namespace["Hook"])  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        message = Message(
            id="msg_readme",
            kind="event.opened",
            subject="s",
            text="t",
            html="h",
            payload={"type": "event.opened", "event": {"id": 1}},
        )
        assert WebhookChannel(url, secret).send(message).detail == "http 204"
        wrong = "whsec_" + base64.b64encode(b"not the key").decode()
        assert WebhookChannel(url, wrong).send(message).detail.startswith("http 401")
    finally:
        server.shutdown()
        server.server_close()
