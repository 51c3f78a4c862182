"""Aliases and families wherever a user names a platform or target: ``events``, ``hits``,
``digest``, subscriptions and the JSON API (X is Twitter, Meta covers Facebook and
Instagram, "Russia Today" is RT), and typos refused with the nearest names."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner

from monitor.alerts.filters import Filters
from monitor.alerts.outbox import enqueue_event_alerts
from monitor.alerts.subscriptions import create_subscription
from monitor.cli import main
from monitor.config import settings_from_dict
from monitor.db import open_database, session_scope
from monitor.models import Event
from monitor.web.app import create_app
from tests.test_events import report

T0 = datetime(2024, 9, 16, 12, tzinfo=UTC)


def _fill(db_url: str) -> None:
    """Twitter bans RT and Sputnik ads; Facebook removes Sputnik pages; Instagram labels RT;
    TikTok suspends a local outlet."""
    settings = settings_from_dict({}, env={})
    engine = open_database(db_url)
    with session_scope(engine) as session:
        report(session, settings, ("Twitter", "ad_ban", "RT"), ("Twitter", "ad_ban", "Sputnik"),
               at=T0)  # fmt: skip
        report(session, settings, ("Facebook", "removal", "Sputnik"), at=T0 + timedelta(days=1))
        report(session, settings, ("Instagram", "label", "RT"), at=T0 + timedelta(days=2))
        report(session, settings, ("TikTok", "suspension", "Daily Planet"),
               at=T0 + timedelta(days=3))  # fmt: skip
    engine.dispose()


def _config(tmp_path: Path, db_url: str) -> str:
    config = tmp_path / "settings.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n')
    return str(config)


def _cli(config: str, *args: str) -> tuple[int, str]:
    run = CliRunner().invoke(main, ["--config", config, *args])
    return run.exit_code, run.output


def _pairs(rows: list[dict]) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(r["platform"], r["target"]) for r in rows}


def test_events_by_alias_and_family(db_url: str, tmp_path: Path) -> None:
    _fill(db_url)
    config = _config(tmp_path, db_url)
    code, out = _cli(config, "events", "--json", "--platform", "X")
    assert code == 0, out
    assert _pairs(json.loads(out)) == {("Twitter", "RT")}
    code, out = _cli(config, "events", "--json", "--platform", "Meta")
    assert _pairs(json.loads(out)) == {("Facebook", "Sputnik"), ("Instagram", "RT")}
    code, out = _cli(config, "events", "--json", "--target", "Russia Today")
    assert _pairs(json.loads(out)) == {("Twitter", "RT"), ("Instagram", "RT")}
    code, out = _cli(config, "events", "--json", "--platform", "meta", "--target", "TV-Novosti")
    assert _pairs(json.loads(out)) == {("Instagram", "RT")}
    code, out = _cli(config, "events", "--json", "--action", "Ad ban")
    assert _pairs(json.loads(out)) == {("Twitter", "RT")}


def test_hits_by_alias_and_family(db_url: str, tmp_path: Path) -> None:
    _fill(db_url)
    config = _config(tmp_path, db_url)
    code, out = _cli(config, "hits", "--json", "--platform", "x")
    assert code == 0, out
    assert _pairs(json.loads(out)) == {("Twitter", "RT"), ("Twitter", "Sputnik")}
    code, out = _cli(config, "hits", "--json", "--target", "Rossiya Segodnya")
    assert _pairs(json.loads(out)) == {("Twitter", "Sputnik"), ("Facebook", "Sputnik")}
    code, out = _cli(config, "hits", "--json", "--platform", "Meta", "--target", "Sputnik")
    assert _pairs(json.loads(out)) == {("Facebook", "Sputnik")}


def test_a_misspelt_platform_or_action_is_refused_with_the_nearest_names(
    sqlite_url: str, tmp_path: Path
) -> None:
    config = _config(tmp_path, sqlite_url)
    for verb in ("events", "hits"):
        code, out = _cli(config, verb, "--platform", "Youtub")
        assert code == 2
        assert "platform 'Youtub': not a known platform; did you mean YouTube?" in out
    code, out = _cli(config, "events", "--action", "suspenson")
    assert code == 2 and "did you mean suspension" in out
    code, out = _cli(config, "subscribe", "a", "--channel", "email", "--address",
                     "a@example.org", "--platform", "Youtub")  # fmt: skip
    assert code == 2 and "did you mean YouTube?" in out
    code, out = _cli(config, "subscriptions", "--json")
    assert json.loads(out) == []  # nothing was made


def test_subscribe_stores_canonical_names(sqlite_url: str, tmp_path: Path) -> None:
    config = _config(tmp_path, sqlite_url)
    code, out = _cli(config, "subscribe", "a", "--channel", "email", "--address",
                     "a@example.org", "--platform", "X", "--target", "Russia Today",
                     "--action", "ad ban")  # fmt: skip
    assert code == 0, out
    (row,) = json.loads(_cli(config, "subscriptions", "--json")[1])
    assert row["filters"]["platforms"] == ["Twitter"]
    assert row["filters"]["targets"] == ["RT"]
    assert row["filters"]["actions"] == ["ad_ban"]


def test_a_settings_subscription_with_a_typo_stops_with_one_line(
    sqlite_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(
        f'[database]\nurl = "{sqlite_url}"\n\n[[subscriptions]]\nname = "a"\n'
        'channel = "email"\naddress = "a@example.org"\nplatforms = ["Instagramm"]\n'
    )
    code, out = _cli(str(config), "init")  # sync_config reads the file into the database
    assert code == 2
    assert "subscriptions[0].platforms: platform 'Instagramm'" in out
    assert "did you mean Instagram?" in out


def test_a_meta_subscription_gets_facebook_and_instagram_events(db_url: str) -> None:
    settings = settings_from_dict({}, env={})
    engine = open_database(db_url)
    with session_scope(engine) as session:
        create_subscription(session, name="meta", channel="email", address="m@example.org",
                            filters=Filters(platforms=("Meta",)))  # fmt: skip
        create_subscription(session, name="x", channel="email", address="x@example.org",
                            filters=Filters(platforms=("X",)))  # fmt: skip
        create_subscription(session, name="rt", channel="email", address="r@example.org",
                            filters=Filters(targets=("Russia Today",)))  # fmt: skip
    _fill(db_url)
    got: dict[str, set[str]] = {}
    with session_scope(engine) as session:
        for event in session.query(Event).order_by(Event.id):
            for row in enqueue_event_alerts(session, event, "event.opened", settings):
                got.setdefault(row.subscription.name, set()).add(event.platform)
    assert got == {
        "meta": {"Facebook", "Instagram"},
        "x": {"Twitter"},
        "rt": {"Twitter", "Instagram"},
    }
    engine.dispose()


def test_digest_by_alias(db_url: str, tmp_path: Path) -> None:
    _fill(db_url)
    config = _config(tmp_path, db_url)
    now = datetime.now(UTC)  # the events were stored now: the digest whose window holds now
    day = (now.date() + timedelta(days=0 if now.hour < 8 else 1)).isoformat()
    code, out = _cli(config, "digest", "--date", day, "--format", "json", "--platform", "Meta")
    assert code == 0, out
    assert "Facebook" in out and "Instagram" in out and "Twitter" not in out
    code, out = _cli(config, "digest", "--date", day, "--format", "json", "--target", "RT")
    assert "Instagram" in out and "Twitter" in out and "Facebook" not in out
    code, out = _cli(config, "digest", "--format", "json", "--platform", "Metta")
    assert code == 2 and "did you mean Meta?" in out


@pytest.fixture
def api(db_url: str) -> Iterator[str]:
    _fill(db_url)
    settings = settings_from_dict({"database": {"url": db_url}}, env={})
    engine = open_database(db_url)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=0, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:  # uvicorn's own readiness flag
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def _api(base: str, **query: str) -> set[tuple[str, str]]:
    url = f"{base}/api/events?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(url, timeout=10) as resp:
        return _pairs(json.loads(resp.read()))


def test_api_events_by_alias_and_family(api: str) -> None:
    assert _api(api, platform="X") == {("Twitter", "RT")}
    assert _api(api, platform="Meta") == {("Facebook", "Sputnik"), ("Instagram", "RT")}
    assert _api(api, target="Russia Today") == {("Twitter", "RT"), ("Instagram", "RT")}
    assert _api(api, platform="Facebook", target="Rossiya Segodnya") == {("Facebook", "Sputnik")}
