"""The ``feeds`` spider: poll the due feeds, follow their new entries to the article pages.

Per feed: a conditional GET with the stored ETag / Last-Modified (a 304 is a success that
costs nothing); the body read by ``crawler.feedreader`` (RSS, Atom, RDF, JSON Feed) in a
child process with a time limit, a size and a nesting limit (``crawler.feedworker``), so a
pathological feed fails alone and never stalls the crawl; the entries already stored or
listed, by link or GUID URL, skipped; at most ``[crawler] max_entries`` new entries taken,
newest first, each written to the crawl frontier with its title, date and GUID as hints
for the article, then fetched. When more were new, the feed's validators are not kept
(the next poll reads it in full and takes the next ones: none is lost behind a 304) and the
overflow is counted (``banwatch/entries_overflow``). A feed that fails (transport, HTTP
status, "not a feed", a limit) is one log line and one stored failure with backoff; the
others go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawler.feedworker import FeedParserPool
from crawler.http import content_type
from crawler.spiders.base import BanwatchSpider, DueSource, log
from monitor.ingest import Entry, ParseError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

    from crawler.feedreader import FeedEntry

_OLDEST = datetime.min.replace(tzinfo=UTC)
_CHUNK = 1000  # entries checked against the database at a time


class FeedsSpider(BanwatchSpider):
    """RSS 0.9x/1.0/2.0, Atom, RDF and JSON Feed sources from ``[[feeds]]``."""

    name = "feeds"
    source_kind = "feed"

    parsers: FeedParserPool

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FeedsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, FeedsSpider)
        spider.parsers = FeedParserPool(
            timeout=crawler.settings.getfloat("BANWATCH_FEED_PARSE_TIMEOUT"),
            max_depth=crawler.settings.getint("BANWATCH_FEED_MAX_DEPTH"),
            max_bytes=crawler.settings.getint("DOWNLOAD_MAXSIZE") or 5 * 1024 * 1024,
        )
        crawler.signals.connect(spider.parsers.close, signal=signals.spider_closed)
        return spider

    def source_requests(self, state: DueSource) -> Iterator[Request]:
        yield self.source_request(state, state.url, self.parse_feed)

    async def parse_feed(self, response: Response) -> None:
        if self.not_modified(response):
            return
        source = response.meta["source"]
        future = self.parsers.submit(response.body, response.url, content_type(response))
        try:
            feed = await asyncio.wrap_future(future)
        except ParseError as exc:
            self.source_error(response, str(exc))
            return
        self.crawler.stats.inc_value("banwatch/feed_entries", len(feed.entries))
        listed, overflow = self._take_new(newest_first(feed.entries))
        del feed  # a 100,000-entry feed: only the entries taken live on
        if overflow > 0:
            # The rest wait for the next poll, which must read the feed in full: its
            # validators are not kept, so no 304 hides them.
            self.crawler.stats.inc_value("banwatch/entries_overflow", overflow)
            log.info(
                "feed entries over the limit",
                extra={"source": source, "taken": len(listed), "left": overflow},
            )
        self.source_ok(
            response, changed=bool(listed), entries=listed, keep_validators=overflow <= 0
        )
        # Nothing to yield: the pages come from the frontier once the listing is recorded.

    def _take_new(self, ordered: list[FeedEntry]) -> tuple[list[Entry], int]:
        """The first ``[crawler] max_entries`` entries not stored or listed yet, and how
        many more new ones there were. Checked a chunk at a time, so a huge feed never
        holds more than one chunk's lookups at once."""
        limit = self.settings_bw.crawler.max_entries
        listed: list[Entry] = []
        taken: set[str] = set()
        overflow = 0
        for start in range(0, len(ordered), _CHUNK):
            chunk = {e.link: e for e in ordered[start : start + _CHUNK] if e.link not in taken}
            fresh = self.new_links(chunk, also={link: e.urls for link, e in chunk.items()})
            room = max(limit - len(listed), 0)
            for link in fresh[:room]:
                entry = chunk[link]
                taken.add(link)
                listed.append(
                    Entry(
                        link,
                        title=entry.title,
                        published=entry.published,
                        extra_urls=tuple(u for u in entry.urls if u != link),
                    )
                )
            overflow += len(fresh) - min(len(fresh), room)
        return listed, overflow


def newest_first(entries: list[FeedEntry]) -> list[FeedEntry]:
    """Entries by date, newest first; undated ones after, in the feed's own order."""
    return sorted(entries, key=lambda e: e.published or _OLDEST, reverse=True)
