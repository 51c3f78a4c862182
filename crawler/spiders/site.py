"""The ``site`` spider: walk the section pages of sites without a usable feed.

Each ``[[sites]]`` entry names its start URLs (section pages), which links are articles
(``article_links``, a regex on the absolute URL, and/or ``article_css``, a CSS selector for
the links or the blocks holding them) and optionally how to reach the next section page
(``pagination_css``) and how many such hops to follow (``depth``). Links come from Scrapy's
LinkExtractor, so relative URLs are resolved and file downloads skipped. Articles already
stored are not fetched again.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from scrapy.http import TextResponse
from scrapy.linkextractors import LinkExtractor

from crawler.http import content_type
from crawler.spiders.base import BanwatchSpider, DueSource
from monitor.ingest import Entry

if TYPE_CHECKING:
    from scrapy.http import Request, Response

    from monitor.config import SiteSettings


@cache
def _extractors(
    article_links: str | None, article_css: str | None, pagination_css: str | None
) -> tuple[LinkExtractor, LinkExtractor | None]:
    articles = LinkExtractor(
        allow=(article_links,) if article_links else (),
        restrict_css=(article_css,) if article_css else (),
    )
    pages = LinkExtractor(restrict_css=(pagination_css,)) if pagination_css else None
    return articles, pages


class SiteSpider(BanwatchSpider):
    """Section pages from ``[[sites]]``, followed to their article pages."""

    name = "site"
    source_kind = "site"

    def source_requests(self, state: DueSource) -> Iterator[Request]:
        site = self._site(state.name) or self._added_site(state)
        if site is None:
            return
        for position, url in enumerate(site.start_urls):
            # The stored validators belong to the first start URL (the source's URL).
            yield self.source_request(
                state, url, self.parse_section, conditional=position == 0, meta={"depth_bw": 0}
            )

    def parse_section(self, response: Response) -> Iterator[Any]:
        if self.not_modified(response):
            return
        if not isinstance(response, TextResponse):
            media = content_type(response) or "no content type"
            self.source_error(response, f"{response.url}: not an HTML page ({media})")
            return
        site = self._site(response.meta["source"])
        if site is None:  # removed from settings.toml since the request was queued
            self.source_ok(response, changed=False)
            return
        articles, pages = _extractors(site.article_links, site.article_css, site.pagination_css)
        fresh = self.new_links(link.url for link in articles.extract_links(response))
        depth = int(response.meta.get("depth_bw", 0))
        next_pages = []
        if pages is not None and depth < site.depth:
            next_pages = [link.url for link in pages.extract_links(response)]
        for url in next_pages:
            yield self.follow_source(response, url, self.parse_section, {"depth_bw": depth + 1})
        self.source_ok(response, changed=bool(fresh), entries=[Entry(url) for url in fresh])

    def _site(self, name: str) -> SiteSettings | None:
        found = next((s for s in self.settings_bw.sites if s.name == name), None)
        return found or getattr(self, "_added", {}).get(name)

    def _added_site(self, state: DueSource) -> SiteSettings | None:
        """A site added with ``banwatch sources add --kind site``: its page and the
        ``article_links`` stored with it."""
        from monitor.config import SiteSettings

        links = (getattr(state, "options", None) or {}).get("article_links")
        if not links:
            return None
        site = SiteSettings(name=state.name, start_urls=[state.url], article_links=links)
        self._added: dict[str, SiteSettings] = {**getattr(self, "_added", {}), state.name: site}
        return site
