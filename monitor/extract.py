"""HTML page -> ``Document``: main text and metadata, by trafilatura.

Extraction is the floor cost of the pipeline (PERF.md: ~70 pages/s in fast mode, 89% of
the per-article time), so it runs in trafilatura's fast mode, which scored the same token
F1 as the default mode on the ScrapingHub benchmark pages. The crawler's item pipeline and
``banwatch explain`` both call ``extract_document`` so a page is read the same way in both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from monitor.errors import ParseError

MIN_TEXT_CHARS = 200
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_CANONICAL = re.compile(r"""<link\b[^>]*\brel=["']?canonical["']?[^>]*>""", re.IGNORECASE)
_HREF = re.compile(r"""\bhref=["']([^"']+)["']""", re.IGNORECASE)
_HTML_LANG = re.compile(
    r"""<html\b[^>]*?\blang=["']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?""", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Document:
    """An article as banwatch understands it, before storage."""

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

    @property
    def outlet(self) -> str:
        host = urlsplit(self.canonical_url or self.url).hostname or ""
        return host.removeprefix("www.").removeprefix("m.").removeprefix("amp.")

    def with_feed_hints(
        self, *, title: str | None = None, published_at: datetime | None = None
    ) -> Document:
        """Fill what the page lacked from the feed entry (feed dates win when the page has none)."""
        return replace(
            self,
            title=self.title or (title or ""),
            published_at=self.published_at or published_at,
        )


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
    return Document(
        url=url,
        title=(doc.title or "").strip(),
        text=text,
        published_at=_parse_date(doc.date),
        language=(doc.language or _page_language(html) or None),
        author=doc.author or None,
        sitename=doc.sitename or None,
        canonical_url=_canonical_link(html, url),
        fetched_at=datetime.now(UTC),
    )


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


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
