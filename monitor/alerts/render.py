"""What an event alert says, for every channel: subject, text, HTML and the webhook body.

It says why: platform, action, target, scale, the evidence sentence with the matched words
marked (``*word*`` in text, ``<mark>`` in HTML), the outlets and their links, first seen.
The bodies are the templates ``mail/alert.txt`` and ``mail/alert.html``
(``monitor.templating``): the template engine escapes every value, and only http(s) links
become ``href``s. The webhook body's ``event`` is exactly one object of ``banwatch events --json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor import templating
from monitor.alerts.channel import Message
from monitor.models import Article, Delivery, Event, EventArticle, Subscription, Verdict
from monitor.queries import distinct_outlets, event_dict, iso
from monitor.states import AlertKind

if TYPE_CHECKING:
    from monitor.config import Settings

KIND_LABEL: dict[str, str] = {
    AlertKind.OPENED: "new",
    AlertKind.UPDATED: "update",
    AlertKind.REVERSED: "reversed",
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
        return distinct_outlets(self.articles)


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
    return tuple(templating.find_spans(sentence, list(words)))


def evidence_text(sentence: str, spans: Sequence[tuple[int, int]]) -> str:
    """The evidence with matched words marked ``*like this*``."""
    return "".join(f"*{t}*" if hit else t for t, hit in templating.marked(sentence, spans))


action_label = templating.action_label


def local_time(value: datetime | None, zone: tzinfo) -> str:
    return templating.local_time(value, zone)


def target_names(event: Event) -> list[str]:
    """The display names of every target the ban hit, first target first."""
    return event.target_names


def target_label(event: Event) -> str:
    """``"RT, Sputnik"``."""
    return event.target_label


def subject_for(event: Event, kind: str) -> str:
    """``[banwatch] Twitter — ad ban — RT, Sputnik`` (with ``reversed`` / outlet count)."""
    action = action_label(event.action)
    if kind == AlertKind.REVERSED:
        action += " reversed"
    subject = f"[banwatch] {event.platform} — {action} — {target_label(event)}"
    if kind == AlertKind.UPDATED:
        subject += f" (reported by {event.outlet_count} outlets)"
    return " ".join(subject.split())


def web_address(settings: Settings) -> str | None:
    """Where people reach ``banwatch serve``: ``[web] base_url``, else the address it listens
    on (useful on the machine itself), or ``None`` when that is a wildcard address."""
    if settings.web.base_url:
        return settings.web.base_url.rstrip("/")
    host = settings.web.host
    if host in ("", "0.0.0.0", "::"):
        return None
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.web.port}"


def unsubscribe_url(settings: Settings, subscription: Subscription) -> str | None:
    """The one-click unsubscribe link every alert carries (``None`` only when the web app's
    address is unknown: no ``[web] base_url`` and a wildcard listening address)."""
    base = web_address(settings)
    if base is None or not subscription.token:
        return None
    from monitor.alerts.subscriptions import link_token

    return f"{base}/unsubscribe/{link_token(subscription)}"


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


def _mail_context(
    ctx: EventContext,
    kind: str,
    zone: tzinfo,
    unsubscribe: str | None,
    page: str | None = None,
) -> dict[str, Any]:
    return {
        "event": ctx.event,
        "articles": ctx.articles,
        "spans": ctx.spans,
        "kind_label": KIND_LABEL.get(kind, kind),
        "zone": zone,
        "unsubscribe": unsubscribe,
        "page": page,
    }


def event_text(
    ctx: EventContext, kind: str, zone: tzinfo, unsubscribe: str | None, page: str | None = None
) -> str:
    """The alert as plain text (template ``mail/alert.txt``); ``page`` is the event's web
    page, when the web app's address is known."""
    return templating.render("mail/alert.txt", **_mail_context(ctx, kind, zone, unsubscribe, page))


def event_html(
    ctx: EventContext, kind: str, zone: tzinfo, unsubscribe: str | None, page: str | None = None
) -> str:
    """The alert as HTML (template ``mail/alert.html``, autoescaped)."""
    return templating.render("mail/alert.html", **_mail_context(ctx, kind, zone, unsubscribe, page))


def event_message(session: Session, delivery: Delivery, settings: Settings) -> Message:
    """The message an event delivery sends, from the event as it stands now."""
    event = delivery.event
    if event is None:
        raise LookupError(f"delivery {delivery.id}: its event is gone")
    ctx = load_event_context(session, event)
    zone = settings.digest.zone
    unsubscribe = unsubscribe_url(settings, delivery.subscription)
    base = web_address(settings)
    page = f"{base}/events/{event.id}" if base else None
    return Message(
        id=delivery.idempotency_key,
        kind=delivery.kind,
        subject=subject_for(event, delivery.kind),
        text=event_text(ctx, delivery.kind, zone, unsubscribe, page),
        html=event_html(ctx, delivery.kind, zone, unsubscribe, page),
        payload=event_payload(ctx, delivery.kind, delivery.created_at),
        unsubscribe_url=unsubscribe,
    )
