"""``banwatch crawl --worker``: stay open while the shared queue may still get work.

A lone crawl closes as soon as it has nothing left to do. A worker shares its queue with
others: the one that fetched a section page may still be queueing its article links when
this one runs dry. So a worker closes only after the shared queue has stayed empty and the
worker idle for ``BANWATCH_WORKER_IDLE`` seconds (Scrapy re-checks an idle spider every
few seconds). Requests queued meanwhile by any worker keep it busy, because Scrapy's engine
asks the shared scheduler for work on every check.
"""

from __future__ import annotations

import time

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured


class SharedQueueLinger:
    """Extension: keep a worker's spider open until the shared queue has been idle a while."""

    def __init__(self, idle: float) -> None:
        self.idle = idle
        self.idle_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedQueueLinger:
        if not crawler.settings.getbool("BANWATCH_WORKER"):
            raise NotConfigured("not a --worker crawl")
        ext = cls(crawler.settings.getfloat("BANWATCH_WORKER_IDLE", 10.0))
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.busy, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.busy, signal=signals.item_scraped)
        return ext

    def busy(self, *args: object, **kwargs: object) -> None:
        self.idle_since = None

    def spider_idle(self, spider: Spider) -> None:
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle:
            raise DontCloseSpider
