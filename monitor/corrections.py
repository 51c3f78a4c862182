"""User corrections of events, which the pipeline respects from then on.

* ``merge_events(session, survivor, other)``: two events that prove one ban become one.
  The survivor takes the other's articles, targets and span; the other's row stays, with
  ``merged_into_id`` pointing at the survivor, so its deliveries (its alert history) are
  kept; it leaves every listing and never matches a report again. A merge sends no alert.
* ``split_article(session, event, article)``: an article wrongly joined to an event leaves
  it and opens an event of its own from the verdict that joined it (no alert: the user
  made it); ``event_exclusion`` keeps it from rejoining, so matching and automatic
  merging never put the two back together.
* ``dismiss_event(session, event)``: not a ban. The event stays (for evaluation: a false
  positive) and keeps attracting its reports, so they open nothing new, but it sends no
  further alert: its pending deliveries are given up and later changes enqueue none.
  Listings hide it unless asked for dismissed events.

Everything runs in the caller's transaction. Each function raises ``CorrectionError``
(one line naming what is wrong) and returns what it changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.errors import CorrectionError
from monitor.events import refresh_counts
from monitor.models import (
    Article,
    Delivery,
    Event,
    EventArticle,
    EventExclusion,
    EventTarget,
)
from monitor.models import Verdict as VerdictRow
from monitor.states import DeliveryStatus, EventStatus

DISMISSED_ERROR = "event dismissed by the user: not a ban"


@dataclass(frozen=True, slots=True)
class Correction:
    """What a correction did: the event it leaves in place (the survivor, the split-off
    event or the dismissed one) and the other event it touched, if any."""

    event_id: int
    other_id: int | None = None
    articles_moved: int = 0

    def as_json(self) -> dict[str, int | None]:
        return {
            "event": self.event_id,
            "other": self.other_id,
            "articles_moved": self.articles_moved,
        }


def live_event(session: Session, event_id: int) -> Event:
    """The event with this id, not merged away; ``CorrectionError`` otherwise."""
    event = session.get(Event, event_id)
    if event is None:
        raise CorrectionError(f"no event {event_id}")
    if event.merged_into_id is not None:
        raise CorrectionError(f"event {event_id} was merged into event {event.merged_into_id}")
    return event


def merge_events(session: Session, survivor_id: int, other_id: int) -> Correction:
    """Fold event ``other_id`` into ``survivor_id`` (no alert)."""
    if survivor_id == other_id:
        raise CorrectionError(f"cannot merge event {survivor_id} with itself")
    survivor = live_event(session, survivor_id)
    other = live_event(session, other_id)
    moved = 0
    for link in list(other.links):
        if session.get(EventArticle, (survivor.id, link.article_id)) is None:
            session.add(
                EventArticle(
                    event_id=survivor.id,
                    article_id=link.article_id,
                    verdict_id=link.verdict_id,
                    added_at=link.added_at,
                )
            )
            moved += 1
        session.delete(link)
    known = {t.target_key for t in survivor.targets}
    for target in other.targets:
        if target.target_key not in known:
            survivor.targets.append(
                EventTarget(
                    target_key=target.target_key,
                    target=target.target,
                    platform=survivor.platform,
                    action=survivor.action,
                    position=len(survivor.targets),
                )
            )
            known.add(target.target_key)
    for exclusion in session.scalars(
        sa.select(EventExclusion).where(EventExclusion.event_id == other.id)
    ):
        if session.get(EventExclusion, (survivor.id, exclusion.article_id)) is None:
            session.add(EventExclusion(event_id=survivor.id, article_id=exclusion.article_id))
    survivor.first_seen_at = min(survivor.first_seen_at, other.first_seen_at)
    survivor.last_seen_at = max(survivor.last_seen_at, other.last_seen_at)
    survivor.scale = survivor.scale or other.scale
    if other.score > survivor.score:
        survivor.score, survivor.headline, survivor.evidence = (
            other.score,
            other.headline,
            other.evidence,
        )
    if other.status == EventStatus.REVERSED and survivor.status != EventStatus.REVERSED:
        survivor.status, survivor.reversed_at = EventStatus.REVERSED, other.reversed_at
    other.merged_into_id = survivor.id
    session.flush()
    refresh_counts(session, survivor)
    refresh_counts(session, other)
    return Correction(survivor.id, other.id, moved)


def split_article(session: Session, event_id: int, article_id: int) -> Correction:
    """Take article ``article_id`` out of event ``event_id`` into an event of its own."""
    event = live_event(session, event_id)
    link = session.get(EventArticle, (event.id, article_id))
    if link is None:
        raise CorrectionError(f"event {event_id} holds no article {article_id}")
    if len(event.links) < 2:
        raise CorrectionError(
            f"article {article_id} is event {event_id}'s only report: dismiss the event instead"
        )
    article = session.get_one(Article, article_id)
    verdict = session.get(VerdictRow, link.verdict_id) if link.verdict_id else None
    session.delete(link)
    session.add(EventExclusion(event_id=event.id, article_id=article_id))
    session.flush()
    seen_at = article.published_at or article.fetched_at
    target = verdict.target if verdict else event.target
    target_key = verdict.target_key if verdict else event.target_key
    new = Event(
        platform=verdict.platform if verdict else event.platform,
        action=verdict.action if verdict else event.action,
        target=target,
        target_key=target_key,
        scale=verdict.scale if verdict else None,
        status=EventStatus.ACTIVE,
        first_seen_at=seen_at,
        last_seen_at=seen_at,
        headline=(article.title or (verdict.evidence if verdict else ""))[:300],
        score=verdict.score if verdict else 0.0,
        evidence=verdict.evidence if verdict else "",
    )
    session.add(new)
    session.flush()
    new.targets.append(
        EventTarget(target_key=target_key, target=target, platform=new.platform,
                    action=new.action, position=0)
    )  # fmt: skip
    session.add(EventArticle(event_id=new.id, article_id=article_id, verdict_id=link.verdict_id))
    session.flush()
    _respan(session, event)
    refresh_counts(session, event)
    refresh_counts(session, new)
    return Correction(new.id, event.id, 1)


def dismiss_event(session: Session, event_id: int) -> Correction:
    """Mark event ``event_id`` not a ban: no further alerts; kept, and listed with
    ``--dismissed``. Dismissing twice changes nothing."""
    event = live_event(session, event_id)
    if event.dismissed_at is None:
        event.dismissed_at = datetime.now(UTC)
    session.execute(
        sa.update(Delivery)
        .where(Delivery.event_id == event.id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.DEAD, last_error=DISMISSED_ERROR)
    )
    session.flush()
    return Correction(event.id)


def excluded(session: Session, event_id: int, article_id: int) -> bool:
    """Whether the user split this article out of this event."""
    return session.get(EventExclusion, (event_id, article_id)) is not None


def _respan(session: Session, event: Event) -> None:
    """First and last seen from the reports the event still holds."""
    kind = Article.__table__.c.fetched_at.type
    when = sa.func.coalesce(Article.published_at, Article.fetched_at, type_=kind)
    first, last = session.execute(
        sa.select(sa.func.min(when, type_=kind), sa.func.max(when, type_=kind))
        .join(EventArticle, EventArticle.article_id == Article.id)
        .where(EventArticle.event_id == event.id)
    ).one()
    if first is not None:
        event.first_seen_at, event.last_seen_at = first, last
