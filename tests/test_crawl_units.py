"""The crawler's small parts, in process: HTTP hints, error lines, sitemap dates, the
round-salted duplicate filter, one outcome per source, the Scrapy settings overlay, and
the import rule between ``monitor`` and ``crawler``."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Headers, HtmlResponse, Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError
from twisted.python.failure import Failure

from crawler.dupefilter import RoundDupeFilter
from crawler.http import describe_failure, max_age, retry_after, wait_hint
from crawler.outcomes import SourceOutcomes
from crawler.spiders.sitemap import news_dates, recent
from monitor.config import settings_from_dict
from tests.conftest import REPO


def test_retry_after_as_seconds_or_http_date():
    assert retry_after(Headers({"Retry-After": "120"})) == 120.0
    later = datetime.now(UTC) + timedelta(hours=1)
    seconds = retry_after(Headers({"Retry-After": format_datetime(later, usegmt=True)}))
    assert seconds is not None and 3590 < seconds <= 3600
    assert retry_after(Headers({"Retry-After": "soon"})) is None
    assert retry_after(Headers({"Retry-After": "99999999"})) == 7 * 86400.0  # capped


def test_max_age_and_the_larger_hint_wins():
    assert max_age(Headers({"Cache-Control": "public, max-age=600"})) == 600.0
    assert max_age(Headers({"Cache-Control": "max-age=600, s-maxage=900"})) == 900.0
    assert max_age(Headers({"Cache-Control": "no-cache, max-age=600"})) is None
    assert wait_hint(Headers({"Cache-Control": "max-age=60", "Retry-After": "300"})) == 300.0
    assert wait_hint(Headers({})) is None


def _failure(exc: Exception, url: str = "http://127.0.0.1/f") -> Failure:
    failure = Failure(exc)
    failure.request = Request(url)  # type: ignore[attr-defined]
    return failure


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (
            HttpError(HtmlResponse("http://x/", status=503), "ignored"),
            "HTTP 503 Service Unavailable",
        ),
        (DownloadTimeoutError("took too long"), "timed out"),
        (IgnoreRequest("Forbidden by robots.txt"), "forbidden by robots.txt"),
        (DNSLookupError("no such host"), "DNS lookup failed"),
        (ConnectionRefusedError("refused"), "connection refused"),
        (ResponseDataLossError(), "response truncated (connection closed before Content-Length)"),
        (DownloadCancelledError("too big"), "response larger than the size limit"),
    ],
)
def test_each_failure_is_one_line(exc: Exception, line: str):
    assert describe_failure(_failure(exc))[0] == line


def test_a_429_carries_its_retry_after():
    response = HtmlResponse("http://x/", status=429, headers={"Retry-After": "3600"})
    assert describe_failure(_failure(HttpError(response, "x"))) == (
        "HTTP 429 Too Many Requests",
        3600.0,
    )


SITEMAP = b"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>http://x/new</loc><news:news><news:publication_date>%s</news:publication_date></news:news></url>
  <url><loc>http://x/old</loc><news:news><news:publication_date>2019-01-01</news:publication_date></news:news></url>
</urlset>"""


def test_news_publication_dates_and_the_lastmod_window():
    now = datetime.now(UTC)
    body = SITEMAP % now.isoformat().encode()
    dates = news_dates(body)
    assert set(dates) == {"http://x/new", "http://x/old"}
    entries = [
        {"loc": "http://x/new", "publication_date": dates["http://x/new"]},
        {"loc": "http://x/old", "publication_date": dates["http://x/old"]},
        {"loc": "http://x/lastmod", "lastmod": (now - timedelta(hours=3)).date().isoformat()},
        {"loc": "http://x/undated"},
    ]
    assert list(recent(entries, window=2 * 86400, now=now)) == [
        "http://x/new",
        "http://x/lastmod",
        "http://x/undated",
    ]
    # A plain sitemap may list a whole archive: its undated URLs are not taken.
    assert list(recent(entries, window=2 * 86400, now=now, keep_undated=False)) == [
        "http://x/new",
        "http://x/lastmod",
    ]


def test_source_fingerprints_change_with_the_round_article_ones_do_not():
    dupes = RoundDupeFilter(server=None, key="k")
    feed = "http://127.0.0.1/feed.xml"
    first = dupes.request_fingerprint(Request(feed, meta={"banwatch_round": "wire@new"}))
    again = dupes.request_fingerprint(Request(feed, meta={"banwatch_round": "wire@new"}))
    later = dupes.request_fingerprint(Request(feed, meta={"banwatch_round": "wire@2024-01-01"}))
    assert first == again != later
    article = "http://127.0.0.1/a.html?b=2&a=1"
    assert dupes.request_fingerprint(Request(article)) == dupes.request_fingerprint(
        Request("http://127.0.0.1/a.html?a=1&b=2")
    )


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def record_success(self, name: str, **kwargs: Any) -> None:
        self.calls.append(("success", name, kwargs))

    def record_failure(self, name: str, error: str, **kwargs: Any) -> None:
        self.calls.append(("failure", name, {"error": error, **kwargs}))


class _Crawler:
    stats = _Stats()


def test_a_source_of_several_pages_gets_one_outcome():
    ingestor = _Recorder()
    outcomes = SourceOutcomes(ingestor, _Crawler())  # type: ignore[arg-type]
    outcomes.begin("site", "site", "http://x/1")
    outcomes.expect("site", "site", "http://x/2")  # a pagination page
    outcomes.succeeded("site", "site", "http://x/1", changed=False, etag='"e"')
    assert ingestor.calls == []  # still waiting for page 2
    outcomes.failed("site", "site", "http://x/2", "timed out")
    assert ingestor.calls == [
        ("failure", "site", {"error": "timed out", "retry_after": None, "entries": []})
    ]

    outcomes.begin("feed", "feed", "http://x/f")
    outcomes.succeeded("feed", "feed", "http://x/f", changed=True, not_before=60.0)
    assert ingestor.calls[-1] == (
        "success",
        "feed",
        {
            "changed": True,
            "etag": None,
            "last_modified": None,
            "not_before": 60.0,
            "entries": [],
        },
    )
    outcomes.begin("partly", "site", "http://x/s1")
    outcomes.expect("partly", "site", "http://x/s2")
    outcomes.succeeded("partly", "site", "http://x/s1", changed=True)
    outcomes.begin("unanswered", "feed", "http://x/u")  # e.g. taken by another worker
    for page in ("http://y/1", "http://y/2"):  # pages another worker queued for its source
        outcomes.succeeded("theirs", "site", page, changed=False)
    calls = len(ingestor.calls)
    assert calls == 2  # nothing for "theirs" yet
    outcomes.flush()  # the spider closes with requests outstanding
    nothing_new = {"etag": None, "last_modified": None, "not_before": None, "entries": []}
    assert ingestor.calls[calls:] == [
        ("success", "partly", {"changed": True, **nothing_new}),
        ("success", "theirs", {"changed": False, **nothing_new}),
    ]  # once each; the unanswered source records nothing and stays due


def test_crawler_section_becomes_scrapy_settings(tmp_path: Path):
    from monitor.crawl import scrapy_settings

    settings = settings_from_dict(
        {
            "crawler": {
                "user_agent": "bw/1",
                "contact_url": "https://example.org/contact",
                "timeout": "7s",
                "max_size": 1000,
                "concurrency_per_domain": 3,
                "retries": 0,
                "obey_robots": False,
                "redis_url": "redis://127.0.0.1:6379/5",
            }
        },
        {},
    )
    scrapy = scrapy_settings(settings, worker=True)
    assert scrapy["USER_AGENT"] == "bw/1 (+https://example.org/contact)"
    assert scrapy.getfloat("DOWNLOAD_TIMEOUT") == 7.0
    assert scrapy.getint("DOWNLOAD_MAXSIZE") == 1000
    assert scrapy.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 3
    assert scrapy.getbool("RETRY_ENABLED") is False
    assert scrapy.getbool("ROBOTSTXT_OBEY") is False
    assert scrapy.getint("CONCURRENT_ITEMS") == 4
    assert scrapy["SCHEDULER"] == "scrapy_redis.scheduler.Scheduler"
    assert scrapy["DUPEFILTER_CLASS"] == "crawler.dupefilter.RoundDupeFilter"
    assert scrapy.getbool("SCHEDULER_PERSIST") and scrapy.getbool("BANWATCH_WORKER")
    assert scrapy["BANWATCH_SETTINGS"] is settings
    alone = scrapy_settings(settings_from_dict({}, {}))
    assert alone["SCHEDULER"] != "scrapy_redis.scheduler.Scheduler"
    assert "banwatch" in alone["USER_AGENT"] and alone.getbool("ROBOTSTXT_OBEY")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_monitor_never_imports_crawler_and_crawler_only_ingest_and_config():
    for path in (REPO / "monitor").rglob("*.py"):
        assert not {n for n in _imports(path) if n.split(".")[0] == "crawler"}, path
    allowed = {"monitor.ingest", "monitor.config", "monitor.errors"}
    for path in (REPO / "crawler").rglob("*.py"):
        used = {n for n in _imports(path) if n.split(".")[0] == "monitor"}
        assert used <= allowed, (path, used - allowed)


def test_shipped_sites_never_take_their_own_section_pages_for_articles():
    import re

    from monitor.config import load_settings

    settings = load_settings(REPO / "settings.toml", env={})
    assert settings.sites and settings.sitemaps
    for site in settings.sites:
        pattern = re.compile(site.article_links or "")
        assert not any(pattern.search(url) for url in site.start_urls), site.name
