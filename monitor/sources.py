"""Source polling state: which feeds, sites and sitemaps are due, and what happened last time.

Every fetch ends in exactly one of ``record_success`` or ``record_failure``:

* success resets the failure count and adapts the interval: a source that changed is polled
  sooner (x0.75), one that did not is polled later (x1.25), within the crawler's
  ``min_interval``..``max_interval`` bounds; ``Cache-Control: max-age`` or ``Retry-After``
  from the server push the next poll further out, never closer;
* failure stores the error line, counts it, and backs off exponentially with jitter
  (``backoff_base * 2**(failures-1)``, capped at ``backoff_max``, x0.8-1.2), so a dead
  source costs one request per backoff period and never stops the others.

Both also write the article links the source's answer listed into the crawl frontier, in
the same transaction (``monitor.frontier``): validators that let the next poll answer 304
are never stored without the entries they cover.

A source failing for longer than ``failing_after`` is reported by ``banwatch status`` and the
daily digest.

Where sources come from (``origin``): ``settings`` — declared in settings.toml and mirrored
by ``sync_sources`` (added, updated, switched off when removed from the file); ``cli`` —
added with ``banwatch sources add`` (``add_source``); ``opml`` — ``banwatch sources import``.
The database's own sources are never touched by ``sync_sources``; ``remove_source`` deletes
only those (a settings one is the file's to remove). ``set_disabled`` (``sources
disable|enable``) works on every source: a disabled source is not polled, whatever the
file says.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor import frontier
from monitor.config import CrawlerSettings, Settings
from monitor.errors import ConfigError
from monitor.frontier import Entry
from monitor.masking import mask_passwords
from monitor.models import Source, get_named

KINDS = ("feed", "site", "sitemap")
ORIGINS = ("settings", "cli", "opml")
SETTINGS_LISTS = {"feed": "feeds", "site": "sites", "sitemap": "sitemaps"}


@dataclass(frozen=True, slots=True)
class SourceState:
    """What a spider needs to know about one due source (a detached snapshot)."""

    id: int
    kind: str
    name: str
    url: str
    etag: str | None
    last_modified: str | None
    failures: int
    next_poll_at: datetime | None = None  # the poll this snapshot is for (a crawl "round")
    options: dict[str, Any] | None = None  # a database site's article_links


def sync_sources(session: Session, settings: Settings) -> None:
    """Make the source table mirror settings.toml: add new, update changed, disable removed."""
    wanted: dict[str, tuple[str, str, float]] = {}
    for feed in settings.feeds:
        if feed.enabled:
            wanted[feed.name] = ("feed", feed.url, feed.interval)
    for site in settings.sites:
        if site.enabled:
            wanted[site.name] = ("site", site.start_urls[0], site.interval)
    for sitemap in settings.sitemaps:
        if sitemap.enabled:
            wanted[sitemap.name] = ("sitemap", sitemap.url, sitemap.interval)
    existing = {s.name: s for s in session.scalars(sa.select(Source))}
    for name, (kind, url, interval) in wanted.items():
        src = existing.get(name)
        if src is not None and src.origin != "settings":
            raise ConfigError(
                f"{settings.path or 'settings'}: {SETTINGS_LISTS[kind]}: name = {name!r}: expected "
                f"a name not already used by a source added with `banwatch sources` "
                f"(`banwatch sources remove {name}` or rename this one)"
            )
        if src is None:
            session.add(
                Source(kind=kind, name=name, url=url, interval=interval, current_interval=interval)
            )
            continue
        if src.url != url or src.kind != kind:
            src.url, src.kind = url, kind
            src.etag = src.last_modified = None
            src.next_poll_at = None
        if src.interval != interval:
            src.interval = src.current_interval = interval
        src.enabled = True
    for name, src in existing.items():
        if name not in wanted and src.origin == "settings":
            src.enabled = False
    session.flush()


def due_sources(
    session: Session, kind: str, now: datetime | None = None, *, names: list[str] | None = None
) -> list[SourceState]:
    """Enabled sources of ``kind`` whose next poll time has come (or was never set)."""
    now = now or datetime.now(UTC)
    query = sa.select(Source).where(
        Source.kind == kind, Source.enabled.is_(True), Source.disabled.is_(False)
    )
    if names:
        query = query.where(Source.name.in_(names))
    else:
        query = query.where(sa.or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now))
    return [
        SourceState(
            s.id,
            s.kind,
            s.name,
            s.url,
            s.etag,
            s.last_modified,
            s.failures,
            s.next_poll_at,
            dict(s.options) if s.options else None,
        )
        for s in session.scalars(query.order_by(Source.next_poll_at.nulls_first(), Source.id))
    ]


def record_success(
    session: Session,
    name: str,
    crawler: CrawlerSettings,
    *,
    changed: bool,
    etag: str | None = None,
    last_modified: str | None = None,
    not_before: float | None = None,
    entries: Iterable[Entry] = (),
    drop_validators: bool = False,
    now: datetime | None = None,
) -> Source | None:
    """A fetch of ``name`` succeeded (200 or 304). ``not_before``: seconds the server asked
    us to wait (max-age / Retry-After); ``entries``: the article links it listed, written
    to the frontier with the new validators; ``drop_validators``: the listing was not taken
    in full (``[crawler] max_entries``), so no validator is kept and the next poll reads the
    source in full rather than getting a 304 that hides the rest."""
    now = now or datetime.now(UTC)
    src = session.scalar(sa.select(Source).where(Source.name == name))
    if src is None:
        return None
    frontier.add_entries(session, src.id, entries, now)
    current = src.current_interval or src.interval
    current = current * 0.75 if changed else current * 1.25
    current = min(max(current, crawler.min_interval), max(crawler.max_interval, src.interval))
    src.current_interval = current
    wait = max(current, not_before or 0.0)
    src.next_poll_at = now + timedelta(seconds=wait)
    src.last_ok_at = now
    src.failures = 0
    src.failing_since = None
    if drop_validators:
        src.etag = src.last_modified = None
    else:
        if etag is not None:
            src.etag = etag
        if last_modified is not None:
            src.last_modified = last_modified
    if changed:
        src.last_changed_at = now
    return src


def record_failure(
    session: Session,
    name: str,
    crawler: CrawlerSettings,
    error: str,
    *,
    retry_after: float | None = None,
    entries: Iterable[Entry] = (),
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Source | None:
    """A fetch of ``name`` failed: store the error, count it and back off with jitter.
    ``entries`` that its other requests listed (a site's first section page answered, its
    second did not) still go to the frontier."""
    now = now or datetime.now(UTC)
    src = session.scalar(sa.select(Source).where(Source.name == name))
    if src is None:
        return None
    frontier.add_entries(session, src.id, entries, now)
    src.failures += 1
    src.last_error = mask_passwords(error)[:2000]
    src.last_error_at = now
    if src.failing_since is None:
        src.failing_since = now
    src.next_poll_at = now + timedelta(
        seconds=backoff_delay(src.failures, crawler, retry_after, rng)
    )
    return src


def note_error(
    session: Session, name: str, error: str, *, now: datetime | None = None
) -> Source | None:
    """Store ``error`` as ``name``'s last error, leaving its failure count and next poll
    alone (something the source listed was refused; the source itself is fine)."""
    src = session.scalar(sa.select(Source).where(Source.name == name))
    if src is None:
        return None
    src.last_error = mask_passwords(error)[:2000]
    src.last_error_at = now or datetime.now(UTC)
    return src


def backoff_delay(
    failures: int,
    crawler: CrawlerSettings,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure."""
    base = min(crawler.backoff_max, crawler.backoff_base * 2.0 ** max(failures - 1, 0))
    jittered = base * (rng or random).uniform(0.8, 1.2)
    return max(jittered, retry_after or 0.0)


def is_failing(
    src: Source | sa.Row[Any], crawler: CrawlerSettings, now: datetime | None = None
) -> bool:
    """True when the source (an ORM object or a row of its table) has been failing for
    longer than ``failing_after``."""
    now = now or datetime.now(UTC)
    return src.failing_since is not None and (now - src.failing_since).total_seconds() > (
        crawler.failing_after
    )


# --- sources managed from the CLI --------------------------------------------------------


def add_source(
    session: Session,
    *,
    url: str,
    name: str | None = None,
    kind: str = "feed",
    interval: float = 900.0,
    origin: str = "cli",
    category: str | None = None,
    options: dict[str, Any] | None = None,
    index: SourceIndex | None = None,
) -> Source:
    """Add a source owned by the database (``origin`` "cli" or "opml"), due at once.

    Without ``name``, one is made from the URL's host and path. Raises ``ConfigError`` when
    the URL is not http(s), the kind or origin unknown, the name taken, or a source with the
    same URL exists (``DuplicateSource``, naming it). Adding many (an OPML file): pass one
    ``SourceIndex`` to every call, so that each checks names and URLs in memory rather than
    reading the table, and flush once at the end."""
    url = url.strip()
    if not re.match(r"(?i)^https?://[^\s/]+", url):
        raise ConfigError(f"source url {url!r}: expected an http(s) URL")
    if kind not in KINDS:
        raise ConfigError(f"source kind {kind!r}: expected one of {', '.join(KINDS)}")
    if origin not in ORIGINS or origin == "settings":
        raise ConfigError(f"source origin {origin!r}: expected cli or opml")
    if interval <= 0:
        raise ConfigError(f"source interval {interval!r}: expected a positive duration")
    known = index if index is not None else SourceIndex.load(session)
    same_url = known.by_url.get(url_key(url))
    if same_url is not None:
        raise DuplicateSource(same_url, url)
    name = (name or "").strip() or known.unique(name_for_url(url))
    if name in known.names:
        raise ConfigError(f"source name {name!r}: a source with this name exists")
    known.add(name, url)
    src = Source(
        kind=kind,
        name=name,
        url=url,
        interval=interval,
        current_interval=interval,
        origin=origin,
        enabled=True,
        disabled=False,
        category=(category or None),
        options=options or None,
    )
    session.add(src)
    if index is None:
        session.flush()
    return src


@dataclass(slots=True)
class SourceIndex:
    """Every source's name and URL key, read once (see ``add_source``)."""

    by_url: dict[str, str]  # url_key -> name
    names: set[str]

    @classmethod
    def load(cls, session: Session) -> SourceIndex:
        rows = session.execute(sa.select(Source.name, Source.url)).all()
        return cls({url_key(url): name for name, url in rows}, {name for name, _ in rows})

    def add(self, name: str, url: str) -> None:
        self.by_url[url_key(url)] = name
        self.names.add(name)

    def unique(self, name: str) -> str:
        """``name``, or ``name (2)``, ``name (3)``... the first one no source has."""
        if name not in self.names:
            return name
        n = 2
        while f"{name} ({n})" in self.names:
            n += 1
        return f"{name} ({n})"


class DuplicateSource(ConfigError):
    """A source with this URL exists already (``name`` is its name)."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url
        super().__init__(f"source url {url!r}: already a source, {name!r}")


def find_by_url(session: Session, url: str) -> Source | None:
    """The source whose URL is ``url``, ignoring the scheme and a trailing slash."""
    wanted = url_key(url)
    for name, other in session.execute(sa.select(Source.name, Source.url)):
        if url_key(other) == wanted:
            return session.scalar(sa.select(Source).where(Source.name == name))
    return None


def url_key(url: str) -> str:
    """What makes two source URLs the same: host (any case), path without a trailing
    slash, query; not the scheme."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.netloc.lower()}{path}{query}"


def name_for_url(url: str) -> str:
    """``https://www.example.org/news/rss.xml`` -> ``example.org news``: a readable name."""
    parts = urlsplit(url)
    host = (parts.hostname or "source").removeprefix("www.")
    if parts.port:
        host = f"{host}:{parts.port}"
    words = [
        w
        for w in re.split(r"[/._\-]+", parts.path)
        if w and w.lower() not in {"feed", "feeds", "rss", "atom", "xml", "json", "index", "html"}
    ]
    return " ".join([host, *words[:3]])


def unique_name(session: Session, name: str) -> str:
    """``name``, or ``name (2)``, ``name (3)``... the first one no source has."""
    taken = set(session.scalars(sa.select(Source.name).where(Source.name.startswith(name))))
    return SourceIndex({}, taken).unique(name)


def get_source(session: Session, name: str) -> Source:
    """The source called ``name``; ``ConfigError`` naming the nearest names if none is."""
    return get_named(session, Source, name, "source")


def remove_source(session: Session, name: str) -> Source:
    """Delete a source added with the CLI or OPML (its articles stay, without a source).
    One declared in settings.toml is the file's: ``ConfigError`` says to edit the file or
    disable it."""
    src = get_source(session, name)
    if src.origin == "settings":
        path = "settings.toml"
        raise ConfigError(
            f"source {name!r}: declared in {path} ([[{SETTINGS_LISTS.get(src.kind, 'feeds')}]]):"
            f" remove it from the file, or `banwatch sources disable {name}` to stop polling it"
        )
    session.delete(src)
    session.flush()
    return src


def set_disabled(session: Session, name: str, disabled: bool) -> Source:
    """Switch a source off (not polled) or back on, whichever its origin."""
    src = get_source(session, name)
    src.disabled = disabled
    if not disabled:
        src.next_poll_at = None  # due at once
    session.flush()
    return src


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One source as ``banwatch sources list --json`` prints it: where it comes from
    (``origin``), whether it is polled (``enabled``: declared and not ``disabled`` by
    hand), its health, and whether the database has it yet (``synced``)."""

    name: str
    kind: str
    url: str
    origin: str  # settings | cli | opml
    category: str | None
    interval: float
    enabled: bool
    disabled: bool
    declared: bool
    last_ok: datetime | None
    last_error: str | None
    failures: int
    failing: bool
    next_poll: datetime | None
    synced: bool

    @classmethod
    def of(cls, src: Source, crawler: CrawlerSettings, now: datetime | None = None) -> SourceRow:
        return cls(
            name=src.name,
            kind=src.kind,
            url=src.url,
            origin=src.origin,
            category=src.category,
            interval=src.interval,
            enabled=bool(src.enabled and not src.disabled),
            disabled=src.disabled,
            declared=src.enabled,
            last_ok=src.last_ok_at,
            last_error=src.last_error,
            failures=src.failures,
            failing=is_failing(src, crawler, now),
            next_poll=src.next_poll_at,
            synced=True,
        )

    def as_json(self) -> dict[str, Any]:
        from monitor.queries import iso

        return {
            "name": self.name,
            "kind": self.kind,
            "url": self.url,
            "origin": self.origin,
            "category": self.category,
            "interval": self.interval,
            "enabled": self.enabled,
            "disabled": self.disabled,
            "declared": self.declared,
            "last_ok": iso(self.last_ok),
            "last_error": self.last_error,
            "failures": self.failures,
            "failing": self.failing,
            "next_poll": iso(self.next_poll),
            "synced": self.synced,
        }


def list_sources(session: Session, settings: Settings) -> list[SourceRow]:
    """Every source, by kind and name, with where it comes from and its health; reads only:
    a source settings.toml declares that is not in the database yet is listed as such
    (``synced`` false) until ``init``, a crawl or the daemon mirrors it."""
    now = datetime.now(UTC)
    rows = [SourceRow.of(s, settings.crawler, now) for s in session.scalars(sa.select(Source))]
    known = {r.name for r in rows}
    for kind, entries in (
        ("feed", settings.feeds),
        ("site", settings.sites),
        ("sitemap", settings.sitemaps),
    ):
        for entry in entries:
            if entry.name in known or not entry.enabled:
                continue
            url = entry.url if hasattr(entry, "url") else entry.start_urls[0]
            rows.append(
                SourceRow(
                    name=entry.name,
                    kind=kind,
                    url=url,
                    origin="settings",
                    category=None,
                    interval=entry.interval,
                    enabled=True,
                    disabled=False,
                    declared=True,
                    last_ok=None,
                    last_error=None,
                    failures=0,
                    failing=False,
                    next_poll=None,
                    synced=False,
                )
            )
    return sorted(rows, key=lambda r: (r.kind, r.name))
