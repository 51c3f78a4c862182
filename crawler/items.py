"""The one item the spiders produce: a fetched page that may be an article."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class PageItem:
    """A fetched page on its way through validate -> extract -> ingest.

    The spider fills what it knows from the response and from where the link came from
    (the feed entry's title, date and GUID); ``ExtractPipeline`` sets ``document``.
    """

    url: str
    body: bytes
    source_name: str
    source_kind: str
    status: int = 200
    content_type: str = ""
    encoding: str | None = None
    feed_title: str | None = None
    feed_published: datetime | None = None
    extra_urls: tuple[str, ...] = ()
    frontier_id: int | None = None  # the crawl frontier row the pipeline settles
    document: Any = field(default=None, repr=False)  # monitor.ingest.Document once extracted

    def __repr__(self) -> str:  # bodies are large; Scrapy logs items on drop
        return f"PageItem(url={self.url!r}, source={self.source_name!r}, bytes={len(self.body)})"
