"""settings.toml + environment -> Settings, and one clear line for every mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import load_settings, parse_duration, settings_from_dict
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_shipped_settings_load_with_real_sources() -> None:
    settings = load_settings(REPO / "settings.toml", env={})
    assert settings.database.url.startswith("sqlite:///")
    assert settings.database.url.endswith("/banwatch.db")
    assert len(settings.feeds) >= 8
    assert all(feed.url.startswith("https://") for feed in settings.feeds)
    assert settings.digest.timezone == "UTC"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(90, 90.0), ("90", 90.0), ("15m", 900.0), ("2h", 7200.0), ("1d", 86400.0), (1.5, 1.5)],
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["soon", "-5m", 0, True, "15 minutes"])
def test_bad_durations_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


def test_environment_database_url_wins(tmp_path: Path) -> None:
    cfg = tmp_path / "settings.toml"
    cfg.write_text('[database]\nurl = "sqlite:///a.db"\n')
    env = {"BANWATCH_DATABASE_URL": "postgresql://u@db.internal/banwatch"}
    settings = load_settings(cfg, env=env)
    assert settings.database.url == "postgresql+psycopg://u@db.internal/banwatch"


def test_relative_sqlite_path_is_anchored_at_the_settings_file(tmp_path: Path) -> None:
    cfg = tmp_path / "conf" / "settings.toml"
    cfg.parent.mkdir()
    cfg.write_text('[database]\nurl = "sqlite:///data/b.db"\n')
    assert load_settings(cfg, env={}).database.url == f"sqlite:///{cfg.parent / 'data' / 'b.db'}"


def test_config_path_from_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "other.toml"
    cfg.write_text('[[feeds]]\nname = "x"\nurl = "https://example.org/feed"\ninterval = "15m"\n')
    settings = load_settings(None, env={"BANWATCH_CONFIG": str(cfg)})
    assert [f.interval for f in settings.feeds] == [900.0]


def test_secrets_come_from_named_variables() -> None:
    data = {
        "smtp": {"host": "mail.example.org", "password_env": "MAILPW"},
        "subscriptions": [
            {
                "name": "hook",
                "channel": "webhook",
                "address": "https://h.example/x",
                "secret_env": "HOOKSECRET",
            }
        ],
    }
    settings = settings_from_dict(data, env={"MAILPW": "pw1", "HOOKSECRET": "s3"})
    assert settings.smtp.password == "pw1"
    assert settings.subscriptions[0].secret == "s3"
    assert "pw1" not in repr(settings.smtp)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            '[[feeds]]\nname = "a"\nurl = "https://x.org/f"\ninterval = "soon"\n',
            "feeds[0].interval = 'soon': expected seconds or a duration like '15m'",
        ),
        ('[databse]\nurl = "x"\n', "databse: unknown key"),
        (
            '[database]\nurl = "mysql://x"\n',
            "database.url = 'mysql://x': expected a sqlite:/// or postgresql:// URL",
        ),
        ('[[feeds]]\nname = "a"\nurl = "ftp://x.org/f"\n', "feeds[0].url = 'ftp://x.org/f'"),
        (
            '[digest]\ntimezone = "Mars/Base"\n',
            "digest.timezone = 'Mars/Base': expected an IANA time zone",
        ),
        ("[classifier]\nthreshold = 3\n", "classifier.threshold = 3"),
        ("[database\n", "not valid TOML"),
        (
            '[[subscriptions]]\nname = "a"\nchannel = "pigeon"\naddress = "x"\n',
            "subscriptions[0].channel = 'pigeon'",
        ),
        (
            (
                '[[subscriptions]]\nname = "a"\nchannel = "webhook"\naddress = "https://h"\n'
                'secret_env = "NOPE_UNSET"\n'
            ),
            "subscriptions[0].secret_env = 'NOPE_UNSET': expected the environment variable",
        ),
        (
            '[[feeds]]\nname = "a"\nurl = "https://x.org/1"\n[[feeds]]\nname = "a"\nurl = "https://x.org/2"\n',
            "feeds[1].name = 'a': expected a unique name",
        ),
    ],
)
def test_mistakes_give_one_line_naming_key_value_and_expectation(
    tmp_path: Path, toml: str, expected: str
) -> None:
    cfg = tmp_path / "settings.toml"
    cfg.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env={})
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(cfg))
    assert expected in message


@pytest.mark.slow
def test_cli_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    cfg = tmp_path / "settings.toml"
    cfg.write_text('[[feeds]]\nname = "a"\nurl = "https://x.org/f"\ninterval = "soon"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--config", str(cfg), "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "Traceback" not in proc.stderr
    assert "feeds[0].interval = 'soon'" in proc.stderr


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such settings file"):
        load_settings(tmp_path / "absent.toml", env={})
