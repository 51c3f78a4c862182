"""The ``sitemap`` spider: news sitemaps and sitemap indexes, recent URLs only.

Built on Scrapy's ``SitemapSpider`` (its body handling: gzip, size limits; its ``Sitemap``
parser; robots.txt ``Sitemap:`` discovery, so a ``[[sitemaps]]`` url may be a robots.txt),
with banwatch's source bookkeeping around it: a conditional GET of the root, every child
sitemap of an index counted towards the same source, and a ``lastmod_window``: only URLs
(and child sitemaps) whose ``<lastmod>`` or ``<news:publication_date>`` is that recent are
considered. An undated URL is kept in a news sitemap (which lists only recent articles by
definition) and skipped in a plain one (which may list a whole archive); an undated child
sitemap is read. Articles already stored are not fetched again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import TYPE_CHECKING, Any

from scrapy.spiders import SitemapSpider as ScrapySitemapSpider
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler.dates import parse_iso_datetime
from crawler.spiders.base import BanwatchSpider, DueSource
from monitor.ingest import Entry

if TYPE_CHECKING:
    from scrapy.http import Request, Response

    from monitor.config import SitemapSettings

_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def news_dates(body: bytes) -> dict[str, str]:
    """loc -> news:publication_date, which Scrapy's Sitemap (direct children only) skips."""
    import lxml.etree

    if b"sitemap-news" not in body[:4096]:
        return {}
    dates: dict[str, str] = {}
    for _, elem in lxml.etree.iterparse(
        BytesIO(body), tag=f"{_NEWS_NS}publication_date", recover=True, resolve_entities=False
    ):
        parent = elem.getparent()
        url = parent.getparent() if parent is not None else None
        loc = url.find(f"{_SITEMAP_NS}loc") if url is not None else None
        if loc is not None and loc.text and elem.text:
            dates[loc.text.strip()] = elem.text.strip()
    return dates


def recent(
    entries: Iterable[dict[str, Any]],
    window: float,
    now: datetime | None = None,
    *,
    keep_undated: bool = True,
) -> Iterator[str]:
    """The ``loc`` of each entry dated within ``window`` seconds (undated: ``keep_undated``)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=window)
    for entry in entries:
        loc = (entry.get("loc") or "").strip()
        if not loc:
            continue
        when = parse_iso_datetime(entry.get("lastmod") or entry.get("publication_date"))
        if (when is None and keep_undated) or (when is not None and when >= cutoff):
            yield loc


class SitemapSpider(BanwatchSpider, ScrapySitemapSpider):
    """News sitemaps and indexes from ``[[sitemaps]]``."""

    name = "sitemap"
    source_kind = "sitemap"
    sitemap_urls = ()

    def source_requests(self, state: DueSource) -> Iterator[Request]:
        yield self.source_request(state, state.url, self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        if self.not_modified(response):
            return
        source = response.meta["source"]
        config = self._config(source)
        if response.url.endswith("/robots.txt"):
            children = list(sitemap_urls_from_robots(response.body, base_url=response.url))
            for url in children:
                yield self.follow_source(response, url, self.parse_sitemap)
            self.source_ok(response, changed=bool(children))
            return
        body = self._get_sitemap_body(response)
        sitemap = Sitemap(body) if body else None
        if sitemap is None or sitemap.type not in ("urlset", "sitemapindex"):
            self.source_error(response, f"{response.url}: not a sitemap")
            return
        window = config.lastmod_window if config else 2 * 86400.0
        if sitemap.type == "sitemapindex":
            children = list(recent(sitemap, window))
            for url in children:
                yield self.follow_source(response, url, self.parse_sitemap)
            self.source_ok(response, changed=bool(children))
            return
        is_news = b"sitemap-news" in body[:4096]  # type: ignore[index]
        dates = news_dates(body) if is_news else {}  # type: ignore[arg-type]
        entries = ({**e, "publication_date": dates.get(e.get("loc", ""))} for e in sitemap)
        fresh = self.new_links(recent(entries, window, keep_undated=is_news))
        self.source_ok(response, changed=bool(fresh), entries=[Entry(url) for url in fresh])

    def _config(self, name: str) -> SitemapSettings | None:
        return next((s for s in self.settings_bw.sitemaps if s.name == name), None)
