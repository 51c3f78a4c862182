"""What every banwatch spider shares: the due sources, source requests, article requests.

A spider is built once per crawl with ``from_crawler``: it reads banwatch's ``Settings``
from the Scrapy setting ``BANWATCH_SETTINGS`` (``banwatch crawl`` puts it there; a bare
``scrapy crawl`` loads settings.toml instead) and opens one ``Ingestor``, which the item
pipeline uses too. ``start()`` first takes the due rows of the crawl frontier (article
pages listed before and not stored yet: a crawl that died, a page that failed) and yields
their requests, whatever the sources answer this time; then it asks the Ingestor which
sources of the spider's kind are due and yields their requests. The subclass parses a
source's answer and hands the links not stored yet to ``source_ok`` as ``Entry``s; they are
written to the frontier with the source's outcome (``crawler.outcomes``) and only then taken
and fetched. ``parse_page`` turns each article response into a ``PageItem`` carrying its
frontier row, which the pipeline settles (stored, no article, failed).

With a shared Redis queue (``BANWATCH_SHARED_QUEUE``) source requests carry a *round*, the
source's scheduled poll time, that the Redis duplicate filter adds to their fingerprint:
two workers polling the same due source enqueue it once, and the next poll (a new round)
is not mistaken for a duplicate of the last. A page request carries its frontier claim as
its round, so a page whose worker died is queued again when its claim's lease ends.
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
from monitor.ingest import Claimed, Entry, FrontierState, Ingestor

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
    _claimed: set[int]  # frontier rows taken by this crawl and not settled yet

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
        spider.outcomes = SourceOutcomes(spider.ingestor, crawler, spider._schedule_listed)
        spider._claimed = set()
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        self.outcomes.flush()
        if self._claimed and not self.shared_queue:
            # Taken but not settled (the crawl was stopped): due again for the next crawl.
            # Shared, another worker may still fetch them from Redis; their lease ends.
            self.ingestor.release_pages(self._claimed)
        self.ingestor.close()

    # --- sources -------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if not self.settings.getbool("BANWATCH_SOURCES_SYNCED"):
            self.ingestor.sync_sources()
        names = self.source_names or None
        for claimed in self.ingestor.claim_pages(self.source_kind, names):
            yield self.page_request(claimed)
        for state in self.ingestor.due_sources(self.source_kind, names):
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

    def source_ok(
        self, response: Response, *, changed: bool, entries: Iterable[Entry] = ()
    ) -> None:
        """The source's response was usable; keep its validators for the next poll (only
        from the source's own URL, not from a pagination page or child sitemap) and the
        article links it listed (``entries``), which are fetched once recorded."""
        own = bool(response.meta.get("banwatch_validators"))
        self.outcomes.succeeded(
            response.meta["source"],
            self.source_kind,
            response.url,
            changed=changed,
            etag=header(response.headers, "ETag") if own else None,
            last_modified=header(response.headers, "Last-Modified") if own else None,
            not_before=wait_hint(response.headers),
            entries=entries,
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

    def _schedule_listed(self, name: str) -> None:
        """``name``'s listing is in the frontier: take its due rows and fetch them."""
        for claimed in self.ingestor.claim_pages(self.source_kind, [name]):
            self.crawler.engine.crawl(self.page_request(claimed))

    def page_request(self, claimed: Claimed) -> Request:
        """The request for one frontier row this crawl has taken."""
        self._claimed.add(claimed.id)
        meta: dict[str, Any] = {
            "source": claimed.source,
            "frontier_id": claimed.id,
            "feed_title": claimed.title,
            "feed_published": claimed.published.isoformat() if claimed.published else None,
            "extra_urls": [u for u in claimed.extra_urls if u != claimed.url],
        }
        if self.shared_queue:
            meta["banwatch_round"] = f"page:{claimed.id}@{claimed.token}"
        return Request(
            claimed.url,
            callback=self.parse_page,
            errback=self.page_failed,
            meta=meta,
            # The frontier row is the duplicate filter: alone, every claimed row is fetched.
            dont_filter=not self.shared_queue,
        )

    def page_settled(self, frontier_id: int | None, note: str) -> None:
        """The pipeline found the page to be no article: its row is done."""
        if frontier_id is not None:
            self._claimed.discard(frontier_id)
            self.ingestor.page_settled(frontier_id, note)

    def page_stored(self, frontier_id: int | None) -> None:
        """The ingest transaction settled the row."""
        if frontier_id is not None:
            self._claimed.discard(frontier_id)

    def page_lost(self, frontier_id: int | None, error: str, *, gone: bool = False) -> None:
        """The page failed (fetch or store): retried later, or given up."""
        if frontier_id is None:
            return
        self._claimed.discard(frontier_id)
        if self.ingestor.page_failed(frontier_id, error, gone=gone) is FrontierState.GIVEN_UP:
            self.crawler.stats.inc_value("banwatch/pages_given_up")

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
            frontier_id=meta.get("frontier_id"),
        )

    def page_failed(self, failure: Failure) -> None:
        """Errback of article requests: counted, logged at INFO (the source itself is fine).
        The page's frontier row is retried after a backoff, or given up when the page is
        gone (404, 410) or robots.txt forbids it."""
        request = failure.request  # type: ignore[attr-defined]
        error, _ = describe_failure(failure, max_size=self._size_limit())
        frontier_id = request.meta.get("frontier_id")
        if error == "forbidden by robots.txt":
            self.crawler.stats.inc_value("banwatch/robots_forbidden")
            self.page_lost(frontier_id, error, gone=True)
            return
        self.crawler.stats.inc_value("banwatch/errors")
        self.crawler.stats.inc_value("banwatch/page_errors")
        log.info(
            "page failed",
            extra={"source": request.meta.get("source"), "url": request.url, "error": error},
        )
        self.page_lost(frontier_id, error, gone=is_gone(failure))

    def _size_limit(self) -> int:
        return self.settings.getint("DOWNLOAD_MAXSIZE")
