"""Finding and reading settings.toml, and what the listing verbs need of it, without pydantic.

``monitor.config.load_settings`` reads the file through ``read_settings_file`` and validates
every section into ``Settings``. The listing verbs (``banwatch events``, ``hits``) need only
the database URL and the logging section: ``read_database_settings`` reads those two, and
only when both are plainly valid; anything it cannot vouch for returns ``None`` and the
caller validates the whole file with ``load_settings``, which reports any error in those
sections exactly as every other verb does. Building the pydantic settings classes costs
about as much as the rest of such a verb's own work (bench/cli.py).
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.errors import ConfigError

DEFAULT_CONFIG = Path("settings.toml")
ENV_PREFIX = "BANWATCH_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_DATABASE_URL = "sqlite:///banwatch.db"
DEFAULT_LOG_LEVEL = "WARNING"


def config_path(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    """The settings file to read: --config, else $BANWATCH_CONFIG, else ./settings.toml."""
    if explicit:
        return Path(explicit)
    if env.get(ENV_PREFIX + "CONFIG"):
        return Path(env[ENV_PREFIX + "CONFIG"])
    return DEFAULT_CONFIG


def read_settings_file(
    path: str | os.PathLike[str] | None, env: Mapping[str, str], *, missing_ok: bool = True
) -> tuple[dict[str, Any], Path | None]:
    """The parsed TOML document of the settings file and the file (``None`` when there is
    none and that is allowed: the defaults apply). Raises ``ConfigError`` for a file that is
    named but missing, not a regular file, unreadable or not TOML."""
    file = config_path(path, env)
    if not file.exists():
        if not missing_ok or path is not None or env.get(ENV_PREFIX + "CONFIG"):
            # Named by --config or $BANWATCH_CONFIG: a typo must not run on defaults.
            raise ConfigError(f"{file}: no such settings file")
        return {}, None
    # A directory, a FIFO or a device is no settings file (reading a FIFO would block
    # forever, /dev/zero would never end): say so before opening it.
    try:
        mode = file.stat().st_mode
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise ConfigError(f"{file}: {kind}: expected a settings.toml file")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{file}: values nested too deeply to read") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot be read: {exc}") from None
    return data, file


def database_url(value: str) -> str:
    """``[database] url`` checked and spelled as SQLAlchemy wants it (psycopg 3 for
    PostgreSQL); ``ValueError`` for any other scheme."""
    if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
        raise ValueError("expected a sqlite:/// or postgresql:// URL")
    if value.startswith("postgres:"):
        value = "postgresql:" + value[len("postgres:") :]
    if value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value[len("postgresql://") :]
    return value


def anchor_sqlite(url: str, base: Path) -> str:
    """A relative SQLite path resolved against ``base`` (the settings file's folder), so
    the daemon finds the same database whatever its working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:" and not Path(rest).is_absolute():
            return prefix + str(base / rest)
    return url


@dataclass(frozen=True, slots=True)
class LogSettings:
    """``[logging]`` as the listing verbs read it (``monitor.config.LoggingSettings``'s fields)."""

    level: str = DEFAULT_LOG_LEVEL
    json_: bool = False


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """What a listing verb reads of the settings: where the database is, how to log."""

    url: str
    logging: LogSettings


def read_database_settings(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> DatabaseSettings | None:
    """``[database] url`` and ``[logging]``, with the environment's overrides, as
    ``load_settings`` would read them; ``None`` whenever either section holds anything but
    plainly valid values (the caller then validates with ``load_settings``, which says
    what is wrong). File errors raise ``ConfigError`` as ``load_settings`` does."""
    env = os.environ if env is None else env
    data, source = read_settings_file(path, env)
    database = data.get("database", {})
    logging = data.get("logging", {})
    if not isinstance(database, dict) or not isinstance(logging, dict):
        return None
    if set(database) - {"url", "echo"} or set(logging) - {"level", "json"}:
        return None
    url = env.get(ENV_PREFIX + "DATABASE_URL") or database.get("url")
    level = env.get(ENV_PREFIX + "LOG_LEVEL", "").upper() or logging.get("level", DEFAULT_LOG_LEVEL)
    json_ = logging.get("json", False)
    echo = database.get("echo", False)
    if url is None:
        url = DEFAULT_DATABASE_URL  # as the default is: not anchored to the file's folder
    elif isinstance(url, str) and source is not None:
        url = anchor_sqlite(url, source.resolve().parent)
    if not isinstance(url, str) or not all(type(v) is bool for v in (json_, echo)):
        return None
    if level not in LOG_LEVELS:
        return None
    try:
        url = database_url(url)
    except ValueError:
        return None
    return DatabaseSettings(url=url, logging=LogSettings(level=level, json_=json_))
