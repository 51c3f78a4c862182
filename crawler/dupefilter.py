"""The shared duplicate filter for crawls on several workers (scrapy-redis).

scrapy-redis' ``RFPDupeFilter`` keeps request fingerprints in one Redis set that every
worker checks before queueing, so no URL is fetched twice however many workers run. Two
additions make it fit a crawler that polls the same sources again and again:

* a source request (feed, section page, sitemap) carries a round (``banwatch_round``: the
  source's name and scheduled poll time) that joins its fingerprint: the workers of one
  round queue it once; the next round is a new fingerprint, so the source is polled again;
* the set expires ``BANWATCH_DUPEFILTER_TTL`` seconds after it was created, so it cannot
  grow without bound; article URLs already stored are skipped by the database check anyway.

Scheduler state must persist across workers (``SCHEDULER_PERSIST = True``): a worker that
finishes first must not clear the queue and filter its peers still use.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from scrapy_redis import defaults
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.http import Request


class RoundDupeFilter(RFPDupeFilter):  # type: ignore[misc]  # scrapy_redis ships no types
    """RFPDupeFilter with per-round source fingerprints and an expiring set."""

    def __init__(self, server: Any, key: str, debug: bool = False, ttl: int = 86400) -> None:
        super().__init__(server, key, debug)
        self.ttl = ttl

    @classmethod
    def from_spider(cls, spider: Spider) -> RoundDupeFilter:
        settings = spider.settings
        template = settings.get("SCHEDULER_DUPEFILTER_KEY", defaults.SCHEDULER_DUPEFILTER_KEY)
        return cls(
            get_redis_from_settings(settings),
            key=template % {"spider": spider.name},
            debug=settings.getbool("DUPEFILTER_DEBUG"),
            ttl=settings.getint("BANWATCH_DUPEFILTER_TTL", 86400),
        )

    def request_fingerprint(self, request: Request) -> str:
        fingerprint: str = super().request_fingerprint(request)
        round_ = request.meta.get("banwatch_round")
        if not round_:
            return fingerprint
        return hashlib.sha1(f"{fingerprint}|{round_}".encode()).hexdigest()

    def request_seen(self, request: Request) -> bool:
        added = self.server.sadd(self.key, self.request_fingerprint(request))
        if added and self.ttl > 0 and self.server.ttl(self.key) < 0:
            self.server.expire(self.key, self.ttl)
        return bool(added == 0)
