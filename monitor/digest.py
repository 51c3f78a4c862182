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

    digest = build_digest(session, settings, date(2024, 9, 2))
    print(render_text(digest))
    send_digest(engine, settings)          # queue today's digest and dispatch it
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from monitor.alerts.channel import Message
from monitor.alerts.filters import Filters
from monitor.alerts.outbox import DIGEST_MODES, DispatchStats, dispatch_due, enqueue_digest
from monitor.alerts.render import action_label, link_html, target_label, unsubscribe_url
from monitor.classify.vocabulary import Vocabulary, load_vocabulary
from monitor.db import session_scope
from monitor.models import Article, Delivery, Event, EventArticle, Source, Subscription, Verdict
from monitor.queries import iso
from monitor.sources import is_failing

if TYPE_CHECKING:
    from monitor.config import Settings

FORMATS = ("text", "html", "json")


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
    reversed_ids |= {e.id for e in new if e.status == "reversed"}
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
            target=target_label(event),
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
        if first_at >= since:
            out.setdefault(event_id, []).append(outlet)
    for outlets in out.values():
        outlets.sort()
    return out


# --- formats ---------------------------------------------------------------------------


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return "unknown"
    local = value.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "")


def subject_for(digest: Digest) -> str:
    return f"[banwatch] Daily digest {digest.day.isoformat()} — {digest.summary()}"


def _event_line(e: DigestEvent, zone: ZoneInfo) -> str:
    scale = f", {e.scale}" if e.scale else ""
    return (
        f"{action_label(e.action)}{scale} — reported by {e.outlet_count} outlet(s), "
        f"first seen {_when(e.first_seen, zone)}"
    )


def render_text(digest: Digest, *, unsubscribe: str | None = None) -> str:
    """The digest as plain text."""
    w = digest.window
    lines = [
        f"banwatch daily digest for {digest.day.isoformat()}",
        f"({_when(w.start, w.zone)} to {_when(w.end, w.zone)}; {digest.articles} articles read)",
        "",
    ]
    if digest.empty:
        lines.append("No new enforcement actions.")
    for platform, targets in digest.grouped():
        lines.append(f"== {platform} ==")
        for target, events in targets:
            lines.append(f"  {target}")
            for e in events:
                flag = "  [reversed]" if e.status == "reversed" else ""
                lines.append(f"    - {_event_line(e, w.zone)}{flag}")
                lines.append(f"      {e.headline}")
                lines.extend(f"      {r.url}" for r in e.reports)
        lines.append("")
    if digest.reversals:
        lines.append("== Reversals ==")
        for e in digest.reversals:
            lines.append(f"  - {e.platform} — {action_label(e.action)} — {e.target}: {e.headline}")
        lines.append("")
    if digest.updated:
        lines.append("== Newly reported ==")
        for e in digest.updated:
            lines.append(
                f"  - {e.platform} — {action_label(e.action)} — {e.target}: now "
                f"{e.outlet_count} outlet(s); new: {', '.join(e.new_outlets) or 'more articles'}"
            )
        lines.append("")
    lines.append("== Sources ==")
    if digest.failing:
        for s in digest.failing:
            lines.append(
                f"  ! {s.name} failing since {_when(s.failing_since, w.zone)} "
                f"({s.failures} failures): {s.last_error or 'unknown error'}"
            )
    else:
        lines.append("  all sources healthy")
    if unsubscribe:
        lines += ["", f"Unsubscribe: {unsubscribe}"]
    return "\n".join(lines).rstrip() + "\n"


def render_html(digest: Digest, *, unsubscribe: str | None = None) -> str:
    """The digest as an HTML page (every article-derived value escaped)."""
    esc = html.escape
    w = digest.window
    out = [
        '<!doctype html><html><body style="font-family:sans-serif">',
        f"<h1>banwatch daily digest for {esc(digest.day.isoformat())}</h1>",
        f"<p>{esc(_when(w.start, w.zone))} to {esc(_when(w.end, w.zone))}; "
        f"{digest.articles} articles read. <strong>{esc(digest.summary())}</strong></p>",
    ]
    if digest.empty:
        out.append("<p>No new enforcement actions.</p>")
    for platform, targets in digest.grouped():
        out.append(f"<h2>{esc(platform)}</h2>")
        for target, events in targets:
            out.append(f"<h3>{esc(target)}</h3><ul>")
            for e in events:
                flag = " <em>(reversed)</em>" if e.status == "reversed" else ""
                links = "".join(f"<li>{link_html(r.title, r.url)}</li>" for r in e.reports)
                out.append(
                    f"<li>{esc(_event_line(e, w.zone))}{flag}<br>{esc(e.headline)}"
                    f"<ul>{links}</ul></li>"
                )
            out.append("</ul>")
    if digest.reversals:
        out.append("<h2>Reversals</h2><ul>")
        out.extend(
            f"<li>{esc(e.platform)} — {esc(action_label(e.action))} — {esc(e.target)}: "
            f"{esc(e.headline)}</li>"
            for e in digest.reversals
        )
        out.append("</ul>")
    if digest.updated:
        out.append("<h2>Newly reported</h2><ul>")
        out.extend(
            f"<li>{esc(e.platform)} — {esc(action_label(e.action))} — {esc(e.target)}: now "
            f"{e.outlet_count} outlet(s); new: {esc(', '.join(e.new_outlets) or 'more articles')}"
            "</li>"
            for e in digest.updated
        )
        out.append("</ul>")
    out.append("<h2>Sources</h2>")
    if digest.failing:
        out.append("<ul>")
        out.extend(
            f"<li><strong>{esc(s.name)}</strong> failing since "
            f"{esc(_when(s.failing_since, w.zone))} ({s.failures} failures): "
            f"{esc(s.last_error or 'unknown error')}</li>"
            for s in digest.failing
        )
        out.append("</ul>")
    else:
        out.append("<p>All sources healthy.</p>")
    if unsubscribe:
        out.append(
            f'<p style="font-size:small"><a href="{esc(unsubscribe, quote=True)}">'
            "unsubscribe</a></p>"
        )
    out.append("</body></html>")
    return "".join(out)


def digest_json(digest: Digest) -> dict[str, Any]:
    """The digest as data (``banwatch digest --format json``, the webhook's ``digest``)."""
    return {
        "date": digest.day.isoformat(),
        "timezone": digest.window.zone.key,
        "window": {"start": iso(digest.window.start), "end": iso(digest.window.end)},
        "summary": digest.summary(),
        "empty": digest.empty,
        "counts": {
            "new": len(digest.new),
            "reversals": len(digest.reversals),
            "updated": len(digest.updated),
            "articles": digest.articles,
            "failing_sources": len(digest.failing),
        },
        "platforms": [
            {
                "platform": platform,
                "targets": [
                    {"target": target, "events": [e.as_json() for e in events]}
                    for target, events in targets
                ],
            }
            for platform, targets in digest.grouped()
        ],
        "reversals": [e.as_json() for e in digest.reversals],
        "updated": [e.as_json() for e in digest.updated],
        "failing_sources": [
            {
                "name": s.name,
                "url": s.url,
                "failing_since": iso(s.failing_since),
                "failures": s.failures,
                "last_error": s.last_error,
            }
            for s in digest.failing
        ],
    }


def render(digest: Digest, fmt: str) -> str:
    """The digest in one of ``FORMATS``."""
    if fmt == "text":
        return render_text(digest)
    if fmt == "html":
        return render_html(digest)
    if fmt == "json":
        import json

        return json.dumps(digest_json(digest), indent=2, ensure_ascii=False)
    raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")


# --- sending ---------------------------------------------------------------------------


def digest_message(session: Session, delivery: Delivery, settings: Settings) -> Message:
    """The message a digest delivery sends: the day's digest through the subscriber's
    filters, rendered now."""
    if delivery.digest_date is None:
        raise LookupError(f"delivery {delivery.id}: a digest without a date")
    subscription = delivery.subscription
    digest = build_digest(
        session, settings, delivery.digest_date, filters=Filters.from_json(subscription.filters)
    )
    unsubscribe = unsubscribe_url(settings, subscription)
    return Message(
        id=delivery.idempotency_key,
        kind="digest",
        subject=subject_for(digest),
        text=render_text(digest, unsubscribe=unsubscribe),
        html=render_html(digest, unsubscribe=unsubscribe),
        payload={
            "type": "digest",
            "timestamp": iso(delivery.created_at),
            "event": None,
            "evidence": None,
            "articles": [],
            "digest": digest_json(digest),
        },
        unsubscribe_url=unsubscribe,
    )


@dataclass(slots=True)
class DigestRun:
    """What ``send_digest`` did."""

    day: date
    queued: int = 0
    skipped_empty: int = 0
    dispatch: DispatchStats | None = None

    def __str__(self) -> str:
        text = f"digest {self.day.isoformat()}: {self.queued} queued"
        if self.skipped_empty:
            text += f", {self.skipped_empty} empty not sent"
        if self.dispatch is not None:
            text += f"; {self.dispatch}"
        return text


def send_digest(
    engine: Engine,
    settings: Settings,
    day: date | None = None,
    *,
    now: datetime | None = None,
    dispatch: bool = True,
) -> DigestRun:
    """Queue ``day``'s digest (default: today, local) for every digest subscriber, once per
    subscriber and day, then run a dispatcher pass so it goes out now."""
    day = day or local_today(settings, now)
    run = DigestRun(day)
    vocab = load_vocabulary(settings.classifier)
    with session_scope(engine) as session:
        subscriptions = session.scalars(
            sa.select(Subscription)
            .where(Subscription.active.is_(True), Subscription.mode.in_(DIGEST_MODES))
            .order_by(Subscription.id)
        ).all()
        for sub in subscriptions:
            if not settings.digest.send_empty:
                digest = build_digest(
                    session,
                    settings,
                    day,
                    filters=Filters.from_json(sub.filters),
                    vocabulary=vocab,
                    now=now,
                )
                if digest.empty:
                    run.skipped_empty += 1
                    continue
            run.queued += len(enqueue_digest(session, sub, day))
    if dispatch:
        run.dispatch = dispatch_due(engine, settings, now)
    return run
