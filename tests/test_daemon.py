"""The daemon keeps running when every source fails, and only one scheduler is active."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.config import load_settings, settings_from_dict
from monitor.db import open_database
from monitor.leadership import release_advisory_lock as release_leadership
from monitor.leadership import try_advisory_lock as try_leadership
from monitor.scheduler import build_scheduler, crawl_job, crawl_kinds
from tests.conftest import LoopbackSite


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Await a state change of another process (polling its database), up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def _status(config: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--config", str(config), "status", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_daemon_survives_failing_sources_and_backs_off(
    loopback_site: LoopbackSite, tmp_path: Path
) -> None:
    broken = loopback_site.add("/feed.xml", "oops", status=500, content_type="text/plain")
    config = tmp_path / "settings.toml"
    config.write_text(
        '[database]\nurl = "sqlite:///banwatch.db"\n\n'
        f'[[feeds]]\nname = "refused"\nurl = "http://127.0.0.1:{_closed_port()}/feed"\n\n'
        f'[[feeds]]\nname = "server error"\nurl = "{broken}"\n\n'
        '[crawler]\ntick = "1s"\nbackoff_base = "1s"\nbackoff_max = "2s"\nretries = 0\n'
        "download_delay = 0\n\n[digest]\nenabled = false\n"
    )
    daemon = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "--config", str(config), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:

        def both_failed_twice() -> bool:
            sources = _status(config)["sources"]
            return len(sources) == 2 and all(s["failures"] >= 2 for s in sources)

        wait_for(both_failed_twice, 120, "each source to fail, back off and be retried")
        assert daemon.poll() is None, "the daemon must keep running"
        sources = {s["name"]: s for s in _status(config)["sources"]}
        assert "500" in sources["server error"]["last_error"]
        assert sources["refused"]["last_error"]
        assert all(s["next_poll"] for s in sources.values())
        assert loopback_site.hits["/feed.xml"] >= 2
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, err
    assert "Traceback" not in err
    # One line per failure, each naming the source.
    failure_lines = [line for line in err.splitlines() if "server error" in line]
    assert failure_lines and all("\n" not in line for line in failure_lines)


def _crawl_child(config: Path) -> int:
    """The pid of the ``banwatch crawl`` child running with ``config``."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(config).encode() in argv and b"crawl" in argv:
                return int(entry.name)
    raise AssertionError(f"no crawl child runs with {config}")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the crawl child through /proc")
def test_a_crawl_killed_by_a_signal_is_one_warning_not_an_error(
    loopback_site: LoopbackSite, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Ctrl-C and systemd signal the daemon's whole process group: a crawl child killed so
    is reported as stopped (its sources stay due), not as a failed crawl with no output."""
    asked, release = threading.Event(), threading.Event()

    def hang(handler) -> None:  # type: ignore[no-untyped-def]
        asked.set()
        release.wait(60)
        handler.send_response(503)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    url = loopback_site.add("/slow.xml", hang)
    config = tmp_path / "settings.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "banwatch.db"}"\n\n'
        f'[[feeds]]\nname = "slow"\nurl = "{url}"\n\n'
        "[crawler]\nobey_robots = false\nretries = 0\ndownload_delay = 0\n"
    )

    settings = load_settings(config)
    outcome: list[str] = []
    crawl = threading.Thread(target=lambda: outcome.append(crawl_job(settings, "feeds", None)))
    try:
        with caplog.at_level(logging.INFO, logger="banwatch.scheduler"):
            crawl.start()
            assert asked.wait(120), "the crawl never asked for its feed"
            os.kill(_crawl_child(config), signal.SIGKILL)
            crawl.join(60)
    finally:
        release.set()
    assert outcome == ["stopped by SIGKILL"]
    records = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert records == [("WARNING", "crawl stopped")]


def test_scheduler_jobs_are_built_from_settings(sqlite_url: str) -> None:
    settings = settings_from_dict(
        {
            "database": {"url": sqlite_url},
            "feeds": [{"name": "f", "url": "https://example.org/feed"}],
            "digest": {"time": "07:30", "timezone": "Europe/Berlin"},
        },
        env={},
    )
    assert crawl_kinds(settings) == ["feeds"]
    engine = open_database(sqlite_url)
    scheduler = build_scheduler(settings, engine)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"housekeeping", "crawl-feeds", "dispatch", "digest"}
    trigger = jobs["digest"].trigger
    assert str(trigger.timezone) == "Europe/Berlin"
    assert "hour='7'" in str(trigger) and "minute='30'" in str(trigger)
    engine.dispose()


@pytest.mark.postgres
def test_only_one_scheduler_holds_the_postgres_lock(postgres_server_url: str) -> None:
    first_engine = open_database(postgres_server_url)
    second_engine = open_database(postgres_server_url, migrate=False)
    leader = try_leadership(first_engine)
    assert leader is not None
    try:
        assert try_leadership(second_engine) is None, "a second scheduler must stand by"
    finally:
        release_leadership(leader)
    successor = try_leadership(second_engine)
    assert successor is not None, "the lock passes on when the leader goes away"
    release_leadership(successor)
    first_engine.dispose()
    second_engine.dispose()
