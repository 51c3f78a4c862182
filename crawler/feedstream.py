"""A streaming read of large, well-formed RSS 2.0 / RSS 1.0 (RDF) / Atom feeds.

``crawler.feedreader`` reads ordinary feeds with feedparser; a feed with thousands of
entries comes here instead: lxml's ``iterparse`` visits each ``item``/``entry`` once, keeps
its link, GUID, title and date as a small ``FeedEntry`` and frees the element, so 100,000
entries cost tens of MB and a second or two, not minutes and hundreds of MB. A document
lxml cannot read as well-formed XML returns None: feedparser, which copes with broken
feeds, reads it after all (within the worker's time limit).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin

if TYPE_CHECKING:
    from crawler.feedreader import FeedEntry, ParsedFeed

_DATE_TAGS = ("pubDate", "published", "date", "updated", "modified", "issued")
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(rss|RDF|feed)[\s>]")
_VERSIONS = {b"rss": "rss20", b"RDF": "rss10", b"feed": "atom10"}


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def stream_feed(body: bytes, url: str) -> ParsedFeed | None:
    """Entries of a large feed, or None when lxml cannot read it as well-formed XML (libxml2
    also refuses elements nested deeper than 256 levels)."""
    from lxml import etree

    from crawler.feedreader import FeedEntry, ParsedFeed

    root = _ROOT.search(body[:65536])
    if root is None:
        return None
    version = _VERSIONS[root.group(1)]
    entries: list[FeedEntry] = []
    skipped = 0
    try:
        for _event, elem in etree.iterparse(
            io.BytesIO(body),
            events=("end",),
            tag=("{*}item", "{*}entry"),
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
        ):
            entry = _entry(elem, url, FeedEntry)
            if entry is None:
                skipped += 1
            else:
                entries.append(entry)
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            if parent is not None:  # drop the entries already read from the tree
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError:
        return None
    return ParsedFeed(version, entries, False, skipped)


def _entry(elem: object, base: str, entry_type: type[FeedEntry]) -> FeedEntry | None:
    from crawler.feedreader import _title

    link = guid = title = None
    origlink = None
    published: datetime | None = None
    for child in elem:  # type: ignore[attr-defined]
        name = _local(child.tag)
        text = (child.text or "").strip()
        if name == "link":
            href = child.get("href")
            if href and child.get("rel", "alternate") == "alternate" and link is None:
                link = href.strip()
            elif text and link is None:
                link = text
        elif name == "origLink":
            origlink = text or None
        elif name in ("guid", "id"):
            guid = text or None
        elif name == "title":
            title = _title("".join(child.itertext()))
        elif name in _DATE_TAGS and published is None:
            published = _date(text)
    about = elem.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")  # type: ignore[attr-defined]
    link = origlink or link or about
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    if not link:
        return None
    from monitor.ingest import clean_text

    link = clean_text(link).strip()
    if not link.startswith(("http://", "https://")):
        link = urljoin(base, link)
    if not link.startswith(("http://", "https://")):
        return None
    return entry_type(link=link, guid=guid, title=title, published=published)


def _date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
