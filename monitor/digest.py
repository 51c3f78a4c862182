"""The daily digest: the last day's enforcement events, grouped, with the sources' health.

The digest for day D covers the 24 hours that end on D at ``[digest] time`` in
``[digest] timezone`` (so the 08:00 digest tells what was found since yesterday's 08:00):

- new events, grouped by platform, then target (with outlets, links and first seen);
- reversals (a ban lifted, an account reinstated) found in the window;
- older events newly reported by more outlets;
- sources failing for longer than ``[crawler] failing_after``.

A day with nothing new still makes a short "no new enforcement actions" digest, so silence
can be trusted, unless ``[digest] send_empty = false``. Each subscriber (mode ``digest`` or
``both``) gets the digest filtered by their own filters, through the outbox.

This module builds the digest from the models and the subscription filters only; it is
rendered beside the other renderers and sent with the outbox:

    digest = build_digest(session, settings, date(2024, 9, 2))   # monitor.digest
    print(render_text(digest))              # monitor.alerts.digest_render
    send_digest(engine, settings)           # monitor.alerts.digest_send: queue and dispatch
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.alerts.filters import Filters
from monitor.classify.vocabulary import Vocabulary, load_vocabulary
from monitor.models import Article, Event, EventArticle, Source, Verdict
from monitor.queries import iso
from monitor.sources import is_failing
from monitor.states import EventStatus

if TYPE_CHECKING:
    from monitor.config import Settings


# --- the window ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestWindow:
    """The day a digest is for, and the UTC instants it covers [start, end)."""

    day: date
    start: datetime
    end: datetime
    zone: ZoneInfo


def digest_window(settings: Settings, day: date) -> DigestWindow:
    zone = settings.digest.zone
    at: time = settings.digest.time
    end = datetime.combine(day, at, tzinfo=zone)
    start = datetime.combine(day - timedelta(days=1), at, tzinfo=zone)
    return DigestWindow(day, start.astimezone(UTC), end.astimezone(UTC), zone)


def local_today(settings: Settings, now: datetime | None = None) -> date:
    """Today's date in the digest's time zone."""
    return (now or datetime.now(UTC)).astimezone(settings.digest.zone).date()


# --- the content -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    url: str
    outlet: str | None


@dataclass(slots=True)
class DigestEvent:
    """One event as the digest shows it."""

    id: int
    platform: str
    action: str
    target: str
    scale: str | None
    status: str
    outlet_count: int
    article_count: int
    first_seen: datetime
    headline: str
    reports: list[Report] = field(default_factory=list)
    new_outlets: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "action": self.action,
            "target": self.target,
            "scale": self.scale,
            "status": self.status,
            "article_count": self.article_count,
            "outlet_count": self.outlet_count,
            "first_seen": iso(self.first_seen),
            "headline": self.headline,
            "urls": [r.url for r in self.reports],
            "new_outlets": self.new_outlets,
        }


@dataclass(frozen=True, slots=True)
class FailingSource:
    name: str
    url: str
    failing_since: datetime | None
    failures: int
    last_error: str | None


@dataclass(slots=True)
class Digest:
    window: DigestWindow
    new: list[DigestEvent]
    reversals: list[DigestEvent]
    updated: list[DigestEvent]
    failing: list[FailingSource]
    articles: int

    @property
    def day(self) -> date:
        return self.window.day

    @property
    def empty(self) -> bool:
        """Nothing new, reversed or newly reported (source health alone does not count)."""
        return not (self.new or self.reversals or self.updated)

    def grouped(self) -> list[tuple[str, list[tuple[str, list[DigestEvent]]]]]:
        """New events by platform, then by target (both alphabetical)."""
        tree: dict[str, dict[str, list[DigestEvent]]] = defaultdict(lambda: defaultdict(list))
        for event in self.new:
            tree[event.platform][event.target].append(event)
        return [
            (platform, sorted(targets.items(), key=lambda kv: kv[0].casefold()))
            for platform, targets in sorted(tree.items(), key=lambda kv: kv[0].casefold())
        ]

    def summary(self) -> str:
        if self.empty:
            return "no new enforcement actions"
        parts = [f"{len(self.new)} new enforcement action{'s' if len(self.new) != 1 else ''}"]
        if self.reversals:
            parts.append(f"{len(self.reversals)} reversed")
        if self.updated:
            parts.append(f"{len(self.updated)} newly reported")
        return ", ".join(parts)


def build_digest(
    session: Session,
    settings: Settings,
    day: date,
    *,
    filters: Filters | None = None,
    vocabulary: Vocabulary | None = None,
    now: datetime | None = None,
) -> Digest:
    """The digest for ``day``; with ``filters``, only the events they match."""
    window = digest_window(settings, day)
    vocab = vocabulary if vocabulary is not None else load_vocabulary(settings.classifier)

    def wanted(event: Event) -> bool:
        if event.dismissed_at is not None or event.merged_into_id is not None:
            return False  # the user said not a ban, or it lives on in another event
        return filters is None or filters.matches(event, vocab)

    new = [
        e
        for e in session.scalars(
            sa.select(Event)
            .where(Event.created_at >= window.start, Event.created_at < window.end)
            .order_by(Event.first_seen_at, Event.id)
        )
        if wanted(e)
    ]
    # Links added in the window, with whether they reverse their event.
    added = session.execute(
        sa.select(EventArticle.event_id, Article.outlet, Verdict.action)
        .join(Article, Article.id == EventArticle.article_id)
        .outerjoin(Verdict, Verdict.id == EventArticle.verdict_id)
        .where(EventArticle.added_at >= window.start, EventArticle.added_at < window.end)
    ).all()
    reversed_ids = {eid for eid, _o, action in added if action == "reinstatement"}
    reversed_ids |= {e.id for e in new if e.status == EventStatus.REVERSED}
    new_ids = {e.id for e in new}
    touched = {eid for eid, _o, action in added if action != "reinstatement"} - new_ids
    older = _events(session, (touched | reversed_ids) - new_ids)
    reversals = [e for e in new if e.id in reversed_ids] + [
        e for e in older if e.id in reversed_ids and wanted(e)
    ]
    updated = [e for e in older if e.id in touched and wanted(e)]
    new_outlets = _new_outlets(session, [e.id for e in updated], window.start)

    shown = {e.id for e in [*new, *reversals, *updated]}
    reports = _reports(session, shown)

    def view(event: Event) -> DigestEvent:
        return DigestEvent(
            id=event.id,
            platform=event.platform,
            action=event.action,
            target=event.target_label,
            scale=event.scale,
            status=event.status,
            outlet_count=event.outlet_count,
            article_count=event.article_count,
            first_seen=event.first_seen_at,
            headline=event.headline,
            reports=reports.get(event.id, []),
            new_outlets=new_outlets.get(event.id, []),
        )

    now = now or datetime.now(UTC)
    failing = [
        FailingSource(s.name, s.url, s.failing_since, s.failures, s.last_error)
        for s in session.scalars(
            sa.select(Source).where(Source.enabled.is_(True)).order_by(Source.name)
        )
        if is_failing(s, settings.crawler, now)
    ]
    articles = session.scalar(
        sa.select(sa.func.count())
        .select_from(Article)
        .where(Article.fetched_at >= window.start, Article.fetched_at < window.end)
    )
    return Digest(
        window=window,
        new=[view(e) for e in new],
        reversals=[view(e) for e in reversals],
        updated=[view(e) for e in updated],
        failing=failing,
        articles=articles or 0,
    )


def _events(session: Session, ids: set[int]) -> list[Event]:
    if not ids:
        return []
    return list(
        session.scalars(sa.select(Event).where(Event.id.in_(ids)).order_by(Event.first_seen_at))
    )


def _reports(session: Session, event_ids: set[int]) -> dict[int, list[Report]]:
    out: dict[int, list[Report]] = defaultdict(list)
    if not event_ids:
        return out
    rows = session.execute(
        sa.select(EventArticle.event_id, Article.title, Article.url, Article.outlet)
        .join(Article, Article.id == EventArticle.article_id)
        .where(EventArticle.event_id.in_(event_ids))
        .order_by(EventArticle.event_id, Article.published_at.nulls_last(), Article.id)
    )
    for event_id, title, url, outlet in rows:
        out[event_id].append(Report(title or "", url, outlet))
    return out


def _new_outlets(session: Session, event_ids: list[int], since: datetime) -> dict[int, list[str]]:
    """Outlets whose first report of each event came at or after ``since``."""
    out: dict[int, list[str]] = {}
    if not event_ids:
        return out
    first = (
        sa.select(EventArticle.event_id, Article.outlet, sa.func.min(EventArticle.added_at))
        .join(Article, Article.id == EventArticle.article_id)
        .where(EventArticle.event_id.in_(event_ids), Article.outlet.is_not(None))
        .group_by(EventArticle.event_id, Article.outlet)
    )
    for event_id, outlet, first_at in session.execute(first):
        first_at = first_at if first_at.tzinfo else first_at.replace(tzinfo=UTC)
        if first_at >= since and outlet is not None:
            out.setdefault(event_id, []).append(outlet)
    for outlets in out.values():
        outlets.sort()
    return out
