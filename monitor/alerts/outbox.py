"""The outbox: delivery rows written with the event, sent and retried by a dispatcher.

``enqueue_event_alerts`` runs inside the transaction that opens, updates or reverses an
event, so an alert exists exactly when its event change does. Each row carries a stable
idempotency key (sent as the ``webhook-id`` and the mail's Message-ID): a retry, or a
second enqueue of the same change, never makes a second alert.

``dispatch_due`` (see ``monitor.alerts.dispatch``) sends the rows that are due.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.alerts.filters import Aliases, Filters, aliases_for
from monitor.models import Delivery, Event, Subscription

if TYPE_CHECKING:
    from monitor.config import Settings

EVENT_KINDS = ("event.opened", "event.updated", "event.reversed")
INSTANT_MODES = ("instant", "both")
DIGEST_MODES = ("digest", "both")


def idempotency_key(subscription_id: int, subject: str, kind: str, counter: int | str = 0) -> str:
    """``msg_`` + 32 hex digits, the same for the same (subscription, subject, kind, counter)."""
    raw = f"{subscription_id}|{subject}|{kind}|{counter}".encode()
    return "msg_" + hashlib.sha256(raw).hexdigest()[:32]


def update_counter(event: Event, kind: str) -> int:
    """Distinguishes successive updates of one event: each update links one more article,
    so the article count names the update. Opening and reversal happen once."""
    return event.article_count if kind == "event.updated" else 0


def enqueue_event_alerts(
    session: Session,
    event: Event,
    kind: str,
    settings: Settings,
    *,
    aliases: Aliases | None = None,
) -> list[Delivery]:
    """Write one pending delivery per instant subscription whose filters match ``event``.

    ``kind`` is ``event.opened``, ``event.updated`` or ``event.reversed``. Updates go only
    to subscriptions with ``updates`` set, or to all when ``[events] alert_on_update`` is.
    Runs in the caller's transaction; an existing key is left alone (insert ignoring
    conflicts), so calling twice for the same change writes nothing new.
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"kind {kind!r}: expected one of {', '.join(EVENT_KINDS)}")
    if event.id is None:
        session.flush()
    aliases = aliases if aliases is not None else aliases_for(settings)
    subscriptions = session.scalars(
        sa.select(Subscription)
        .where(Subscription.active.is_(True), Subscription.mode.in_(INSTANT_MODES))
        .order_by(Subscription.id)
    )
    counter = update_counter(event, kind)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for sub in subscriptions:
        filters = Filters.from_json(sub.filters)
        if kind == "event.updated" and not (filters.updates or settings.events.alert_on_update):
            continue
        if not filters.matches(event, aliases):
            continue
        rows.append(
            {
                "subscription_id": sub.id,
                "event_id": event.id,
                "digest_date": None,
                "kind": kind,
                "idempotency_key": idempotency_key(sub.id, f"event:{event.id}", kind, counter),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    return insert_deliveries(session, rows)


def enqueue_digest(session: Session, subscription: Subscription, day: date) -> list[Delivery]:
    """One pending digest delivery for ``subscription`` and ``day`` (once per day)."""
    now = datetime.now(UTC)
    row = {
        "subscription_id": subscription.id,
        "event_id": None,
        "digest_date": day,
        "kind": "digest",
        "idempotency_key": idempotency_key(subscription.id, f"digest:{day.isoformat()}", "digest"),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    return insert_deliveries(session, [row])


def insert_deliveries(session: Session, rows: Iterable[Mapping[str, Any]]) -> list[Delivery]:
    """Insert delivery rows, skipping keys that exist; return the rows of every key given."""
    rows = list(rows)
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - banwatch supports SQLite and PostgreSQL only
        raise NotImplementedError(f"no conflict-ignoring insert for {dialect}")
    statement = insert(Delivery).on_conflict_do_nothing(index_elements=["idempotency_key"])
    session.execute(statement, rows)
    keys = [r["idempotency_key"] for r in rows]
    return list(
        session.scalars(
            sa.select(Delivery)
            .where(Delivery.idempotency_key.in_(keys))
            .order_by(Delivery.id)
            .execution_options(populate_existing=True)
        )
    )


def delivery_counts(session: Session) -> dict[str, int]:
    """``{"pending": n, "sent": n, "dead": n}`` for ``banwatch status``."""
    counts = {"pending": 0, "sent": 0, "dead": 0}
    for state, count in session.execute(
        sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)
    ):
        counts[state] = count
    return counts
