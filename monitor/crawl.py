"""Run banwatch's Scrapy spiders in this process: ``banwatch crawl`` and the daemon's crawls.

    stats = run_crawl(settings, "feeds")                 # poll the feeds that are due
    stats = run_crawl(settings, "all", names=["DFRLab"]) # just this source, due or not
    stats.describe()   # 'fetched 12, stored 9, duplicates 1, dropped 2, errors 0, not modified 3'

Scrapy's reactor starts once per process, so the daemon runs each crawl as a child process
(``python -m monitor.cli crawl KIND``). This module never imports the ``crawler`` package:
it loads the Scrapy settings module ``crawler.settings`` by name, overlays what
settings.toml's ``[crawler]`` section says, hands banwatch's ``Settings`` to the spiders as
``BANWATCH_SETTINGS`` and starts the spiders by name through Scrapy's spider loader.

With ``[crawler] redis_url`` set, crawls use scrapy-redis' scheduler and duplicate filter,
so any number of ``banwatch crawl --worker`` processes share one queue and never fetch a
URL twice.
"""

from __future__ import annotations

import gc
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from monitor.config import Settings
from monitor.errors import BanwatchError, ConfigError, FetchError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings as ScrapySettings

log = logging.getLogger("banwatch.crawl")

SPIDERS: dict[str, tuple[str, ...]] = {
    "feeds": ("feeds",),
    "site": ("site",),
    "sitemap": ("sitemap",),
    "all": ("feeds", "site", "sitemap"),
}
_SOURCE_LISTS = {"feeds": "feeds", "site": "sites", "sitemap": "sitemaps"}
_SOURCE_KINDS = {"feeds": "feed", "site": "site", "sitemap": "sitemap"}
_QUIET_LOGGERS = ("scrapy", "twisted", "py.warnings", "filelock", "protego")
# An unreachable robots.txt means "allowed"; the request that follows reports the real error.
_QUIETER = {"scrapy.downloadermiddlewares.robotstxt": logging.CRITICAL}


@dataclass
class CrawlStats:
    """What one crawl did, summed over its spiders."""

    fetched: int = 0  # responses with a body: feeds, section pages, sitemaps, articles
    stored: int = 0  # new articles
    duplicates: int = 0  # articles already stored under another URL or text
    dropped: int = 0  # pages that were not articles (no text, not HTML, ...)
    errors: int = 0  # failed sources plus failed article pages
    not_modified: int = 0  # sources answered 304
    sources_ok: int = 0
    sources_failed: int = 0
    hits: int = 0  # verdicts on new articles
    events_opened: int = 0
    events_updated: int = 0
    events_reversed: int = 0
    pages_given_up: int = 0
    seconds: float = 0.0

    @classmethod
    def from_scrapy(cls, stats: dict[str, Any], seconds: float = 0.0) -> CrawlStats:
        def get(key: str) -> int:
            return int(stats.get(f"banwatch/{key}", 0))

        return cls(
            fetched=get("fetched"),
            stored=get("stored"),
            duplicates=get("duplicates"),
            dropped=get("dropped"),
            errors=get("errors") + int(stats.get("spider_exceptions/count", 0)),
            not_modified=get("not_modified"),
            sources_ok=get("sources_ok"),
            sources_failed=get("sources_failed"),
            hits=get("hits"),
            events_opened=get("events_opened"),
            events_updated=get("events_updated"),
            events_reversed=get("events_reversed"),
            pages_given_up=get("pages_given_up"),
            seconds=round(seconds, 2),
        )

    def __add__(self, other: CrawlStats) -> CrawlStats:
        return CrawlStats(**{k: v + getattr(other, k) for k, v in asdict(self).items()})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        return (
            f"fetched {self.fetched}, stored {self.stored}, duplicates {self.duplicates}, "
            f"dropped {self.dropped}, errors {self.errors}, not modified {self.not_modified}"
        )


def scrapy_settings(settings: Settings, *, worker: bool = False) -> ScrapySettings:
    """``crawler.settings`` with settings.toml's ``[crawler]`` values laid over it."""
    from scrapy.settings import Settings as ScrapySettings

    crawler = settings.crawler
    result = ScrapySettings()
    result.setmodule("crawler.settings", priority="project")
    user_agent = crawler.user_agent
    if crawler.contact_url and crawler.contact_url not in user_agent:
        user_agent = f"{user_agent} (+{crawler.contact_url})"
    overlay: dict[str, Any] = {
        "BANWATCH_SETTINGS": settings,
        "BANWATCH_SOURCES_SYNCED": True,
        "BANWATCH_WORKER": worker,
        "BANWATCH_WORKER_IDLE": crawler.worker_idle,
        "BANWATCH_SHARED_QUEUE": bool(crawler.redis_url),
        "USER_AGENT": user_agent,
        "ROBOTSTXT_OBEY": crawler.obey_robots,
        "DOWNLOAD_TIMEOUT": crawler.timeout,
        "DOWNLOAD_MAXSIZE": crawler.max_size,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawler.concurrency_per_domain,
        "CONCURRENT_REQUESTS": crawler.concurrency,
        "DOWNLOAD_DELAY": crawler.download_delay,
        "AUTOTHROTTLE_ENABLED": crawler.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawler.download_delay, 1.0),
        "RETRY_TIMES": crawler.retries,
        "RETRY_ENABLED": crawler.retries > 0,
        "HTTPCACHE_ENABLED": crawler.httpcache,
        "HTTPCACHE_DIR": str(settings.base_dir / ".scrapy" / "httpcache"),
        "LOG_INSTALL_ROOT_HANDLER": False,
    }
    if crawler.redis_url:
        overlay |= {
            "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
            "DUPEFILTER_CLASS": "crawler.dupefilter.RoundDupeFilter",
            "SCHEDULER_PERSIST": True,
            "REDIS_URL": crawler.redis_url,
        }
    result.setdict(overlay, priority="cmdline")
    return result


def run_crawl(
    settings: Settings,
    kind: str,
    *,
    names: list[str] | None = None,
    worker: bool = False,
    progress: bool = True,
) -> CrawlStats:
    """Crawl the due sources of ``kind`` ("feeds", "site", "sitemap" or "all") once.

    ``names`` limits the crawl to those sources and polls them even if not due yet.
    ``worker`` joins the shared Redis queue and stays until it has been idle for
    ``[crawler] worker_idle``. Source errors never raise: each is logged in one line and
    stored on its source. Raises ``ConfigError`` for an unknown kind or source name, or
    ``--worker`` without ``redis_url``; ``FetchError`` when Redis cannot be reached.
    """
    if kind not in SPIDERS:
        raise ConfigError(f"crawl {kind!r}: expected one of {', '.join(SPIDERS)}")
    if worker and not settings.crawler.redis_url:
        raise ConfigError(
            "crawl --worker: expected [crawler] redis_url (or BANWATCH_REDIS_URL) naming the "
            "Redis server the workers share"
        )
    if settings.crawler.redis_url:
        _ping_redis(settings.crawler.redis_url)
    _sync_sources(settings, kind, names or [])

    from scrapy.crawler import CrawlerProcess

    started = time.monotonic()
    with _quiet_scrapy() as level:
        process = CrawlerProcess(scrapy_settings(settings, worker=worker))
        for name in ("scrapy", "twisted", "scrapy_redis"):  # Scrapy just set them to DEBUG
            logging.getLogger(name).setLevel(level)
        crawlers = [process.create_crawler(name) for name in SPIDERS[kind]]
        for crawler in crawlers:
            process.crawl(crawler, sources=names or None)
        # Start-up objects (settings, lexicon, Scrapy's machinery) never die; keep them out of
        # the garbage collector's way while trafilatura churns through pages.
        gc.collect()
        gc.freeze()
        with _progress_line(kind, crawlers, started, enabled=progress):
            process.start()
    for crawler in crawlers:
        if "finish_reason" not in _stats_of(crawler):
            name = getattr(crawler.spidercls, "name", "?")
            raise BanwatchError(f"crawl {name}: the spider did not run (see the error above)")
    return _total(crawlers, time.monotonic() - started)


def _ping_redis(url: str) -> None:
    import redis

    from monitor.db import masked_url

    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise FetchError(f"Redis at {masked_url(url)}: cannot connect: {exc}") from None
    finally:
        client.close()


def _sync_sources(settings: Settings, kind: str, names: list[str]) -> None:
    """Mirror settings.toml's sources into the database once, before the spiders start,
    and check that every ``--source`` names a polled source of the crawl's kind (from
    settings.toml or added with ``banwatch sources``)."""
    import sqlalchemy as sa

    from monitor.db import open_database, session_scope
    from monitor.models import Source
    from monitor.sources import sync_sources

    engine = open_database(settings.database.url)
    try:
        with session_scope(engine) as session:
            sync_sources(session, settings)
            kinds = [_SOURCE_KINDS[spider] for spider in SPIDERS[kind]]
            known = set(
                session.scalars(
                    sa.select(Source.name).where(
                        Source.kind.in_(kinds),
                        Source.enabled.is_(True),
                        Source.disabled.is_(False),
                    )
                )
            )
    finally:
        engine.dispose()
    for name in names:
        if name not in known:
            what = " or ".join(_SOURCE_LISTS[s] for s in SPIDERS[kind])
            raise ConfigError(
                f"crawl --source {name!r}: no polled source of that name in {what} "
                "(see `banwatch sources list`)"
            )


def _total(crawlers: list[Crawler], seconds: float) -> CrawlStats:
    total = CrawlStats(seconds=0.0)
    for crawler in crawlers:
        total = total + CrawlStats.from_scrapy(_stats_of(crawler))
    total.seconds = round(seconds, 2)
    return total


def _stats_of(crawler: Crawler) -> dict[str, Any]:
    try:
        return dict(crawler.stats.get_stats())
    except Exception:  # not started yet (Scrapy sets stats lazily)
        return {}


class _BelowLevel(logging.Filter):
    """Drop Scrapy's and Twisted's records below ``level`` (banwatch logs what matters)."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_QUIET_LOGGERS):
            floor = (
                max(self.level, _QUIETER.get(record.name, 0))
                if self.level > logging.INFO
                else self.level
            )
            return record.levelno >= floor
        return True


@contextmanager
def _quiet_scrapy() -> Iterator[int]:
    """Scrapy resets its loggers to DEBUG when a crawl process starts; keep them quiet
    (ERROR and above) unless banwatch itself was asked for DEBUG (-vv)."""
    ours = logging.getLogger("banwatch").getEffectiveLevel()
    # Scrapy's banner and per-request lines are for -vv (DEBUG) only.
    level = logging.ERROR if ours > logging.DEBUG else ours
    quiet = _BelowLevel(level)
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield level
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


@contextmanager
def _progress_line(
    kind: str, crawlers: list[Crawler], started: float, *, enabled: bool
) -> Iterator[None]:
    """A live one-line summary on a terminal (stderr); nothing when not a TTY."""
    if not (enabled and sys.stderr.isatty()):
        yield
        return
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    def render() -> Text:
        stats = CrawlStats()
        for crawler in crawlers:
            stats = stats + CrawlStats.from_scrapy(_stats_of(crawler))
        elapsed = time.monotonic() - started
        return Text(
            f"crawl {kind} [{elapsed:.0f}s]: {stats.fetched} fetched, {stats.stored} stored, "
            f"{stats.duplicates} dup, {stats.dropped} dropped, {stats.errors} errors, "
            f"{stats.not_modified} unchanged",
            style="bold",
            no_wrap=True,
            overflow="ellipsis",
        )

    # Log lines go through Live's stderr proxy, so they print above the progress line.
    streams = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    with Live(
        get_renderable=render,
        console=Console(stderr=True),
        refresh_per_second=4,
        redirect_stdout=False,
        redirect_stderr=True,
    ):
        previous = [h.setStream(sys.stderr) for h in streams]
        try:
            yield
        finally:
            for handler, stream in zip(streams, previous, strict=True):
                if stream is not None:
                    handler.setStream(stream)
