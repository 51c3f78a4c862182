"""Find the feeds of a web page, the way feed readers do (``banwatch sources discover|add``).

Given a URL:

1. the URL itself, if it answers with a feed (RSS, Atom, RDF, JSON Feed) or a sitemap;
2. else, on an HTML page, its ``<link rel="alternate">`` elements with an RSS, Atom or JSON
   Feed type (each fetched and checked: a link to a 404 or to HTML is reported, not kept);
3. else the usual places: /feed, /rss.xml, /atom.xml, /feed.xml, /index.xml, /rss (and the
   same under the page's own path, e.g. /news/feed);
4. and in any case the sitemaps that the site's robots.txt names, news sitemaps first.

``Discovery.best`` is what ``sources add`` adds: the first feed the page advertises (comment
feeds last), else the first usual path that answered with a feed, else a news sitemap.

Network policy (DESIGN "Network policy"): the URL the operator gives is trusted, and so is
its host (and port) — a site's feeds usually live next to its pages. A link found in the
page that points to *another* host is not: it is fetched only if that host passes the
address policy (public, or configured, or in ``[network] allow``); otherwise it is listed
as refused, never fetched and never added. Every request goes through
``AddressPolicy.opener()``, so redirects are checked hop by hop.
"""

from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from monitor.errors import FetchError, SourceError
from monitor.explain import user_agent
from monitor.masking import mask_url
from monitor.net import AddressPolicy
from monitor.sources import DuplicateSource, add_source, unique_name

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.config import Settings
    from monitor.models import Source

USUAL_PATHS = ("/feed", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/rss")
FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/rdf+xml": "rdf",
    "application/feed+json": "json",
    "application/json": "json",
    "application/x-rss+xml": "rss",
    "text/xml": "rss",
    "application/xml": "rss",
}
CHUNK = 65536
_SNIFF = 4096


@dataclass(frozen=True, slots=True)
class Found:
    """One feed or sitemap discovery found (and checked by fetching it)."""

    url: str
    kind: str  # feed | sitemap
    format: str  # rss | atom | rdf | json | sitemap | news-sitemap
    title: str | None
    how: str  # "the URL itself" | "<link rel=alternate>" | "usual path" | "robots.txt"
    entries: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "kind": self.kind,
            "format": self.format,
            "title": self.title,
            "how": self.how,
            "entries": self.entries,
        }


@dataclass(slots=True)
class Discovery:
    """What ``discover`` found for one page, and every candidate it tried and why not."""

    url: str
    found: list[Found] = field(default_factory=list)
    tried: list[tuple[str, str]] = field(default_factory=list)  # (url, why not)
    page_title: str | None = None

    @property
    def feeds(self) -> list[Found]:
        return [f for f in self.found if f.kind == "feed"]

    @property
    def best(self) -> Found | None:
        """The feed a reader would pick: advertised before guessed, comment feeds last;
        without any feed, a news sitemap, then any sitemap."""
        if self.feeds:
            return sorted(self.feeds, key=_is_comments)[0]
        sitemaps = sorted(
            (f for f in self.found if f.kind == "sitemap"),
            key=lambda f: f.format != "news-sitemap",
        )
        return sitemaps[0] if sitemaps else None

    def as_json(self) -> dict[str, Any]:
        best = self.best
        return {
            "url": self.url,
            "title": self.page_title,
            "found": [f.as_json() for f in self.found],
            "best": best.url if best else None,
            "tried": [{"url": u, "why": why} for u, why in self.tried],
        }

    def describe_none(self) -> str:
        """One line for a page without any feed or sitemap."""
        return (
            f"{self.url}: no feed found (no <link rel=alternate> feed, none of "
            f"{', '.join(USUAL_PATHS)}, no sitemap in robots.txt); add the page as a site "
            "with `banwatch sources add URL --kind site --article-links REGEX`"
        )


def _is_comments(found: Found) -> bool:
    text = f"{found.title or ''} {found.url}".lower()
    return "comment" in text


@dataclass(frozen=True, slots=True)
class _Answer:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes


class _Fetcher:
    """GETs through the address policy: banwatch's User-Agent, timeout and size limit."""

    def __init__(self, settings: Settings, policy: AddressPolicy) -> None:
        self.crawler = settings.crawler
        self.policy = policy
        self.opener = policy.opener()

    def get(self, url: str) -> _Answer:
        self.policy.check_url(url)  # an untrusted literal private address: refused here
        request = urllib.request.Request(
            url,
            headers={
                "User-Agent": user_agent(self.crawler),
                "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
                "application/xml;q=0.9, text/html;q=0.8, */*;q=0.5",
            },
        )
        limit = self.crawler.max_size
        try:
            with self.opener.open(request, timeout=self.crawler.timeout) as response:
                chunks, size = [], 0
                while chunk := response.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(f"{mask_url(url)}: over the {limit}-byte limit")
                    chunks.append(chunk)
                return _Answer(
                    response.geturl(),
                    response.status,
                    response.headers.get("Content-Type", ""),
                    b"".join(chunks),
                )
        except urllib.error.HTTPError as exc:
            raise FetchError(f"{mask_url(url)}: HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, FetchError):
                raise reason from None
            raise FetchError(f"{mask_url(url)}: {reason}") from None
        except TimeoutError:
            raise FetchError(
                f"{mask_url(url)}: no answer within {self.crawler.timeout:g}s"
            ) from None
        except OSError as exc:
            raise FetchError(f"{mask_url(url)}: {exc}") from None


def discover(url: str, settings: Settings, *, policy: AddressPolicy | None = None) -> Discovery:
    """Fetch ``url`` and find its feeds (see the module docstring).

    Raises ``FetchError`` when the page itself cannot be fetched and ``SourceError`` when it
    is neither a feed, a sitemap nor an HTML page; a page without feeds is a ``Discovery``
    with nothing ``found`` (``describe_none`` says so in one line)."""
    url = url.strip()
    if not re.match(r"(?i)^https?://[^\s/]+", url):
        raise SourceError(f"{url!r}: expected an http(s) URL")
    policy = (policy or AddressPolicy.from_settings(settings)).with_trusted([url])
    fetch = _Fetcher(settings, policy)
    result = Discovery(url)
    page = fetch.get(url)
    itself = sniff(page.body, page.content_type)
    if itself is not None:
        fmt, title, entries = itself
        kind = "sitemap" if fmt.endswith("sitemap") else "feed"
        result.found.append(Found(page.url, kind, fmt, title, "the URL itself", entries))
        return result
    if not _is_html(page):
        media = page.content_type.split(";")[0] or "no content type"
        raise SourceError(f"{mask_url(url)}: neither a feed nor a web page ({media})")
    links = LinkFinder.find(page.body, page.url)
    result.page_title = links.title
    seen: set[str] = {page.url, url}
    for href, title in links.feeds:
        _try(fetch, result, seen, href, "<link rel=alternate>", title)
    if not result.feeds:
        for base in _bases(page.url):
            for path in USUAL_PATHS:
                _try(fetch, result, seen, urljoin(base, path.lstrip("/")), "usual path", None)
            if result.feeds:
                break
    for sitemap in _robots_sitemaps(fetch, page.url, result):
        _try(fetch, result, seen, sitemap, "robots.txt", None, sitemaps=True)
    return result


def _bases(page_url: str) -> list[str]:
    """The site's root, then the page's own folder (``/news/`` for ``/news/index.html``)."""
    parts = urlsplit(page_url)
    root = f"{parts.scheme}://{parts.netloc}/"
    folder = urljoin(page_url, ".")
    return [root] if folder == root else [root, folder]


def _try(
    fetch: _Fetcher,
    result: Discovery,
    seen: set[str],
    url: str,
    how: str,
    title: str | None,
    *,
    sitemaps: bool = False,
) -> None:
    if url in seen:
        return
    seen.add(url)
    try:
        answer = fetch.get(url)
    except FetchError as exc:
        result.tried.append((mask_url(url), _why(exc, url)))
        return
    sniffed = sniff(answer.body, answer.content_type)
    if sniffed is None:
        media = answer.content_type.split(";")[0] or "no content type"
        result.tried.append((mask_url(url), f"not a feed ({media})"))
        return
    fmt, feed_title, entries = sniffed
    kind = "sitemap" if fmt.endswith("sitemap") else "feed"
    if sitemaps != (kind == "sitemap"):
        result.tried.append((mask_url(url), f"a {fmt}, not what {how} promised"))
        return
    seen.add(answer.url)  # the address after redirects is the feed's own
    result.found.append(Found(answer.url, kind, fmt, title or feed_title, how, entries))


def _why(exc: FetchError, url: str) -> str:
    text = str(exc)
    for prefix in (mask_url(url) + ": ", url + ": "):
        text = text.removeprefix(prefix)
    return text


def _robots_sitemaps(fetch: _Fetcher, page_url: str, result: Discovery) -> list[str]:
    """The ``Sitemap:`` lines of the site's robots.txt, news sitemaps first."""
    parts = urlsplit(page_url)
    robots = f"{parts.scheme}://{parts.netloc}/robots.txt"
    try:
        answer = fetch.get(robots)
    except FetchError:
        return []
    found = [
        urljoin(robots, m.group(1).decode("utf-8", "replace").strip())
        for m in re.finditer(rb"(?im)^\s*sitemap\s*:\s*(\S+)", answer.body)
    ]
    return sorted(dict.fromkeys(found), key=lambda u: "news" not in u.lower())


def _is_html(answer: _Answer) -> bool:
    media = answer.content_type.split(";")[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        return True
    head = answer.body[:_SNIFF].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


# --- what a document is ------------------------------------------------------------------

_ROOT = re.compile(rb"<(?!\?|!)([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


def sniff(body: bytes, content_type: str = "") -> tuple[str, str | None, int] | None:
    """(format, title, entries) when ``body`` is a feed or sitemap, else None.

    Formats: rss, atom, rdf, json (JSON Feed), sitemap, news-sitemap. Read by its root
    element (XML) or its ``version`` (JSON Feed); never by the Content-Type alone, since
    servers label feeds text/html and pages text/xml."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] == b"{":
        return _sniff_json(head)
    match = _ROOT.search(head[:_SNIFF])
    if match is None:
        return None
    root = match.group(2).decode("ascii", "replace").lower()
    if root == "html":
        return None
    if root == "rss":
        return "rss", _xml_title(body), body.count(b"<item")
    if root == "feed":
        return "atom", _xml_title(body), len(re.findall(rb"<(?:\w+:)?entry[\s>]", body))
    if root == "rdf":
        return "rdf", _xml_title(body), len(re.findall(rb"<(?:\w+:)?item[\s>]", body))
    if root in ("urlset", "sitemapindex"):
        news = b"sitemap-news" in body[:_SNIFF] or b"<news:" in body
        entries = body.count(b"<loc")
        return ("news-sitemap" if news else "sitemap"), None, entries
    return None


def _sniff_json(body: bytes) -> tuple[str, str | None, int] | None:
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return None
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        return None
    items = data.get("items")
    title = data.get("title")
    return "json", str(title) if title else None, len(items) if isinstance(items, list) else 0


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.S | re.I)


def _xml_title(body: bytes) -> str | None:
    m = _TITLE.search(body[:65536])
    if not m:
        return None
    raw = m.group(1).decode("utf-8", "replace")
    raw = re.sub(r"<!\[CDATA\[(.*?)\]\]>", r"\1", raw, flags=re.S)
    text = " ".join(html.unescape(raw).split())
    return text or None


class LinkFinder(HTMLParser):
    """The page's title and its ``<link rel="alternate">`` feeds (href resolved against
    ``<base href>`` or the page URL), in page order."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.feeds: list[tuple[str, str | None]] = []
        self.title: str | None = None
        self._in_title = False
        self._title_parts: list[str] = []

    @classmethod
    def find(cls, body: bytes, base: str) -> LinkFinder:
        finder = cls(base)
        text = body.decode(_charset(body), "replace")
        finder.feed(text)  # html.parser never raises on bad markup: it reads what it can
        finder.close()
        if finder._title_parts:
            finder.title = " ".join("".join(finder._title_parts).split()) or None
        return finder

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and values.get("href"):
            self.base = urljoin(self.base, values["href"].strip())
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            media = values.get("type", "").split(";")[0].strip().lower()
            href = values.get("href", "").strip()
            if "alternate" in rels and media in FEED_TYPES and href:
                absolute = urljoin(self.base, href)
                if absolute.startswith(("http://", "https://")):
                    self.feeds.append((absolute, values.get("title") or None))
        elif tag == "title" and self.title is None and not self._title_parts:
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_parts.append(data)


def _charset(body: bytes) -> str:
    m = re.search(rb"""<meta[^>]+charset=["']?([\w\-]+)""", body[:4096], re.I)
    if m:
        name = m.group(1).decode("ascii", "replace")
        try:
            "".encode(name)
            return name
        except LookupError:
            pass
    return "utf-8"


def add_found(
    session: Session,
    discovery: Discovery,
    *,
    name: str | None = None,
    interval: float = 900.0,
    every: bool = False,
    kind: str | None = None,
) -> tuple[list[Source], list[tuple[Found, str]]]:
    """Add ``discovery.best`` (or, with ``every``, every feed found — and the sitemaps
    when no feed was) as database sources. ``kind`` "feed" or "sitemap" keeps only those.
    Returns the sources added and the ones not added with why (a duplicate, a name taken).

    Raises ``SourceError`` when nothing of the wanted kind was found."""
    found = [f for f in discovery.found if kind is None or f.kind == kind]
    if not found:
        what = f"no {kind}" if kind else "nothing"
        raise SourceError(
            discovery.describe_none() if not discovery.found else f"{discovery.url}: {what} found"
        )
    if every:
        feeds = [f for f in found if f.kind == "feed"]
        chosen = feeds or found
    else:
        best = discovery.best if kind is None else None
        chosen = [best if best is not None and best in found else _first(found)]
    added: list[Source] = []
    not_added: list[tuple[Found, str]] = []
    for position, item in enumerate(chosen):
        if name:
            wanted: str | None = name if position == 0 else f"{name} ({position + 1})"
        else:
            title = item.title or discovery.page_title
            wanted = unique_name(session, title) if title else None  # else from the URL
        try:
            src = add_source(session, url=item.url, name=wanted, kind=item.kind, interval=interval)
        except DuplicateSource as exc:
            not_added.append((item, f"already a source, {exc.name!r}"))
            continue
        added.append(src)
    return added, not_added


def _first(found: list[Found]) -> Found:
    feeds = [f for f in found if f.kind == "feed"]
    return sorted(feeds, key=_is_comments)[0] if feeds else found[0]
