"""Read-side queries behind the listing verbs, the web pages and the JSON API.

Each returns small frozen rows (``EventRow``, ``HitRow``, ``StatusReport``, ``DeliveryRow``,
and for the web ``EventPage`` of ``FoundEvent`` rows and ``EventDetail``) whose
``as_json()`` is exactly the object the contract in DESIGN.md names, so the CLI and the web
only print, render or serialise them: no dicts cross to the templates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, Self

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from monitor import tables
from monitor.states import DeliveryStatus, EventStatus

JSON = dict[str, Any]
# A column to filter on: a mapped attribute (Event.platform) or a table's (its .c.platform).
_Column = InstrumentedAttribute[str] | sa.ColumnElement[str]

if TYPE_CHECKING:
    from monitor.classify.vocabulary import Vocabulary
    from monitor.models import Event


class _HasOutlet(Protocol):
    @property
    def outlet(self) -> str | None: ...


def distinct_outlets(articles: Iterable[_HasOutlet]) -> list[str]:
    """The outlets of ``articles``, each once, in the articles' order (unknown ones left out)."""
    return list(dict.fromkeys(a.outlet for a in articles if a.outlet))


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


# --- events ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event as ``banwatch events --json`` shows it (and the webhook body's ``event``)."""

    id: int
    platform: str
    action: str
    target: str
    targets: tuple[str, ...]
    status: EventStatus
    article_count: int
    outlet_count: int
    first_seen: datetime | None
    last_seen: datetime | None
    headline: str
    scale: str | None
    urls: tuple[str, ...]

    @classmethod
    def of(
        cls, event: Event | sa.Row[Any], urls: Sequence[str], targets: Sequence[str] | None = None
    ) -> Self:
        """From an ``Event``, or from a row of the event table and the names of its targets
        (``list_events`` reads rows, not ORM objects)."""
        return cls(
            id=event.id,
            platform=event.platform,
            action=event.action,
            target=event.target,
            targets=tuple(event.target_names if targets is None else targets or [event.target]),
            status=EventStatus(event.status),
            article_count=event.article_count,
            outlet_count=event.outlet_count,
            first_seen=event.first_seen_at,
            last_seen=event.last_seen_at,
            headline=event.headline,
            scale=event.scale,
            urls=tuple(urls),
        )

    def as_json(self) -> JSON:
        return {
            "id": self.id,
            "platform": self.platform,
            "action": self.action,
            "target": self.target,
            "targets": list(self.targets),
            "status": str(self.status),
            "article_count": self.article_count,
            "outlet_count": self.outlet_count,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "headline": self.headline,
            "scale": self.scale,
            "urls": list(self.urls),
        }


def event_urls(session: Session, event_ids: list[int]) -> dict[int, list[str]]:
    """Article URLs of each event, oldest report first."""
    urls: dict[int, list[str]] = defaultdict(list)
    if not event_ids:
        return urls
    link, article = tables.event_article.c, tables.article.c
    rows = session.execute(
        sa.select(link.event_id, article.url)
        .join_from(tables.event_article, tables.article, article.id == link.article_id)
        .where(link.event_id.in_(event_ids))
        .order_by(link.event_id, article.published_at.nulls_last(), article.id)
    )
    for event_id, url in rows:
        urls[event_id].append(url)
    return urls


def event_targets(session: Session, event_ids: list[int]) -> dict[int, list[str]]:
    """The names of every target of each event, first target first."""
    names: dict[int, list[str]] = defaultdict(list)
    if not event_ids:
        return names
    target = tables.event_target.c
    rows = session.execute(
        sa.select(target.event_id, target.target)
        .where(target.event_id.in_(event_ids))
        .order_by(target.event_id, target.position)
    )
    for event_id, name in rows:
        names[event_id].append(name)
    return names


def event_dict(event: Event, urls: list[str]) -> JSON:
    """One event as in ``banwatch events --json`` (and the webhook body's ``event``)."""
    return EventRow.of(event, urls).as_json()


def get_event(session: Session, event_id: int) -> EventRow | None:
    """One event by id, with its URLs."""
    from monitor.models import Event

    event = session.get(Event, event_id)
    if event is None:
        return None
    return EventRow.of(event, event_urls(session, [event_id]).get(event_id, []))


def platform_condition(
    column: _Column, word: str, vocabulary: Vocabulary
) -> sa.ColumnElement[bool]:
    """Rows whose platform is one the user's ``word`` covers: an alias ("X" is Twitter),
    a family ("Meta": Meta, Facebook, Instagram, WhatsApp, Threads), else the word as
    written, case-insensitively."""
    names = {p.lower() for p in vocabulary.platforms_for(word)}
    return sa.func.lower(column).in_(sorted(names))


def target_condition(
    key_column: _Column,
    name_column: _Column,
    word: str,
    vocabulary: Vocabulary,
) -> sa.ColumnElement[bool]:
    """Rows whose target is the one the user's ``word`` names, under any of its names
    ("Russia Today" and "TV-Novosti" find RT), by grouping key or by name."""
    keys = vocabulary.target_keys_for(word)
    canonical = vocabulary.target(word)
    names = {
        word.strip().lower(),
        *(n.lower() for n in vocabulary.target_names.get(canonical or "", ())),
    }
    return sa.or_(key_column.in_(sorted(keys)), sa.func.lower(name_column).in_(sorted(names)))


def _vocabulary(given: Vocabulary | None) -> Callable[[], Vocabulary]:
    """The vocabulary to read filter words with, loaded on first use (the shipped one when
    none is given), so a listing without filters never reads the lexicon."""
    return (lambda: given) if given is not None else _shipped_vocabulary


def _shipped_vocabulary() -> Vocabulary:
    """The shipped lexicon's vocabulary (cached), imported only when a filter needs it."""
    from monitor.classify.vocabulary import load_vocabulary

    return load_vocabulary()


def action_value(word: str, vocabulary: Vocabulary) -> str:
    """The action the user's ``word`` names ("Ad ban" -> "ad_ban"), else the word."""
    return vocabulary.action(word) or word.strip()


def list_events(
    session: Session,
    *,
    platform: str | None = None,
    action: str | None = None,
    target: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
    dismissed: bool = False,
    vocabulary: Vocabulary | None = None,
) -> list[EventRow]:
    """Events, newest first. ``platform``, ``action`` and ``target`` are the user's words,
    read through the vocabulary (default: the shipped one; pass
    ``load_vocabulary(settings.classifier)`` for the settings' additions): ``platform="X"``
    finds Twitter events, ``"Meta"`` Facebook and Instagram ones too, and ``target`` matches
    any target of the ban under any of its names ("Russia Today" finds the RT event).
    Events the user dismissed (not a ban) are listed only with ``dismissed``, and then
    only they; events merged into another never are."""
    vocab = _vocabulary(vocabulary)  # the lexicon's tables are read only when a word is given
    # Rows of the tables, not ORM objects: the ORM's first query configures every mapper, a
    # third of what ``banwatch events`` spent beyond its imports (bench/cli.py).
    event, event_target = tables.event.c, tables.event_target.c
    query = sa.select(tables.event).where(event.merged_into_id.is_(None))
    if dismissed:
        query = query.where(event.dismissed_at.is_not(None))
    else:
        query = query.where(event.dismissed_at.is_(None))
    if platform:
        query = query.where(platform_condition(event.platform, platform, vocab()))
    if action:
        query = query.where(event.action == action_value(action, vocab()))
    if target:
        any_target = sa.select(event_target.event_id).where(
            target_condition(event_target.target_key, event_target.target, target, vocab())
        )
        query = query.where(
            sa.or_(
                event.id.in_(any_target),
                target_condition(event.target_key, event.target, target, vocab()),
            )
        )
    if status:
        query = query.where(event.status == status)
    if since:
        query = query.where(event.last_seen_at >= since)
    query = query.order_by(event.first_seen_at.desc(), event.id.desc())
    if limit:
        query = query.limit(limit)
    rows = session.execute(query).all()
    ids = [row.id for row in rows]
    urls, targets = event_urls(session, ids), event_targets(session, ids)
    return [EventRow.of(row, urls.get(row.id, []), targets.get(row.id, [])) for row in rows]


# --- hits ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HitRow:
    """One verdict on one stored article (``banwatch hits --json``)."""

    url: str
    title: str | None
    published: datetime | None
    platform: str
    action: str
    target: str
    scale: str | None
    score: float
    evidence: str

    def as_json(self) -> JSON:
        return {
            "url": self.url,
            "title": self.title,
            "published": iso(self.published),
            "platform": self.platform,
            "action": self.action,
            "target": self.target,
            "scale": self.scale,
            "score": round(self.score, 3),
            "evidence": self.evidence,
        }


def list_hits(
    session: Session,
    *,
    since: datetime | None = None,
    limit: int | None = None,
    platform: str | None = None,
    action: str | None = None,
    target: str | None = None,
    vocabulary: Vocabulary | None = None,
) -> list[HitRow]:
    """Verdicts with their article, newest article first (``banwatch hits``); ``platform``,
    ``action`` and ``target`` read as in ``list_events``."""
    vocab = _vocabulary(vocabulary)  # the lexicon's tables are read only when a word is given
    verdict, article = tables.verdict.c, tables.article.c  # rows, as in list_events
    query = sa.select(
        article.url,
        article.title,
        article.published_at,
        verdict.platform,
        verdict.action,
        verdict.target,
        verdict.scale,
        verdict.score,
        verdict.evidence,
    ).join_from(tables.verdict, tables.article, article.id == verdict.article_id)
    if since:
        query = query.where(article.fetched_at >= since)
    if platform:
        query = query.where(platform_condition(verdict.platform, platform, vocab()))
    if action:
        query = query.where(verdict.action == action_value(action, vocab()))
    if target:
        query = query.where(target_condition(verdict.target_key, verdict.target, target, vocab()))
    query = query.order_by(article.published_at.desc().nulls_last(), verdict.id)
    if limit:
        query = query.limit(limit)
    return [
        HitRow(
            url=row.url,
            title=row.title,
            published=row.published_at,
            platform=row.platform,
            action=row.action,
            target=row.target,
            scale=row.scale,
            score=row.score,
            evidence=row.evidence,
        )
        for row in session.execute(query)
    ]


# --- deliveries ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One outbox row (``banwatch deliveries --json``)."""

    id: int
    subscription: str
    kind: str
    event_id: int | None
    digest_date: date | None
    idempotency_key: str
    status: DeliveryStatus
    attempts: int
    next_attempt: datetime | None
    last_attempt: datetime | None
    last_result: str | None
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime | None

    def as_json(self) -> JSON:
        return {
            "id": self.id,
            "subscription": self.subscription,
            "kind": self.kind,
            "event_id": self.event_id,
            "digest_date": self.digest_date.isoformat() if self.digest_date else None,
            "idempotency_key": self.idempotency_key,
            "status": str(self.status),
            "attempts": self.attempts,
            "next_attempt": iso(self.next_attempt),
            "last_attempt": iso(self.last_attempt),
            "last_result": self.last_result,
            "last_error": self.last_error,
            "sent_at": iso(self.sent_at),
            "created_at": iso(self.created_at),
        }


def list_deliveries(
    session: Session, *, status: str | None = None, limit: int | None = 100
) -> list[DeliveryRow]:
    """Deliveries, newest first, as ``banwatch deliveries --json`` prints them."""
    from monitor.models import Delivery, Subscription

    query = sa.select(Delivery, Subscription.name).join(
        Subscription, Subscription.id == Delivery.subscription_id
    )
    if status:
        query = query.where(Delivery.status == status)
    query = query.order_by(Delivery.id.desc())
    if limit:
        query = query.limit(limit)
    return [
        DeliveryRow(
            id=d.id,
            subscription=name,
            kind=d.kind,
            event_id=d.event_id,
            digest_date=d.digest_date,
            idempotency_key=d.idempotency_key,
            status=DeliveryStatus(d.status),
            attempts=d.attempts,
            next_attempt=d.next_attempt_at if d.status == DeliveryStatus.PENDING else None,
            last_attempt=d.last_attempt_at,
            last_result=d.last_result,
            last_error=d.last_error,
            sent_at=d.sent_at,
            created_at=d.created_at,
        )
        for d, name in session.execute(query)
    ]


# --- the web's event list, event page and chart ----------------------------------------


@dataclass(frozen=True, slots=True)
class EventQuery:
    """The filters of the events page, the Atom feed and ``/api/events``; empty means any.

    ``since`` / ``until`` bound ``first_seen`` ([since, until)); ``text`` searches the
    headline and every evidence sentence; ``limit`` and ``offset`` page through the rows.
    """

    platform: str | None = None
    action: str | None = None
    target: str | None = None
    status: str | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    offset: int = 0
    dismissed: bool = False  # only the events dismissed as not a ban (triage), else none


def _like(value: str) -> str:
    escaped = value.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _event_conditions(
    query: EventQuery, vocabulary: Vocabulary | None
) -> list[sa.ColumnElement[bool]]:
    from monitor.models import Event, EventArticle, EventTarget, Verdict

    vocab = vocabulary if vocabulary is not None else _shipped_vocabulary()
    where: list[sa.ColumnElement[bool]] = [
        Event.merged_into_id.is_(None),
        Event.dismissed_at.is_not(None) if query.dismissed else Event.dismissed_at.is_(None),
    ]
    if query.platform:
        where.append(platform_condition(Event.platform, query.platform, vocab))
    if query.action:
        where.append(Event.action == action_value(query.action, vocab))
    if query.target:
        any_target = sa.select(EventTarget.event_id).where(
            target_condition(EventTarget.target_key, EventTarget.target, query.target, vocab)
        )
        where.append(
            sa.or_(
                Event.id.in_(any_target),
                target_condition(Event.target_key, Event.target, query.target, vocab),
            )
        )
    if query.status:
        where.append(Event.status == query.status)
    if query.since:
        where.append(Event.first_seen_at >= query.since)
    if query.until:
        where.append(Event.first_seen_at < query.until)
    if query.text and query.text.strip():
        pattern = _like(" ".join(query.text.split()))
        in_evidence = (
            sa.select(EventArticle.event_id)
            .join(Verdict, Verdict.id == EventArticle.verdict_id)
            .where(sa.func.lower(Verdict.evidence).like(pattern, escape="\\"))
        )
        where.append(
            sa.or_(
                sa.func.lower(Event.headline).like(pattern, escape="\\"),
                sa.func.lower(Event.evidence).like(pattern, escape="\\"),
                Event.id.in_(in_evidence),
            )
        )
    return where


def event_outlets(session: Session, event_ids: list[int]) -> dict[int, list[str]]:
    """The outlets that reported each event, first report first."""
    from monitor.models import Article, EventArticle

    out: dict[int, list[str]] = defaultdict(list)
    if not event_ids:
        return out
    rows = session.execute(
        sa.select(EventArticle.event_id, Article.outlet)
        .join(Article, Article.id == EventArticle.article_id)
        .where(EventArticle.event_id.in_(event_ids), Article.outlet.is_not(None))
        .order_by(EventArticle.event_id, Article.published_at.nulls_last(), Article.id)
    )
    for event_id, outlet in rows:
        if outlet is not None and outlet not in out[event_id]:
            out[event_id].append(outlet)
    return out


@dataclass(frozen=True, slots=True)
class FoundEvent(EventRow):
    """One event of the web's event list, the Atom feed and ``/api/events``: the
    ``banwatch events --json`` object plus ``outlets``, the outlets that reported it, first
    report first."""

    outlets: tuple[str, ...] = ()

    def as_json(self) -> JSON:
        return {**EventRow.as_json(self), "outlets": list(self.outlets)}


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of events and the number of events the filters match."""

    events: tuple[FoundEvent, ...]
    total: int
    query: EventQuery

    def as_json(self) -> JSON:
        return {
            "events": [e.as_json() for e in self.events],
            "total": self.total,
            "limit": self.query.limit,
            "offset": self.query.offset,
        }


def search_events(
    session: Session, query: EventQuery, *, vocabulary: Vocabulary | None = None
) -> EventPage:
    """Events matching ``query``, newest first, one page of them, with the total count.
    Platform, action and target are the user's words, read through ``vocabulary`` (default:
    the shipped one) as ``list_events`` reads them: X is Twitter, Meta covers Facebook."""
    from monitor.models import Event

    where = _event_conditions(query, vocabulary)
    total = session.scalar(sa.select(sa.func.count()).select_from(Event).where(*where)) or 0
    events = list(
        session.scalars(
            sa.select(Event)
            .where(*where)
            .order_by(Event.first_seen_at.desc(), Event.id.desc())
            .limit(query.limit)
            .offset(query.offset)
            .options(selectinload(Event.targets))
        )
    )
    ids = [e.id for e in events]
    urls = event_urls(session, ids)
    outlets = event_outlets(session, ids)
    rows = tuple(
        replace(FoundEvent.of(e, urls.get(e.id, [])), outlets=tuple(outlets.get(e.id, ())))
        for e in events
    )
    return EventPage(rows, total, query)


@dataclass(frozen=True, slots=True)
class WeekCounts:
    """Events per platform per week (weeks start on Monday, UTC), oldest week first."""

    weeks: list[date]
    platforms: list[str]
    counts: dict[str, list[int]]

    @property
    def peak(self) -> int:
        return max((sum(col) for col in zip(*self.counts.values(), strict=True)), default=0)

    def as_json(self) -> dict[str, Any]:
        return {
            "weeks": [w.isoformat() for w in self.weeks],
            "counts": {p: self.counts[p] for p in self.platforms},
        }


def weekly_counts(
    session: Session,
    query: EventQuery,
    *,
    vocabulary: Vocabulary | None = None,
    weeks: int = 26,
    top: int = 5,
) -> WeekCounts:
    """The ``weeks`` weeks up to the newest matching event, per platform (the ``top``
    platforms by count, the rest as ``other``)."""
    from monitor.models import Event

    where = _event_conditions(query, vocabulary)
    newest = session.scalar(sa.select(sa.func.max(Event.first_seen_at)).where(*where))
    if newest is None:
        return WeekCounts([], [], {})
    if newest.tzinfo is None:
        newest = newest.replace(tzinfo=UTC)
    last = newest.date() - timedelta(days=newest.weekday())
    starts = [last - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    begin = datetime.combine(starts[0], datetime.min.time(), tzinfo=UTC)
    per: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    for platform, seen in session.execute(
        sa.select(Event.platform, Event.first_seen_at).where(*where, Event.first_seen_at >= begin)
    ):
        day = (seen if seen.tzinfo else seen.replace(tzinfo=UTC)).astimezone(UTC).date()
        index = (day - starts[0]).days // 7
        if 0 <= index < weeks:
            per[platform][index] += 1
    ranked = sorted(per, key=lambda p: (-sum(per[p]), p.casefold()))
    counts = {p: per[p] for p in ranked[:top]}
    if len(ranked) > top:
        counts["other"] = [sum(per[p][i] for p in ranked[top:]) for i in range(weeks)]
    return WeekCounts(starts, list(counts), counts)


# --- one event, as its page shows it ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """One verdict's sentence with the spans of the words that matched."""

    sentence: str
    spans: tuple[tuple[int, int], ...]
    platform: str
    action: str
    target: str
    scale: str | None
    score: float


@dataclass(frozen=True, slots=True)
class ArticleReport:
    id: int
    title: str
    url: str
    outlet: str | None
    published: datetime | None
    added: datetime | None
    evidence: tuple[Evidence, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "outlet": self.outlet,
            "published": iso(self.published),
            "evidence": [e.sentence for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A change of the event: ``opened``, ``updated`` (another report), ``reversed``."""

    at: datetime | None
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class EventDetail:
    """What the event page shows: the event, every report with its evidence, the history,
    and the user's corrections (the event it was merged into, when it was dismissed)."""

    event: EventRow
    evidence: Evidence
    articles: tuple[ArticleReport, ...]
    history: tuple[HistoryEntry, ...]
    first_seen: datetime
    last_seen: datetime
    merged_into: int | None = None
    dismissed: datetime | None = None

    @property
    def outlets(self) -> list[str]:
        return distinct_outlets(self.articles)

    def as_json(self) -> JSON:
        return {
            **self.event.as_json(),
            "merged_into": self.merged_into,
            "dismissed": iso(self.dismissed),
            "evidence": self.evidence.sentence,
            "outlets": self.outlets,
            "articles": [a.as_json() for a in self.articles],
            "history": [
                {"at": iso(h.at), "kind": h.kind, "detail": h.detail} for h in self.history
            ],
        }


def _spans(rules: Any) -> tuple[tuple[int, int], ...]:
    if not isinstance(rules, dict):
        return ()
    return tuple(
        (int(s[0]), int(s[1]))
        for s in rules.get("spans") or ()
        if isinstance(s, list | tuple) and len(s) == 2
    )


def event_detail(session: Session, event_id: int) -> EventDetail | None:
    """Everything the event page shows, or ``None`` when there is no such event."""
    from monitor.models import Article, Event, EventArticle, Verdict

    event = session.get(Event, event_id, options=[selectinload(Event.targets)])
    if event is None:
        return None
    rows = session.execute(
        sa.select(Article, EventArticle.added_at, Verdict)
        .join(EventArticle, EventArticle.article_id == Article.id)
        .outerjoin(Verdict, Verdict.id == EventArticle.verdict_id)
        .where(EventArticle.event_id == event_id)
        .order_by(EventArticle.added_at, Article.published_at.nulls_last(), Article.id)
    ).all()
    articles: list[ArticleReport] = []
    history: list[HistoryEntry] = []
    best: Evidence | None = None
    for article, added, verdict in rows:
        found: tuple[Evidence, ...] = ()
        if verdict is not None:
            found = (
                Evidence(
                    verdict.evidence,
                    _spans(verdict.rules),
                    verdict.platform,
                    verdict.action,
                    verdict.target,
                    verdict.scale,
                    verdict.score,
                ),
            )
            if best is None and verdict.evidence == event.evidence:
                best = found[0]
        articles.append(
            ArticleReport(
                article.id,
                article.title or article.url,
                article.url,
                article.outlet,
                article.published_at,
                added,
                found,
            )
        )
        outlet = article.outlet or "an outlet"
        reported = article.published_at or added  # when the report came out, if known
        if not history:
            history.append(
                HistoryEntry(event.first_seen_at, "opened", f"first reported by {outlet}")
            )
        elif verdict is not None and verdict.action == "reinstatement":
            history.append(HistoryEntry(reported, "reversed", f"reversal reported by {outlet}"))
        else:
            history.append(HistoryEntry(reported, "updated", f"also reported by {outlet}"))
    if event.status == "reversed" and not any(h.kind == "reversed" for h in history):
        history.append(HistoryEntry(event.reversed_at, "reversed", "the ban was lifted"))
    for merged_id, merged_at in session.execute(
        sa.select(Event.id, Event.updated_at).where(Event.merged_into_id == event_id)
    ):
        history.append(HistoryEntry(merged_at, "merged", f"event {merged_id} merged into this one"))
    if event.merged_into_id is not None:
        history.append(
            HistoryEntry(event.updated_at, "merged", f"merged into event {event.merged_into_id}")
        )
    if event.dismissed_at is not None:
        history.append(HistoryEntry(event.dismissed_at, "dismissed", "dismissed: not a ban"))
    history.sort(key=lambda h: h.at or event.first_seen_at)
    if best is None:
        best = Evidence(
            event.evidence,
            (),
            event.platform,
            event.action,
            event.target,
            event.scale,
            event.score,
        )
    return EventDetail(
        EventRow.of(event, [a.url for a in articles]),
        best,
        tuple(articles),
        tuple(history),
        event.first_seen_at,
        event.last_seen_at,
        merged_into=event.merged_into_id,
        dismissed=event.dismissed_at,
    )


def events_found_between(session: Session, windows: list[tuple[datetime, datetime]]) -> list[int]:
    """How many events (not dismissed, not merged away) were found in each [start, end)
    window: the digest page's strip of recent days."""
    from monitor.models import Event

    if not windows:
        return []
    begin = min(start for start, _end in windows)
    finish = max(end for _start, end in windows)
    found = [
        (created if created.tzinfo else created.replace(tzinfo=UTC))
        for created in session.scalars(
            sa.select(Event.created_at).where(
                Event.created_at >= begin,
                Event.created_at < finish,
                Event.merged_into_id.is_(None),
                Event.dismissed_at.is_(None),
            )
        )
    ]
    return [sum(start <= c < end for c in found) for start, end in windows]
