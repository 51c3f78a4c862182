"""HTML page -> ``Document``: main text and metadata, by trafilatura.

Extraction is the floor cost of the pipeline (PERF.md: ~70 pages/s in fast mode, 89% of
the per-article time), so it runs in trafilatura's fast mode, which scored the same token
F1 as the default mode on the ScrapingHub benchmark pages. The crawler's item pipeline and
``banwatch explain`` both call ``extract_document`` so a page is read the same way in both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from monitor.errors import ParseError

MIN_TEXT_CHARS = 200
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_CANONICAL = re.compile(r"""<link\b[^>]*\brel=["']?canonical["']?[^>]*>""", re.IGNORECASE)
_HREF = re.compile(r"""\bhref=["']([^"']+)["']""", re.IGNORECASE)
_HTML_LANG = re.compile(
    r"""<html\b[^>]*?\blang=["']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?""", re.IGNORECASE
)


FULL, DAY, MONTH, YEAR = "full", "day", "month", "year"
PRECISION_SPAN = {
    FULL: timedelta(0),
    DAY: timedelta(days=1),
    MONTH: timedelta(days=31),
    YEAR: timedelta(days=366),
}


@dataclass(frozen=True, slots=True)
class Document:
    """An article as banwatch understands it, before storage. ``published_precision``
    says how much of ``published_at`` is known: a full timestamp, or only its day, month
    or year (then ``published_at`` is the start of that period)."""

    url: str
    title: str
    text: str
    published_at: datetime | None = None
    language: str | None = None
    author: str | None = None
    sitename: str | None = None
    canonical_url: str | None = None
    source_name: str | None = None
    extra_urls: tuple[str, ...] = field(default=())
    fetched_at: datetime | None = None
    published_precision: str = FULL

    @property
    def outlet(self) -> str:
        host = urlsplit(self.canonical_url or self.url).hostname or ""
        return host.removeprefix("www.").removeprefix("m.").removeprefix("amp.")

    def with_feed_hints(
        self, *, title: str | None = None, published_at: datetime | None = None
    ) -> Document:
        """Fill what the page lacked from the feed entry. Of the times, the earliest full
        timestamp wins: the feed entry's (feedparser gives a full one) or the page's; a
        page date without a time never overrides the feed's timestamp."""
        when, precision = self.published_at, self.published_precision
        if published_at is not None and (when is None or precision != FULL or published_at < when):
            when, precision = published_at, FULL
        return replace(
            self,
            title=self.title or (title or ""),
            published_at=when,
            published_precision=precision,
        )

    def report_time(self, now: datetime) -> tuple[datetime, timedelta]:
        """When the story was reported, and how uncertain that is: the earliest full
        timestamp (published, else fetched, never after ``now``); a date without a time
        only when it says the story is older than that (a backfilled page), with its
        period as the uncertainty. So a page dated only "2024-03-05" fetched at 14:20
        that day was reported at 14:20, not at midnight."""
        fetched = min(self.fetched_at or now, now)
        if self.published_at is None:
            return fetched, timedelta(0)
        if self.published_precision == FULL:
            return min(self.published_at, fetched), timedelta(0)
        span = PRECISION_SPAN.get(self.published_precision, timedelta(days=1))
        if self.published_at + span <= fetched:
            return self.published_at, span
        return fetched, timedelta(0)


def decode_html(body: bytes, declared: str | None = None) -> str:
    """Bytes -> text: the declared charset, else the page's <meta charset>, else UTF-8,
    else cp1252. Never raises; undecodable bytes become U+FFFD."""
    candidates = [declared] if declared else []
    if m := _CHARSET.search(body[:4096]):
        candidates.append(m.group(1).decode("ascii", "ignore"))
    for enc in [*candidates, "utf-8"]:
        try:
            return body.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


def extract_document(
    html: str | bytes, url: str, *, encoding: str | None = None, min_chars: int = MIN_TEXT_CHARS
) -> Document:
    """Extract the main text and metadata of one article page.

    Raises ``ParseError`` when the page yields no article text (an index page, a login
    wall, an empty body): such pages are dropped, never stored as empty articles.
    """
    import trafilatura

    if isinstance(html, bytes):
        html = decode_html(html, encoding)
    if not html.strip():
        raise ParseError(f"{url}: empty page")
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            fast=True,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
        )
    except Exception as exc:  # trafilatura/lxml raise many types on broken markup
        raise ParseError(f"{url}: extraction failed: {exc.__class__.__name__}: {exc}") from None
    if doc is None:
        raise ParseError(f"{url}: no article text found")
    if isinstance(doc, dict):  # only with as_dict=True, which is not asked for
        raise ParseError(f"{url}: extraction returned a dict, not a document")
    text = (doc.text or "").strip()
    if len(text) < min_chars:
        raise ParseError(f"{url}: article text too short ({len(text)} chars)")
    published, precision = _parse_date(doc.date)
    return Document(
        url=url,
        title=(doc.title or "").strip(),
        text=text,
        published_at=published,
        published_precision=precision,
        language=(doc.language or _page_language(html) or None),
        author=doc.author or None,
        sitename=doc.sitename or None,
        canonical_url=_canonical_link(html, url),
        fetched_at=datetime.now(UTC),
    )


def _parse_date(value: str | None) -> tuple[datetime | None, str]:
    """trafilatura's date and its precision: most pages give only the day."""
    if not value:
        return None, FULL
    for fmt, precision in (
        ("%Y-%m-%dT%H:%M:%S%z", FULL),
        ("%Y-%m-%d %H:%M:%S", FULL),
        ("%Y-%m-%d", DAY),
    ):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), precision
    return None, FULL


def _page_language(html: str) -> str | None:
    m = _HTML_LANG.search(html[:5000])
    return m.group(1).lower() if m else None


def _canonical_link(html: str, url: str) -> str | None:
    head = html[:200_000]
    for tag in _CANONICAL.findall(head):
        if m := _HREF.search(tag):
            from urllib.parse import urljoin

            href = urljoin(url, str(m.group(1)).strip())
            if href.startswith(("http://", "https://")):
                return href
    return None
