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
Titles are cleaned here, where they enter (``monitor.sanitize.clean_text``: no control
characters, escape sequences, noncharacters or bidi overrides).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from crawler.jsonfeed import looks_like_json, read_json_feed
from monitor.ingest import ParseError, clean_text

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


# Limits a feed must keep (the crawl passes [crawler] max_size as max_bytes).
MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 128
STREAM_ABOVE = 2000
_MARKUP_SKIP = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>|<![^>]*>", re.DOTALL)
_TAG = re.compile(rb"<(/?)[A-Za-z_][^>]*?(/?)>")


def read_feed(
    body: bytes,
    url: str,
    content_type: str = "",
    *,
    max_depth: int = MAX_DEPTH,
    max_bytes: int = MAX_BYTES,
) -> ParsedFeed:
    """Parse one feed document fetched from ``url``; raises ``ParseError`` if it is not one,
    or if it is larger than ``max_bytes`` or nests elements deeper than ``max_depth``.

    A large well-formed RSS/Atom/RDF feed (more than ``STREAM_ABOVE`` entries) is read by
    a streaming pass (``crawler.feedstream``) that keeps only what the spider needs;
    feedparser builds a dictionary of every element of every entry, ~4 KB each, and reads
    ~2,000 entries a second (100,000 entries: minutes and hundreds of MB)."""
    if len(body) > max_bytes:
        raise ParseError(f"{url}: feed of {len(body)} bytes is over the {max_bytes}-byte limit")
    if not body.strip():
        raise ParseError(f"{url}: empty response, not a feed")
    if looks_like_json(body, content_type):
        if _json_depth(body) > max_depth:
            raise ParseError(f"{url}: JSON nested deeper than {max_depth} levels, not a feed")
        return _read_json_feed(body, url)
    if entry_count_guess(body) > STREAM_ABOVE:
        from crawler.feedstream import stream_feed

        streamed = stream_feed(body, url)
        if streamed is not None:
            return streamed
    if nesting_depth(body, max_depth) > max_depth:
        raise ParseError(f"{url}: elements nested deeper than {max_depth} levels, not a feed")
    return _read_xml_feed(body, url, content_type)


def nesting_depth(body: bytes, limit: int) -> int:
    """How deep the elements of an XML document nest, counting no further than ``limit``+1
    (CDATA, comments and declarations skipped; a tolerant count, not a parse)."""
    depth = deepest = 0
    cleaned = _MARKUP_SKIP.sub(b"", body) if b"<!" in body or b"<?" in body else body
    for match in _TAG.finditer(cleaned):
        if match.group(1):
            depth = max(depth - 1, 0)
        elif not match.group(2):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
    return deepest


def entry_count_guess(body: bytes) -> int:
    """About how many entries a feed has (``<item`` / ``<entry`` occurrences)."""
    return body.count(b"<item") + body.count(b"<entry")


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
        title=_title(raw.get("title")),
        # dict.get: feedparser's own get() maps updated_parsed to published_parsed, warning.
        published=_struct_time(
            dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")
        ),
    )


def _title(value: object) -> str | None:
    """An entry's title, cleaned where it enters (``monitor.sanitize``)."""
    if not value:
        return None
    return clean_text(str(value)).strip() or None


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
        link = clean_text(item.link).strip()
        entries.append(FeedEntry(link, item.id, _title(item.title), item.published))
    return ParsedFeed("json" + feed.version.replace(".", ""), entries, False, skipped)


def _json_depth(body: bytes) -> int:
    """Deepest bracket nesting of a JSON document (brackets inside strings counted too: an
    over-estimate only for text full of brackets)."""
    depth = deepest = 0
    for byte in body.translate(None, _NOT_BRACKETS):
        if byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _short(reason: object) -> str:
    text = str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
    return text[:160]
