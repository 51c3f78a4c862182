"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read with the stdlib.

feedparser does not read JSON Feed, and the format is small: a JSON object with a
``version`` URL, a ``title`` and ``items``. Each item has an ``id`` (required; a string,
though some 1.0 feeds write a number), and optionally ``url`` (its page),
``external_url`` (the page it is about), ``title``, ``content_html`` / ``content_text``,
``summary``, ``date_published`` / ``date_modified`` (RFC 3339) and ``authors`` (1.1; 1.0's
single ``author`` is read as a one-author list).

Robustness, as for RSS: an item that is not an object is skipped and counted; a bad date
is no date; relative URLs are resolved against ``home_page_url`` (else the feed's URL);
only http(s) links are kept. A document that is not JSON, or JSON without a jsonfeed.org
``version``, is ``ParseError`` ("not a feed").

    feed = read_json_feed(body, url)
    for item in feed.items:
        item.link, item.title, item.published, item.content_text
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from crawler.dates import parse_iso_datetime
from monitor.ingest import ParseError

JSON_TYPES = ("application/feed+json", "application/json")


@dataclass(frozen=True, slots=True)
class JsonFeedItem:
    """One item, with the spec's fields (missing ones None or empty)."""

    id: str | None
    url: str | None
    external_url: str | None
    title: str | None
    content_html: str | None
    content_text: str | None
    summary: str | None
    date_published: datetime | None
    date_modified: datetime | None
    authors: tuple[str, ...] = ()

    @property
    def link(self) -> str | None:
        """The page to follow: its own ``url``, else ``external_url``, else an ``id``
        that is a URL."""
        for candidate in (self.url, self.external_url, self.id):
            if candidate and candidate.startswith(("http://", "https://")):
                return candidate
        return None

    @property
    def published(self) -> datetime | None:
        return self.date_published or self.date_modified


@dataclass(frozen=True, slots=True)
class JsonFeed:
    """A JSON Feed document: its version ("1.0"/"1.1"), title, home page and items."""

    version: str
    title: str | None
    home_page_url: str | None
    items: list[JsonFeedItem] = field(default_factory=list)
    skipped: int = 0  # items that are not objects


def looks_like_json(body: bytes, content_type: str = "") -> bool:
    """Served as JSON, or a body that starts like a JSON object."""
    if content_type.split(";")[0].strip().lower() in JSON_TYPES:
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def read_json_feed(body: bytes, url: str) -> JsonFeed:
    """Parse one JSON Feed fetched from ``url``; ``ParseError`` if it is not one."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"{url}: not a feed (invalid JSON: {_short(exc)})") from None
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        raise ParseError(f"{url}: not a feed (JSON without a jsonfeed.org version)")
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        raise ParseError(f"{url}: not a feed (JSON Feed without items)")
    home = _text(data.get("home_page_url"))
    base = home or url
    items: list[JsonFeedItem] = []
    skipped = 0
    for raw in raw_items:
        if not isinstance(raw, dict):
            skipped += 1
            continue
        items.append(_item(raw, base))
    version = str(data["version"]).rstrip("/").rsplit("/", 1)[-1]
    return JsonFeed(version, _text(data.get("title")), home, items, skipped)


def _item(raw: dict[str, Any], base: str) -> JsonFeedItem:
    ident = raw.get("id")
    return JsonFeedItem(
        id=str(ident).strip() if isinstance(ident, str | int) and str(ident).strip() else None,
        url=_url(raw.get("url"), base),
        external_url=_url(raw.get("external_url"), base),
        title=_text(raw.get("title")),
        content_html=_text(raw.get("content_html")),
        content_text=_text(raw.get("content_text")),
        summary=_text(raw.get("summary")),
        date_published=parse_iso_datetime(raw.get("date_published")),
        date_modified=parse_iso_datetime(raw.get("date_modified")),
        authors=_authors(raw),
    )


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _url(value: object, base: str) -> str | None:
    text = _text(value)
    if text is None:
        return None
    absolute = urljoin(base, text)
    return absolute if absolute.startswith(("http://", "https://")) else None


def _authors(raw: dict[str, Any]) -> tuple[str, ...]:
    found = raw.get("authors")
    if not isinstance(found, list):
        found = [raw["author"]] if isinstance(raw.get("author"), dict) else []
    names = (a.get("name") for a in found if isinstance(a, dict))
    return tuple(n.strip() for n in names if isinstance(n, str) and n.strip())


def _short(reason: object) -> str:
    text = str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
    return text[:160]
