"""Webhook and Apprise sends pass the address policy (monitor.net).

Addresses the operator chose (settings.toml, the CLI: ``origin = "operator"``) are trusted,
here a receiver on 127.0.0.1. An address typed into the web form (``origin = "web"``) must
be public: refused when the subscription is made, and checked again on the address
actually connected to at each send, so a name that later resolves to a private address
(DNS rebinding) reaches nothing. Only loopback receivers; ``localhost`` is the name that
"turned private"."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.alerts.outbox import dispatch_due, enqueue_event_alerts
from monitor.alerts.subscriptions import create_subscription, list_subscriptions
from monitor.db import open_database, session_scope
from monitor.errors import AddressRefused
from monitor.models import Delivery, Subscription
from tests.alert_servers import WebhookReceiver, make_event, make_settings


@pytest.fixture
def engine(sqlite_url: str):  # type: ignore[no-untyped-def]
    engine = open_database(sqlite_url)
    yield engine
    engine.dispose()


def _subscribe(engine, channel: str, address: str, origin: str) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        create_subscription(session, name="s", channel=channel, address=address, origin=origin)


def _became_web(engine) -> None:  # type: ignore[no-untyped-def]
    """The row was made when its name resolved to a public address; it came from the web."""
    with session_scope(engine) as session:
        session.execute(sa.update(Subscription).values(origin="web"))


def _alert(engine, settings) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        enqueue_event_alerts(session, make_event(session), "event.opened", settings)


def _delivery(engine) -> Delivery:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        row = session.scalars(sa.select(Delivery)).one()
        session.expunge(row)
        return row


@pytest.mark.parametrize(
    ("channel", "address"),
    [
        ("webhook", "http://127.0.0.2:9/hook"),
        ("webhook", "http://169.254.169.254/latest/meta-data/"),
        ("webhook", "http://[fd00:ec2::254]/"),
        ("webhook", "http://localhost:9/hook"),  # a name: resolved and checked
        ("apprise", "json://127.0.0.2:9/hook"),
        ("apprise", "jsons://10.0.0.7/hook"),
    ],
)
def test_web_form_addresses_must_be_public(engine, channel: str, address: str) -> None:
    with pytest.raises(AddressRefused):
        _subscribe(engine, channel, address, "web")
    with session_scope(engine) as session:
        assert session.scalar(sa.select(sa.func.count(Subscription.id))) == 0


def test_operator_webhook_on_loopback_is_delivered(
    engine, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    _subscribe(engine, "webhook", webhook_receiver.url(), "operator")
    with session_scope(engine) as session:
        (row,) = list_subscriptions(session)
        assert row.as_json()["origin"] == "operator"
    _alert(engine, settings)
    assert dispatch_due(engine, settings).sent == 1
    assert len(webhook_receiver.received) == 1


def test_web_webhook_that_turned_private_is_refused_at_send_time(
    engine, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    port = webhook_receiver.server.server_address[1]
    _subscribe(engine, "webhook", f"http://localhost:{port}/hook", "operator")
    _became_web(engine)
    _alert(engine, settings)
    stats = dispatch_due(engine, settings)
    assert (stats.sent, stats.dead) == (0, 1)  # refused: not retried
    assert webhook_receiver.received == []
    row = _delivery(engine)
    assert "refused 127.0.0.1 (loopback)" in (row.last_error or "")


def test_web_webhook_allowed_by_network_allow_is_delivered(
    engine, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, network={"allow": ["127.0.0.1"]})
    _subscribe(engine, "webhook", webhook_receiver.url(), "operator")
    _became_web(engine)
    _alert(engine, settings)
    assert dispatch_due(engine, settings).sent == 1
    assert len(webhook_receiver.received) == 1


def test_web_apprise_target_that_turned_private_is_refused_at_send_time(
    engine, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    port = webhook_receiver.server.server_address[1]
    _subscribe(engine, "apprise", f"json://localhost:{port}/apprise", "operator")
    _became_web(engine)
    _alert(engine, settings)
    stats = dispatch_due(engine, settings)
    assert (stats.sent, stats.dead) == (0, 1)
    assert webhook_receiver.received == []
    assert "refused 127.0.0.1 (loopback)" in (_delivery(engine).last_error or "")


def test_a_webhook_password_is_masked_in_the_error(engine, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    _subscribe(engine, "webhook", "http://user:hunter2@localhost:9/hook", "operator")
    _became_web(engine)
    _alert(engine, settings)
    dispatch_due(engine, settings)
    error = _delivery(engine).last_error or ""
    assert "hunter2" not in error and "user:***@" in error
