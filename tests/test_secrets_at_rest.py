"""Secrets stay out of reach: the SQLite database (webhook secrets, subscribers' addresses)
is the owner's alone, and a password in a URL is masked wherever a URL is printed or
stored as an error (last_error, log lines, status)."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from monitor.db import open_database, session_scope
from monitor.logs import JsonFormatter, KeyValueFormatter
from monitor.masking import mask_passwords
from tests.conftest import LoopbackSite
from tests.crawl_site import banwatch, write_settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_are_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: files would be 0644
    try:
        db = tmp_path / "banwatch.db"
        engine = open_database(f"sqlite:///{db}")
        with session_scope(engine) as session:  # writes: the -wal and -shm files appear
            from monitor.alerts.subscriptions import create_subscription

            create_subscription(
                session, name="hook", channel="webhook", address="https://h.example/x"
            )
        assert _mode(db) == 0o600
        for extra in ("banwatch.db-wal", "banwatch.db-shm"):
            if (tmp_path / extra).exists():
                assert _mode(tmp_path / extra) == 0o600, extra
        assert (tmp_path / "banwatch.db-wal").exists()
        engine.dispose()
    finally:
        os.umask(old)


def test_an_existing_world_readable_database_is_closed_to_others(tmp_path: Path) -> None:
    db = tmp_path / "banwatch.db"
    open_database(f"sqlite:///{db}").dispose()
    os.chmod(db, 0o644)
    open_database(f"sqlite:///{db}").dispose()
    assert _mode(db) & 0o007 == 0


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            "http://u:hunter2@127.0.0.1:9/feed.xml: not a feed",
            "http://u:***@127.0.0.1:9/feed.xml: not a feed",
        ),
        (
            "redirect https://a:b@x.example/ to ftp://c:d@y.example/",
            "redirect https://a:***@x.example/ to ftp://c:***@y.example/",
        ),
        (
            "mail ops@example.org about http://x.example/",
            "mail ops@example.org about http://x.example/",
        ),
    ],
)
def test_passwords_in_text_are_masked(text: str, masked: str) -> None:
    assert mask_passwords(text) == masked
    assert mask_passwords(masked) == masked


def test_log_lines_mask_passwords() -> None:
    record = logging.LogRecord("banwatch.crawl", logging.WARNING, "", 0, "source failed", (), None)
    record.url = "https://reader:hunter2@feeds.example/rss"
    record.error = "https://reader:hunter2@feeds.example/rss: HTTP 401 Unauthorized"
    for formatter in (KeyValueFormatter(), JsonFormatter()):
        line = formatter.format(record)
        assert "hunter2" not in line and "reader:***@" in line


def test_a_failing_feed_with_a_password_is_masked_in_status_and_logs(
    loopback_site: LoopbackSite, tmp_path: Path
) -> None:
    """The feed answers something that is not a feed: its error line quotes the URL."""
    loopback_site.add("/feed.xml", "<html><body>login</body></html>")
    port = loopback_site.server.server_address[1]
    url = f"http://reader:hunter2@127.0.0.1:{port}/feed.xml"
    config = write_settings(
        tmp_path / "settings.toml",
        f"sqlite:///{tmp_path / 'banwatch.db'}",
        crawler={"obey_robots": False, "retries": 0},
        feeds=[{"name": "locked", "url": url}],
    )
    crawl = banwatch(config, "crawl", "feeds", "--json")
    assert crawl.returncode == 4, crawl.stderr  # its one source failed
    assert "source failed" in crawl.stderr and "hunter2" not in crawl.stderr
    status = banwatch(config, "status", "--json")
    assert "hunter2" not in status.stdout
    (source,) = json.loads(status.stdout)["sources"]
    assert source["url"].startswith("http://reader:***@127.0.0.1")
    assert source["last_error"] and "hunter2" not in source["last_error"]
    plain = banwatch(config, "status")
    assert "hunter2" not in plain.stdout
