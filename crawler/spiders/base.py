"""What every banwatch spider shares: the due sources, source requests, article requests.

A spider is built once per crawl with ``from_crawler``: it reads banwatch's ``Settings``
from the Scrapy setting ``BANWATCH_SETTINGS`` (``banwatch crawl`` puts it there; a bare
``scrapy crawl`` loads settings.toml instead) and opens one ``Ingestor``, which the item
pipeline uses too. ``start()`` asks the Ingestor which sources of the spider's kind are due
and yields their requests; the subclass parses them and yields article requests for the
links not stored yet; ``parse_page`` turns each article response into a ``PageItem``.

With a shared Redis queue (``BANWATCH_SHARED_QUEUE``) source requests carry a *round*, the
source's scheduled poll time, that the Redis duplicate filter adds to their fingerprint:
two workers polling the same due source enqueue it once, and the next poll (a new round)
is not mistaken for a duplicate of the last.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

import scrapy
from scrapy import signals
from scrapy.http import Request, Response, TextResponse

from crawler.http import (
    conditional_headers,
    content_type,
    describe_failure,
    header,
    is_gone,
    wait_hint,
)
from crawler.items import PageItem
from crawler.outcomes import SourceOutcomes
from monitor.config import Settings
from monitor.ingest import Ingestor

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure


log = logging.getLogger("banwatch.crawl")


class DueSource(Protocol):
    """What ``Ingestor.due_sources`` returns for each source (monitor.sources.SourceState)."""

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def etag(self) -> str | None: ...
    @property
    def last_modified(self) -> str | None: ...
    @property
    def next_poll_at(self) -> datetime | None: ...


def banwatch_settings(crawler: Crawler) -> Settings:
    """banwatch's settings for this crawl (set by ``monitor.crawl``, else settings.toml)."""
    value = crawler.settings.get("BANWATCH_SETTINGS")
    if isinstance(value, Settings):
        return value
    from monitor.config import load_settings

    return load_settings()


class BanwatchSpider(scrapy.Spider):
    """Base of the feeds, site and sitemap spiders."""

    source_kind: ClassVar[str]

    settings_bw: Settings
    ingestor: Ingestor
    outcomes: SourceOutcomes
    shared_queue: bool

    def __init__(self, *args: Any, sources: Iterable[str] | str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if isinstance(sources, str):
            sources = [sources]
        self.source_names: list[str] = list(sources or [])

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.settings_bw = banwatch_settings(crawler)
        spider.shared_queue = crawler.settings.getbool("BANWATCH_SHARED_QUEUE")
        spider.ingestor = Ingestor(spider.settings_bw)
        spider.outcomes = SourceOutcomes(spider.ingestor, crawler)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        self.outcomes.flush()
        self.ingestor.close()

    # --- sources -------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if not self.settings.getbool("BANWATCH_SOURCES_SYNCED"):
            self.ingestor.sync_sources()
        for state in self.ingestor.due_sources(self.source_kind, self.source_names or None):
            for request in self.source_requests(state):
                yield request

    def source_requests(self, state: DueSource) -> Iterator[Request]:
        """The first request(s) of one due source; subclasses decide what they are."""
        raise NotImplementedError

    def source_request(
        self,
        state: DueSource,
        url: str,
        callback: Any,
        *,
        conditional: bool = True,
        meta: dict[str, Any] | None = None,
    ) -> Request:
        """A request that belongs to ``state``'s source (its outcome is recorded for it)."""
        self.outcomes.begin(state.name, self.source_kind, url)
        headers = conditional_headers(state.etag, state.last_modified) if conditional else {}
        # The stored validators belong to this one URL: only its answer may replace them.
        meta = {**(meta or {}), "banwatch_validators": conditional}
        return self._source_request(
            url, callback, state.name, self._round(state), headers=headers, meta=meta
        )

    def follow_source(
        self, response: Response, url: str, callback: Any, meta: dict[str, Any] | None = None
    ) -> Request:
        """Another request of the same source (a pagination page, a child sitemap)."""
        name = response.meta["source"]
        self.outcomes.expect(name, self.source_kind, url)
        return self._source_request(
            url, callback, name, response.meta.get("banwatch_round"), meta=meta
        )

    def _source_request(
        self,
        url: str,
        callback: Any,
        name: str,
        round_: str | None,
        *,
        headers: dict[str, str] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Request:
        request_meta: dict[str, Any] = {
            "source": name,
            "handle_httpstatus_list": [304],
            **(meta or {}),
        }
        if round_:
            request_meta["banwatch_round"] = round_
        return Request(
            url,
            callback=callback,
            errback=self.source_failed,
            headers=headers,
            meta=request_meta,
            # Alone, a source is always fetched; shared, the round keeps it to one worker.
            dont_filter=not self.shared_queue,
            priority=10,
        )

    def _round(self, state: DueSource) -> str | None:
        if not self.shared_queue:
            return None
        due = state.next_poll_at.isoformat() if state.next_poll_at else "new"
        return f"{state.name}@{due}"

    def not_modified(self, response: Response) -> bool:
        """Handle a 304: the source is fine and unchanged, and it cost nothing to learn."""
        if response.status != 304:
            self.crawler.stats.inc_value("banwatch/fetched")
            return False
        self.crawler.stats.inc_value("banwatch/not_modified")
        self.outcomes.succeeded(
            response.meta["source"],
            self.source_kind,
            response.url,
            changed=False,
            not_before=wait_hint(response.headers),
        )
        return True

    def source_ok(self, response: Response, *, changed: bool) -> None:
        """The source's response was usable; keep its validators for the next poll (only
        from the source's own URL, not from a pagination page or child sitemap)."""
        own = bool(response.meta.get("banwatch_validators"))
        self.outcomes.succeeded(
            response.meta["source"],
            self.source_kind,
            response.url,
            changed=changed,
            etag=header(response.headers, "ETag") if own else None,
            last_modified=header(response.headers, "Last-Modified") if own else None,
            not_before=wait_hint(response.headers),
        )

    def source_error(self, response: Response, error: str) -> None:
        self.outcomes.failed(response.meta["source"], self.source_kind, response.url, error)

    def source_failed(self, failure: Failure) -> None:
        """Errback of source requests: one outcome, logged and stored by ``outcomes``."""
        request = failure.request  # type: ignore[attr-defined]
        error, retry_after = describe_failure(failure, max_size=self._size_limit())
        self.outcomes.failed(
            request.meta["source"], self.source_kind, request.url, error, retry_after=retry_after
        )

    # --- article pages -------------------------------------------------------------------

    def new_links(
        self, urls: Iterable[str], also: dict[str, tuple[str, ...]] | None = None
    ) -> list[str]:
        """``urls`` minus those already stored (by canonical URL, or by any of the other
        URLs ``also`` lists for them, e.g. a feed entry's GUID), in order, without repeats."""
        also = also or {}
        ordered = list(dict.fromkeys(u for u in urls if u.startswith(("http://", "https://"))))
        every = set(ordered) | {u for url in ordered for u in also.get(url, ())}
        known = self.ingestor.known_urls(every)
        fresh = [u for u in ordered if u not in known and not known & set(also.get(u, ()))]
        self.crawler.stats.inc_value("banwatch/known_skipped", len(ordered) - len(fresh))
        return fresh

    def page_request(
        self,
        url: str,
        source: str,
        *,
        title: str | None = None,
        published: datetime | None = None,
        extra_urls: Iterable[str] = (),
    ) -> Request:
        meta = {
            "source": source,
            "feed_title": title,
            "feed_published": published.isoformat() if published else None,
            "extra_urls": [u for u in extra_urls if u != url],
        }
        return Request(url, callback=self.parse_page, errback=self.page_failed, meta=meta)

    def parse_page(self, response: Response) -> Iterator[PageItem]:
        self.crawler.stats.inc_value("banwatch/fetched")
        meta = response.meta
        published = meta.get("feed_published")
        # The links followed before any redirect: known by them too, never fetched again.
        extra = [*meta.get("extra_urls", ()), *meta.get("redirect_urls", ())]
        extra = [u for u in extra if u != response.url]
        yield PageItem(
            url=response.url,
            body=response.body,
            source_name=meta["source"],
            source_kind=self.source_kind,
            status=response.status,
            content_type=content_type(response),
            encoding=response.encoding if isinstance(response, TextResponse) else None,
            feed_title=meta.get("feed_title"),
            feed_published=datetime.fromisoformat(published) if published else None,
            extra_urls=tuple(dict.fromkeys(extra)),
        )

    def page_failed(self, failure: Failure) -> None:
        """Errback of article requests: counted, logged at INFO (the source itself is fine).
        Unless the page is gone for good, its source is read in full next time, so the
        entry is offered again (``SourceOutcomes.page_lost``)."""
        request = failure.request  # type: ignore[attr-defined]
        error, _ = describe_failure(failure, max_size=self._size_limit())
        if error == "forbidden by robots.txt":
            self.crawler.stats.inc_value("banwatch/robots_forbidden")
            return
        self.crawler.stats.inc_value("banwatch/errors")
        self.crawler.stats.inc_value("banwatch/page_errors")
        log.info(
            "page failed",
            extra={"source": request.meta.get("source"), "url": request.url, "error": error},
        )
        if not is_gone(failure) and request.meta.get("source"):
            self.outcomes.page_lost(request.meta["source"])

    def _size_limit(self) -> int:
        return self.settings.getint("DOWNLOAD_MAXSIZE")
