"""settings.toml that is wrong in ways a typo or a hostile file can be: one line each,
naming the key, the value and what was expected; never a traceback, never a hang."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import load_settings
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[crawler]\ntimeout = nan", "crawler.timeout = nan: expected a finite duration"),
        ("[crawler]\ntimeout = inf", "crawler.timeout = inf: expected a finite duration"),
        ("[crawler]\ntimeout = -inf", "crawler.timeout = -inf: expected a finite duration"),
        ("[crawler]\ntimeout = -5", "crawler.timeout = -5: expected a positive duration"),
        ("[crawler]\ndownload_delay = -0.5", "crawler.download_delay = -0.5: expected a positive"),
        (
            "[crawler]\nmax_interval = '9999d'",
            "crawler.max_interval = '9999d': expected a duration of at most 366 days",
        ),
        (
            "[schedule]\ncrawl_timeout = 1e300",
            "schedule.crawl_timeout = 1e+300: expected a duration of at most",
        ),
        (
            "[crawler]\ntimeout = true",
            "crawler.timeout = True: expected seconds or a duration like '15m', not true/false",
        ),
        ("[crawler]\nretries = true", "crawler.retries = True: expected a number, not true/false"),
        (
            "[crawler]\nmax_size = false",
            "crawler.max_size = False: expected a number, not true/false",
        ),
        ("[crawler]\nmax_size = -1", "crawler.max_size = -1: input should be greater than 0"),
        (
            "[crawler]\nmax_entries = 0",
            "crawler.max_entries = 0: input should be greater than or equal to 1",
        ),
        (
            "[classifier]\nthreshold = nan",
            "classifier.threshold = nan: input should be a finite number",
        ),
        (
            "[classifier]\nthreshold = true",
            "classifier.threshold = True: expected a number, not true/false",
        ),
        ("[web]\nport = 70000", "web.port = 70000: input should be less than or equal to 65535"),
        (
            "[[feeds]]\nname = 'a'\nurl = 'https://a.example/f'\ninterval = nan",
            "feeds[0].interval = nan: expected a finite duration",
        ),
    ],
)
def test_bad_numbers_and_durations_are_one_line(tmp_path: Path, toml: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(_write(tmp_path, toml), env={})
    message = str(info.value)
    assert expected in message, message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[smtp]\nhost = 'mail.example'\npassword = 'hunter2'", "smtp.password"),
        (
            "[[subscriptions]]\nname = 'h'\nchannel = 'webhook'\n"
            "address = 'https://h.example/x'\nsecret = 'whsec_abc'",
            "subscriptions[0].secret",
        ),
    ],
)
def test_secrets_written_inline_are_refused(tmp_path: Path, toml: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(_write(tmp_path, toml), env={})
    message = str(info.value)
    assert f"{key} = '****'" in message and "_env" in message
    assert "hunter2" not in message and "whsec_abc" not in message


def test_a_deeply_nested_value_is_one_line(tmp_path: Path) -> None:
    depth = 100_000
    path = _write(tmp_path, "x = " + "[" * depth + "]" * depth + "\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_settings(path, env={})


def test_a_directory_is_not_a_settings_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"a directory: expected a settings\.toml file"):
        load_settings(tmp_path, env={})


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "settings.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_settings(fifo, env={})


def test_the_cli_prints_one_line_for_a_fifo_and_a_nested_value(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    nested = _write(tmp_path, "x = " + "{a=" * 50_000 + "1" + "}" * 50_000 + "\n")
    for path in (fifo, nested):
        run = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "--config", str(path), "status"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
        )
        assert run.returncode == 2, run.stderr
        assert "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr
