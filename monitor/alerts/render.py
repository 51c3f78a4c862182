"""What an event alert says, for every channel: subject, text, HTML and the webhook body.

It says why: platform, action, target, scale, the evidence sentence with the matched words
marked (``*word*`` in text, ``<mark>`` in HTML), the outlets and their links, first seen.
Every value that comes from an article is escaped in HTML, and only http(s) links become
``href``s. The webhook body's ``event`` is exactly one object of ``banwatch events --json``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.alerts.channel import Message
from monitor.models import Article, Delivery, Event, EventArticle, Subscription, Verdict
from monitor.queries import event_dict, iso

if TYPE_CHECKING:
    from monitor.config import Settings

KIND_LABEL = {
    "event.opened": "new",
    "event.updated": "update",
    "event.reversed": "reversed",
}


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """One report of an event."""

    title: str
    url: str
    outlet: str | None
    published: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "url": self.url,
            "outlet": self.outlet,
            "published": iso(self.published),
        }


@dataclass(frozen=True, slots=True)
class EventContext:
    """An event with what an alert about it shows: its reports and its proving verdict."""

    event: Event
    articles: tuple[ArticleRef, ...]
    spans: tuple[tuple[int, int], ...]
    rules: tuple[str, ...]

    @property
    def outlets(self) -> list[str]:
        seen: dict[str, None] = {}
        for article in self.articles:
            if article.outlet:
                seen.setdefault(article.outlet)
        return list(seen)


def load_event_context(session: Session, event: Event) -> EventContext:
    """The event's articles (oldest first) and the spans of the verdict behind its evidence."""
    rows = session.execute(
        sa.select(Article, Verdict)
        .join(EventArticle, EventArticle.article_id == Article.id)
        .outerjoin(Verdict, Verdict.id == EventArticle.verdict_id)
        .where(EventArticle.event_id == event.id)
        .order_by(Article.published_at.nulls_last(), Article.id)
    ).all()
    articles = tuple(ArticleRef(a.title or "", a.url, a.outlet, a.published_at) for a, _v in rows)
    verdicts = [v for _a, v in rows if v is not None]
    best = next((v for v in verdicts if v.evidence == event.evidence), None)
    spans: tuple[tuple[int, int], ...] = ()
    rules: tuple[str, ...] = ()
    if best is not None and isinstance(best.rules, dict):
        spans = tuple(
            (int(s[0]), int(s[1]))
            for s in best.rules.get("spans") or ()
            if isinstance(s, list | tuple) and len(s) == 2
        )
        rules = tuple(str(r) for r in best.rules.get("rules") or ())
    if not spans:
        spans = find_spans(event.evidence, [event.platform, *target_names(event)])
    return EventContext(event, articles, spans, rules)


def find_spans(sentence: str, words: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """Spans of whole-word, case-insensitive occurrences of ``words`` (a fallback when the
    verdict recorded none)."""
    spans = []
    for word in words:
        if word:
            for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", sentence, re.IGNORECASE):
                spans.append((m.start(), m.end()))
    return tuple(sorted(spans))


def segments(sentence: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``sentence`` cut into (text, matched) pieces; overlapping or bad spans are merged or
    dropped."""
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in sorted(spans):
        start, end = max(start, cursor), min(end, len(sentence))
        if start >= end:
            continue
        if start > cursor:
            pieces.append((sentence[cursor:start], False))
        pieces.append((sentence[start:end], True))
        cursor = end
    if cursor < len(sentence):
        pieces.append((sentence[cursor:], False))
    return pieces


def evidence_text(sentence: str, spans: Sequence[tuple[int, int]]) -> str:
    """The evidence with matched words marked ``*like this*``."""
    return "".join(f"*{t}*" if hit else t for t, hit in segments(sentence, spans))


def evidence_html(sentence: str, spans: Sequence[tuple[int, int]]) -> str:
    """The evidence, escaped, with matched words in ``<mark>``."""
    return "".join(
        f"<mark>{html.escape(t)}</mark>" if hit else html.escape(t)
        for t, hit in segments(sentence, spans)
    )


def safe_href(url: str) -> str | None:
    """An escaped href for http(s) URLs; ``None`` for anything else (javascript:, data:)."""
    return html.escape(url, quote=True) if re.match(r"(?i)^https?://", url) else None


def link_html(text: str, url: str) -> str:
    href = safe_href(url)
    label = html.escape(text or url)
    return f'<a href="{href}">{label}</a>' if href else label


def action_label(action: str) -> str:
    return action.replace("_", " ")


def local_time(value: datetime | None, zone: tzinfo) -> str:
    if value is None:
        return "unknown"
    local = value.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "")


def target_names(event: Event) -> list[str]:
    """The display names of every target the ban hit, first target first."""
    return event.target_names


def target_label(event: Event) -> str:
    """``"RT, Sputnik"``."""
    return event.target_label


def subject_for(event: Event, kind: str) -> str:
    """``[banwatch] Twitter — ad ban — RT, Sputnik`` (with ``reversed`` / outlet count)."""
    action = action_label(event.action)
    if kind == "event.reversed":
        action += " reversed"
    subject = f"[banwatch] {event.platform} — {action} — {target_label(event)}"
    if kind == "event.updated":
        subject += f" (reported by {event.outlet_count} outlets)"
    return " ".join(subject.split())


def unsubscribe_url(settings: Settings, subscription: Subscription) -> str | None:
    """The one-click unsubscribe link, when the web server's address is configured."""
    if not settings.web.base_url or not subscription.token:
        return None
    return f"{settings.web.base_url.rstrip('/')}/unsubscribe/{subscription.token}"


def event_payload(
    ctx: EventContext, kind: str, timestamp: datetime | None = None
) -> dict[str, Any]:
    """The webhook body for an event alert (see README, "Webhook body"); ``timestamp`` is
    when the change happened, the same on every retry."""
    event = ctx.event
    return {
        "type": kind,
        "timestamp": iso(timestamp or datetime.now(UTC)),
        "event": event_dict(event, [a.url for a in ctx.articles]),
        "evidence": event.evidence,
        "verdict": {
            "platform": event.platform,
            "action": event.action,
            "target": event.target,
            "targets": target_names(event),
            "scale": event.scale,
            "score": round(event.score, 3),
            "rules": list(ctx.rules),
            "spans": [list(s) for s in ctx.spans],
        },
        "articles": [a.as_json() for a in ctx.articles],
    }


def event_text(ctx: EventContext, kind: str, zone: tzinfo, unsubscribe: str | None) -> str:
    event = ctx.event
    lines = [
        f"{event.platform} — {action_label(event.action)} — {target_label(event)}"
        + ("  [REVERSED]" if event.status == "reversed" else ""),
        "",
        f"Platform:   {event.platform}",
        f"Action:     {action_label(event.action)}",
        f"Target:     {target_label(event)}",
    ]
    if event.scale:
        lines.append(f"Scale:      {event.scale}")
    lines += [
        f"First seen: {local_time(event.first_seen_at, zone)}",
        f"Reported by {event.outlet_count} outlet(s), {event.article_count} article(s)",
        "",
        "Evidence:",
        f"  {evidence_text(event.evidence, ctx.spans)}",
        "",
        "Reports:",
    ]
    for article in ctx.articles:
        outlet = f"{article.outlet}: " if article.outlet else ""
        lines.append(f"  - {outlet}{article.title}")
        lines.append(f"    {article.url}")
    lines += ["", f"({KIND_LABEL.get(kind, kind)} · banwatch event {event.id})"]
    if unsubscribe:
        lines.append(f"Unsubscribe: {unsubscribe}")
    return "\n".join(lines) + "\n"


def event_html(ctx: EventContext, kind: str, zone: tzinfo, unsubscribe: str | None) -> str:
    event = ctx.event
    esc = html.escape
    rows = [
        ("Platform", esc(event.platform)),
        ("Action", esc(action_label(event.action))),
        ("Target", esc(target_label(event))),
    ]
    if event.scale:
        rows.append(("Scale", esc(event.scale)))
    rows.append(("First seen", esc(local_time(event.first_seen_at, zone))))
    reported = f"{event.outlet_count} outlet(s), {event.article_count} article(s)"
    rows.append(("Reported by", reported))
    table = "".join(
        f'<tr><th align="left" style="padding-right:1em">{k}</th><td>{v}</td></tr>' for k, v in rows
    )
    reports = "".join(
        "<li>"
        + (f"<strong>{esc(a.outlet)}</strong>: " if a.outlet else "")
        + link_html(a.title, a.url)
        + "</li>"
        for a in ctx.articles
    )
    status = " <em>(reversed)</em>" if event.status == "reversed" else ""
    footer = f"{esc(KIND_LABEL.get(kind, kind))} · banwatch event {event.id}"
    if unsubscribe:
        footer += f' · <a href="{esc(unsubscribe, quote=True)}">unsubscribe</a>'
    return (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<h2>{esc(event.platform)} — {esc(action_label(event.action))} — "
        f"{esc(target_label(event))}{status}</h2>"
        f"<table>{table}</table>"
        f"<blockquote>{evidence_html(event.evidence, ctx.spans)}</blockquote>"
        f"<h3>Reports</h3><ul>{reports}</ul>"
        f'<p style="color:#666;font-size:small">{footer}</p>'
        "</body></html>"
    )


def event_message(session: Session, delivery: Delivery, settings: Settings) -> Message:
    """The message an event delivery sends, from the event as it stands now."""
    event = delivery.event
    if event is None:
        raise LookupError(f"delivery {delivery.id}: its event is gone")
    ctx = load_event_context(session, event)
    zone = settings.digest.zone
    unsubscribe = unsubscribe_url(settings, delivery.subscription)
    return Message(
        id=delivery.idempotency_key,
        kind=delivery.kind,
        subject=subject_for(event, delivery.kind),
        text=event_text(ctx, delivery.kind, zone, unsubscribe),
        html=event_html(ctx, delivery.kind, zone, unsubscribe),
        payload=event_payload(ctx, delivery.kind, delivery.created_at),
        unsubscribe_url=unsubscribe,
    )
