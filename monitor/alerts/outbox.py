"""The outbox: delivery rows written with the event, sent and retried by a dispatcher.

``enqueue_event_alerts`` runs inside the transaction that opens, updates or reverses an
event, so an alert exists exactly when its event change does. Each row carries a stable
idempotency key (sent as the ``webhook-id`` and the mail's Message-ID): a retry, or a
second enqueue of the same change, never makes a second alert.

``dispatch_due`` sends the rows that are due. Each row is first claimed (its next attempt
pushed past the send's timeout in a committed conditional update), so two dispatchers never
send it twice at once, and a dispatcher that dies mid-send leaves it to be retried. A failed
attempt is retried on a schedule like Standard Webhooks' — at once, then after 5 s, 5 min,
30 min, 2 h, 5 h, then every 10 h, each delay with +-20 % jitter — about three days in all,
after which the row is ``dead`` (``banwatch status`` counts it; ``banwatch deliveries retry
ID`` queues it again). A receiver that answers 410 Gone disables its subscription.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session

from monitor.alerts.channel import Channel, Message, SendResult
from monitor.alerts.channels import channel_for
from monitor.alerts.digest_render import digest_message
from monitor.alerts.filters import Filters
from monitor.alerts.render import event_message
from monitor.classify.vocabulary import Vocabulary, load_vocabulary
from monitor.db import insert_ignoring, session_scope
from monitor.errors import DeliveryError
from monitor.meta import installation_id
from monitor.models import Delivery, Event, Subscription
from monitor.queries import iso
from monitor.states import EVENT_ALERTS, AlertKind, DeliveryStatus

if TYPE_CHECKING:
    from monitor.config import Settings

log = logging.getLogger(__name__)

EVENT_KINDS = EVENT_ALERTS
INSTANT_MODES = ("instant", "both")
DIGEST_MODES = ("digest", "both")


def idempotency_key(
    subscription_id: int,
    subject: str,
    kind: str,
    counter: int | str = 0,
    *,
    installation: str = "",
) -> str:
    """``msg_`` + 32 hex digits, the same for the same (installation, subscription, subject,
    kind, counter). The installation id (``monitor.meta``) keeps two databases from giving
    different events the same ``webhook-id`` / Message-ID; the key is stored on the
    delivery row, so every retry sends the same one."""
    raw = f"{installation}|{subscription_id}|{subject}|{kind}|{counter}".encode()
    return "msg_" + hashlib.sha256(raw).hexdigest()[:32]


def update_counter(event: Event, kind: str) -> int:
    """Distinguishes successive updates of one event: each update links one more article,
    so the article count names the update. Opening and reversal happen once."""
    return event.article_count if kind == AlertKind.UPDATED else 0


def enqueue_event_alerts(
    session: Session,
    event: Event,
    kind: str,
    settings: Settings,
    *,
    vocabulary: Vocabulary | None = None,
) -> list[Delivery]:
    """Write one pending delivery per instant subscription whose filters match ``event``.

    ``kind`` is ``event.opened``, ``event.updated`` or ``event.reversed``. Updates go only
    to subscriptions with ``updates`` set, or to all when ``[events] alert_on_update`` is.
    Runs in the caller's transaction; an existing key is left alone (insert ignoring
    conflicts), so calling twice for the same change writes nothing new.
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"kind {kind!r}: expected one of {', '.join(EVENT_KINDS)}")
    if sa.inspect(event).key is None:  # not flushed yet: the rows need its id
        session.flush()
    vocab = vocabulary if vocabulary is not None else load_vocabulary(settings.classifier)
    now = datetime.now(UTC)
    subscriptions = session.scalars(
        sa.select(Subscription)
        .where(
            Subscription.active.is_(True),
            Subscription.mode.in_(INSTANT_MODES),
            not_muted(now),  # a muted subscription skips what happens meanwhile
        )
        .order_by(Subscription.id)
    )
    counter = update_counter(event, kind)
    installation = installation_id(session)
    rows: list[dict[str, Any]] = []
    for sub in subscriptions:
        filters = Filters.from_json(sub.filters)
        if kind == AlertKind.UPDATED and not (filters.updates or settings.events.alert_on_update):
            continue
        if not filters.matches(event, vocab):
            continue
        rows.append(
            {
                "subscription_id": sub.id,
                "event_id": event.id,
                "digest_date": None,
                "kind": kind,
                "idempotency_key": idempotency_key(
                    sub.id, f"event:{event.id}", kind, counter, installation=installation
                ),
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    return insert_deliveries(session, rows)


def not_muted(now: datetime) -> sa.ColumnElement[bool]:
    """Subscriptions not muted at ``now`` (``banwatch mute``)."""
    return sa.or_(Subscription.muted_until.is_(None), Subscription.muted_until <= now)


def enqueue_digest(session: Session, subscription: Subscription, day: date) -> list[Delivery]:
    """One pending digest delivery for ``subscription`` and ``day`` (once per day)."""
    now = datetime.now(UTC)
    row = {
        "subscription_id": subscription.id,
        "event_id": None,
        "digest_date": day,
        "kind": AlertKind.DIGEST,
        "idempotency_key": idempotency_key(
            subscription.id,
            f"digest:{day.isoformat()}",
            "digest",
            installation=installation_id(session),
        ),
        "status": DeliveryStatus.PENDING,
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
    statement = insert_ignoring(session, Delivery.__table__, "idempotency_key")
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


# --- the dispatcher --------------------------------------------------------------------

#: Seconds to wait after the n-th failed attempt (Standard Webhooks' schedule, then 10 h
#: steps): twelve attempts over about 68 hours.
RETRY_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, *(36000,) * 6)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
JITTER = 0.2
LEASE_MARGIN = 60.0


def retry_delay(attempts: int, rng: random.Random | None = None) -> float | None:
    """Seconds before the next attempt after ``attempts`` failures; ``None``: give up."""
    if attempts < 1 or attempts > len(RETRY_SCHEDULE):
        return None
    base = RETRY_SCHEDULE[attempts - 1]
    return base * (1 + (rng or random).uniform(-JITTER, JITTER))


@dataclass(slots=True)
class DispatchStats:
    """What one dispatcher pass did."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0
    disabled: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        text = f"sent {self.sent}, retrying {self.retrying}, dead {self.dead}"
        if self.disabled:
            text += f", subscriptions disabled {self.disabled}"
        return text


def dispatch_due(
    engine: Engine,
    settings: Settings,
    now: datetime | None = None,
    *,
    limit: int | None = None,
    rng: random.Random | None = None,
) -> DispatchStats:
    """Send every pending delivery whose time has come (at most ``[alerts] batch``).

    ``now`` stands for the clock (tests drive retries with it rather than sleeping).
    """
    now = now or datetime.now(UTC)
    stats = DispatchStats()
    with session_scope(engine) as session:
        due = list(
            session.scalars(
                sa.select(Delivery.id)
                .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(limit or settings.alerts.batch)
            )
        )
    for delivery_id in due:
        _dispatch_one(engine, settings, delivery_id, now, rng, stats)
    if due:
        log.info("dispatch pass", extra={"due": len(due), "result": str(stats)})
    return stats


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=max(settings.alerts.timeout, settings.smtp.timeout) + LEASE_MARGIN)


def _claim(engine: Engine, delivery_id: int, now: datetime, lease: timedelta) -> bool:
    """Take the row for this attempt; False when another dispatcher has it or it is done."""
    with session_scope(engine) as session:
        result = session.execute(
            sa.update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
        return bool(cast("CursorResult[Any]", result).rowcount)


def _dispatch_one(
    engine: Engine,
    settings: Settings,
    delivery_id: int,
    now: datetime,
    rng: random.Random | None,
    stats: DispatchStats,
) -> None:
    if not _claim(engine, delivery_id, now, _lease(settings)):
        stats.skipped += 1
        return
    with session_scope(engine) as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:  # its event or subscription was deleted meanwhile
            stats.skipped += 1
            return
        subscription = delivery.subscription
        if not subscription.active:
            why = subscription.disabled_reason or "unsubscribed"
            delivery.status = DeliveryStatus.DEAD
            delivery.last_error = f"subscription inactive: {why}"
            stats.dead += 1
            return
        muted = subscription.muted_until
        if muted is not None and muted > now:  # queued before the mute: waits for its end
            delivery.next_attempt_at = muted
            stats.skipped += 1
            return
        prepared = _prepare(session, delivery, settings)
    # The send happens outside any transaction: the database is not held during network I/O.
    result = _send(*prepared) if isinstance(prepared, tuple) else prepared
    with session_scope(engine) as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is not None:
            record_result(session, delivery, result, now, rng, stats)


def _prepare(
    session: Session, delivery: Delivery, settings: Settings
) -> tuple[Channel, Message] | SendResult:
    """The channel and the rendered message, or the failure to record instead."""
    try:
        return channel_for(delivery.subscription, settings), build_message(
            session, delivery, settings
        )
    except Exception as exc:  # a bug or a broken row must not stop the pass
        log.exception("cannot prepare delivery", extra={"delivery": delivery.id})
        return SendResult.failed(f"prepare: {type(exc).__name__}: {exc}")


def _send(channel: Channel, message: Message) -> SendResult:
    try:
        return channel.send(message)
    except Exception as exc:  # channels map their own errors; this is the safety net
        log.exception("channel crashed", extra={"channel": channel.describe()})
        return SendResult.failed(f"{type(exc).__name__}: {exc}")


def build_message(session: Session, delivery: Delivery, settings: Settings) -> Message:
    """The rendered message of a delivery: an event alert or a daily digest."""
    if delivery.kind == AlertKind.DIGEST:
        return digest_message(session, delivery, settings)
    return event_message(session, delivery, settings)


def record_result(
    session: Session,
    delivery: Delivery,
    result: SendResult,
    now: datetime,
    rng: random.Random | None = None,
    stats: DispatchStats | None = None,
) -> None:
    """Write one attempt's outcome onto the delivery (and its subscription, for a 410)."""
    stats = stats if stats is not None else DispatchStats()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_result = result.detail[:2000]
    if result.ok:
        delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, now, None
        stats.sent += 1
        return
    delivery.last_error = result.detail[:2000]
    if result.disable:
        disable_subscription(session, delivery.subscription, f"{result.detail} at {iso(now)}")
        delivery.status = DeliveryStatus.DEAD
        stats.dead += 1
        stats.disabled += 1
        return
    delay = retry_delay(delivery.attempts, rng) if result.retry else None
    if delay is None:
        delivery.status = DeliveryStatus.DEAD
        stats.dead += 1
        log.warning(
            "delivery dead",
            extra={"delivery": delivery.id, "attempts": delivery.attempts, "error": result.detail},
        )
        return
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    stats.retrying += 1


def disable_subscription(session: Session, subscription: Subscription, reason: str) -> None:
    """Switch a subscription off and bury its pending deliveries with the reason."""
    subscription.active = False
    subscription.disabled_reason = reason
    session.execute(
        sa.update(Delivery)
        .where(
            Delivery.subscription_id == subscription.id,
            Delivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.DEAD, last_error=f"subscription disabled: {reason}")
        .execution_options(synchronize_session=False)
    )


# --- re-queueing ----------------------------------------------------------------------


def retry_delivery(session: Session, delivery_id: int, now: datetime | None = None) -> Delivery:
    """Queue a dead (or waiting) delivery for the next dispatcher pass, with a fresh
    retry schedule. Its idempotency key stays the same."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise DeliveryError(f"delivery {delivery_id}: no such delivery")
    if delivery.status == DeliveryStatus.SENT:
        raise DeliveryError(f"delivery {delivery_id}: already sent at {iso(delivery.sent_at)}")
    subscription = delivery.subscription
    if not subscription.active:
        raise DeliveryError(
            f"delivery {delivery_id}: subscription {subscription.name!r} is disabled "
            f"({subscription.disabled_reason or 'unsubscribed'})"
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now or datetime.now(UTC)
    return delivery
