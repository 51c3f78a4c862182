"""Read-side queries behind the listing verbs, the web pages and the JSON API.

Each returns plain rows shaped as the contract in DESIGN.md names them, so the CLI only
prints and ``--json`` output is these dicts, serialised.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from monitor.classify.vocabulary import load_vocabulary
from monitor.config import Settings
from monitor.models import (
    Article,
    ArticleUrl,
    Delivery,
    Event,
    EventArticle,
    EventTarget,
    Source,
    Verdict,
)
from monitor.sources import is_failing

if TYPE_CHECKING:
    from monitor.classify.vocabulary import Vocabulary


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def event_urls(session: Session, event_ids: list[int]) -> dict[int, list[str]]:
    """Article URLs of each event, oldest report first."""
    urls: dict[int, list[str]] = defaultdict(list)
    if not event_ids:
        return urls
    rows = session.execute(
        sa.select(EventArticle.event_id, Article.url)
        .join(Article, Article.id == EventArticle.article_id)
        .where(EventArticle.event_id.in_(event_ids))
        .order_by(EventArticle.event_id, Article.published_at.nulls_last(), Article.id)
    )
    for event_id, url in rows:
        urls[event_id].append(url)
    return urls


def event_dict(event: Event, urls: list[str]) -> dict[str, Any]:
    """One event as in ``banwatch events --json`` (and the webhook body's ``event``)."""
    return {
        "id": event.id,
        "platform": event.platform,
        "action": event.action,
        "target": event.target,
        "targets": event.target_names,
        "status": event.status,
        "article_count": event.article_count,
        "outlet_count": event.outlet_count,
        "first_seen": iso(event.first_seen_at),
        "last_seen": iso(event.last_seen_at),
        "headline": event.headline,
        "scale": event.scale,
        "urls": urls,
    }


def platform_condition(
    column: InstrumentedAttribute[str], word: str, vocabulary: Vocabulary
) -> sa.ColumnElement[bool]:
    """Rows whose platform is one the user's ``word`` covers: an alias ("X" is Twitter),
    a family ("Meta": Meta, Facebook, Instagram, WhatsApp, Threads), else the word as
    written, case-insensitively."""
    names = {p.lower() for p in vocabulary.platforms_for(word)}
    return sa.func.lower(column).in_(sorted(names))


def target_condition(
    key_column: InstrumentedAttribute[str],
    name_column: InstrumentedAttribute[str],
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
) -> list[dict[str, Any]]:
    """Events, newest first. ``platform``, ``action`` and ``target`` are the user's words,
    read through the vocabulary (default: the shipped one; pass
    ``load_vocabulary(settings.classifier)`` for the settings' additions): ``platform="X"``
    finds Twitter events, ``"Meta"`` Facebook and Instagram ones too, and ``target`` matches
    any target of the ban under any of its names ("Russia Today" finds the RT event).
    Events the user dismissed (not a ban) are listed only with ``dismissed``, and then
    only they; events merged into another never are."""
    vocab = vocabulary if vocabulary is not None else load_vocabulary()
    query = sa.select(Event).where(Event.merged_into_id.is_(None))
    if dismissed:
        query = query.where(Event.dismissed_at.is_not(None))
    else:
        query = query.where(Event.dismissed_at.is_(None))
    if platform:
        query = query.where(platform_condition(Event.platform, platform, vocab))
    if action:
        query = query.where(Event.action == action_value(action, vocab))
    if target:
        any_target = sa.select(EventTarget.event_id).where(
            target_condition(EventTarget.target_key, EventTarget.target, target, vocab)
        )
        query = query.where(
            sa.or_(
                Event.id.in_(any_target),
                target_condition(Event.target_key, Event.target, target, vocab),
            )
        )
    if status:
        query = query.where(Event.status == status)
    if since:
        query = query.where(Event.last_seen_at >= since)
    query = query.order_by(Event.first_seen_at.desc(), Event.id.desc())
    if limit:
        query = query.limit(limit)
    events = list(session.scalars(query.options(selectinload(Event.targets))))
    urls = event_urls(session, [e.id for e in events])
    return [event_dict(e, urls.get(e.id, [])) for e in events]


def list_hits(
    session: Session,
    *,
    since: datetime | None = None,
    limit: int | None = None,
    platform: str | None = None,
    action: str | None = None,
    target: str | None = None,
    vocabulary: Vocabulary | None = None,
) -> list[dict[str, Any]]:
    """Verdicts with their article, newest article first (``banwatch hits``); ``platform``,
    ``action`` and ``target`` read as in ``list_events``."""
    vocab = vocabulary if vocabulary is not None else load_vocabulary()
    query = sa.select(Verdict, Article).join(Article, Article.id == Verdict.article_id)
    if since:
        query = query.where(Article.fetched_at >= since)
    if platform:
        query = query.where(platform_condition(Verdict.platform, platform, vocab))
    if action:
        query = query.where(Verdict.action == action_value(action, vocab))
    if target:
        query = query.where(target_condition(Verdict.target_key, Verdict.target, target, vocab))
    query = query.order_by(Article.published_at.desc().nulls_last(), Verdict.id)
    if limit:
        query = query.limit(limit)
    return [
        {
            "url": article.url,
            "title": article.title,
            "published": iso(article.published_at),
            "platform": verdict.platform,
            "action": verdict.action,
            "target": verdict.target,
            "scale": verdict.scale,
            "score": round(verdict.score, 3),
            "evidence": verdict.evidence,
        }
        for verdict, article in session.execute(query)
    ]


def status_report(session: Session, settings: Settings) -> dict[str, Any]:
    """Counts, per-source health and outbox state (``banwatch status``)."""
    now = datetime.now(UTC)
    deliveries = {"pending": 0, "sent": 0, "dead": 0}
    for state, count in session.execute(
        sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)
    ):
        deliveries[state] = count
    sources = [
        {
            "name": s.name,
            "kind": s.kind,
            "url": s.url,
            "origin": s.origin,  # settings | cli | opml
            "enabled": bool(s.enabled and not s.disabled),
            "last_ok": iso(s.last_ok_at),
            "last_error": s.last_error,
            "failures": s.failures,
            "failing": is_failing(s, settings.crawler, now),
            "next_poll": iso(s.next_poll_at),
        }
        for s in session.scalars(sa.select(Source).order_by(Source.kind, Source.name))
    ]
    return {
        "articles": session.scalar(sa.select(sa.func.count()).select_from(Article)) or 0,
        "article_urls": session.scalar(sa.select(sa.func.count()).select_from(ArticleUrl)) or 0,
        "hits": session.scalar(sa.select(sa.func.count()).select_from(Verdict)) or 0,
        "events": session.scalar(sa.select(sa.func.count()).select_from(Event)) or 0,
        "sources": sources,
        "deliveries": deliveries,
    }
