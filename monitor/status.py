"""What ``banwatch status`` (and the web's admin page and ``/healthz``'s caller) reports:
row counts, each source's health, the outbox by status, the crawl frontier by state and the
scheduler's heartbeat, as one frozen ``StatusReport`` whose ``as_json()`` is the contract's
``banwatch status --json`` object.

Kept apart from ``monitor.queries`` so the other listing verbs (``events``, ``hits``) do not
import the frontier, the scheduler's metadata and the source policy they never read
(bench/cli.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor import frontier, meta
from monitor.config import Settings
from monitor.masking import mask_passwords, mask_url
from monitor.models import Article, ArticleUrl, Base, Delivery, Event, Source, Verdict
from monitor.queries import JSON, iso
from monitor.sources import is_failing
from monitor.states import DeliveryStatus


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    """Outbox rows by status."""

    pending: int = 0
    sent: int = 0
    dead: int = 0

    def as_json(self) -> JSON:
        return {"pending": self.pending, "sent": self.sent, "dead": self.dead}


def _counts(found: dict[str, int]) -> DeliveryCounts:
    return DeliveryCounts(
        pending=found.get(DeliveryStatus.PENDING, 0),
        sent=found.get(DeliveryStatus.SENT, 0),
        dead=found.get(DeliveryStatus.DEAD, 0),
    )


def delivery_counts(session: Session) -> DeliveryCounts:
    """How many deliveries are pending, sent and dead."""
    delivery = Delivery.__table__.c
    query = sa.select(delivery.status, sa.func.count()).group_by(delivery.status)
    return _counts({str(state): int(n) for state, n in session.execute(query)})


def delivery_counts_by_subscription(session: Session) -> dict[int, DeliveryCounts]:
    """Each subscription's deliveries by status (subscriptions without any are absent)."""
    found: dict[int, dict[str, int]] = defaultdict(dict)
    delivery = Delivery.__table__.c
    for sub_id, state, n in session.execute(
        sa.select(delivery.subscription_id, delivery.status, sa.func.count()).group_by(
            delivery.subscription_id, delivery.status
        )
    ):
        found[sub_id][str(state)] = int(n)
    return {sub_id: _counts(states) for sub_id, states in found.items()}


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One source's state in ``banwatch status``."""

    name: str
    kind: str
    url: str
    origin: str  # settings | cli | opml
    enabled: bool
    last_ok: datetime | None
    last_error: str | None
    failures: int
    failing: bool
    next_poll: datetime | None

    def as_json(self) -> JSON:
        return {
            "name": self.name,
            "kind": self.kind,
            "url": self.url,
            "origin": self.origin,
            "enabled": self.enabled,
            "last_ok": iso(self.last_ok),
            "last_error": self.last_error,
            "failures": self.failures,
            "failing": self.failing,
            "next_poll": iso(self.next_poll),
        }


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Counts, per-source health and outbox state (``banwatch status --json``)."""

    articles: int
    article_urls: int
    hits: int
    events: int
    sources: tuple[SourceHealth, ...]
    deliveries: DeliveryCounts
    frontier: dict[str, int] = field(default_factory=dict)  # crawl frontier rows by state
    scheduler: meta.Heartbeat | None = None
    health: JSON | None = None  # monitor.health's verdict, added by ``banwatch status``

    @property
    def healthy(self) -> bool:
        return not any(s.failing for s in self.sources)

    def as_json(self) -> JSON:
        data: JSON = {
            "articles": self.articles,
            "article_urls": self.article_urls,
            "hits": self.hits,
            "events": self.events,
            "sources": [s.as_json() for s in self.sources],
            "deliveries": self.deliveries.as_json(),
            "frontier": dict(self.frontier),
            "scheduler": self.scheduler.as_json() if self.scheduler else None,
        }
        if self.health is not None:
            data["health"] = self.health
        return data


def _count(session: Session, model: type[Base]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model.__table__)) or 0


def status_report(session: Session, settings: Settings) -> StatusReport:
    """Counts, per-source health and outbox state (``banwatch status``). Reads table rows,
    not ORM objects, as ``monitor.queries.list_events`` does: the ORM's first query would
    configure every mapper (bench/cli.py)."""
    now = datetime.now(UTC)
    source = Source.__table__.c
    sources = tuple(
        SourceHealth(
            name=s.name,
            kind=s.kind,
            url=mask_url(s.url),
            origin=s.origin,
            enabled=bool(s.enabled and not s.disabled),
            last_ok=s.last_ok_at,
            last_error=mask_passwords(s.last_error) if s.last_error else None,
            failures=s.failures,
            failing=is_failing(s, settings.crawler, now),
            next_poll=s.next_poll_at,
        )
        for s in session.execute(sa.select(Source.__table__).order_by(source.kind, source.name))
    )
    return StatusReport(
        articles=_count(session, Article),
        article_urls=_count(session, ArticleUrl),
        hits=_count(session, Verdict),
        events=_count(session, Event),
        sources=sources,
        deliveries=delivery_counts(session),
        frontier=frontier.depth(session),
        scheduler=meta.heartbeat(session),
    )
