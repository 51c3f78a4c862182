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
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor import frontier
from monitor.config import CrawlerSettings, Settings
from monitor.frontier import Entry
from monitor.models import Source

KINDS = ("feed", "site", "sitemap")


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
        if name not in wanted:
            src.enabled = False
    session.flush()


def due_sources(
    session: Session, kind: str, now: datetime | None = None, *, names: list[str] | None = None
) -> list[SourceState]:
    """Enabled sources of ``kind`` whose next poll time has come (or was never set)."""
    now = now or datetime.now(UTC)
    query = sa.select(Source).where(Source.kind == kind, Source.enabled.is_(True))
    if names:
        query = query.where(Source.name.in_(names))
    else:
        query = query.where(sa.or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now))
    return [
        SourceState(
            s.id, s.kind, s.name, s.url, s.etag, s.last_modified, s.failures, s.next_poll_at
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
    now: datetime | None = None,
) -> Source | None:
    """A fetch of ``name`` succeeded (200 or 304). ``not_before``: seconds the server asked
    us to wait (max-age / Retry-After); ``entries``: the article links it listed, written
    to the frontier with the new validators."""
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
    src.last_error = error[:2000]
    src.last_error_at = now
    if src.failing_since is None:
        src.failing_since = now
    src.next_poll_at = now + timedelta(
        seconds=backoff_delay(src.failures, crawler, retry_after, rng)
    )
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


def is_failing(src: Source, crawler: CrawlerSettings, now: datetime | None = None) -> bool:
    """True when the source has been failing for longer than ``failing_after``."""
    now = now or datetime.now(UTC)
    return src.failing_since is not None and (now - src.failing_since).total_seconds() > (
        crawler.failing_after
    )
