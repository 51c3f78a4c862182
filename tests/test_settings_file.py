"""What the listing verbs read of the settings without pydantic (``read_database_settings``)
is what ``load_settings`` reads, or nothing: then the verb validates the whole file and
reports what is wrong exactly as every other verb does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.settings_file import read_database_settings

DOCUMENTS = [
    "",
    '[database]\nurl = "sqlite:///relative/bw.db"\n',
    '[database]\nurl = "sqlite:////abs/bw.db"\necho = true\n',
    '[database]\nurl = "sqlite:///:memory:"\n',
    '[database]\nurl = "postgres://u:p@db/bw"\n',
    '[database]\nurl = "postgresql://u@db/bw"\n',
    '[database]\nurl = "postgresql+psycopg://u@db/bw"\n',
    '[database]\nurl = "mysql://u@db/bw"\n',
    "[database]\nurl = 5\n",
    '[database]\necho = "yes"\n',
    '[database]\nurl = "sqlite:///x.db"\nport = 5\n',
    "database = 3\n",
    '[logging]\nlevel = "DEBUG"\njson = true\n',
    '[logging]\nlevel = "debug"\n',
    '[logging]\nlevel = "LOUD"\n',
    "[logging]\njson = 1\n",
    "[logging]\njson_ = true\n",
    '[logging]\ncolour = "red"\n',
    '[crawler]\nredis_url = "redis://localhost/1"\n[logging]\nlevel = "ERROR"\n',
]
ENVIRONMENTS = [
    {},
    {"BANWATCH_DATABASE_URL": "sqlite:///from-env.db"},
    {"BANWATCH_DATABASE_URL": "oracle://nope"},
    {"BANWATCH_DATABASE_URL": ""},
    {"BANWATCH_LOG_LEVEL": "info"},
    {"BANWATCH_LOG_LEVEL": "chatty"},
]


@pytest.mark.parametrize(
    "env", ENVIRONMENTS, ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items())
)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_read_as_load_settings_reads_or_not_at_all(
    tmp_path: Path, document: str, env: dict[str, str]
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(document, encoding="utf-8")
    plain = read_database_settings(path, env)
    try:
        settings = load_settings(path, env)
    except ConfigError:
        assert plain is None  # the caller validates, and says what is wrong
        return
    if plain is not None:
        assert plain.url == settings.database.url
        assert plain.logging.level == settings.logging.level
        assert plain.logging.json_ == settings.logging.json_


def test_plain_settings_are_read_plainly(tmp_path: Path) -> None:
    """The fast path is taken for an ordinary file (else the verbs would be no faster)."""
    path = tmp_path / "settings.toml"
    path.write_text('[database]\nurl = "sqlite:///bw.db"\n[logging]\njson = true\n', "utf-8")
    plain = read_database_settings(path, {})
    assert plain is not None
    assert plain.url == f"sqlite:///{tmp_path.resolve() / 'bw.db'}"
    assert plain.logging.json_ is True


def test_file_errors_are_those_of_load_settings(tmp_path: Path) -> None:
    for path in (tmp_path / "missing.toml", tmp_path):
        with pytest.raises(ConfigError) as plain:
            read_database_settings(path, {})
        with pytest.raises(ConfigError) as full:
            load_settings(path, {})
        assert str(plain.value) == str(full.value)


@pytest.mark.parametrize("verb", ["events", "hits"])
def test_a_listing_reports_a_bad_database_section_as_status_does(tmp_path: Path, verb: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[database]\nurl = "mysql://u@db/bw"\n', encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "monitor.cli", "--config", str(path), *args]
        return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)

    listing, status = run(verb, "--json"), run("status", "--json")
    assert listing.returncode == status.returncode == 2
    assert listing.stderr == status.stderr
    assert "database.url = 'mysql://u@db/bw'" in listing.stderr
