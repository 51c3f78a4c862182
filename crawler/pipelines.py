"""Item pipeline: validate -> extract -> ingest. Small steps; the logic lives in ``monitor``.

* ``ValidatePipeline`` drops what cannot be an article (not HTML, empty, an error status)
  with a reason;
* ``ExtractPipeline`` runs trafilatura through ``monitor.ingest.extract_document`` (off the
  reactor thread when ``BANWATCH_EXTRACT_IN_THREAD`` is on, so fetching goes on meanwhile)
  and drops pages without article text — never stored as empty articles;
* ``IngestPipeline`` hands the document to the crawl's ``Ingestor``: stored, or recorded
  as a duplicate of an article already stored.

Every drop is counted under ``banwatch/dropped`` and ``banwatch/dropped/<reason>``, and
settles the page's crawl-frontier row as done (fetched, no article: never fetched again). A
stored page's row is settled by the ingest transaction itself; a failed store leaves it to
be retried (``monitor.frontier``).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from crawler.items import PageItem
from monitor.ingest import BanwatchError, Document, ParseError, extract_document

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger("banwatch.crawl")

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


class _Stage:
    """A pipeline stage built with ``from_crawler`` that counts its drops."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _Stage:
        return cls(crawler)

    def drop(self, key: str, reason: str, item: Any = None) -> DropItem:
        stats = self.crawler.stats
        stats.inc_value("banwatch/dropped")
        stats.inc_value(f"banwatch/dropped/{key}")
        frontier_id = getattr(item, "frontier_id", None)
        settle = getattr(self.crawler.spider, "page_settled", None)
        if frontier_id is not None and settle is not None:
            settle(frontier_id, f"dropped: {reason}")
        return DropItem(reason)


class ValidatePipeline(_Stage):
    """Only successful HTML responses with a body, from an http(s) URL, go on."""

    def process_item(self, item: Any) -> PageItem:
        if not isinstance(item, PageItem):
            raise self.drop("unknown_item", f"not a PageItem: {type(item).__name__}")
        if not item.url.startswith(("http://", "https://")):
            raise self.drop("bad_url", f"{item.url}: not an http(s) URL", item)
        if item.status != 200:
            raise self.drop("status", f"{item.url}: HTTP {item.status}, not a page", item)
        media = item.content_type.split(";")[0].strip().lower()
        if media not in HTML_TYPES:
            raise self.drop("not_html", f"{item.url}: not an HTML page ({media})", item)
        if not item.body.strip():
            raise self.drop("empty", f"{item.url}: empty body", item)
        return item


class ExtractPipeline(_Stage):
    """trafilatura main text and metadata; no article text means the page is dropped."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.in_thread = crawler.settings.getbool("BANWATCH_EXTRACT_IN_THREAD")

    async def process_item(self, item: PageItem) -> PageItem:
        if self.in_thread:
            from scrapy.utils.defer import maybe_deferred_to_future
            from twisted.internet.threads import deferToThread

            outcome = await maybe_deferred_to_future(deferToThread(_extract, item))
        else:
            outcome = _extract(item)
        if isinstance(outcome, ParseError):
            raise self.drop("no_text", str(outcome), item)
        item.document = outcome
        return item


def _extract(item: PageItem) -> Document | ParseError:
    """Extract one page; a ParseError is returned, not raised, to cross the thread cheaply."""
    try:
        doc = extract_document(item.body, item.url, encoding=item.encoding)
    except ParseError as exc:
        return exc
    doc = doc.with_feed_hints(title=item.feed_title, published_at=item.feed_published)
    return dataclasses.replace(doc, source_name=item.source_name, extra_urls=item.extra_urls)


class IngestPipeline(_Stage):
    """Store through the crawl's ``Ingestor`` (the spider opened it once for the crawl)."""

    def process_item(self, item: PageItem) -> PageItem:
        spider = self.crawler.spider
        ingestor = getattr(spider, "ingestor", None)
        if spider is None or ingestor is None:
            name = getattr(spider, "name", None)
            raise self.drop("no_ingestor", f"{item.url}: spider {name} has no Ingestor")
        # A BanwatchSpider (crawler.spiders.base) settles its frontier rows through these.
        settle: Any = spider
        try:
            result = ingestor.ingest(
                item.document, source_name=item.source_name, frontier_id=item.frontier_id
            )
        except BanwatchError as exc:
            self.crawler.stats.inc_value("banwatch/errors")
            log.error("store failed", extra={"url": item.url, "error": str(exc)})
            settle.page_lost(item.frontier_id, f"store failed: {exc}")
            raise self.drop("storage", f"{item.url}: {exc}") from None
        settle.page_stored(item.frontier_id)
        key = "banwatch/stored" if result.status == "new" else "banwatch/duplicates"
        self.crawler.stats.inc_value(key)
        if result.verdicts:
            self.crawler.stats.inc_value("banwatch/hits", len(result.verdicts))
        for change, ids in (
            ("opened", result.opened),
            ("updated", result.updated),
            ("reversed", result.reversed),
        ):
            if ids:
                self.crawler.stats.inc_value(f"banwatch/events_{change}", len(ids))
        item.body = b""  # the page has served its purpose; free it before Scrapy's stats
        return item
