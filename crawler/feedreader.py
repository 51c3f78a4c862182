"""Feed bytes -> entries: RSS 0.9x/1.0/2.0, Atom and RDF through feedparser, JSON Feed here.

feedparser copes with the real world (undeclared or wrong encodings, bogus processing
instructions, ill-formed XML: it sets ``bozo`` and carries on), but cannot read JSON Feed
and cannot guess an undeclared legacy encoding such as KOI8-R without chardet. So:

* JSON Feed (``application/feed+json`` or a body that is a JSON object with a jsonfeed.org
  ``version``) is read by ``crawler.jsonfeed``;
* bytes that are neither valid UTF-8 nor declare their encoding (no BOM, no XML
  declaration, no HTTP charset) get a charset guessed by charset_normalizer, handed to
  feedparser as if the server had sent it;
* a bozo feed with entries is fine; zero entries plus bozo (an HTML page, a truncated
  document) is ``ParseError`` ("not a feed"); a well-formed feed with no entries is an
  empty feed, not an error.

Entry links are resolved against the feed's URL (feedparser uses xml:base when present).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from crawler.jsonfeed import looks_like_json, read_json_feed
from monitor.ingest import ParseError

_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._\-]+)""")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_WESTERN = {"cp1252", "latin_1", "iso8859_15"}


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry of a feed, as much as the spider needs to follow it."""

    link: str
    guid: str | None = None
    title: str | None = None
    published: datetime | None = None

    @property
    def urls(self) -> tuple[str, ...]:
        """Every URL the entry is known by: its link, and its GUID when that is a URL."""
        if self.guid and self.guid.startswith(("http://", "https://")) and self.guid != self.link:
            return (self.link, self.guid)
        return (self.link,)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a feed says: its dialect, its entries (with a link), whether it was malformed."""

    version: str
    entries: list[FeedEntry]
    bozo: bool = False
    skipped: int = 0  # entries without any usable link


def read_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse one feed document fetched from ``url``; raises ``ParseError`` if it is not one."""
    if not body.strip():
        raise ParseError(f"{url}: empty response, not a feed")
    if looks_like_json(body, content_type):
        return _read_json_feed(body, url)
    return _read_xml_feed(body, url, content_type)


def _read_xml_feed(body: bytes, url: str, content_type: str) -> ParsedFeed:
    import feedparser

    headers = {"content-location": url, "content-type": _with_charset(body, content_type)}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    entries: list[FeedEntry] = []
    skipped = 0
    for raw in parsed.entries:
        entry = _xml_entry(raw, url)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    bozo = bool(parsed.bozo)
    if not parsed.entries and (bozo or not parsed.version):
        reason = parsed.get("bozo_exception") or "no feed elements"
        raise ParseError(f"{url}: not a feed ({_short(reason)})")
    return ParsedFeed(parsed.version or "unknown", entries, bozo, skipped)


def _xml_entry(raw: dict[str, Any], base: str) -> FeedEntry | None:
    link = raw.get("feedburner_origlink") or raw.get("link") or _alternate(raw)
    guid = raw.get("id") or raw.get("guid")
    if not link and guid and str(guid).startswith(("http://", "https://")):
        link = guid
    if not link:
        return None
    link = urljoin(base, str(link).strip())
    if not link.startswith(("http://", "https://")):
        return None
    return FeedEntry(
        link=link,
        guid=str(guid).strip() if guid else None,
        title=(raw.get("title") or "").strip() or None,
        # dict.get: feedparser's own get() maps updated_parsed to published_parsed, warning.
        published=_struct_time(
            dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")
        ),
    )


def _alternate(raw: dict[str, Any]) -> str | None:
    for link in raw.get("links") or ():
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return None


def _struct_time(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None


def _with_charset(body: bytes, content_type: str) -> str:
    """The Content-Type to give feedparser, with a guessed charset when nothing declares one."""
    content_type = content_type or "application/xml"
    if "charset=" in content_type.lower() or body.startswith(_BOMS):
        return content_type
    if _XML_ENCODING.match(body[:200]):
        return content_type
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        guess = _guess_charset(body)
        if guess:
            return f"{content_type.split(';')[0]}; charset={guess}"
    return content_type


def _guess_charset(body: bytes) -> str | None:
    """charset_normalizer's guess; windows-1252 (the web's legacy default) whenever it fits
    as well as the best guess, since short Western text fits several Latin code pages."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - trafilatura depends on it
        return None
    matches = list(from_bytes(body[:65536]))
    if not matches:
        return None
    best = min(m.chaos for m in matches)
    fitting = [m.encoding for m in matches if m.chaos <= best + 0.005]
    return "cp1252" if _WESTERN & set(fitting) else fitting[0]


def _read_json_feed(body: bytes, url: str) -> ParsedFeed:
    """JSON Feed 1.0/1.1, read by ``crawler.jsonfeed``: each item followed by its ``url``
    (else ``external_url``, else an ``id`` that is a URL); items without one are skipped."""
    feed = read_json_feed(body, url)
    entries: list[FeedEntry] = []
    skipped = feed.skipped
    for item in feed.items:
        if item.link is None:
            skipped += 1
            continue
        entries.append(FeedEntry(item.link, item.id, item.title, item.published))
    return ParsedFeed("json" + feed.version.replace(".", ""), entries, False, skipped)


def _short(reason: object) -> str:
    text = str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
    return text[:160]
