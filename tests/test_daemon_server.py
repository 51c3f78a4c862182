"""The daemon on a server: one scheduler per database, prompt SIGTERM, health and metrics.

Real ``banwatch run`` processes against a loopback site (``tests.daemon_site``):

* two daemons on one database (SQLite and PostgreSQL): the second says so in one line and
  stands by; SIGKILL the first and the second takes over (the time it took is printed);
  ``run --once`` refuses while a daemon runs unless ``--force``;
* SIGTERM while a page is being fetched and while a webhook is in flight: exit status 0
  within 10 s, and what was under way is still there to be done;
* ``status`` exits 1 while a source is failing and 0 once it recovers, 1 for a dead
  delivery or a stale scheduler heartbeat; ``/healthz`` and ``/metrics`` scraped and parsed
  with prometheus-client's parser;
* two fresh databases never give their first events the same webhook-id.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.alert_servers import free_port
from tests.conftest import REPO
from tests.daemon_site import (
    Daemon,
    Db,
    daemon_env,
    serve_news_site,
    serve_receiver,
    wait_for,
    write_config,
)


def _banwatch(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=daemon_env(),
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_a_second_daemon_stands_by_and_takes_over(db_url: str, tmp_path: Path):
    site = serve_news_site(12)
    config = write_config(tmp_path, db_url, site)
    first = Daemon(config, name="first")
    second = None
    try:
        wait_for(lambda: "daemon running" in first.output(), 60, "the first daemon to run")
        second = Daemon(config, name="second")
        wait_for(lambda: "standing by" in second.output(), 60, "the second to stand by")
        assert second.output().strip().splitlines() == [
            "banwatch: another scheduler is active on this database; standing by"
        ]
        once = _banwatch(config, "run", "--once")
        assert once.returncode == 3, once.stderr
        assert once.stderr.strip() == (
            "banwatch: error: a daemon is scheduling this database; "
            "use run --once --force to run anyway"
        )
        assert _banwatch(config, "run", "--once", "--force").returncode == 0
        first.crash()
        killed = time.monotonic()
        wait_for(lambda: "daemon running" in second.output(), 60, "the second to take over")
        takeover = time.monotonic() - killed
        print(f"\ntakeover ({db_url.split(':')[0]}): {takeover:.2f}s after SIGKILL")
        assert takeover < 60
        db = Db(db_url)
        before = len(site.feed_reads)
        wait_for(lambda: len(site.feed_reads) > before, 60, "the new scheduler to poll")
        db.close()
    finally:
        if second is not None and second.alive():
            code, _ = second.stop()
            assert code == 0, second.errors()
        site.server.shutdown()


@pytest.mark.slow
def test_sigterm_during_a_page_fetch_exits_0_within_10s_and_loses_nothing(
    sqlite_url: str, tmp_path: Path
):
    site = serve_news_site(12)
    config = write_config(tmp_path, sqlite_url, site)
    db = Db(sqlite_url)
    site.page_gate.arm()
    daemon = Daemon(config)
    try:
        wait_for(site.page_gate.entered.is_set, 120, "a page fetch in flight")
        code, seconds = daemon.stop()
    finally:
        site.page_gate.open()
    print(f"\nSIGTERM during a page fetch: exit {code} after {seconds:.2f}s")
    assert code == 0, daemon.errors()
    assert seconds < 10
    assert "Traceback" not in daemon.errors()
    again = Daemon(config, name="again")
    try:
        wait_for(lambda: db.articles() == 12, 120, "every article after the restart")
    finally:
        assert again.stop()[0] == 0
        db.close()
        site.server.shutdown()


@pytest.mark.slow
def test_sigterm_during_a_webhook_exits_0_within_10s_and_keeps_the_delivery(
    sqlite_url: str, tmp_path: Path
):
    site = serve_news_site(8, ban_every=4)  # two bans, two reports each
    receiver = serve_receiver()
    config = write_config(tmp_path, sqlite_url, site, receiver.url("/hook"))
    db = Db(sqlite_url)
    receiver.gate.arm()
    daemon = Daemon(config)
    try:
        wait_for(receiver.gate.entered.is_set, 120, "a webhook in flight")
        code, seconds = daemon.stop()
    finally:
        receiver.gate.open()
    print(f"\nSIGTERM during dispatch: exit {code} after {seconds:.2f}s")
    assert code == 0, daemon.errors()
    assert seconds < 10
    (held,) = receiver.ids("/hook")[:1]
    # Not lost: still pending under its claim, to be sent again when the claim ends.
    rows = db.rows(f"SELECT status FROM delivery WHERE idempotency_key = '{held}'")
    assert rows in ([("pending",)], [("sent",)])
    db.close()
    site.server.shutdown()
    receiver.server.shutdown()


def _status(config: Path) -> tuple[int, dict]:
    run = _banwatch(config, "status", "--json")
    return run.returncode, json.loads(run.stdout)


@pytest.mark.slow
def test_status_exit_codes_follow_health(sqlite_url: str, tmp_path: Path, loopback_site):
    loopback_site.add("/feed.xml", "down", status=500, content_type="text/plain")
    site = serve_news_site(1)
    config = write_config(
        tmp_path,
        sqlite_url,
        site,
        feed_url=loopback_site.url("/feed.xml"),
        crawler='failing_after = "1ms"',
    )
    assert _banwatch(config, "init").returncode == 0
    code, report = _status(config)
    assert code == 0 and report["health"] == {"status": "ok", "reasons": []}

    crawl = _banwatch(config, "crawl", "feeds", "--json")
    assert crawl.returncode == 4, crawl.stderr  # the only source it tried failed
    code, report = _status(config)
    assert code == 1
    assert "source 'wire' failing since" in report["health"]["reasons"][0]

    loopback_site.add("/feed.xml", "<rss version='2.0'><channel></channel></rss>",
                      content_type="application/rss+xml")  # fmt: skip
    assert _banwatch(config, "crawl", "feeds", "--source", "wire").returncode == 0
    assert _status(config)[0] == 0

    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO meta (key, value, updated_at) VALUES "
                             "('scheduler', '{\"pid\": 1}', '2020-01-01 00:00:00')"))  # fmt: skip
    code, report = _status(config)
    assert code == 1 and report["health"]["reasons"][0].startswith("scheduler heartbeat stale")
    assert report["scheduler"]["stale"] is True
    engine.dispose()
    site.server.shutdown()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.slow
def test_healthz_and_metrics_are_served_and_parse(db_url: str, tmp_path: Path):
    from prometheus_client.parser import text_string_to_metric_families

    site = serve_news_site(16, ban_every=4)
    receiver = serve_receiver()
    config = write_config(tmp_path, db_url, site, receiver.url("/hook"))
    port = free_port()
    daemon = Daemon(config, "--http", f"127.0.0.1:{port}")
    db = Db(db_url)
    try:
        wait_for(lambda: db.articles() == 16, 120, "the articles")
        wait_for(lambda: len(receiver.ids("/hook")) == 2, 60, "the two alerts")

        def scraped() -> dict[tuple[str, tuple], float] | None:
            status, body = _get(f"http://127.0.0.1:{port}/metrics")
            assert status == 200
            samples = {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(body.decode())
                for s in family.samples
            }
            done = samples.get(("banwatch_articles_stored_total", ()), 0) == 16
            sent = samples.get(("banwatch_deliveries_total", (("result", "sent"),)), 0) == 2
            return samples if done and sent else None

        samples = wait_for(scraped, 60, "the metrics to count the crawl", 0.5)
        assert samples[("banwatch_articles", ())] == 16
        assert samples[("banwatch_pages_fetched_total", ())] >= 17  # the feed and 16 pages
        assert samples[("banwatch_events_opened_total", ())] == 2
        assert samples[("banwatch_verdicts_total", ())] == 4
        assert samples[("banwatch_frontier_pages", (("state", "done"),))] == 16
        assert samples[("banwatch_outbox", (("status", "sent"),))] == 2
        assert samples[("banwatch_crawl_duration_seconds_count", (("kind", "feeds"),))] >= 1
        assert (
            samples[("banwatch_source_last_success_timestamp_seconds", (("source", "wire"),))] > 0
        )
        assert samples[("banwatch_scheduler_heartbeat_timestamp_seconds", ())] > 0

        status, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok", "reasons": []})
        engine = sa.create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE delivery SET status = 'dead' WHERE id = (SELECT min(id) FROM delivery)"))  # fmt: skip
        engine.dispose()
        status, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert (status, json.loads(body)) == (503, {"status": "unhealthy", "reasons": ["1 dead delivery"]})  # fmt: skip
    finally:
        assert daemon.stop()[0] == 0
        db.close()
        site.server.shutdown()
        receiver.server.shutdown()


def test_two_fresh_databases_never_share_a_webhook_id(tmp_path: Path):
    from monitor.alerts.outbox import enqueue_event_alerts
    from monitor.db import open_database, session_scope
    from monitor.models import Delivery, Subscription
    from tests.alert_servers import make_event, make_settings

    keys = []
    for name in ("one", "two"):
        engine = open_database(f"sqlite:///{tmp_path / name}.db")
        settings = make_settings(tmp_path)
        with session_scope(engine) as session:
            session.add(
                Subscription(name="hook", channel="webhook", address="http://127.0.0.1:9/h")
            )
            event = make_event(session)
            enqueue_event_alerts(session, event, "event.opened", settings)
            keys.append(session.scalar(sa.select(Delivery.idempotency_key)))
        engine.dispose()
    assert all(key and key.startswith("msg_") for key in keys)
    assert keys[0] != keys[1]


def test_banwatch_config_naming_a_missing_file_is_an_error(tmp_path: Path):
    missing = tmp_path / "nope.toml"
    run = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "status"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**daemon_env(), "BANWATCH_CONFIG": str(missing)},
    )
    assert run.returncode == 2
    assert run.stderr.strip() == f"banwatch: error: {missing}: no such settings file"


@pytest.mark.slow
def test_run_once_says_when_nothing_was_due(sqlite_url: str, tmp_path: Path):
    site = serve_news_site(3)
    config = write_config(tmp_path, sqlite_url, site)
    config.write_text(config.read_text().replace('interval = "1s"', 'interval = "1h"'))
    first = _banwatch(config, "run", "--once")
    assert first.returncode == 0, first.stderr
    assert "nothing was due" not in first.stdout
    assert "crawl feeds: fetched 4, stored 3" in first.stdout
    second = _banwatch(config, "run", "--once")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().splitlines()[-1] == (
        "nothing was due: no source to poll, no page or alert waiting"
    )
    site.server.shutdown()


def test_a_long_crawl_does_not_warn_on_every_tick(sqlite_url: str, caplog):
    import logging

    from monitor.config import settings_from_dict
    from monitor.db import open_database
    from monitor.scheduler import build_scheduler

    engine = open_database(sqlite_url)
    build_scheduler(settings_from_dict({"database": {"url": sqlite_url}}, {}), engine)
    engine.dispose()
    skipped = (
        'Execution of job "crawl feeds" skipped: maximum number of running instances reached (1)'
    )
    with caplog.at_level(logging.WARNING):
        logging.getLogger("apscheduler.scheduler").warning(skipped)
        logging.getLogger("apscheduler.scheduler").warning("something else")
    assert [r.getMessage() for r in caplog.records] == ["something else"]
