"""The ``feeds`` spider: poll the due feeds, follow their new entries to the article pages.

Per feed: a conditional GET with the stored ETag / Last-Modified (a 304 is a success that
costs nothing); the body read by ``crawler.feedreader`` (RSS, Atom, RDF, JSON Feed); the
entries already stored or listed, by link or GUID URL, skipped; each new entry written to
the crawl frontier with its title, date and GUID as hints for the article, then fetched. A feed that fails (transport, HTTP status,
"not a feed") is one log line and one stored failure with backoff; the others go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from crawler.feedreader import read_feed
from crawler.http import content_type
from crawler.spiders.base import BanwatchSpider, DueSource
from monitor.ingest import Entry, ParseError

if TYPE_CHECKING:
    from scrapy.http import Request, Response


class FeedsSpider(BanwatchSpider):
    """RSS 0.9x/1.0/2.0, Atom, RDF and JSON Feed sources from ``[[feeds]]``."""

    name = "feeds"
    source_kind = "feed"

    def source_requests(self, state: DueSource) -> Iterator[Request]:
        yield self.source_request(state, state.url, self.parse_feed)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        if self.not_modified(response):
            return
        try:
            feed = read_feed(response.body, response.url, content_type(response))
        except ParseError as exc:
            self.source_error(response, str(exc))
            return
        self.crawler.stats.inc_value("banwatch/feed_entries", len(feed.entries))
        entries = {entry.link: entry for entry in feed.entries}
        fresh = self.new_links(entries, also={e.link: e.urls for e in feed.entries})
        listed = [
            Entry(
                link,
                title=entries[link].title,
                published=entries[link].published,
                extra_urls=tuple(u for u in entries[link].urls if u != link),
            )
            for link in fresh
        ]
        self.source_ok(response, changed=bool(fresh), entries=listed)
        yield from ()
