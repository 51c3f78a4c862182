"""The alert verbs end to end through Click: subscribe, subscriptions, unsubscribe,
deliveries (and retry), digest; settings.toml subscriptions mirrored into the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from monitor.alerts.outbox import enqueue_event_alerts
from monitor.alerts.subscriptions import sync_config_subscriptions, unsubscribe_by_token
from monitor.cli import main
from monitor.config import load_settings, settings_from_dict
from monitor.db import open_database, session_scope
from monitor.models import Delivery, Subscription
from tests.alert_servers import WebhookReceiver, make_event


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(
        f"""
[database]
url = "{db_url}"

[smtp]
maildir = "mail"

[digest]
time = "08:00"
timezone = "UTC"

[[subscriptions]]
name = "ops-hook"
channel = "webhook"
address = "https://hooks.example.org/banwatch"
secret_env = "OPS_SECRET"
mode = "both"
platforms = ["Twitter"]
""",
        encoding="utf-8",
    )
    return path


def _run(config: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(
        main, ["--config", str(config), *args], env={"OPS_SECRET": "whsec_c2VjcmV0", **(env or {})}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_subscribe_list_and_unsubscribe(config: Path) -> None:
    _run(config, "init")  # mirrors settings.toml's ops-hook; listing verbs only read
    out = _run(
        config,
        "subscribe",
        "analyst",
        "--channel",
        "email",
        "--address",
        "me@example.org",
        "--platform",
        "Twitter",
        "--target",
        "RT",
        "--keyword",
        "ads",
        "--min-score",
        "0.6",
    )
    assert "subscribed analyst: email instant" in out
    assert "platforms=Twitter targets=RT keywords=ads min_score=0.6" in out
    out = _run(
        config,
        "subscribe",
        "hook",
        "--channel",
        "webhook",
        "--address",
        "https://hooks.example.org/x",
    )
    assert "webhook signing secret (shown once): whsec_" in out

    rows = json.loads(_run(config, "subscriptions", "--json"))
    by_name = {r["name"]: r for r in rows}
    assert sorted(by_name) == ["analyst", "hook", "ops-hook"]
    assert by_name["analyst"]["filters"]["targets"] == ["RT"]
    assert by_name["hook"]["secret"].endswith("****")  # masked
    assert by_name["ops-hook"]["from_config"] is True
    assert by_name["ops-hook"]["mode"] == "both"

    assert "removed analyst" in _run(config, "unsubscribe", "analyst")
    assert "switched off ops-hook" in _run(config, "unsubscribe", "ops-hook")
    rows = {r["name"]: r for r in json.loads(_run(config, "subscriptions", "--json"))}
    assert sorted(rows) == ["hook", "ops-hook"]
    assert rows["ops-hook"]["active"] is False  # settings.toml still declares it


def test_bad_input_is_one_clean_line(config: Path) -> None:
    env = {"OPS_SECRET": "whsec_c2VjcmV0"}
    result = CliRunner().invoke(
        main,
        [
            "--config",
            str(config),
            "subscribe",
            "x",
            "--channel",
            "email",
            "--address",
            "not-an-address",
        ],
        env=env,
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "banwatch: error: subscription 'x': address = 'not-an-address': expected a mail address"
    ]
    result = CliRunner().invoke(
        main,
        [
            "--config",
            str(config),
            "subscribe",
            "x",
            "--channel",
            "webhook",
            "--address",
            "https://h.example.org",
            "--secret-env",
            "NOPE_NOT_SET",
        ],
        env=env,
    )
    assert result.exit_code == 2 and "NOPE_NOT_SET" in result.output


def test_deliveries_listing_and_retry(config: Path, webhook_receiver: WebhookReceiver) -> None:
    settings = load_settings(config, {"OPS_SECRET": "whsec_c2VjcmV0"})
    _run(config, "subscribe", "hook", "--channel", "webhook", "--address", webhook_receiver.url())
    engine = open_database(settings.database.url)
    with session_scope(engine) as session:
        event = make_event(session)
        enqueue_event_alerts(session, event, "event.opened", settings)
        row = session.scalars(sa.select(Delivery)).one()
        row.status = "dead"
        row.last_error = "http 503 Service Unavailable"
    engine.dispose()

    dead = json.loads(_run(config, "deliveries", "--status", "dead", "--json"))
    assert [(d["subscription"], d["kind"], d["last_error"]) for d in dead] == [
        ("hook", "event.opened", "http 503 Service Unavailable")
    ]
    assert "queued again (msg_" in _run(config, "deliveries", "retry", str(dead[0]["id"]))
    (again,) = json.loads(_run(config, "deliveries", "--json"))
    assert again["status"] == "pending" and again["attempts"] == 0


def test_digest_verb_prints_each_format(config: Path) -> None:
    text = _run(config, "digest", "--date", "2020-01-02")
    assert "banwatch daily digest for 2020-01-02" in text
    assert "No new enforcement actions." in text
    data = json.loads(_run(config, "digest", "--date", "2020-01-02", "--format", "json"))
    assert data["empty"] is True and data["date"] == "2020-01-02"
    assert _run(config, "digest", "--format", "html").startswith("<!doctype html>")


def test_config_subscriptions_sync_and_unsubscribe_link(db_url: str) -> None:
    settings = settings_from_dict({}, {})
    declared = settings_from_dict(
        {"subscriptions": [{"name": "a", "channel": "email", "address": "a@example.org"}]}, {}
    )
    engine = open_database(db_url)
    with session_scope(engine) as session:
        assert sync_config_subscriptions(session, declared).added == 1
        assert sync_config_subscriptions(session, declared).updated == 0
        row = session.scalars(sa.select(Subscription)).one()
        token = f"{row.id}.{row.token}"
        assert unsubscribe_by_token(session, row.token or "") is None  # the secret alone
        assert unsubscribe_by_token(session, f"{row.id}.{'A' * 32}") is None
        assert unsubscribe_by_token(session, "wrong") is None
        assert unsubscribe_by_token(session, token).active is False  # type: ignore[union-attr]
    # Dropped from the file: switched off, history kept; declared again: back on.
    with session_scope(engine) as session:
        assert sync_config_subscriptions(session, settings).removed == 0  # already off
        row = session.scalars(sa.select(Subscription)).one()
        row.active, row.disabled_reason = True, None
    with session_scope(engine) as session:
        assert sync_config_subscriptions(session, settings).removed == 1
    with session_scope(engine) as session:
        sync_config_subscriptions(session, declared)
        row = session.scalars(sa.select(Subscription)).one()
        assert row.active is True and row.from_config is True
    engine.dispose()
