"""settings.toml + environment -> one frozen, validated ``Settings`` object.

This is the only module that reads the environment. Everything else receives the
``Settings`` it needs as an argument.

    settings = load_settings(Path("settings.toml"))          # reads BANWATCH_* too
    settings.database.url                                      # 'sqlite:///banwatch.db'

A wrong key or value raises ``ConfigError`` with one line naming the key, the value and
what was expected, e.g.::

    settings.toml: feeds[2].interval = 'soon': expected seconds or a duration like '15m'
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.errors import ConfigError
from monitor.settings_file import ENV_PREFIX, anchor_sqlite, database_url, read_settings_file

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# No duration banwatch uses (timeouts, intervals, windows, backoff) is longer than a year;
# a larger one is a typo, and an infinite or NaN one breaks the timers it reaches.
MAX_DURATION = 366 * 86400.0


def parse_duration(value: Any, *, allow_zero: bool = False) -> float:
    """Seconds from a number or a string such as ``"90"``, ``"15m"``, ``"2h"``, ``"1d"``."""
    if isinstance(value, bool):
        raise ValueError("expected seconds or a duration like '15m', not true/false")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNIT_SECONDS[(m.group(2) or "s").lower()]
    else:
        raise ValueError("expected seconds or a duration like '15m'")
    if not math.isfinite(seconds):
        raise ValueError("expected a finite duration")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ValueError("expected a positive duration" + (" or 0" if allow_zero else ""))
    if seconds > MAX_DURATION:
        raise ValueError("expected a duration of at most 366 days")
    return seconds


def _not_bool(value: Any) -> Any:
    """TOML's true/false are not numbers (pydantic would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


MAX_SINCE = dt.timedelta(days=3660)


def parse_since(value: str, now: dt.datetime | None = None) -> dt.datetime:
    """A ``since`` filter as the moment it names, for the CLI and the web alike: a duration
    back from ``now`` (``7d``, ``36h``, ``90m``; at most ten years) or a date or ISO
    date-time (UTC when it names no zone). Raises ``ValueError`` saying what was expected."""
    text = value.strip()
    match = _DURATION.match(text)
    if match is None or match.group(2) is None:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("expected a duration like 7d, 36h or 90m, or a date") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds > MAX_SINCE.total_seconds():
        raise ValueError(f"expected at most ten years ({MAX_SINCE.days}d)")
    return (now or dt.datetime.now(dt.UTC)) - dt.timedelta(seconds=seconds)


def _parse_pause(value: Any) -> float:
    return parse_duration(value, allow_zero=True)


Duration = Annotated[float, BeforeValidator(parse_duration)]
# A pause that may be switched off with 0 (e.g. the delay between requests).
Pause = Annotated[float, BeforeValidator(_parse_pause)]
# Numbers: never a boolean; floats finite (``allow_inf_nan`` is off for every section).
Int = Annotated[int, BeforeValidator(_not_bool)]
Float = Annotated[float, BeforeValidator(_not_bool)]


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class DatabaseSettings(_Section):
    url: str = "sqlite:///banwatch.db"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        return database_url(v)


class FeedSettings(_Section):
    name: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    interval: Duration = 900.0
    enabled: bool = True


class SiteSettings(_Section):
    name: str = Field(min_length=1)
    start_urls: list[str] = Field(min_length=1)
    article_links: str | None = None
    article_css: str | None = None
    pagination_css: str | None = None
    depth: Int = Field(default=1, ge=0, le=10)
    interval: Duration = 3600.0
    enabled: bool = True

    @field_validator("article_links")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"expected a regular expression ({exc})") from None
        return v

    @model_validator(mode="after")
    def _has_link_rule(self) -> SiteSettings:
        if not (self.article_links or self.article_css):
            raise ValueError("expected article_links (a URL regex) or article_css")
        return self


class SitemapSettings(_Section):
    name: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    interval: Duration = 3600.0
    lastmod_window: Duration = 172800.0
    enabled: bool = True


class CrawlerSettings(_Section):
    user_agent: str = "banwatch/0.1 (+https://github.com/banwatch/banwatch)"
    contact_url: str = "https://github.com/banwatch/banwatch"
    obey_robots: bool = True
    timeout: Duration = 20.0
    max_size: Int = Field(default=5 * 1024 * 1024, gt=0, le=1024 * 1024 * 1024)
    concurrency_per_domain: Int = Field(default=2, ge=1, le=64)
    concurrency: Int = Field(default=16, ge=1, le=512)
    download_delay: Pause = 0.5
    autothrottle: bool = True
    retries: Int = Field(default=2, ge=0, le=10)
    min_interval: Duration = 300.0
    max_interval: Duration = 86400.0
    backoff_base: Duration = 300.0
    backoff_max: Duration = 86400.0
    failing_after: Duration = 86400.0
    redis_url: str | None = None
    worker_idle: Duration = 10.0  # `crawl --worker` exits after the shared queue idles this long
    httpcache: bool = False
    tick: Duration = 60.0
    # The crawl frontier (monitor.frontier): how long a crawl holds the article pages it
    # took before another may take them, and how a page that failed is retried.
    frontier_lease: Duration = 900.0
    page_attempts: Int = Field(default=5, ge=1, le=100)
    page_retry_base: Duration = 60.0
    page_retry_max: Duration = 21600.0
    # New entries taken from one feed per poll, newest first; more wait for the next poll.
    max_entries: Int = Field(default=500, ge=1, le=100_000)
    # A feed's parse (in a child process) is stopped after this long: the feed fails alone.
    parse_timeout: Duration = 30.0


class NetworkSettings(_Section):
    """``[network] allow``: hosts, addresses or CIDR networks that may be private/loopback.

    Everything else a feed entry, a redirect or the web form points at must be public
    (``monitor.net``); the hosts of configured sources and alert addresses are trusted."""

    allow: list[str] = Field(default_factory=list)

    @field_validator("allow")
    @classmethod
    def _hosts_or_networks(cls, v: list[str]) -> list[str]:
        import ipaddress

        for entry in v:
            text = entry.strip()
            if "/" in text:
                try:
                    ipaddress.ip_network(text, strict=False)
                except ValueError:
                    raise ValueError(
                        f"{entry!r}: expected a host, an address or a CIDR network "
                        "such as '10.1.0.0/16'"
                    ) from None
            elif not text or not re.fullmatch(r"\[?[A-Za-z0-9._:%-]+\]?", text):
                raise ValueError(
                    f"{entry!r}: expected a host, an address or a CIDR network "
                    "such as '10.1.0.0/16'"
                )
        return v


class ClassifierSettings(_Section):
    threshold: Float = Field(default=0.5, ge=0.0, le=1.0)
    watchlist: list[str] = Field(default_factory=list)
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    platforms: dict[str, list[str]] = Field(default_factory=dict)


class EventSettings(_Section):
    window: Duration = 14 * 86400.0
    alert_on_update: bool = False


class SmtpSettings(_Section):
    host: str | None = None
    port: Int = Field(default=587, ge=1, le=65535)
    from_: str = Field(default="banwatch@localhost", alias="from")
    username: str | None = None
    password_env: str | None = None
    password: str | None = Field(default=None, exclude=True, repr=False)
    starttls: bool = True
    tls: bool = False
    timeout: Duration = 30.0
    maildir: str = "mail"


class SubscriptionSettings(_Section):
    name: str = Field(min_length=1)
    channel: Literal["email", "webhook", "apprise"]
    address: str = Field(min_length=1)
    secret_env: str | None = None
    secret: str | None = Field(default=None, exclude=True, repr=False)
    mode: Literal["instant", "digest", "both"] = "instant"
    platforms: list[str] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list)
    targets: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    min_score: Float = Field(default=0.0, ge=0.0, le=1.0)
    updates: bool = False


class AlertSettings(_Section):
    """The outbox dispatcher: per-send timeout (webhook, Apprise) and rows per pass."""

    timeout: Duration = 15.0
    batch: Int = Field(default=200, ge=1, le=10_000)


class DigestSettings(_Section):
    time: dt.time = dt.time(8, 0)
    timezone: str = "UTC"
    send_empty: bool = True
    enabled: bool = True

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "expected an IANA time zone such as 'UTC' or 'Europe/Berlin'"
            ) from None
        return v

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ScheduleSettings(_Section):
    dispatch_interval: Duration = 30.0
    housekeeping_interval: Duration = 3600.0
    crawl_timeout: Duration = 1800.0


class DaemonSettings(_Section):
    """``[daemon] http``: where ``banwatch run`` serves /healthz and /metrics (off unset)."""

    http: str | None = None

    @field_validator("http")
    @classmethod
    def _host_port(cls, v: str | None) -> str | None:
        if v is None:
            return v
        host, _, port = v.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("expected HOST:PORT such as '127.0.0.1:9464'")
        return v


class WebSettings(_Section):
    """``banwatch serve``: where it listens, the public address its links use, the admin
    token (``BANWATCH_ADMIN_TOKEN`` only, never in the file) and the limit on subscriptions
    made from the web form per client address."""

    base_url: str | None = None
    host: str = "127.0.0.1"
    port: Int = Field(default=8080, ge=1, le=65535)
    admin_token: str | None = Field(default=None, exclude=True)
    subscribe_limit: Int = Field(default=5, ge=1, le=10_000)
    subscribe_window: Duration = 3600.0

    @field_validator("base_url")
    @classmethod
    def _public_address(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"(?i)^https?://[^\s/?#]+(/[^\s?#]*)?$", value):
            raise ValueError(
                "expected the public http(s) address of the web app, like https://banwatch.example.org"
            )
        return value.rstrip("/") if value else value


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    json_: bool = Field(default=False, alias="json")


class Settings(_Section):
    """Everything banwatch is configured with; built once by ``load_settings``."""

    path: Path | None = Field(default=None, exclude=True)
    database: DatabaseSettings = DatabaseSettings()
    feeds: list[FeedSettings] = Field(default_factory=list)
    sites: list[SiteSettings] = Field(default_factory=list)
    sitemaps: list[SitemapSettings] = Field(default_factory=list)
    crawler: CrawlerSettings = CrawlerSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    events: EventSettings = EventSettings()
    smtp: SmtpSettings = SmtpSettings()
    subscriptions: list[SubscriptionSettings] = Field(default_factory=list)
    alerts: AlertSettings = AlertSettings()
    digest: DigestSettings = DigestSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    web: WebSettings = WebSettings()
    daemon: DaemonSettings = DaemonSettings()
    logging: LoggingSettings = LoggingSettings()
    network: NetworkSettings = NetworkSettings()

    @model_validator(mode="after")
    def _unique_names(self) -> Settings:
        for key in ("feeds", "sites", "sitemaps", "subscriptions"):
            seen: set[str] = set()
            for i, entry in enumerate(getattr(self, key)):
                if entry.name in seen:
                    raise ValueError(f"{key}[{i}].name = {entry.name!r}: expected a unique name")
                seen.add(entry.name)
        return self

    @property
    def base_dir(self) -> Path:
        """Folder relative paths in the settings (maildir, sqlite file) are taken from."""
        return self.path.parent if self.path else Path.cwd()


def load_settings(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    missing_ok: bool = True,
) -> Settings:
    """Read settings.toml (if present) and overlay the environment.

    Environment: ``BANWATCH_DATABASE_URL`` replaces ``[database] url``; ``BANWATCH_REDIS_URL``
    replaces ``[crawler] redis_url``; ``[smtp] password_env`` and each subscription's
    ``secret_env`` name the variables holding those secrets.
    """
    env = os.environ if env is None else env
    data, source = read_settings_file(path, env, missing_ok=missing_ok)
    return settings_from_dict(data, env, source=source)


def secret_from_env(var: str, env: Mapping[str, str] | None = None) -> str:
    """The secret held by environment variable ``var`` (``banwatch subscribe --secret-env``)."""
    env = os.environ if env is None else env
    if not env.get(var):
        raise ConfigError(
            f"--secret-env {var}: expected the environment variable {var} "
            "to hold the signing secret"
        )
    return env[var]


def settings_from_dict(
    data: Mapping[str, Any], env: Mapping[str, str] | None = None, *, source: Path | None = None
) -> Settings:
    """Validate a parsed TOML document (plus environment) into ``Settings``."""
    env = os.environ if env is None else env
    label = str(source) if source else "settings"
    _no_inline_secrets(data, label)
    data = _overlay_env(dict(data), env, source)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_one_line(label, exc)) from None
    except RecursionError:
        raise ConfigError(f"{label}: values nested too deeply to read") from None
    if source is not None:
        settings = settings.model_copy(update={"path": source.resolve()})
    return settings


def _no_inline_secrets(data: Mapping[str, Any], label: str) -> None:
    """A secret written into settings.toml ends up in backups, diffs and bug reports; the
    documented way is an environment variable named by ``*_env``."""
    smtp = data.get("smtp")
    if isinstance(smtp, Mapping) and "password" in smtp:
        raise ConfigError(
            f"{label}: smtp.password = '****': expected the password in an environment "
            "variable named by smtp.password_env, not written in the file"
        )
    subs = data.get("subscriptions")
    for i, sub in enumerate(subs if isinstance(subs, list) else []):
        if isinstance(sub, Mapping) and "secret" in sub:
            raise ConfigError(
                f"{label}: subscriptions[{i}].secret = '****': expected the signing secret "
                f"in an environment variable named by subscriptions[{i}].secret_env, "
                "not written in the file"
            )


def _overlay_env(
    data: dict[str, Any], env: Mapping[str, str], source: Path | None
) -> dict[str, Any]:
    label = str(source) if source else "settings"
    # A section that is no table (``database = 3``) is left for validation to refuse.
    if env.get(ENV_PREFIX + "DATABASE_URL") and isinstance(data.get("database", {}), dict):
        data["database"] = {**data.get("database", {}), "url": env[ENV_PREFIX + "DATABASE_URL"]}
    if env.get(ENV_PREFIX + "REDIS_URL") and isinstance(data.get("crawler", {}), dict):
        data["crawler"] = {**data.get("crawler", {}), "redis_url": env[ENV_PREFIX + "REDIS_URL"]}
    if env.get(ENV_PREFIX + "LOG_LEVEL") and isinstance(data.get("logging", {}), dict):
        data["logging"] = {
            **data.get("logging", {}),
            "level": env[ENV_PREFIX + "LOG_LEVEL"].upper(),
        }
    web = data.get("web")
    if isinstance(web, dict) and "admin_token" in web:
        raise ConfigError(
            f"{label}: web.admin_token: expected the token in the environment "
            f"variable {ENV_PREFIX}ADMIN_TOKEN, not in the file"
        )
    if env.get(ENV_PREFIX + "ADMIN_TOKEN"):
        data["web"] = {**data.get("web", {}), "admin_token": env[ENV_PREFIX + "ADMIN_TOKEN"]}
    smtp = data.get("smtp")
    if isinstance(smtp, dict) and smtp.get("password_env"):
        smtp = dict(smtp)
        smtp["password"] = env.get(str(smtp["password_env"]))
        data["smtp"] = smtp
    subs = data.get("subscriptions")
    if isinstance(subs, list):
        resolved = []
        for i, sub in enumerate(subs):
            if isinstance(sub, dict) and sub.get("secret_env"):
                var = str(sub["secret_env"])
                if not env.get(var):
                    raise ConfigError(
                        f"{label}: subscriptions[{i}].secret_env = {var!r}: "
                        f"expected the environment variable {var} to hold the signing secret"
                    )
                sub = {**sub, "secret": env[var]}
            resolved.append(sub)
        data["subscriptions"] = resolved
    # Resolve a relative SQLite path against the settings file's folder, so the daemon
    # finds the same database whatever its working directory.
    db = data.get("database")
    if source is not None and isinstance(db, dict) and isinstance(db.get("url"), str):
        data["database"] = {**db, "url": anchor_sqlite(db["url"], source.resolve().parent)}
    return data


def _one_line(label: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ""
    for part in err["loc"]:
        loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    if err["type"] == "extra_forbidden":
        return f"{label}: {loc}: unknown key (check its spelling and section)"
    if "input" in err and err["type"] != "missing":
        value = err["input"]
        shown = repr(value) if not isinstance(value, dict) else "{...}"
        if len(shown) > 80:
            shown = shown[:77] + "..."
        if loc:
            return f"{label}: {loc} = {shown}: {msg.lower() if msg[:1].isupper() else msg}"
        return f"{label}: {msg}"
    return f"{label}: {loc}: {msg.lower()}"
